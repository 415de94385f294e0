"""Plots for the fairness audit: the threshold sweep and the mitigation trade-off.

Rendering only. Each function returns a :class:`matplotlib.figure.Figure` drawn with the
object-oriented API on the non-interactive Agg canvas: nothing goes through pyplot's global
state, so it works on servers without a screen and needs no closing. Save with
``figure.savefig(path)``.

Every visible word comes from the ``text`` argument (the report translates it); the English
defaults are in :data:`SWEEP_TEXT` and :data:`TRADEOFF_TEXT`, and a key missing from ``text``
falls back to them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

if TYPE_CHECKING:
    # Only the results' fields are read: plotting needs neither fairlearn's mitigations nor
    # scikit-learn's models.
    from riskkit.fairness.mitigation import MitigationComparison
    from riskkit.fairness.sweep import ThresholdSweep

__all__ = ["SWEEP_TEXT", "TRADEOFF_TEXT", "plot_mitigation_tradeoff", "plot_threshold_sweep"]

# The house colours of riskkit.reports.plots: main line and reference lines.
_MAIN_COLOUR: Final = "#1f5f8b"
_REFERENCE_COLOUR: Final = "#999999"
# Fewer thresholds than this are distinct score values worth marking (e.g. deciles).
_MARK_POINTS_BELOW: Final = 30

SWEEP_TEXT: Final[Mapping[str, str]] = {
    "threshold": "threshold (selected when score ≥ threshold)",
    "accuracy_title": "Overall accuracy",
    "accuracy": "accuracy",
    "rates_title": "Error rates by {attribute}",
    "rate": "rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "audited_threshold": "audited threshold",
    "too_small": "too few people",
}
"""English defaults of the threshold-sweep plot's words. ``rates_title`` may contain
``{attribute}``, replaced by the attribute's display name."""

TRADEOFF_TEXT: Final[Mapping[str, str]] = {
    "title": "Accuracy and equalized-odds difference (test data)",
    "x": "equalized-odds difference (lower is fairer)",
    "y": "accuracy",
    "none": "no mitigation",
    "threshold_optimizer": "threshold optimizer",
    "exponentiated_gradient": "exponentiated gradient",
}
"""English defaults of the mitigation trade-off plot's words; one key per method name."""


def _words(defaults: Mapping[str, str], text: Mapping[str, str] | None) -> dict[str, str]:
    return {**defaults, **(text or {})}


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def plot_threshold_sweep(
    sweep: ThresholdSweep,
    *,
    attribute: str,
    labels: Mapping[str, str] | None = None,
    threshold: float | None = None,
    text: Mapping[str, str] | None = None,
) -> Figure:
    """Overall accuracy and each group's error rates against the decision threshold.

    Two panels: on the left the overall accuracy; on the right each group's false positive rate
    (solid line) and false negative rate (dashed line), one colour per group. Groups flagged
    ``too_small`` are drawn faded and marked in the legend.

    Parameters
    ----------
    sweep : ThresholdSweep
        The result of :func:`riskkit.fairness.sweep.threshold_sweep`.
    attribute : str
        The sensitive attribute whose groups are drawn.
    labels : mapping of str to str, optional
        Display names of the attribute and of its groups (e.g. translated); names missing
        from it are shown as they are.
    threshold : float, optional
        The audited threshold, drawn as a vertical line in both panels.
    text : mapping of str to str, optional
        The plot's words, by the keys of :data:`SWEEP_TEXT` (missing keys use its English).

    Returns
    -------
    matplotlib.figure.Figure
        The left axes hold one line (plus the threshold line), the right axes two lines per
        group (plus the threshold line).
    """
    words = _words(SWEEP_TEXT, text)
    names = dict(labels or {})
    curves = sweep.groups_of(attribute)
    x = list(sweep.thresholds)
    marker = "o" if len(x) < _MARK_POINTS_BELOW else None
    figure = _new_figure(9.0, 3.8)
    accuracy_axes, rates_axes = figure.subplots(1, 2)

    accuracy_axes.plot(x, sweep.overall.accuracy, color=_MAIN_COLOUR, marker=marker, markersize=3)
    accuracy_axes.set_title(words["accuracy_title"], fontsize=10)
    accuracy_axes.set_ylabel(words["accuracy"], fontsize=8)

    palette = colormaps["tab10"]
    handles: list[Line2D] = []
    for index, curve in enumerate(curves):
        colour = palette(index % palette.N)
        alpha = 0.4 if curve.too_small else 1.0
        style = {"color": colour, "alpha": alpha, "marker": marker, "markersize": 3}
        rates_axes.plot(x, curve.fpr, linestyle="-", **style)
        rates_axes.plot(x, curve.fnr, linestyle="--", **style)
        name = names.get(curve.group, curve.group)
        if curve.too_small:
            name = f"{name} ({words['too_small']})"
        # Legend entries are free-standing handles, not drawn on the axes.
        handles.append(Line2D([], [], color=colour, alpha=alpha, linewidth=4, label=name))
    handles.append(Line2D([], [], color="black", linestyle="-", label=words["fpr"]))
    handles.append(Line2D([], [], color="black", linestyle="--", label=words["fnr"]))
    display_attribute = names.get(attribute, attribute)
    rates_axes.set_title(
        words["rates_title"].replace("{attribute}", display_attribute), fontsize=10
    )
    rates_axes.set_ylabel(words["rate"], fontsize=8)
    rates_axes.set_ylim(-0.02, 1.02)
    rates_axes.legend(handles=handles, fontsize=7, loc="best")

    for axes in (accuracy_axes, rates_axes):
        if threshold is not None:
            axes.axvline(
                threshold,
                color=_REFERENCE_COLOUR,
                linestyle=":",
                linewidth=1,
                label=words["audited_threshold"],
            )
        axes.set_xlabel(words["threshold"], fontsize=8)
        axes.tick_params(labelsize=7)
    if threshold is not None:
        accuracy_axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    return figure


def plot_mitigation_tradeoff(
    comparison: MitigationComparison, *, text: Mapping[str, str] | None = None
) -> Figure:
    """Accuracy against equalized-odds difference, one labelled point per method.

    Parameters
    ----------
    comparison : MitigationComparison
        The result of :func:`riskkit.fairness.mitigation.compare_mitigations`.
    text : mapping of str to str, optional
        The plot's words, by the keys of :data:`TRADEOFF_TEXT` (missing keys use its English);
        each method's label is under its method name.

    Returns
    -------
    matplotlib.figure.Figure
        One point per method whose two figures are defined (a method with an undefined
        equalized-odds difference is left out).
    """
    words = _words(TRADEOFF_TEXT, text)
    figure = _new_figure(5.0, 4.0)
    axes = figure.subplots()
    markers = ("o", "s", "D", "^", "v")
    largest_difference = 0.0
    for index, result in enumerate(comparison.results):
        x, y = result.equalized_odds_difference, result.accuracy
        if math.isnan(x) or math.isnan(y):
            continue
        largest_difference = max(largest_difference, x)
        axes.scatter([x], [y], color=_MAIN_COLOUR, marker=markers[index % len(markers)], s=36)
        axes.annotate(
            words.get(result.method, result.method),
            (x, y),
            xytext=(6, 4),
            textcoords="offset points",
            fontsize=8,
        )
    # From zero (perfect equality), with room on the right for the labels.
    axes.set_xlim(0.0, largest_difference * 1.4 + 0.02)
    axes.margins(y=0.25)
    axes.set_xlabel(words["x"], fontsize=8)
    axes.set_ylabel(words["y"], fontsize=8)
    axes.set_title(words["title"], fontsize=10)
    axes.tick_params(labelsize=7)
    figure.tight_layout()
    return figure

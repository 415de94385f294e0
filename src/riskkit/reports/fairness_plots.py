"""Plots for the fairness audit: error rates and calibration by group, the threshold sweep and
the mitigation trade-off.

Rendering only. Each function returns a :class:`matplotlib.figure.Figure` drawn with the
object-oriented API on the non-interactive Agg canvas: nothing goes through pyplot's global
state, so it works on servers without a screen and needs no closing. Save with
``figure.savefig(path)``. matplotlib is imported when a plot is drawn, not when this module is
imported, so the command line starts fast.

The plots read the audit as its ``to_dict()`` form (``audit.json``); the sweep and the
mitigation plots take either the result object or its ``to_dict()`` form, as ``audit.json``
holds it under ``"threshold_sweep"`` and ``"mitigations"``.

Every visible word comes from the ``text`` argument (the report translates it); the English
defaults are in :data:`ERROR_RATES_TEXT`, :data:`CALIBRATION_TEXT`, :data:`SWEEP_TEXT` and
:data:`TRADEOFF_TEXT`, and a key missing from ``text`` falls back to them. Group and attribute
names are shown through ``labels`` (display names, e.g. translated), or as they are.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from riskkit.errors import RiskkitError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    # Only the results' fields are read: plotting needs neither fairlearn's mitigations nor
    # scikit-learn's models.
    from riskkit.fairness.mitigation import MitigationComparison
    from riskkit.fairness.sweep import ThresholdSweep

__all__ = [
    "CALIBRATION_TEXT",
    "ERROR_RATES_TEXT",
    "SWEEP_TEXT",
    "TRADEOFF_TEXT",
    "plot_calibration_by_group",
    "plot_error_rates",
    "plot_mitigation_tradeoff",
    "plot_threshold_sweep",
]

# The house colours of riskkit.reports.plots: main line and reference lines.
_MAIN_COLOUR: Final = "#1f5f8b"
_REFERENCE_COLOUR: Final = "#999999"
_TOO_SMALL_COLOUR: Final = "#b5b5b5"
_DPI: Final = 110
# Fewer thresholds than this are distinct score values worth marking (e.g. deciles).
_MARK_POINTS_BELOW: Final = 30
_OVERALL: Final = "(overall)"

ERROR_RATES_TEXT: Final[Mapping[str, str]] = {
    "title": "Error rates by {attribute}, with intervals",
    "fpr": "false alarms (FPR)",
    "fnr": "missed (FNR)",
    "rate": "share of people",
    "reference": "reference",
    "too_small": "too small to judge",
}
"""English defaults of the error-rate plot's words. ``title`` may contain ``{attribute}``."""

CALIBRATION_TEXT: Final[Mapping[str, str]] = {
    "title": "Observed outcome rate by score band, by {attribute}",
    "x_probability": "mean predicted probability in the band",
    "x_band": "score band",
    "y": "share with the outcome (observed)",
    "perfect": "observed = predicted",
    "overall": "everyone",
    "too_small": "too small to judge",
}
"""English defaults of the calibration plot's words. ``title`` may contain ``{attribute}``."""

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


def _wrapped(title: str, width: float) -> str:
    """A title broken into lines that fit a figure ``width`` inches wide at 10 pt."""
    return "\n".join(textwrap.wrap(title, max(20, int(width * 11.5))))


def _place(
    figure: Figure,
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
    wspace: float | None = None,
) -> None:
    """Set the margins, in inches. Cheaper than ``tight_layout`` (which measures every text
    by drawing the figure once more): the report draws many plots."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=wspace,
    )


def _lines(text: str) -> int:
    return text.count("\n") + 1


# Width of one character of the 7-point tick labels, in inches (DejaVu Sans, on average).
_TICK_CHAR_INCHES: Final = 0.056


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(figure)
    return figure


def _number(value: object) -> float:
    """A JSON number, ``None`` (undefined) as NaN."""
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def _palette() -> Any:
    from matplotlib import colormaps

    return colormaps["tab10"]


# --- error rates by group -----------------------------------------------------------------------


def _audit_groups(data: Mapping[str, Any], attribute: str) -> list[Mapping[str, Any]]:
    groups = [g for g in data.get("groups", []) if g.get("attribute") == attribute]
    if not groups:
        known = list(dict.fromkeys(g.get("attribute") for g in data.get("groups", [])))
        raise RiskkitError(
            f"attribute {attribute!r} has no groups in this audit; its attributes are {known}. "
            "Pass one of them."
        )
    return groups


def plot_error_rates(
    data: Mapping[str, Any],
    attribute: str,
    text: Mapping[str, str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """False positive and false negative rates of each group, with their intervals.

    Two panels side by side, the audit's lead metric first (the false negative rate for an
    assistive use, else the false positive rate). Each group is a dot with its bootstrap
    interval as a horizontal bar; the reference group is a diamond, with a dashed line at its
    value so the other groups' gaps can be read against it. Groups flagged ``too_small`` are
    drawn in grey and marked in their label.

    Parameters
    ----------
    data : mapping
        The audit's ``to_dict()`` form (``audit.json``).
    attribute : str
        The attribute (or the intersection's name) whose groups are drawn.
    text : mapping of str to str, optional
        The plot's words, by the keys of :data:`ERROR_RATES_TEXT` (missing keys use its
        English).
    labels : mapping of str to str, optional
        Display names of the attribute and of its groups; names missing from it are shown as
        they are.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes (one per error rate), with one error bar per group whose rate is defined.

    Raises
    ------
    RiskkitError
        If the attribute has no groups in the audit.
    """
    words = _words(ERROR_RATES_TEXT, text)
    names = dict(labels or {})
    groups = _audit_groups(data, attribute)
    metrics = ("fnr", "fpr") if data.get("lead_metric") == "fnr" else ("fpr", "fnr")
    tick_labels = []
    for g in groups:
        name = names.get(g["group"], g["group"])
        if g.get("is_reference"):
            name = f"{name} ({words['reference']})"
        if g.get("too_small"):
            name = f"{name} ({words['too_small']})"
        tick_labels.append(name)
    figure = _new_figure(8.5, max(2.4, 1.3 + 0.34 * len(groups)))
    axes_pair = figure.subplots(1, 2, sharey=True)
    positions = list(range(len(groups)))[::-1]  # first group at the top
    for axes, metric in zip(axes_pair, metrics, strict=True):
        top = 0.0
        for y, g in zip(positions, groups, strict=True):
            estimate = g.get(metric) or {}
            value = _number(estimate.get("value"))
            if math.isnan(value):
                continue
            low, high = _number(estimate.get("lo")), _number(estimate.get("hi"))
            colour = _TOO_SMALL_COLOUR if g.get("too_small") else _MAIN_COLOUR
            error = None
            if not (math.isnan(low) or math.isnan(high)):
                error = [[max(value - low, 0.0)], [max(high - value, 0.0)]]
                top = max(top, high)
            top = max(top, value)
            axes.errorbar(
                [value],
                [y],
                xerr=error,
                fmt="D" if g.get("is_reference") else "o",
                color=colour,
                ecolor=colour,
                elinewidth=1.6,
                capsize=3,
                markersize=6,
                clip_on=False,
            )
            if g.get("is_reference"):
                axes.axvline(value, color=_REFERENCE_COLOUR, linestyle="--", linewidth=1)
        axes.set_xlim(0.0, min(1.0, top * 1.12 + 0.03))
        axes.set_title(words[metric], fontsize=9)
        axes.set_xlabel(words["rate"], fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(axis="x", color="#e5e5e5", linewidth=0.6)
        axes.set_axisbelow(True)
    axes_pair[0].set_yticks(positions)
    axes_pair[0].set_yticklabels(tick_labels)
    axes_pair[0].set_ylim(-0.6, len(groups) - 0.4)
    display = names.get(attribute, attribute)
    title = _wrapped(words["title"].replace("{attribute}", display), 8.0)
    figure.suptitle(title, fontsize=10, y=1 - 0.08 / figure.get_size_inches()[1], va="top")
    longest = max(len(t) for t in tick_labels)
    _place(
        figure,
        left=min(3.6, 0.2 + _TICK_CHAR_INCHES * longest),
        right=0.2,
        top=0.35 + 0.19 * _lines(title),
        bottom=0.5,
        wspace=0.08,
    )
    return figure


# --- calibration by group -----------------------------------------------------------------------


def _band_order(
    rows: Sequence[Mapping[str, Any]], overall: Sequence[Mapping[str, Any]]
) -> list[str]:
    bands = [str(r["band"]) for r in overall]
    bands += [str(r["band"]) for r in rows if str(r["band"]) not in bands]
    return list(dict.fromkeys(bands))


def _draw_calibration_line(
    axes: Axes,
    rows: Sequence[Mapping[str, Any]],
    x_of: Mapping[str, float],
    probability: bool,
    label: str,
    style: Mapping[str, Any],
) -> None:
    xs, ys, below, above = [], [], [], []
    for row in rows:
        observed = row["observed"]
        value = _number(observed.get("value"))
        if math.isnan(value):
            continue
        x = _number(row.get("mean_score")) if probability else x_of[str(row["band"])]
        if math.isnan(x):
            continue
        low, high = _number(observed.get("lo")), _number(observed.get("hi"))
        xs.append(x)
        ys.append(value)
        below.append(0.0 if math.isnan(low) else max(value - low, 0.0))
        above.append(0.0 if math.isnan(high) else max(high - value, 0.0))
    if xs:
        axes.errorbar(
            xs,
            ys,
            yerr=[below, above],
            capsize=2,
            markersize=4,
            elinewidth=0.8,
            label=label,
            **style,
        )


def plot_calibration_by_group(
    data: Mapping[str, Any],
    attribute: str,
    text: Mapping[str, str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    band_labels: Mapping[str, str] | None = None,
) -> Figure:
    """Observed outcome rate by score band, one line per group, with Wilson intervals.

    For a probability, each band's observed rate is drawn against the group's mean predicted
    probability in that band, with the diagonal where observed equals predicted: a line above
    it means the score under-predicts that group's recorded outcomes. For other scores (e.g.
    deciles) the observed rate is drawn against the band, in score order. Everybody's line is
    drawn in grey; groups flagged ``too_small`` are faded and marked in the legend.

    Parameters
    ----------
    data : mapping
        The audit's ``to_dict()`` form (``audit.json``), with its ``calibration`` rows.
    attribute : str
        A single attribute (calibration is not computed for the intersection).
    text : mapping of str to str, optional
        The plot's words, by the keys of :data:`CALIBRATION_TEXT` (missing keys use its
        English).
    labels : mapping of str to str, optional
        Display names of the attribute and of its groups.
    band_labels : mapping of str to str, optional
        Display names of the score bands (e.g. with a decimal comma); others as they are.

    Returns
    -------
    matplotlib.figure.Figure
        One axes, with one error-bar line per group that has calibration rows, plus
        everybody's line (and, for a probability, the diagonal).

    Raises
    ------
    RiskkitError
        If the audit has no calibration rows for the attribute.
    """
    words = _words(CALIBRATION_TEXT, text)
    names = dict(labels or {})
    bands_shown = dict(band_labels or {})
    calibration = data.get("calibration") or []
    rows = [r for r in calibration if r.get("attribute") == attribute]
    if not rows:
        known = list(
            dict.fromkeys(r.get("attribute") for r in calibration if r.get("attribute") != _OVERALL)
        )
        raise RiskkitError(
            f"the audit has no calibration rows for attribute {attribute!r}; it has them for "
            f"{known}. Calibration is computed for single attributes, not for the intersection."
        )
    overall = [r for r in calibration if r.get("attribute") == _OVERALL]
    probability = bool(data.get("score_is_probability"))
    bands = _band_order(rows, overall)
    x_of = {band: float(i) for i, band in enumerate(bands)}
    too_small = {
        g["group"]: bool(g.get("too_small"))
        for g in data.get("groups", [])
        if g.get("attribute") == attribute
    }
    order = list(dict.fromkeys(str(r["group"]) for r in rows))

    figure = _new_figure(6.6, 4.4)
    axes = figure.subplots()
    if probability:
        axes.plot(
            [0, 1],
            [0, 1],
            color=_REFERENCE_COLOUR,
            linestyle=":",
            linewidth=1,
            label=words["perfect"],
        )
    if overall:
        _draw_calibration_line(
            axes,
            overall,
            x_of,
            probability,
            words["overall"],
            {"color": _REFERENCE_COLOUR, "marker": "s", "linestyle": "--", "linewidth": 1},
        )
    palette = _palette()
    spread = 0.08 if not probability and len(order) > 1 else 0.0
    for index, group in enumerate(order):
        small = too_small.get(group, False)
        offset = (index - (len(order) - 1) / 2) * spread
        shifted = {band: x + offset for band, x in x_of.items()}
        name = names.get(group, group)
        if small:
            name = f"{name} ({words['too_small']})"
        _draw_calibration_line(
            axes,
            [r for r in rows if str(r["group"]) == group],
            shifted,
            probability,
            name,
            {
                "color": palette(index % palette.N),
                "alpha": 0.35 if small else 1.0,
                "marker": "o",
                "linewidth": 1.4,
            },
        )
    if probability:
        highest = max(
            [_number(r.get("mean_score")) for r in rows + overall]
            + [_number(r["observed"].get("hi")) for r in rows + overall],
            default=1.0,
        )
        top = 1.0 if math.isnan(highest) else min(1.0, highest * 1.08 + 0.02)
        axes.set_xlim(0.0, top)
        axes.set_ylim(0.0, top)
        axes.set_xlabel(words["x_probability"], fontsize=8)
    else:
        axes.set_xticks(list(x_of.values()))
        axes.set_xticklabels(
            [bands_shown.get(b, b) for b in bands],
            rotation=30 if max(len(b) for b in bands) > 4 else 0,
            ha="right" if max(len(b) for b in bands) > 4 else "center",
        )
        axes.set_ylim(0.0, 1.0)
        axes.set_xlabel(words["x_band"], fontsize=8)
    axes.set_ylabel(words["y"], fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    title = _wrapped(words["title"].replace("{attribute}", names.get(attribute, attribute)), 6.6)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7, loc="upper left")
    rotated = not probability and max(len(b) for b in bands) > 4
    longest = max(len(bands_shown.get(b, b)) for b in bands)
    _place(
        figure,
        left=0.65,
        right=0.15,
        top=0.15 + 0.19 * _lines(title),
        bottom=0.5 + (0.5 * _TICK_CHAR_INCHES * longest if rotated else 0.0),
    )
    return figure


# --- threshold sweep ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Curve:
    group: str
    too_small: bool
    fpr: tuple[float, ...]
    fnr: tuple[float, ...]


def _sweep_curves(
    sweep: ThresholdSweep | Mapping[str, Any], attribute: str
) -> tuple[list[float], list[float], list[_Curve]]:
    """Thresholds, overall accuracy and the attribute's curves, from the object or its dict."""
    if not isinstance(sweep, Mapping):
        return (
            list(sweep.thresholds),
            list(sweep.overall.accuracy),
            [
                _Curve(c.group, c.too_small, tuple(c.fpr), tuple(c.fnr))
                for c in sweep.groups_of(attribute)
            ],
        )
    attributes = list(sweep.get("attributes") or [])
    if attribute not in attributes:
        raise RiskkitError(
            f"attribute {attribute!r} is not in this sweep; the attributes are {attributes}."
        )
    curves = [
        _Curve(
            str(c["group"]),
            bool(c.get("too_small")),
            tuple(_number(v) for v in c["fpr"]),
            tuple(_number(v) for v in c["fnr"]),
        )
        for c in sweep.get("groups", [])
        if c.get("attribute") == attribute
    ]
    return (
        [float(t) for t in sweep["thresholds"]],
        [_number(v) for v in sweep["overall"]["accuracy"]],
        curves,
    )


def plot_threshold_sweep(
    sweep: ThresholdSweep | Mapping[str, Any],
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
    sweep : ThresholdSweep or mapping
        The result of :func:`riskkit.fairness.sweep.threshold_sweep`, or its ``to_dict()``
        form (as ``audit.json`` holds it under ``"threshold_sweep"``).
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

    Raises
    ------
    RiskkitError
        If the attribute was not swept.
    """
    from matplotlib.lines import Line2D

    words = _words(SWEEP_TEXT, text)
    names = dict(labels or {})
    x, accuracy, curves = _sweep_curves(sweep, attribute)
    marker = "o" if len(x) < _MARK_POINTS_BELOW else None
    figure = _new_figure(9.0, 3.8)
    accuracy_axes, rates_axes = figure.subplots(1, 2)

    accuracy_axes.plot(x, accuracy, color=_MAIN_COLOUR, marker=marker, markersize=3)
    accuracy_axes.set_title(words["accuracy_title"], fontsize=10)
    accuracy_axes.set_ylabel(words["accuracy"], fontsize=8)

    palette = _palette()
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
    _place(figure, left=0.6, right=0.15, top=0.35, bottom=0.5, wspace=0.22)
    return figure


# --- mitigation trade-off -----------------------------------------------------------------------


def _tradeoff_points(
    comparison: MitigationComparison | Mapping[str, Any],
) -> list[tuple[str, float, float]]:
    """(method, equalized-odds difference, accuracy) per method, from the object or its dict."""
    if isinstance(comparison, Mapping):
        return [
            (
                str(m["method"]),
                _number(m.get("equalized_odds_difference")),
                _number(m.get("accuracy")),
            )
            for m in comparison.get("methods", [])
        ]
    return [(r.method, r.equalized_odds_difference, r.accuracy) for r in comparison.results]


def plot_mitigation_tradeoff(
    comparison: MitigationComparison | Mapping[str, Any],
    *,
    text: Mapping[str, str] | None = None,
) -> Figure:
    """Accuracy against equalized-odds difference, one labelled point per method.

    Parameters
    ----------
    comparison : MitigationComparison or mapping
        The result of :func:`riskkit.fairness.mitigation.compare_mitigations`, or its
        ``to_dict()`` form (as ``audit.json`` holds it under ``"mitigations"``).
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
    for index, (method, x, y) in enumerate(_tradeoff_points(comparison)):
        if math.isnan(x) or math.isnan(y):
            continue
        largest_difference = max(largest_difference, x)
        axes.scatter([x], [y], color=_MAIN_COLOUR, marker=markers[index % len(markers)], s=36)
        axes.annotate(
            words.get(method, method),
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
    title = _wrapped(words["title"], 5.0)
    axes.set_title(title, fontsize=10)
    axes.tick_params(labelsize=7)
    _place(figure, left=0.65, right=0.15, top=0.15 + 0.19 * _lines(title), bottom=0.5)
    return figure

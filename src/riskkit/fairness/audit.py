"""Fairness audit of a score: group and intersectional metrics, disparities, summary.

:func:`audit_predictions` takes observed outcomes, a score and the sensitive attributes (passed
only as the keyword ``sensitive_features=``, never as model inputs), and returns an
:class:`AuditReport`. The decision audited is ``y_score >= threshold``. Groups are formed by each
attribute and, when there are two or more attributes, by their intersection. A group smaller than
``minimum_group_size`` is reported with ``too_small = true``, never dropped; a missing attribute
value forms the explicit group ``"(missing)"``.

JSON schema (``AuditReport.to_dict()``, ``schema_version`` "1")
----------------------------------------------------------------
Every number that is undefined (NaN) is written as ``null``.

``schema_version``
    ``"1"``. Readers should refuse versions they do not know.
``score``
    Name of the audited score (e.g. ``"probability"``, ``"decile_score"``).
``score_is_probability``
    Whether the score is a probability in [0, 1]; when false, ``brier`` and
    ``calibration_in_the_large`` are not computed.
``threshold``
    People with ``score >= threshold`` are the ones selected (labelled high risk).
``n``
    Number of people audited.
``minimum_group_size``
    Groups with fewer people are flagged ``too_small``.
``purpose``
    ``"punitive"`` (false positives are the harm), ``"assistive"`` (false negatives are the
    harm) or ``null`` (not stated).
``attributes``
    Names of the sensitive attributes, in input order.
``intersection``
    Name of the intersectional attribute (the attribute names joined by ``" × "``), or ``null``
    with fewer than two attributes. Its group names join the attribute values the same way.
``metrics``
    Names of the metrics computed, in display order. Possible names: ``base_rate`` (share with
    the outcome), ``selection_rate`` (share selected), ``fpr`` (false positive rate: share of
    people without the outcome who are selected), ``fnr`` (false negative rate: share of people
    with the outcome who are not selected), ``precision`` (share of selected people with the
    outcome), ``auc`` (area under the ROC curve), ``brier`` (Brier score), ``mean_score`` and
    ``calibration_in_the_large`` (``mean_score - base_rate``).
``bootstrap``
    ``{"n_resamples", "confidence", "seed"}`` of the percentile-bootstrap intervals, or ``null``
    when intervals were not computed (then every ``low``/``high`` is ``null``).
``overall``
    ``{"n", "metrics"}`` for everybody; ``metrics`` maps each metric name to
    ``{"value", "low", "high"}``.
``groups``
    One object per group: ``{"attribute", "group", "n", "too_small", "is_reference",
    "metrics"}``, ``metrics`` as in ``overall``. Groups of an attribute are consecutive.
``disparities``
    One object per non-reference group and metric (``fpr``, ``fnr``, ``selection_rate``):
    ``{"attribute", "group", "reference", "metric", "value", "reference_value", "difference",
    "difference_low", "difference_high", "ratio", "too_small"}``. ``difference`` is
    ``value - reference_value`` with its bootstrap interval (groups resampled independently);
    ``ratio`` is ``value / reference_value``; ``too_small`` is true when either group is too
    small.
``summary``
    ``{"attributes": [...]}``, one object per attribute (the intersection last):
    ``{"attribute", "reference_group", "reference_chosen_by"`` (``"given"`` or
    ``"largest"``)``, "n_groups", "groups_too_small", "groups_compared",
    "demographic_parity_difference", "equalized_odds_difference", "largest_gaps"}``. The two
    fairlearn summaries are computed over ``groups_compared``: the groups that are not too small
    and contain people both with and without the outcome. ``largest_gaps`` maps ``fpr``,
    ``fnr`` and ``selection_rate`` to the disparity object with the largest absolute difference
    among groups that are not too small, or ``null``.
``metadata``
    Only in the ``audit.json`` that :func:`riskkit.reports.audit_report.write_audit` writes:
    ``riskkit_version``, ``generated_at`` (unless the caller gave a date) and whatever the caller
    passed (model name and version, data file, ...).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
)

from riskkit.errors import RiskkitError
from riskkit.metrics import classification as cm

__all__ = [
    "DISPARITY_METRICS",
    "GROUP_METRICS",
    "INTERSECTION_SEPARATOR",
    "MISSING_GROUP",
    "SCHEMA_VERSION",
    "AttributeSummary",
    "AuditReport",
    "BootstrapSettings",
    "Disparity",
    "GroupMetrics",
    "MetricValue",
    "Purpose",
    "audit_predictions",
]

SCHEMA_VERSION: Final = "1"
MISSING_GROUP: Final = "(missing)"
INTERSECTION_SEPARATOR: Final = " × "
GROUP_METRICS: Final = (
    "base_rate",
    "selection_rate",
    "fpr",
    "fnr",
    "precision",
    "auc",
    "brier",
    "mean_score",
    "calibration_in_the_large",
)
DISPARITY_METRICS: Final = ("fpr", "fnr", "selection_rate")
_PROBABILITY_ONLY: Final = frozenset({"brier", "calibration_in_the_large"})
_SCORE_METRICS: Final = frozenset({"auc", "brier", "mean_score", "calibration_in_the_large"})
_OVERALL: Final = "(overall)"

Purpose = Literal["punitive", "assistive"]
SensitiveFeatures = pd.DataFrame | pd.Series | Mapping[str, npt.ArrayLike]


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricValue:
    """A metric's point estimate and its bootstrap interval (NaN when not computed)."""

    value: float
    low: float = math.nan
    high: float = math.nan

    def to_dict(self) -> dict[str, float | None]:
        """``{"value", "low", "high"}`` with NaN as ``None``."""
        return {
            "value": _json_number(self.value),
            "low": _json_number(self.low),
            "high": _json_number(self.high),
        }


@dataclass(frozen=True)
class GroupMetrics:
    """The metrics of one group of one attribute (or of everybody, for ``overall``)."""

    attribute: str
    group: str
    n: int
    too_small: bool
    is_reference: bool
    metrics: Mapping[str, MetricValue]

    def to_dict(self) -> dict[str, Any]:
        """The group's JSON object (see the module docstring)."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "n": self.n,
            "too_small": self.too_small,
            "is_reference": self.is_reference,
            "metrics": {name: value.to_dict() for name, value in self.metrics.items()},
        }


@dataclass(frozen=True)
class Disparity:
    """One metric of one group compared with the attribute's reference group."""

    attribute: str
    group: str
    reference: str
    metric: str
    value: float
    reference_value: float
    difference: float
    difference_low: float
    difference_high: float
    ratio: float
    too_small: bool

    def to_dict(self) -> dict[str, Any]:
        """The disparity's JSON object (see the module docstring)."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "reference": self.reference,
            "metric": self.metric,
            "value": _json_number(self.value),
            "reference_value": _json_number(self.reference_value),
            "difference": _json_number(self.difference),
            "difference_low": _json_number(self.difference_low),
            "difference_high": _json_number(self.difference_high),
            "ratio": _json_number(self.ratio),
            "too_small": self.too_small,
        }


@dataclass(frozen=True)
class AttributeSummary:
    """Summary of one attribute: reference group, fairlearn summaries, largest gaps."""

    attribute: str
    reference_group: str
    reference_chosen_by: Literal["given", "largest"]
    n_groups: int
    groups_too_small: tuple[str, ...]
    groups_compared: tuple[str, ...]
    demographic_parity_difference: float
    equalized_odds_difference: float
    largest_gaps: Mapping[str, Disparity | None]

    def to_dict(self) -> dict[str, Any]:
        """The attribute summary's JSON object (see the module docstring)."""
        return {
            "attribute": self.attribute,
            "reference_group": self.reference_group,
            "reference_chosen_by": self.reference_chosen_by,
            "n_groups": self.n_groups,
            "groups_too_small": list(self.groups_too_small),
            "groups_compared": list(self.groups_compared),
            "demographic_parity_difference": _json_number(self.demographic_parity_difference),
            "equalized_odds_difference": _json_number(self.equalized_odds_difference),
            "largest_gaps": {
                metric: None if gap is None else gap.to_dict()
                for metric, gap in self.largest_gaps.items()
            },
        }


@dataclass(frozen=True)
class BootstrapSettings:
    """How the confidence intervals were computed."""

    n_resamples: int
    confidence: float
    seed: int


@dataclass(frozen=True)
class AuditReport:
    """The result of :func:`audit_predictions`; see the module docstring for its JSON form."""

    score_name: str
    threshold: float
    n: int
    minimum_group_size: int
    score_is_probability: bool
    purpose: Purpose | None
    attributes: tuple[str, ...]
    intersection: str | None
    metrics: tuple[str, ...]
    bootstrap: BootstrapSettings | None
    overall: GroupMetrics
    groups: tuple[GroupMetrics, ...]
    disparities: tuple[Disparity, ...]
    summary: tuple[AttributeSummary, ...] = field(default=())

    def group(self, attribute: str, group: str) -> GroupMetrics:
        """The metrics of one group.

        Parameters
        ----------
        attribute : str
            Attribute name (or the intersection's name).
        group : str
            Group label, as it appears in the report (e.g. ``"(missing)"``).

        Returns
        -------
        GroupMetrics
        """
        for row in self.groups:
            if row.attribute == attribute and row.group == group:
                return row
        known = sorted({f"{r.attribute}={r.group}" for r in self.groups})
        raise RiskkitError(
            f"no group {group!r} of attribute {attribute!r} in this audit; the groups are: "
            f"{', '.join(known)}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-serialisable dict (NaN as ``None``).

        Returns
        -------
        dict
            See the module docstring for the schema.
        """
        bootstrap = (
            None
            if self.bootstrap is None
            else {
                "n_resamples": self.bootstrap.n_resamples,
                "confidence": self.bootstrap.confidence,
                "seed": self.bootstrap.seed,
            }
        )
        return {
            "schema_version": SCHEMA_VERSION,
            "score": self.score_name,
            "score_is_probability": self.score_is_probability,
            "threshold": self.threshold,
            "n": self.n,
            "minimum_group_size": self.minimum_group_size,
            "purpose": self.purpose,
            "attributes": list(self.attributes),
            "intersection": self.intersection,
            "metrics": list(self.metrics),
            "bootstrap": bootstrap,
            "overall": {
                "n": self.overall.n,
                "metrics": {k: v.to_dict() for k, v in self.overall.metrics.items()},
            },
            "groups": [g.to_dict() for g in self.groups],
            "disparities": [d.to_dict() for d in self.disparities],
            "summary": {"attributes": [s.to_dict() for s in self.summary]},
        }

    def to_frame(self) -> pd.DataFrame:
        """The group metrics as a tidy table: one row per group and metric.

        Returns
        -------
        pandas.DataFrame
            Columns ``attribute, group, n, too_small, is_reference, metric, value, low, high``.
            The overall values are in :attr:`overall`.
        """
        rows = [
            {
                "attribute": g.attribute,
                "group": g.group,
                "n": g.n,
                "too_small": g.too_small,
                "is_reference": g.is_reference,
                "metric": name,
                "value": v.value,
                "low": v.low,
                "high": v.high,
            }
            for g in self.groups
            for name, v in g.metrics.items()
        ]
        columns = [
            "attribute",
            "group",
            "n",
            "too_small",
            "is_reference",
            "metric",
            "value",
            "low",
            "high",
        ]
        return pd.DataFrame(rows, columns=columns)


# --- inputs -------------------------------------------------------------------------------------


def _label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        # A column of integers with a missing value is read as floats: show 1, not 1.0.
        return str(int(value))
    return str(value)


def _group_labels(values: pd.Series) -> pd.Series:
    as_object = values.astype(object)
    missing = as_object.isna().to_numpy()
    labels = [MISSING_GROUP if m else _label(v) for v, m in zip(as_object, missing, strict=True)]
    return pd.Series(labels, name=values.name, dtype=object)


def _sensitive_frame(sensitive_features: object, n: int) -> pd.DataFrame:
    columns: dict[str, pd.Series]
    if isinstance(sensitive_features, pd.DataFrame):
        columns = {str(c): sensitive_features[c] for c in sensitive_features.columns}
    elif isinstance(sensitive_features, pd.Series):
        name = "group" if sensitive_features.name is None else str(sensitive_features.name)
        columns = {name: sensitive_features}
    elif isinstance(sensitive_features, Mapping):
        columns = {}
        for key, values in sensitive_features.items():
            array = np.asarray(values, dtype=object)
            if array.ndim != 1:
                raise RiskkitError(
                    f"sensitive attribute {key!r} must be one-dimensional; found shape "
                    f"{array.shape}."
                )
            columns[str(key)] = pd.Series(array, dtype=object)
    else:
        raise RiskkitError(
            "sensitive_features must be a pandas DataFrame (one column per attribute), a pandas "
            "Series, or a mapping from attribute name to values; found "
            f"{type(sensitive_features).__name__}."
        )
    if not columns:
        raise RiskkitError(
            "sensitive_features has no attribute; pass at least one column (e.g. sex or race)."
        )
    for name, values in columns.items():
        if len(values) != n:
            raise RiskkitError(
                f"sensitive attribute {name!r} has {len(values)} values but y_true and y_score "
                f"have {n}; pass one value per person, in the same order."
            )
    # Positional alignment: a pandas index on the inputs is deliberately ignored.
    return pd.DataFrame(
        {name: _group_labels(values.reset_index(drop=True)) for name, values in columns.items()}
    )


def _check_settings(
    threshold: float, minimum_group_size: int, n_resamples: int, intervals: bool, confidence: float
) -> None:
    if not 0.0 < confidence < 1.0:
        raise RiskkitError(f"confidence must be between 0 and 1; found {confidence}.")
    if not math.isfinite(threshold):
        raise RiskkitError(f"threshold must be a finite number; found {threshold!r}.")
    if minimum_group_size < 1:
        raise RiskkitError(f"minimum_group_size must be at least 1; found {minimum_group_size}.")
    if intervals and n_resamples < 1:
        raise RiskkitError(
            f"n_resamples must be at least 1 when intervals=True; found {n_resamples}."
        )


# --- computation --------------------------------------------------------------------------------


def _all_metrics(names: Sequence[str]) -> Callable[..., npt.NDArray[np.float64]]:
    """One fairlearn metric returning ``[n, *metric values]``.

    fairlearn copies its inputs element by element for every metric it calls on every group;
    computing all metrics in one call makes a large audit several times faster than one
    fairlearn metric per riskkit metric.
    """

    def metrics(
        y_true: npt.ArrayLike, y_pred: npt.ArrayLike, y_score: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        values = [
            cm.METRICS[name](y_true, y_score if name in _SCORE_METRICS else y_pred)
            for name in names
        ]
        return np.array([float(np.size(y_true)), *values])

    return metrics


@dataclass
class _Group:
    attribute: str
    label: str
    mask: npt.NDArray[np.bool_]
    n: int
    values: dict[str, float]
    draws: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)


def _groups_of(
    attribute: str,
    features: pd.Series | pd.DataFrame,
    y_true: npt.NDArray[np.bool_],
    y_pred: npt.NDArray[np.bool_],
    y_score: npt.NDArray[np.float64],
    metric_names: Sequence[str],
) -> list[_Group]:
    frame = MetricFrame(
        metrics={"metrics": _all_metrics(metric_names)},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=features,
        sample_params={"metrics": {"y_score": y_score}},
    )
    groups = []
    for key, cell in frame.by_group["metrics"].items():
        if not isinstance(cell, np.ndarray) or cell[0] == 0:
            continue  # an empty combination of an intersection: nobody is in it
        parts = key if isinstance(key, tuple) else (key,)
        label = INTERSECTION_SEPARATOR.join(str(p) for p in parts)
        if isinstance(features, pd.DataFrame):
            mask = np.logical_and.reduce(
                [features[c].to_numpy() == p for c, p in zip(features.columns, parts, strict=True)]
            )
        else:
            mask = features.to_numpy() == parts[0]
        values = {name: float(v) for name, v in zip(metric_names, cell[1:], strict=True)}
        groups.append(_Group(attribute, label, mask, int(cell[0]), values))
    # "(missing)" last, so readers find the named groups first.
    return sorted(groups, key=lambda g: MISSING_GROUP in g.label.split(INTERSECTION_SEPARATOR))


def _seed_for(seed: int, attribute: str, group: str) -> list[int]:
    # A stable per-group seed: a group's interval does not depend on which other groups or
    # attributes are audited alongside it.
    return [seed, zlib.crc32(f"{attribute}\x00{group}".encode())]


def _ratio(value: float, reference: float) -> float:
    if math.isnan(value) or math.isnan(reference) or reference == 0:
        return math.nan
    return value / reference


def _summaries(
    attribute: str,
    groups: list[_Group],
    reference: _Group,
    chosen_by: Literal["given", "largest"],
    minimum_group_size: int,
    disparities: list[Disparity],
    y_true: npt.NDArray[np.bool_],
    y_pred: npt.NDArray[np.bool_],
) -> AttributeSummary:
    too_small = tuple(g.label for g in groups if g.n < minimum_group_size)
    compared = [
        g
        for g in groups
        if g.n >= minimum_group_size and 0 < np.count_nonzero(y_true[g.mask]) < g.n
    ]
    dpd = eod = math.nan
    if len(compared) >= 2:
        # Both summaries depend only on the counts of (outcome, decision) in each group, so
        # fairlearn gets one weighted row per group and cell instead of one row per person:
        # the same result, at a cost that does not grow with the number of people.
        labels: list[str] = []
        outcomes: list[int] = []
        decisions: list[int] = []
        weights: list[int] = []
        for g in compared:
            cells = np.bincount(2 * y_true[g.mask] + y_pred[g.mask], minlength=4)
            for cell, weight in enumerate(cells.tolist()):
                if weight:
                    labels.append(g.label)
                    outcomes.append(cell // 2)
                    decisions.append(cell % 2)
                    weights.append(weight)
        dpd = float(
            demographic_parity_difference(
                outcomes, decisions, sensitive_features=labels, sample_weight=weights
            )
        )
        eod = float(
            equalized_odds_difference(
                outcomes, decisions, sensitive_features=labels, sample_weight=weights
            )
        )
    largest: dict[str, Disparity | None] = {}
    for metric in DISPARITY_METRICS:
        candidates = [
            d
            for d in disparities
            if d.attribute == attribute
            and d.metric == metric
            and not d.too_small
            and not math.isnan(d.difference)
        ]
        largest[metric] = max(candidates, key=lambda d: abs(d.difference), default=None)
    return AttributeSummary(
        attribute=attribute,
        reference_group=reference.label,
        reference_chosen_by=chosen_by,
        n_groups=len(groups),
        groups_too_small=too_small,
        groups_compared=tuple(g.label for g in compared),
        demographic_parity_difference=dpd,
        equalized_odds_difference=eod,
        largest_gaps=largest,
    )


def audit_predictions(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    sensitive_features: SensitiveFeatures,
    threshold: float,
    minimum_group_size: int = 30,
    score_name: str = "probability",
    reference_groups: Mapping[str, str] | None = None,
    intervals: bool = True,
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    score_is_probability: bool | None = None,
    purpose: Purpose | None = None,
) -> AuditReport:
    """Audit a score for differences between groups of people.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes (1: reoffended).
    y_score : array-like of float
        The audited score: a probability, or any instrument's score (e.g. COMPAS deciles).
    sensitive_features : DataFrame, Series or mapping of str to array-like
        The sensitive attributes, one value per person in the order of ``y_true``; keyword-only,
        and never part of the model's inputs. Missing values form the group ``"(missing)"``.
    threshold : float
        People with ``y_score >= threshold`` are the ones selected (labelled high risk).
    minimum_group_size : int
        Groups with fewer people are reported with ``too_small=True`` (never dropped) and left
        out of the largest gaps and the fairlearn summaries.
    score_name : str
        Name of the score, shown in the report.
    reference_groups : mapping of str to str, optional
        Reference group per attribute (the intersection's name for the intersection); by
        default the largest group of each attribute.
    intervals : bool
        Whether to compute percentile-bootstrap intervals (people resampled within each group).
    n_resamples : int
        Bootstrap resamples per group.
    seed : int
        Seed of the bootstrap; the same seed gives the same intervals.
    confidence : float
        Coverage of the intervals.
    score_is_probability : bool, optional
        Whether the score is a probability (enables the Brier score and calibration in the
        large). By default, true when every score lies in [0, 1].
    purpose : {"punitive", "assistive"}, optional
        What the score is used for: for a punitive use (detention, supervision level) false
        positives are the harm; for an assistive use (access to programmes) false negatives are.

    Returns
    -------
    AuditReport

    Raises
    ------
    RiskkitError
        On inputs of different lengths, non-binary outcomes, missing scores, an unknown
        reference group, or invalid settings.
    """
    _check_settings(threshold, minimum_group_size, n_resamples, intervals, confidence)
    yt = cm.check_outcomes(y_true)
    ys = cm.check_scores(y_score)
    if len(yt) != len(ys):
        raise RiskkitError(
            f"y_true has {len(yt)} values but y_score has {len(ys)}; pass one outcome and one "
            "score per person."
        )
    if len(yt) == 0:
        raise RiskkitError("there is nobody to audit: y_true and y_score are empty.")
    in_unit = bool(np.all((ys >= 0.0) & (ys <= 1.0)))
    if score_is_probability is None:
        score_is_probability = in_unit
    elif score_is_probability and not in_unit:
        raise RiskkitError(
            f"score_is_probability=True but the scores range from {ys.min():g} to {ys.max():g}; "
            "probabilities lie in [0, 1]. Pass score_is_probability=False for other scales."
        )
    if purpose not in (None, "punitive", "assistive"):
        raise RiskkitError(f"purpose must be 'punitive', 'assistive' or None; found {purpose!r}.")
    features = _sensitive_frame(sensitive_features, len(yt))
    attributes = tuple(features.columns)
    intersection = INTERSECTION_SEPARATOR.join(attributes) if len(attributes) > 1 else None
    references = dict(reference_groups or {})
    unknown = sorted(set(references) - set(attributes) - {intersection})
    if unknown:
        known = [*attributes, *([intersection] if intersection else [])]
        raise RiskkitError(
            f"reference_groups names unknown attribute(s) {unknown}; the attributes are {known}."
        )

    metric_names = tuple(
        m for m in GROUP_METRICS if score_is_probability or m not in _PROBABILITY_ONLY
    )
    yp = ys >= threshold
    bootstrap = BootstrapSettings(n_resamples, confidence, seed) if intervals else None

    def measure(g: _Group) -> GroupMetrics:
        if intervals:
            g.draws = cm.bootstrap_draws(
                yt[g.mask],
                ys[g.mask],
                threshold=threshold,
                metrics=metric_names,
                n_resamples=n_resamples,
                seed=_seed_for(seed, g.attribute, g.label),
            )
        metrics = {}
        for name in metric_names:
            low, high = (
                cm.percentile_interval(g.draws[name], confidence)
                if intervals
                else (math.nan, math.nan)
            )
            metrics[name] = MetricValue(g.values[name], low, high)
        return GroupMetrics(
            attribute=g.attribute,
            group=g.label,
            n=g.n,
            too_small=g.n < minimum_group_size,
            is_reference=False,
            metrics=metrics,
        )

    everybody = np.ones(len(yt), dtype=np.bool_)
    overall_values = {
        name: cm.METRICS[name](yt, ys if name in _SCORE_METRICS else yp) for name in metric_names
    }
    overall = measure(_Group(_OVERALL, _OVERALL, everybody, len(yt), overall_values))

    group_rows: list[GroupMetrics] = []
    disparities: list[Disparity] = []
    summaries: list[AttributeSummary] = []
    sets: list[tuple[str, pd.Series | pd.DataFrame]] = [(a, features[a]) for a in attributes]
    if intersection is not None:
        sets.append((intersection, features))
    for attribute, columns in sets:
        groups = _groups_of(attribute, columns, yt, yp, ys, metric_names)
        rows = [measure(g) for g in groups]
        chosen_by: Literal["given", "largest"]
        if attribute in references:
            chosen_by = "given"
            matches = [i for i, g in enumerate(groups) if g.label == references[attribute]]
            if not matches:
                raise RiskkitError(
                    f"reference group {references[attribute]!r} of attribute {attribute!r} is "
                    f"not in the data; its groups are {[g.label for g in groups]}."
                )
            ref_index = matches[0]
        else:
            chosen_by = "largest"
            # Largest group; ties go to the first in report order.
            ref_index = max(range(len(groups)), key=lambda i: (groups[i].n, -i))
        reference = groups[ref_index]
        rows[ref_index] = replace(rows[ref_index], is_reference=True)
        group_rows.extend(rows)
        for g in groups:
            if g is reference:
                continue
            for metric in DISPARITY_METRICS:
                value, ref_value = g.values[metric], reference.values[metric]
                low, high = (
                    cm.percentile_interval(g.draws[metric] - reference.draws[metric], confidence)
                    if intervals
                    else (math.nan, math.nan)
                )
                disparities.append(
                    Disparity(
                        attribute=attribute,
                        group=g.label,
                        reference=reference.label,
                        metric=metric,
                        value=value,
                        reference_value=ref_value,
                        difference=value - ref_value,
                        difference_low=low,
                        difference_high=high,
                        ratio=_ratio(value, ref_value),
                        too_small=min(g.n, reference.n) < minimum_group_size,
                    )
                )
        summaries.append(
            _summaries(
                attribute,
                groups,
                reference,
                chosen_by,
                minimum_group_size,
                disparities,
                yt,
                yp,
            )
        )

    return AuditReport(
        score_name=score_name,
        threshold=float(threshold),
        n=len(yt),
        minimum_group_size=minimum_group_size,
        score_is_probability=score_is_probability,
        purpose=purpose,
        attributes=attributes,
        intersection=intersection,
        metrics=metric_names,
        bootstrap=bootstrap,
        overall=overall,
        groups=tuple(group_rows),
        disparities=tuple(disparities),
        summary=tuple(summaries),
    )

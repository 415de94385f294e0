"""Fairness audit of a score: group and intersectional metrics, disparities, summary.

:func:`audit_predictions` takes observed outcomes, a score and the sensitive attributes (passed
only as the keyword ``sensitive_features=``, never as model inputs), and returns an
:class:`AuditReport`. The decision audited is ``y_score >= threshold``. Groups are formed by each
attribute and, when there are two or more attributes, by their intersection. A group smaller than
``minimum_group_size`` is reported with ``too_small = true``, never dropped; a missing attribute
value forms the explicit group ``"(missing)"``.

JSON schema (``AuditReport.to_dict()``, ``schema_version`` "2")
----------------------------------------------------------------
Every number that is undefined (NaN) is written as ``null``. An *estimate* is
``{"value", "lo", "hi"}``: the point estimate and its percentile-bootstrap interval (``lo`` and
``hi`` are ``null`` when intervals were not computed). Version 2 replaced version 1's nested
``"metrics"`` objects and ``low``/``high`` keys.

``schema_version``
    ``"2"``. Readers should refuse versions they do not know.
``score``
    Name of the audited score (e.g. ``"probability"``, ``"decile_score"``).
``score_is_probability``
    Whether the score is a probability in [0, 1]; when false, ``brier``, ``ece`` and
    ``calibration_in_the_large`` are not computed.
``threshold``
    People with ``score >= threshold`` are the ones selected (labelled high risk).
``n``
    Number of people audited.
``minimum_group_size``
    Groups with fewer people are flagged ``too_small`` ("too small to judge"): shown, never
    dropped, never flagged.
``purpose``
    ``"punitive"`` (detention, supervision level: false positives are the harm),
    ``"assistive"`` (access to programmes: false negatives are the harm) or ``null``.
``lead_metric``
    ``"fpr"`` for a punitive use, ``"fnr"`` for an assistive one, ``null`` when not stated:
    the error rate whose disparities the report leads with.
``attributes``
    Names of the sensitive attributes, in input order.
``intersection``
    Name of the intersectional attribute (the attribute names joined by ``" × "``), or ``null``
    with fewer than two attributes. Its group names join the attribute values the same way.
``metrics``
    Names of the metrics computed, in display order: ``base_rate`` (share with the outcome),
    ``selection_rate`` (share selected), ``fpr`` (false positive rate: share of people without
    the outcome who are selected), ``fnr`` (false negative rate: share of people with the
    outcome who are not selected), ``precision`` (share of selected people with the outcome),
    ``auc`` (area under the ROC curve), ``brier`` (Brier score), ``ece`` (expected calibration
    error over ten equal-width probability bins; the training card's ECE uses ten quantile bins
    instead), ``mean_score`` and ``calibration_in_the_large`` (``mean_score - base_rate``).
``bootstrap``
    ``{"n_resamples", "confidence", "seed"}`` of the intervals (people resampled within each
    group), or ``null`` when intervals were not computed.
``overall``
    ``{"n", METRIC: estimate, ...}`` for everybody.
``groups``
    One object per group: ``{"attribute", "group", "n", "too_small", "is_reference", METRIC:
    estimate, ...}`` with one estimate per name in ``metrics`` (e.g. ``"fpr": {"value", "lo",
    "hi"}``). Groups of an attribute are consecutive; the intersection's come last.
``disparities``
    One object per non-reference group and metric (``fpr``, ``fnr``, ``selection_rate``):
    ``{"attribute", "group", "reference", "metric", "value", "reference_value", "difference":
    estimate, "ratio": estimate, "too_small", "flagged"}``. ``difference`` is ``value -
    reference_value`` and ``ratio`` is ``value / reference_value``, each with its bootstrap
    interval. For a probability, each group also gets a calibration check against itself:
    ``metric`` ``"observed_vs_predicted"``, ``reference`` ``"(predicted)"``, ``value`` the
    group's observed outcome rate and ``reference_value`` its mean predicted probability (a
    ratio above 1: the score under-predicts the group's recorded outcomes). ``flagged`` is true
    when the ratio leaves [0.8, 1.25] **and** the difference is told apart from 0 by a
    simultaneous test over the attribute's comparisons (bootstrap standard error, Bonferroni),
    in groups that are not too small: aequitas's rule, plus a test that does not raise flags
    by chance when an attribute has many groups.
``flags``
    The flagged disparities, the lead metric's first, then by the size of the difference.
``summary``
    ``{"attributes": [...]}``, one object per attribute (the intersection last):
    ``{"attribute", "reference_group", "reference_chosen_by"`` (``"given"`` or
    ``"largest"``)``, "n_groups", "groups_too_small", "groups_compared",
    "demographic_parity_difference", "equalized_odds_difference",
    "equal_opportunity_difference"`` (estimates; fairlearn's definitions over
    ``groups_compared``: the groups that are not too small and contain people both with and
    without the outcome)``, "largest_gaps", "base_rates_differ", "calibrated_within_groups",
    "error_rates_equal"}``. ``largest_gaps`` maps ``fpr``, ``fnr`` and ``selection_rate`` to
    the disparity with the largest absolute difference among groups that are not too small.
    The last three are ``null`` without intervals: ``base_rates_differ`` (some group's base
    rate differs from the reference's, interval excluding 0), ``calibrated_within_groups``
    (no group's observed-versus-predicted check is flagged; ``null`` for a score that is not a
    probability) and ``error_rates_equal`` (no FPR or FNR
    disparity flagged). When base rates differ, a score cannot be both calibrated within
    groups and have equal error rates (Kleinberg et al. 2016; Chouldechova 2017).
``calibration``
    Observed outcome rate by score band, for everybody (``attribute`` and ``group``
    ``"(overall)"``) and for each group of each single attribute: ``{"attribute", "group",
    "band", "n", "mean_score", "observed": {"value", "lo", "hi"}}`` (Wilson interval).
``metadata``
    Only in the ``audit.json`` that :func:`riskkit.reports.audit_report.write_audit` writes:
    ``riskkit_version``, ``generated_at`` (unless the caller gave a date) and whatever the caller
    passed (model name and version, data file, ...).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import (
    demographic_parity_difference,
    equal_opportunity_difference,
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

SCHEMA_VERSION: Final = "2"
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
    "ece",
    "mean_score",
    "calibration_in_the_large",
)
DISPARITY_METRICS: Final = ("fpr", "fnr", "selection_rate")
#: A disparity ratio outside this range (and an interval that excludes parity) is flagged, as in
#: aequitas and the US "four-fifths" rule.
FLAG_RATIO_RANGE: Final = (0.8, 1.25)
#: The error rate whose disparities matter most for each use of the score.
LEAD_METRIC: Final = {"punitive": "fpr", "assistive": "fnr"}
#: The ``metric`` of the calibration check: a group's observed outcome rate (``value``) against
#: its mean predicted probability (``reference_value``; ``reference`` is :data:`PREDICTED`).
CALIBRATION_CHECK: Final = "observed_vs_predicted"
PREDICTED: Final = "(predicted)"
_PROBABILITY_ONLY: Final = frozenset({"brier", "ece", "calibration_in_the_large"})
_SCORE_METRICS: Final = frozenset({"auc", "brier", "ece", "mean_score", "calibration_in_the_large"})
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
        """``{"value", "lo", "hi"}`` with NaN as ``None``."""
        return {
            "value": _json_number(self.value),
            "lo": _json_number(self.low),
            "hi": _json_number(self.high),
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
            **{name: value.to_dict() for name, value in self.metrics.items()},
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
    ratio_low: float = math.nan
    ratio_high: float = math.nan
    difference_se: float = math.nan
    flagged: bool = False

    @property
    def interval_excludes_parity(self) -> bool:
        """Whether the (per-comparison) bootstrap interval of the difference excludes 0."""
        return self.difference_low > 0 or self.difference_high < 0

    @property
    def ratio_outside_range(self) -> bool:
        """Whether the ratio leaves :data:`FLAG_RATIO_RANGE` (or is undefined because the
        reference value is 0 while the value is not)."""
        if math.isnan(self.ratio):
            return self.reference_value == 0 and not math.isnan(self.value) and self.value != 0
        return not FLAG_RATIO_RANGE[0] <= self.ratio <= FLAG_RATIO_RANGE[1]

    def to_dict(self) -> dict[str, Any]:
        """The disparity's JSON object (see the module docstring)."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "reference": self.reference,
            "metric": self.metric,
            "value": _json_number(self.value),
            "reference_value": _json_number(self.reference_value),
            "difference": MetricValue(
                self.difference, self.difference_low, self.difference_high
            ).to_dict(),
            "ratio": MetricValue(self.ratio, self.ratio_low, self.ratio_high).to_dict(),
            "too_small": self.too_small,
            "flagged": self.flagged,
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
    demographic_parity_difference: MetricValue
    equalized_odds_difference: MetricValue
    equal_opportunity_difference: MetricValue
    largest_gaps: Mapping[str, Disparity | None]
    base_rates_differ: bool | None = None
    calibrated_within_groups: bool | None = None
    error_rates_equal: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The attribute summary's JSON object (see the module docstring)."""
        return {
            "attribute": self.attribute,
            "reference_group": self.reference_group,
            "reference_chosen_by": self.reference_chosen_by,
            "n_groups": self.n_groups,
            "groups_too_small": list(self.groups_too_small),
            "groups_compared": list(self.groups_compared),
            "demographic_parity_difference": self.demographic_parity_difference.to_dict(),
            "equalized_odds_difference": self.equalized_odds_difference.to_dict(),
            "equal_opportunity_difference": self.equal_opportunity_difference.to_dict(),
            "base_rates_differ": self.base_rates_differ,
            "calibrated_within_groups": self.calibrated_within_groups,
            "error_rates_equal": self.error_rates_equal,
            "largest_gaps": {
                metric: None if gap is None else gap.to_dict()
                for metric, gap in self.largest_gaps.items()
            },
        }


@dataclass(frozen=True)
class CalibrationBin:
    """Observed outcome rate against the score, for one group and one score band."""

    attribute: str
    group: str
    band: str
    n: int
    mean_score: float
    observed: float
    observed_low: float
    observed_high: float

    def to_dict(self) -> dict[str, Any]:
        """``{"attribute", "group", "band", "n", "mean_score", "observed": {"value", "lo",
        "hi"}}`` (Wilson interval for the observed rate)."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "band": self.band,
            "n": self.n,
            "mean_score": _json_number(self.mean_score),
            "observed": {
                "value": _json_number(self.observed),
                "lo": _json_number(self.observed_low),
                "hi": _json_number(self.observed_high),
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
    calibration: tuple[CalibrationBin, ...] = field(default=())

    @property
    def lead_metric(self) -> str | None:
        """The error rate whose disparities matter most for the stated purpose: ``"fpr"``
        for a punitive use, ``"fnr"`` for an assistive one, ``None`` when not stated."""
        return None if self.purpose is None else LEAD_METRIC[self.purpose]

    @property
    def flags(self) -> tuple[Disparity, ...]:
        """Flagged disparities (see :attr:`Disparity.flagged`), the lead metric's first, then
        by the size of the difference."""
        lead = self.lead_metric
        return tuple(
            sorted(
                (d for d in self.disparities if d.flagged),
                key=lambda d: (d.metric != lead, -abs(d.difference)),
            )
        )

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
            "lead_metric": self.lead_metric,
            "attributes": list(self.attributes),
            "intersection": self.intersection,
            "metrics": list(self.metrics),
            "bootstrap": bootstrap,
            "overall": {
                "n": self.overall.n,
                **{k: v.to_dict() for k, v in self.overall.metrics.items()},
            },
            "groups": [g.to_dict() for g in self.groups],
            "disparities": [d.to_dict() for d in self.disparities],
            "flags": [d.to_dict() for d in self.flags],
            "summary": {"attributes": [s.to_dict() for s in self.summary]},
            "calibration": [c.to_dict() for c in self.calibration],
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
    # One pass to find each group's rows, then each metric on the group's own rows: the same
    # values as fairlearn's MetricFrame (which a test checks), several times faster on a large
    # audit because MetricFrame copies its inputs element by element for every group.
    columns = features if isinstance(features, pd.DataFrame) else features.to_frame()
    positions = columns.groupby(list(columns.columns), sort=False, observed=True).indices
    groups = []
    for key in sorted(
        positions, key=lambda k: tuple(map(str, k if isinstance(k, tuple) else (k,)))
    ):
        rows = positions[key]
        parts = key if isinstance(key, tuple) else (key,)
        label = INTERSECTION_SEPARATOR.join(str(p) for p in parts)
        mask = np.zeros(len(y_true), dtype=np.bool_)
        mask[rows] = True
        yt, yp, ys = y_true[rows], y_pred[rows], y_score[rows]
        values = {
            name: float(cm.METRICS[name](yt, ys if name in _SCORE_METRICS else yp))
            for name in metric_names
        }
        groups.append(_Group(attribute, label, mask, len(rows), values))
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


def _compare(
    attribute: str,
    group: _Group,
    reference_label: str,
    metric: str,
    reference_value: float,
    reference_draws: npt.NDArray[np.float64] | None,
    *,
    too_small: bool,
    confidence: float,
    metric_name: str | None = None,
) -> Disparity:
    """One group's ``metric`` against a reference value, with bootstrap intervals."""
    value = group.values[metric]
    low = high = ratio_low = ratio_high = se = math.nan
    if reference_draws is not None and metric in group.draws:
        differences = group.draws[metric] - reference_draws
        low, high = cm.percentile_interval(differences, confidence)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_low, ratio_high = cm.percentile_interval(
                group.draws[metric] / reference_draws, confidence
            )
        finite = differences[np.isfinite(differences)]
        se = float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan
    return Disparity(
        attribute=attribute,
        group=group.label,
        reference=reference_label,
        metric=metric_name or metric,
        value=value,
        reference_value=reference_value,
        difference=value - reference_value,
        difference_low=low,
        difference_high=high,
        ratio=_ratio(value, reference_value),
        too_small=too_small,
        ratio_low=ratio_low,
        ratio_high=ratio_high,
        difference_se=se,
    )


def _flagged(comparisons: list[Disparity], confidence: float) -> list[Disparity]:
    """``comparisons`` with :attr:`Disparity.flagged` set.

    A flag needs a ratio outside :data:`FLAG_RATIO_RANGE` and a difference that a simultaneous
    test over all of the attribute's comparisons tells apart from 0: |difference| / SE above the
    normal quantile at ``1 - (1 - confidence) / (2 m)`` (Bonferroni over the ``m`` comparisons
    that can be judged, SE from the bootstrap). Without the correction, an attribute with many
    groups would raise flags by chance alone.
    """
    from scipy.stats import norm

    judged = [
        d
        for d in comparisons
        if not d.too_small and math.isfinite(d.difference) and math.isfinite(d.difference_se)
    ]
    if not judged:
        return comparisons
    critical = float(norm.ppf(1 - (1 - confidence) / (2 * len(judged))))
    judged_ids = {id(d) for d in judged}
    return [
        replace(d, flagged=abs(d.difference) > critical * d.difference_se)
        if id(d) in judged_ids and d.ratio_outside_range
        else d
        for d in comparisons
    ]


def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + confidence / 2))
    rate = successes / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _score_bins(
    y_score: npt.NDArray[np.float64],
    score_is_probability: bool,
    score_bands: Sequence[tuple[str, float]] | None,
) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Bin index of every score and the bins' labels.

    Probabilities fall into ``score_bands`` (label, inclusive upper edge) when given, else into
    ten equal-width bins; other scores into their distinct values when there are at most 20
    (e.g. deciles), else into ten quantile bins.
    """
    if score_bands:
        edges = np.array([upper for _, upper in score_bands], dtype=np.float64)
        index = np.minimum(np.searchsorted(edges, y_score, side="left"), len(edges) - 1)
        return index, [label for label, _ in score_bands]
    if score_is_probability:
        index = np.minimum((y_score * 10).astype(np.intp), 9)
        return index, [f"{i / 10:.1f}–{(i + 1) / 10:.1f}" for i in range(10)]
    distinct = np.unique(y_score)
    if len(distinct) <= 20:
        return np.searchsorted(distinct, y_score), [_label(v) for v in distinct]
    edges = np.unique(np.quantile(y_score, np.linspace(0.1, 0.9, 9)))
    index = np.searchsorted(edges, y_score, side="right")
    bounds = [float(y_score.min()), *edges.tolist(), float(y_score.max())]
    return index, [f"{a:g}–{b:g}" for a, b in pairwise(bounds)]


def _calibration_bins(
    attribute: str,
    label: str,
    y_true: npt.NDArray[np.bool_],
    y_score: npt.NDArray[np.float64],
    bins: npt.NDArray[np.intp],
    bin_labels: Sequence[str],
    confidence: float,
) -> list[CalibrationBin]:
    counts = np.bincount(bins, minlength=len(bin_labels))
    positives = np.bincount(bins, weights=y_true, minlength=len(bin_labels))
    sums = np.bincount(bins, weights=y_score, minlength=len(bin_labels))
    rows = []
    for i, name in enumerate(bin_labels):
        n = int(counts[i])
        if n == 0:
            continue
        low, high = _wilson(int(positives[i]), n, confidence)
        rows.append(
            CalibrationBin(attribute, label, name, n, sums[i] / n, positives[i] / n, low, high)
        )
    return rows


def _range_draws(draws: Sequence[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    """Per resample, the largest minus the smallest of the groups' draws (NaN-aware)."""
    stacked = np.vstack(draws)
    defined = np.isfinite(stacked).sum(axis=0) >= 2
    spread = np.full(stacked.shape[1], np.nan)
    if defined.any():
        spread[defined] = np.nanmax(stacked[:, defined], axis=0) - np.nanmin(
            stacked[:, defined], axis=0
        )
    return spread


def _summaries(
    attribute: str,
    groups: list[_Group],
    reference: _Group,
    chosen_by: Literal["given", "largest"],
    minimum_group_size: int,
    disparities: list[Disparity],
    y_true: npt.NDArray[np.bool_],
    y_pred: npt.NDArray[np.bool_],
    *,
    confidence: float,
    intervals: bool,
    score_is_probability: bool,
) -> AttributeSummary:
    too_small = tuple(g.label for g in groups if g.n < minimum_group_size)
    compared = [
        g
        for g in groups
        if g.n >= minimum_group_size and 0 < np.count_nonzero(y_true[g.mask]) < g.n
    ]
    dpd = eod = eopp = MetricValue(math.nan)
    if len(compared) >= 2:
        # The summaries depend only on the counts of (outcome, decision) in each group, so
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
        values = {
            name: float(
                function(outcomes, decisions, sensitive_features=labels, sample_weight=weights)
            )
            for name, function in (
                ("dpd", demographic_parity_difference),
                ("eod", equalized_odds_difference),
                ("eopp", equal_opportunity_difference),
            )
        }
        bounds = {name: (math.nan, math.nan) for name in values}
        if intervals:
            # Groups are resampled independently (a stratified bootstrap), so resample b of
            # every group together forms one resample of the compared population.
            selection = _range_draws([g.draws["selection_rate"] for g in compared])
            fpr = _range_draws([g.draws["fpr"] for g in compared])
            tpr = _range_draws([1.0 - g.draws["fnr"] for g in compared])
            bounds = {
                "dpd": cm.percentile_interval(selection, confidence),
                "eod": cm.percentile_interval(np.fmax(fpr, tpr), confidence),
                "eopp": cm.percentile_interval(tpr, confidence),
            }
        dpd, eod, eopp = (MetricValue(values[k], *bounds[k]) for k in ("dpd", "eod", "eopp"))
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
    base_rates_differ = calibrated = error_rates_equal = None
    judged = [g for g in compared if g is not reference]
    if intervals and judged and reference in compared:
        base_rates_differ = any(
            _excludes_zero(g.draws["base_rate"] - reference.draws["base_rate"], confidence)
            for g in judged
        )
        error_rates_equal = not any(
            d.flagged
            for d in disparities
            if d.attribute == attribute and d.metric in ("fpr", "fnr")
        )
        if score_is_probability:
            calibrated = not any(
                d.flagged
                for d in disparities
                if d.attribute == attribute and d.metric == CALIBRATION_CHECK
            )
    return AttributeSummary(
        attribute=attribute,
        reference_group=reference.label,
        reference_chosen_by=chosen_by,
        n_groups=len(groups),
        groups_too_small=too_small,
        groups_compared=tuple(g.label for g in compared),
        demographic_parity_difference=dpd,
        equalized_odds_difference=eod,
        equal_opportunity_difference=eopp,
        largest_gaps=largest,
        base_rates_differ=base_rates_differ,
        calibrated_within_groups=calibrated,
        error_rates_equal=error_rates_equal,
    )


def _excludes_zero(draws: npt.NDArray[np.float64], confidence: float) -> bool:
    low, high = cm.percentile_interval(draws, confidence)
    return bool(low > 0 or high < 0)


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
    score_bands: Sequence[tuple[str, float]] | None = None,
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
        default the largest group of each attribute. When every attribute's reference is given
        and the intersection's is not, the intersection's is their combination (if at least
        ``minimum_group_size`` people are in it).
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
    score_bands : sequence of (label, upper edge), optional
        Bands for the calibration table (observed rate against the score, by group): a band
        holds scores up to its upper edge and above the previous one's, as the pipeline's risk
        bands do. By default ten equal-width bins for a probability, the distinct values of a
        score with at most 20 (e.g. deciles), else ten quantile bins.

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
    bins, bin_labels = _score_bins(ys, score_is_probability, score_bands)
    calibration = _calibration_bins(_OVERALL, _OVERALL, yt, ys, bins, bin_labels, confidence)
    for attribute, columns in sets:
        groups = _groups_of(attribute, columns, yt, yp, ys, metric_names)
        if attribute != intersection:
            for g in groups:
                calibration.extend(
                    _calibration_bins(
                        attribute,
                        g.label,
                        yt[g.mask],
                        ys[g.mask],
                        bins[g.mask],
                        bin_labels,
                        confidence,
                    )
                )
        rows = [measure(g) for g in groups]
        chosen_by: Literal["given", "largest"]
        composed = (
            attribute == intersection
            and attribute not in references
            and all(a in references for a in attributes)
        )
        if composed:
            # Every attribute's reference was given: the intersection's is their combination
            # (e.g. white × male), when that combination has people in it.
            label = INTERSECTION_SEPARATOR.join(references[a] for a in attributes)
            matches = [i for i, g in enumerate(groups) if g.label == label]
            composed = bool(matches) and groups[matches[0]].n >= minimum_group_size
        if composed:
            chosen_by = "given"
            ref_index = matches[0]
        elif attribute in references:
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
        comparisons: list[Disparity] = []
        for g in groups:
            small = min(g.n, reference.n) < minimum_group_size
            if g is not reference:
                comparisons.extend(
                    _compare(
                        attribute,
                        g,
                        reference.label,
                        metric,
                        reference.values[metric],
                        reference.draws.get(metric),
                        too_small=small,
                        confidence=confidence,
                    )
                    for metric in DISPARITY_METRICS
                )
            if score_is_probability:
                # Observed rate against the mean prediction within the group: the check that
                # shows a score under- or over-predicting one group's recorded outcomes.
                comparisons.append(
                    _compare(
                        attribute,
                        g,
                        PREDICTED,
                        "base_rate",
                        g.values["mean_score"],
                        g.draws.get("mean_score"),
                        too_small=g.n < minimum_group_size,
                        confidence=confidence,
                        metric_name=CALIBRATION_CHECK,
                    )
                )
        disparities.extend(_flagged(comparisons, confidence) if intervals else comparisons)
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
                confidence=confidence,
                intervals=intervals,
                score_is_probability=score_is_probability,
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
        calibration=tuple(calibration),
    )

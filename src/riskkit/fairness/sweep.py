"""Threshold sweep: how accuracy and each group's error rates move with the decision threshold.

:func:`threshold_sweep` takes the same inputs as :func:`riskkit.fairness.audit.audit_predictions`
(observed outcomes, a score, and the sensitive attributes as the keyword
``sensitive_features=``) and computes, for every threshold of a grid, the decision
``y_score >= threshold`` and its consequences: overall accuracy, selection rate, false positive
and false negative rates, and the same for each group of each sensitive attribute taken
separately (intersections are not swept). A group smaller than ``minimum_group_size`` is kept
with ``too_small = true``; a missing attribute value forms the group ``"(missing)"``.

The thresholds are, unless given, 101 evenly spaced points over [0, 1] for a probability, and
every distinct score value for any other score (e.g. the ten COMPAS deciles), so that each
possible decision rule appears once.

JSON schema (``ThresholdSweep.to_dict()``, ``schema_version`` "1")
-----------------------------------------------------------------
Every number that is undefined (NaN) is written as ``null``.

``schema_version``
    ``"1"``.
``thresholds``
    The thresholds, increasing. Every list of values below has one value per threshold, in
    this order.
``thresholds_chosen_by``
    ``"given"`` (by the caller), ``"grid"`` (101 points over [0, 1]) or ``"distinct_scores"``.
``score_is_probability``
    Whether every score lies in [0, 1].
``n``, ``minimum_group_size``, ``attributes``
    Number of people, the smallest group size not flagged ``too_small``, and the names of the
    sensitive attributes in input order.
``overall``
    The curve of everybody (``attribute`` and ``group`` are ``"(overall)"``).
``groups``
    One curve per group; the groups of an attribute are consecutive, sorted by label with
    ``"(missing)"`` last.

A curve is ``{"attribute", "group", "n", "n_with_outcome", "too_small", "accuracy",
"selection_rate", "fpr", "fnr"}``: ``accuracy`` is the share of correct decisions,
``selection_rate`` the share selected, ``fpr`` the share of people without the outcome who are
selected (``null`` when there are none), ``fnr`` the share of people with the outcome who are not
selected (``null`` when there are none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskkit.errors import RiskkitError
from riskkit.fairness.audit import MISSING_GROUP, SensitiveFeatures, _sensitive_frame
from riskkit.metrics import classification as cm

__all__ = [
    "CURVE_METRICS",
    "DEFAULT_GRID_SIZE",
    "OVERALL",
    "SWEEP_SCHEMA_VERSION",
    "SweepCurve",
    "ThresholdSweep",
    "threshold_sweep",
]

SWEEP_SCHEMA_VERSION: Final = "1"
OVERALL: Final = "(overall)"
DEFAULT_GRID_SIZE: Final = 101
CURVE_METRICS: Final = ("accuracy", "selection_rate", "fpr", "fnr")

ThresholdSource = Literal["given", "grid", "distinct_scores"]
FloatArray = npt.NDArray[np.float64]


def _json_numbers(values: tuple[float, ...]) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values]


@dataclass(frozen=True)
class SweepCurve:
    """Metrics of one group (or of everybody) at every threshold of a sweep.

    Each metric is a tuple with one value per threshold of :attr:`ThresholdSweep.thresholds`;
    NaN where undefined (``fpr`` without people lacking the outcome, ``fnr`` without people
    having it).
    """

    attribute: str
    group: str
    n: int
    n_with_outcome: int
    too_small: bool
    accuracy: tuple[float, ...]
    selection_rate: tuple[float, ...]
    fpr: tuple[float, ...]
    fnr: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """The curve's JSON object (see the module docstring)."""
        return {
            "attribute": self.attribute,
            "group": self.group,
            "n": self.n,
            "n_with_outcome": self.n_with_outcome,
            "too_small": self.too_small,
            "accuracy": _json_numbers(self.accuracy),
            "selection_rate": _json_numbers(self.selection_rate),
            "fpr": _json_numbers(self.fpr),
            "fnr": _json_numbers(self.fnr),
        }


@dataclass(frozen=True)
class ThresholdSweep:
    """The result of :func:`threshold_sweep`; see the module docstring for its JSON form."""

    thresholds: tuple[float, ...]
    thresholds_chosen_by: ThresholdSource
    score_is_probability: bool
    n: int
    minimum_group_size: int
    attributes: tuple[str, ...]
    overall: SweepCurve
    groups: tuple[SweepCurve, ...]

    def groups_of(self, attribute: str) -> tuple[SweepCurve, ...]:
        """The curves of one attribute's groups, in report order.

        Parameters
        ----------
        attribute : str
            Name of a sensitive attribute.

        Returns
        -------
        tuple of SweepCurve

        Raises
        ------
        RiskkitError
            If the attribute was not swept.
        """
        if attribute not in self.attributes:
            raise RiskkitError(
                f"attribute {attribute!r} is not in this sweep; the attributes are "
                f"{list(self.attributes)}."
            )
        return tuple(c for c in self.groups if c.attribute == attribute)

    def group(self, attribute: str, group: str) -> SweepCurve:
        """The curve of one group.

        Parameters
        ----------
        attribute : str
            Name of a sensitive attribute.
        group : str
            Group label, as it appears in the sweep (e.g. ``"(missing)"``).

        Returns
        -------
        SweepCurve

        Raises
        ------
        RiskkitError
            If there is no such group.
        """
        curves = self.groups_of(attribute)
        for curve in curves:
            if curve.group == group:
                return curve
        raise RiskkitError(
            f"no group {group!r} of attribute {attribute!r} in this sweep; its groups are "
            f"{[c.group for c in curves]}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The sweep as a JSON-serialisable dict (NaN as ``None``).

        Returns
        -------
        dict
            See the module docstring for the schema.
        """
        return {
            "schema_version": SWEEP_SCHEMA_VERSION,
            "thresholds": list(self.thresholds),
            "thresholds_chosen_by": self.thresholds_chosen_by,
            "score_is_probability": self.score_is_probability,
            "n": self.n,
            "minimum_group_size": self.minimum_group_size,
            "attributes": list(self.attributes),
            "overall": self.overall.to_dict(),
            "groups": [curve.to_dict() for curve in self.groups],
        }

    def to_frame(self) -> pd.DataFrame:
        """The sweep as a long table: one row per curve and threshold.

        Returns
        -------
        pandas.DataFrame
            Columns ``threshold, attribute, group, n, too_small, accuracy, selection_rate, fpr,
            fnr``. The overall curve comes first, with ``attribute`` and ``group`` equal to
            ``"(overall)"``; then each group's curve, in the order of :attr:`groups`. Within a
            curve the rows follow the thresholds in increasing order. ``accuracy`` is the
            accuracy within the row's group (everybody's on the overall rows).
        """
        columns = ["threshold", "attribute", "group", "n", "too_small", *CURVE_METRICS]
        curves = (self.overall, *self.groups)
        size = len(self.thresholds)
        data: dict[str, Any] = {
            "threshold": np.tile(np.asarray(self.thresholds, dtype=np.float64), len(curves)),
            "attribute": np.repeat([c.attribute for c in curves], size).astype(object),
            "group": np.repeat([c.group for c in curves], size).astype(object),
            "n": np.repeat([c.n for c in curves], size).astype(np.int64),
            "too_small": np.repeat([c.too_small for c in curves], size).astype(np.bool_),
        }
        for metric in CURVE_METRICS:
            data[metric] = np.concatenate(
                [np.asarray(getattr(c, metric), dtype=np.float64) for c in curves]
            )
        return pd.DataFrame(data, columns=columns)


def _choose_thresholds(
    thresholds: npt.ArrayLike | None, scores: FloatArray, score_is_probability: bool
) -> tuple[FloatArray, ThresholdSource]:
    if thresholds is None:
        if score_is_probability:
            return np.linspace(0.0, 1.0, DEFAULT_GRID_SIZE), "grid"
        return np.unique(scores), "distinct_scores"
    given = np.asarray(thresholds, dtype=np.float64)
    if given.ndim != 1 or given.size == 0:
        raise RiskkitError(
            f"thresholds must be a non-empty list of numbers; found shape {given.shape}. Pass "
            "e.g. [0.3, 0.5, 0.7], or leave it out for the default grid."
        )
    if not np.all(np.isfinite(given)):
        raise RiskkitError(f"thresholds must be finite numbers; found {given.tolist()}.")
    return np.unique(given), "given"


def _ratio(numerator: FloatArray, denominator: float) -> FloatArray:
    if denominator == 0:
        return np.full(numerator.shape, np.nan)
    result: FloatArray = numerator / denominator
    return result


def _curve(
    attribute: str,
    group: str,
    outcomes: npt.NDArray[np.bool_],
    scores: FloatArray,
    thresholds: FloatArray,
    minimum_group_size: int,
) -> SweepCurve:
    """One group's metrics at every threshold, from its sorted scores.

    With each outcome class's scores sorted, the number of people selected at threshold ``t``
    (``score >= t``) is the number of scores at or after the first one that is ``>= t``: one
    binary search per threshold instead of a pass over the people.
    """
    with_outcome = np.sort(scores[outcomes])
    without_outcome = np.sort(scores[~outcomes])
    n_pos, n_neg = len(with_outcome), len(without_outcome)
    n = n_pos + n_neg
    true_pos = (n_pos - np.searchsorted(with_outcome, thresholds, side="left")).astype(np.float64)
    false_pos = (n_neg - np.searchsorted(without_outcome, thresholds, side="left")).astype(
        np.float64
    )
    accuracy = _ratio(true_pos + (n_neg - false_pos), n)
    selection_rate = _ratio(true_pos + false_pos, n)
    fpr = _ratio(false_pos, n_neg)
    fnr = _ratio(n_pos - true_pos, n_pos)
    return SweepCurve(
        attribute=attribute,
        group=group,
        n=n,
        n_with_outcome=n_pos,
        too_small=n < minimum_group_size,
        accuracy=tuple(accuracy.tolist()),
        selection_rate=tuple(selection_rate.tolist()),
        fpr=tuple(fpr.tolist()),
        fnr=tuple(fnr.tolist()),
    )


def threshold_sweep(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    sensitive_features: SensitiveFeatures,
    thresholds: npt.ArrayLike | None = None,
    minimum_group_size: int = 30,
) -> ThresholdSweep:
    """Accuracy and each group's error rates at every decision threshold.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes (1: reoffended).
    y_score : array-like of float
        The score: a probability, or any instrument's score (e.g. COMPAS deciles).
    sensitive_features : DataFrame, Series or mapping of str to array-like
        The sensitive attributes, one value per person in the order of ``y_true``; keyword-only.
        Each attribute is swept separately; missing values form the group ``"(missing)"``.
    thresholds : array-like of float, optional
        The thresholds to evaluate (sorted and deduplicated). By default 101 evenly spaced
        points over [0, 1] when every score lies in [0, 1], and every distinct score otherwise.
    minimum_group_size : int
        Groups with fewer people are kept, with ``too_small=True``.

    Returns
    -------
    ThresholdSweep
        At each threshold ``t`` the decision is ``y_score >= t``.

    Raises
    ------
    RiskkitError
        On inputs of different lengths, non-binary outcomes, missing scores, invalid thresholds
        or an invalid ``minimum_group_size``.
    """
    if minimum_group_size < 1:
        raise RiskkitError(f"minimum_group_size must be at least 1; found {minimum_group_size}.")
    outcomes = cm.check_outcomes(y_true)
    scores = cm.check_scores(y_score)
    if len(outcomes) != len(scores):
        raise RiskkitError(
            f"y_true has {len(outcomes)} values but y_score has {len(scores)}; pass one outcome "
            "and one score per person."
        )
    if len(outcomes) == 0:
        raise RiskkitError("there is nobody to sweep: y_true and y_score are empty.")
    features = _sensitive_frame(sensitive_features, len(outcomes))
    score_is_probability = bool(np.all((scores >= 0.0) & (scores <= 1.0)))
    grid, chosen_by = _choose_thresholds(thresholds, scores, score_is_probability)

    overall = _curve(OVERALL, OVERALL, outcomes, scores, grid, minimum_group_size)
    curves: list[SweepCurve] = []
    for attribute in features.columns:
        labels = features[attribute].to_numpy(dtype=object)
        for group in sorted(set(labels.tolist()), key=lambda g: (g == MISSING_GROUP, g)):
            members = labels == group
            curves.append(
                _curve(
                    attribute,
                    group,
                    outcomes[members],
                    scores[members],
                    grid,
                    minimum_group_size,
                )
            )
    return ThresholdSweep(
        thresholds=tuple(grid.tolist()),
        thresholds_chosen_by=chosen_by,
        score_is_probability=score_is_probability,
        n=len(outcomes),
        minimum_group_size=minimum_group_size,
        attributes=tuple(str(a) for a in features.columns),
        overall=overall,
        groups=tuple(curves),
    )

"""Classification metrics on numpy arrays, with percentile-bootstrap confidence intervals.

Every metric takes ``(y_true, y_other)`` positionally, the calling convention of scikit-learn and
fairlearn, so that each can be handed to :class:`fairlearn.metrics.MetricFrame` as is. ``y_true``
holds the observed outcomes (0/1 or booleans). The second argument is either the binary decision
(``y_pred``: selection rate, error rates, precision) or the score (``y_score``: AUC, Brier score,
mean score); :func:`base_rate` ignores it.

A metric that is undefined on its input (AUC with a single class, false positive rate with no
negatives, anything on an empty array) returns NaN; it never raises and never warns. Invalid input
(labels other than 0/1, arrays of different lengths, missing values) raises
:class:`~riskkit.errors.RiskkitError`.

Each metric is computed by one vectorised implementation that works on a batch of resamples at a
time, so the bootstrap intervals and the point estimates always agree on definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from riskkit.errors import RiskkitError

__all__ = [
    "METRICS",
    "Metric",
    "auc",
    "base_rate",
    "bootstrap_draws",
    "bootstrap_interval",
    "brier",
    "calibration_in_the_large",
    "check_outcomes",
    "check_scores",
    "false_negative_rate",
    "false_positive_rate",
    "mean_score",
    "percentile_interval",
    "precision",
    "selection_rate",
]

Metric = Callable[[npt.ArrayLike, npt.ArrayLike], float]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
_Batch = Callable[[BoolArray, BoolArray, FloatArray], FloatArray]

# Resamples are drawn in chunks so that one chunk holds at most this many values per array.
_CHUNK_CELLS: Final = 2_000_000


# --- input checks -------------------------------------------------------------------------------


def _as_1d(values: npt.ArrayLike, name: str) -> npt.NDArray[np.generic]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise RiskkitError(
            f"{name} must be one-dimensional; found an array of shape {array.shape}. "
            "Pass one value per person (for example a column, not a table)."
        )
    return array


def check_outcomes(y_true: npt.ArrayLike, name: str = "y_true") -> BoolArray:
    """``y_true`` as booleans, after checking it is one-dimensional and holds only 0 and 1.

    Raises
    ------
    RiskkitError
        Naming the offending values and how to encode the outcome.
    """
    array = _as_1d(y_true, name)
    if array.dtype == np.bool_:
        return array.astype(np.bool_)
    try:
        numeric = array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise RiskkitError(
            f"{name} must hold 0/1 outcomes; found values of type {array.dtype}. "
            "Encode the outcome as 1 (reoffended) and 0 (did not)."
        ) from exc
    bad = ~np.isin(numeric, (0.0, 1.0))
    if bad.any():
        examples = ", ".join(repr(v) for v in np.unique(array[bad])[:5].tolist())
        raise RiskkitError(
            f"{name} must hold only 0 and 1; found {int(bad.sum())} other value(s), e.g. "
            f"{examples}. Encode the outcome as 1 (reoffended) and 0 (did not) and drop or "
            "impute missing outcomes before auditing."
        )
    labels: BoolArray = numeric == 1.0
    return labels


def check_scores(y_score: npt.ArrayLike, name: str = "y_score") -> FloatArray:
    """``y_score`` as floats, after checking it is one-dimensional, numeric and finite.

    Raises
    ------
    RiskkitError
        Naming how many values are missing or infinite, and where.
    """
    array = _as_1d(y_score, name)
    try:
        numeric = array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise RiskkitError(f"{name} must be numeric; found values of type {array.dtype}.") from exc
    bad = ~np.isfinite(numeric)
    if bad.any():
        first = np.flatnonzero(bad)[:5].tolist()
        raise RiskkitError(
            f"{name} must be finite numbers; found {int(bad.sum())} missing or infinite value(s) "
            f"(first positions: {first}). Score every person or leave the unscored ones out."
        )
    return numeric


def _check_lengths(**arrays: npt.NDArray[np.generic]) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise RiskkitError(
            f"the arrays must have one value per person, so the same length; found: {found}."
        )
    return next(iter(lengths.values()), 0)


# --- batch implementations: each row of the inputs is one sample --------------------------------


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    out = np.full(np.shape(numerator), np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _count(mask: BoolArray) -> FloatArray:
    counts: FloatArray = np.count_nonzero(mask, axis=1).astype(np.float64)
    return counts


def _batch_base_rate(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _ratio(_count(yt), np.full(yt.shape[0], float(yt.shape[1])))


def _batch_selection_rate(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _ratio(_count(yp), np.full(yp.shape[0], float(yp.shape[1])))


def _batch_fpr(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _ratio(_count(yp & ~yt), _count(~yt))


def _batch_fnr(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _ratio(_count(~yp & yt), _count(yt))


def _batch_precision(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _ratio(_count(yp & yt), _count(yp))


def _batch_mean_score(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _ratio(ys.sum(axis=1), np.full(ys.shape[0], float(ys.shape[1])))


def _batch_brier(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    squared = (ys - yt) ** 2
    return _ratio(squared.sum(axis=1), np.full(ys.shape[0], float(ys.shape[1])))


def _batch_calibration(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    return _batch_mean_score(yt, yp, ys) - _batch_base_rate(yt, yp, ys)


def _auc_from_levels(level: IntArray, yt: BoolArray, n_levels: int) -> FloatArray:
    """AUC of each row, from each person's score level (rank among the distinct scores).

    Counts people with and without the outcome at each level, then counts, for each person with
    the outcome, the people without it at lower levels (ties count one half): the Mann-Whitney
    U, which equals the area under the ROC curve. No sorting, so a batch of bootstrap resamples
    costs one pass over the data.
    """
    rows = level.shape[0]
    code = ((np.arange(rows)[:, None] * n_levels + level) * 2 + yt).ravel()
    counts = np.bincount(code, minlength=rows * n_levels * 2).reshape(rows, n_levels, 2)
    negatives, positives = counts[..., 0].astype(np.float64), counts[..., 1].astype(np.float64)
    below = np.cumsum(negatives, axis=1) - negatives
    u = (positives * (below + 0.5 * negatives)).sum(axis=1)
    auc_values: FloatArray = _ratio(u, positives.sum(axis=1) * negatives.sum(axis=1))
    return auc_values


def _batch_auc(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    if ys.shape[1] == 0:
        return np.full(ys.shape[0], np.nan)
    levels, inverse = np.unique(ys, return_inverse=True)
    return _auc_from_levels(inverse.reshape(ys.shape), yt, len(levels))


# Each metric's one implementation; every row of the inputs is one sample (or resample).
_BATCH: Final[Mapping[str, _Batch]] = {
    "base_rate": _batch_base_rate,
    "selection_rate": _batch_selection_rate,
    "fpr": _batch_fpr,
    "fnr": _batch_fnr,
    "precision": _batch_precision,
    "auc": _batch_auc,
    "brier": _batch_brier,
    "mean_score": _batch_mean_score,
    "calibration_in_the_large": _batch_calibration,
}
_USES_SCORE: Final = frozenset({"auc", "brier", "mean_score", "calibration_in_the_large"})


def _prepare(
    name: str, y_true: npt.ArrayLike, y_other: npt.ArrayLike | None
) -> tuple[BoolArray, BoolArray, FloatArray]:
    """Check the inputs of metric ``name`` and return (outcomes, decisions, scores)."""
    yt = check_outcomes(y_true)
    yp = np.zeros(len(yt), dtype=np.bool_)
    ys = np.zeros(len(yt))
    if name in _USES_SCORE:
        ys = check_scores(np.zeros(0) if y_other is None else y_other)
        _check_lengths(y_true=yt, y_score=ys)
    elif name != "base_rate":
        yp = check_outcomes(np.zeros(0) if y_other is None else y_other, "y_pred")
        _check_lengths(y_true=yt, y_pred=yp)
    return yt, yp, ys


def _one(name: str, y_true: npt.ArrayLike, y_other: npt.ArrayLike | None) -> float:
    yt, yp, ys = _prepare(name, y_true, y_other)
    return float(_BATCH[name](yt[None, :], yp[None, :], ys[None, :])[0])


# --- public metrics -----------------------------------------------------------------------------


def base_rate(y_true: npt.ArrayLike, y_pred: npt.ArrayLike | None = None) -> float:
    """Share of people with the outcome (prevalence).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_pred : array-like, optional
        Ignored; accepted so that every metric has the same calling convention.

    Returns
    -------
    float
        ``mean(y_true)``; NaN for an empty array.
    """
    return _one("base_rate", y_true, None)


def selection_rate(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Share of people the decision selects (labelled high risk).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes; only their length is used.
    y_pred : array-like of 0/1
        Decisions.

    Returns
    -------
    float
        ``mean(y_pred)``; NaN for an empty array.
    """
    return _one("selection_rate", y_true, y_pred)


def false_positive_rate(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Share of people without the outcome whom the decision selects: FP / (FP + TN).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_pred : array-like of 0/1
        Decisions.

    Returns
    -------
    float
        The false positive rate; NaN when nobody is without the outcome.
    """
    return _one("fpr", y_true, y_pred)


def false_negative_rate(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Share of people with the outcome whom the decision misses: FN / (FN + TP).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_pred : array-like of 0/1
        Decisions.

    Returns
    -------
    float
        The false negative rate; NaN when nobody has the outcome.
    """
    return _one("fnr", y_true, y_pred)


def precision(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Share of selected people who have the outcome: TP / (TP + FP).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_pred : array-like of 0/1
        Decisions.

    Returns
    -------
    float
        The precision (positive predictive value); NaN when nobody is selected.
    """
    return _one("precision", y_true, y_pred)


def auc(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random person with the outcome scores
    higher than a random person without it (ties count one half).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like of float
        Scores; any monotone scale (probabilities, deciles, points).

    Returns
    -------
    float
        The AUC; NaN when only one outcome class is present.
    """
    return _one("auc", y_true, y_score)


def brier(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """Brier score: mean squared difference between the probability and the outcome.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like of float
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        The Brier score (lower is better); NaN for an empty array.
    """
    return _one("brier", y_true, y_score)


def mean_score(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """Mean of the scores; for probabilities, compare it with :func:`base_rate`.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes; only their length is used.
    y_score : array-like of float
        Scores.

    Returns
    -------
    float
        ``mean(y_score)``; NaN for an empty array.
    """
    return _one("mean_score", y_true, y_score)


def calibration_in_the_large(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """Mean predicted probability minus the observed rate (positive: the model over-predicts).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like of float
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        ``mean(y_score) - mean(y_true)``; NaN for an empty array.
    """
    return _one("calibration_in_the_large", y_true, y_score)


METRICS: Final[Mapping[str, Metric]] = {
    "base_rate": base_rate,
    "selection_rate": selection_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "precision": precision,
    "auc": auc,
    "brier": brier,
    "mean_score": mean_score,
    "calibration_in_the_large": calibration_in_the_large,
}
"""The metrics by the names the fairness audit uses for them."""

_NAME_OF: Final[Mapping[Metric, str]] = {function: name for name, function in METRICS.items()}


# --- bootstrap ----------------------------------------------------------------------------------


def bootstrap_draws(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    threshold: float,
    metrics: Sequence[str] = tuple(METRICS),
    n_resamples: int = 1000,
    seed: int | Sequence[int] | np.random.Generator = 0,
) -> dict[str, FloatArray]:
    """Values of several metrics on the same bootstrap resamples of the people.

    Each resample draws ``len(y_true)`` people with replacement; the decision is
    ``y_score >= threshold``. All metrics share the resamples, and the computation is vectorised
    over resamples (in chunks, to bound memory).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like of float
        Scores.
    threshold : float
        Scores at or above it are selected.
    metrics : sequence of str
        Names from :data:`METRICS`.
    n_resamples : int
        Number of resamples.
    seed : int, sequence of int or numpy Generator
        Seed of the resampling; the same seed gives the same draws.

    Returns
    -------
    dict of str to ndarray
        For each metric, its ``n_resamples`` values (NaN where undefined on a resample).
    """
    unknown = [m for m in metrics if m not in _BATCH]
    if unknown:
        raise RiskkitError(f"unknown metric(s) {unknown}; the known metrics are {sorted(_BATCH)}.")
    if n_resamples < 1:
        raise RiskkitError(f"n_resamples must be at least 1; found {n_resamples}.")
    yt = check_outcomes(y_true)
    ys = check_scores(y_score)
    n = _check_lengths(y_true=yt, y_score=ys)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    draws = {m: np.full(n_resamples, np.nan) for m in metrics}
    if n == 0:
        return draws
    chunk = max(1, _CHUNK_CELLS // n)
    distinct, level = np.unique(ys, return_inverse=True)
    n_levels = len(distinct)
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        index = rng.integers(0, n, size=(stop - start, n))
        yt_b, ys_b = yt[index], ys[index]
        yp_b = ys_b >= threshold
        for m in metrics:
            if m == "auc":
                # The score levels of the whole sample serve every resample: no sorting.
                draws[m][start:stop] = _auc_from_levels(level[index], yt_b, n_levels)
            else:
                draws[m][start:stop] = _BATCH[m](yt_b, yp_b, ys_b)
    return draws


def percentile_interval(draws: npt.ArrayLike, confidence: float = 0.95) -> tuple[float, float]:
    """Equal-tailed percentile interval of bootstrap draws, ignoring undefined (NaN) draws.

    Parameters
    ----------
    draws : array-like of float
        Bootstrap values of one statistic.
    confidence : float
        Coverage of the interval, in (0, 1).

    Returns
    -------
    (float, float)
        ``(low, high)``; ``(nan, nan)`` when no draw is defined.
    """
    if not 0.0 < confidence < 1.0:
        raise RiskkitError(f"confidence must be between 0 and 1; found {confidence}.")
    values = np.asarray(draws, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return (float(low), float(high))


def bootstrap_interval(
    metric: Metric | str,
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of one metric.

    Parameters
    ----------
    metric : callable or str
        A function ``metric(y_true, y_score) -> float`` or a name from :data:`METRICS`. The
        functions of this module are computed vectorised; any other callable is called once per
        resample.
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like
        The metric's second argument: decisions for the rate metrics, scores for the others.
    n_resamples : int
        Number of resamples.
    confidence : float
        Coverage of the interval.
    seed : int
        Seed of the resampling; the same seed gives the same interval.

    Returns
    -------
    (float, float)
        ``(low, high)``; ``(nan, nan)`` when the metric is undefined on every resample.
    """
    if n_resamples < 1:
        raise RiskkitError(f"n_resamples must be at least 1; found {n_resamples}.")
    if isinstance(metric, str) or metric in _NAME_OF:
        name = metric if isinstance(metric, str) else _NAME_OF[metric]
        if name not in _BATCH:
            raise RiskkitError(f"unknown metric {name!r}; the known metrics are {sorted(_BATCH)}.")
        yt, yp, ys = _prepare(name, y_true, y_score)
        # Rate metrics take decisions as their second argument: thresholding 0/1 decisions at
        # 0.5 gives them back unchanged.
        draws = bootstrap_draws(
            yt,
            ys if name in _USES_SCORE else yp.astype(np.float64),
            threshold=0.5,
            metrics=[name],
            n_resamples=n_resamples,
            seed=seed,
        )[name]
        return percentile_interval(draws, confidence)

    function = metric
    yt_any = _as_1d(y_true, "y_true")
    other_any = _as_1d(y_score, "y_score")
    n = _check_lengths(y_true=yt_any, y_score=other_any)
    values = np.full(n_resamples, np.nan)
    if n:
        rng = np.random.default_rng(seed)
        for i in range(n_resamples):
            index = rng.integers(0, n, size=n)
            values[i] = function(yt_any[index], other_any[index])
    return percentile_interval(values, confidence)

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

Each point estimate is computed by one vectorised implementation per metric. The bootstrap
(:func:`bootstrap_draws`) does not copy rows: it compresses the people into cells of equal score
and outcome, draws how many people of each cell a resample holds, and computes every metric from
those counts with the same definitions (see :func:`bootstrap_draws` for the one approximation,
on scores with very many distinct values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
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
    "calibration_error",
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
# Above this many distinct scores, the bootstrap groups the scores into levels of at most
# 1 / _GRID_STEPS of their range and of the people. See bootstrap_draws for why, and the bounds.
_EXACT_LEVELS: Final = 2_000
_GRID_STEPS: Final = 1_000
# Inner edges of the 10 equal-width bins of calibration_error: 0.1, ..., 0.9 (exactly these
# floats, so a score written as 0.3 is on an edge).
_ECE_EDGES: Final = np.arange(1, 10) / 10
_ECE_BINS: Final = 10


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


def _batch_ece(yt: BoolArray, yp: BoolArray, ys: FloatArray) -> FloatArray:
    rows, n = ys.shape
    if n == 0:
        return np.full(rows, np.nan)
    code = (np.arange(rows)[:, None] * _ECE_BINS + _ece_bin(ys)).ravel()
    size = rows * _ECE_BINS
    predicted = np.bincount(code, weights=ys.ravel(), minlength=size)
    observed = np.bincount(code, weights=yt.ravel().astype(np.float64), minlength=size)
    gaps = np.abs(predicted - observed).reshape(rows, _ECE_BINS)
    ece: FloatArray = gaps.sum(axis=1) / n
    return ece


def _ece_bin(scores: FloatArray) -> IntArray:
    """Bin 0-9 of each probability; one equal to an inner edge falls in the lower bin."""
    bins: IntArray = np.searchsorted(_ECE_EDGES, scores, side="left")
    return bins


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
    "ece": _batch_ece,
}
_USES_SCORE: Final = frozenset({"auc", "brier", "mean_score", "calibration_in_the_large", "ece"})
_PROBABILITY_ONLY: Final = frozenset({"ece"})


def _check_probabilities(name: str, ys: FloatArray) -> None:
    outside = (ys < 0.0) | (ys > 1.0)
    if outside.any():
        examples = ", ".join(f"{v:g}" for v in ys[outside][:5])
        raise RiskkitError(
            f"{name} needs probabilities in [0, 1]; found {int(outside.sum())} score(s) outside, "
            f"e.g. {examples}. Pass predicted probabilities, or leave {name!r} out for scores "
            "on another scale (deciles, points)."
        )


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
        if name in _PROBABILITY_ONLY:
            _check_probabilities(name, ys)
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


def calibration_error(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """Expected calibration error over 10 equal-width probability bins.

    The bins split [0, 1] at 0.1, 0.2, ..., 0.9; a probability equal to an edge falls in the
    lower bin, as in ``sklearn.calibration.calibration_curve(strategy="uniform")``. Then::

        ECE = sum over bins b of (n_b / n) * |mean(y_score in b) - mean(y_true in b)|

    Empty bins contribute nothing. Unlike
    :func:`riskkit.metrics.calibration.expected_calibration_error` (bins of equal size, at the
    quantiles of the predictions), the bins are the same for every group, so the ECE of two
    groups compares the same probability ranges.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like of float
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        The ECE (0 is perfect; on the probability scale); NaN for an empty array.

    Raises
    ------
    RiskkitError
        For invalid outcomes, arrays of different lengths, or scores outside [0, 1].
    """
    return _one("ece", y_true, y_score)


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
    "ece": calibration_error,
}
"""The metrics by the names the fairness audit uses for them."""

_NAME_OF: Final[Mapping[Metric, str]] = {function: name for name, function in METRICS.items()}


# --- bootstrap ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    """The people compressed into cells of one score level and one outcome.

    Cells are in increasing level, the cell without the outcome first; empty cells are left out.
    Every person of a cell has the same outcome and the same decision, and falls in the same bin
    of :func:`calibration_error`.
    """

    n: int
    counts: IntArray
    level: IntArray
    positive: BoolArray
    selected: BoolArray
    ece_bin: IntArray
    # Means over the cell's people, so that score-based sums are exact in expectation.
    score: FloatArray
    squared_error: FloatArray
    n_levels: int
    # Per level: the share of its (with outcome, without outcome) pairs that the full sample
    # ranks right, ties counting one half; 0.5 when a level holds a single score.
    within: FloatArray


def _cells(yt: BoolArray, ys: FloatArray, threshold: float) -> _Cells:
    """Compress a non-empty sample into cells (see :func:`bootstrap_draws`)."""
    distinct, inverse = np.unique(ys, return_inverse=True)
    total = np.bincount(inverse, minlength=len(distinct))
    pos = np.bincount(inverse[yt], minlength=len(distinct))
    neg = total - pos
    selected = distinct >= threshold
    in_unit = bool(distinct[0] >= 0.0 and distinct[-1] <= 1.0)
    bins = _ece_bin(distinct) if in_unit else np.zeros(len(distinct), dtype=np.intp)
    if len(distinct) <= _EXACT_LEVELS:
        starts = np.arange(len(distinct))
        level_of = starts
    else:
        low, high = float(distinct[0]), float(distinct[-1])
        # Equal-width steps bound how far apart the scores of a level are; steps of equal mass
        # keep scores bunched in a narrow range (a rare outcome) from sharing a few levels.
        width_step = np.rint((distinct - low) / (high - low) * _GRID_STEPS)
        people_before = np.cumsum(total) - total
        mass_step = people_before * _GRID_STEPS // len(ys)
        # A level never straddles the threshold or a calibration bin edge either, so the
        # decision and the bin of every person stay exact.
        new = np.ones(len(distinct), dtype=np.bool_)
        new[1:] = (
            (width_step[1:] != width_step[:-1])
            | (mass_step[1:] != mass_step[:-1])
            | (selected[1:] != selected[:-1])
            | (bins[1:] != bins[:-1])
        )
        starts = np.flatnonzero(new)
        level_of = np.cumsum(new) - 1
    n_levels = len(starts)
    pos_level = np.add.reduceat(pos, starts)
    neg_level = np.add.reduceat(neg, starts)
    neg_below = np.cumsum(neg) - neg
    neg_below_in_level = neg_below - neg_below[starts][level_of]
    u_within = np.add.reduceat(pos * (neg_below_in_level + 0.5 * neg), starts)
    pairs = (pos_level * neg_level).astype(np.float64)
    within = np.full(n_levels, 0.5)
    np.divide(u_within, pairs, out=within, where=pairs > 0)

    counts = np.column_stack([neg_level, pos_level]).ravel()
    score_sum = np.column_stack(
        [np.add.reduceat(distinct * neg, starts), np.add.reduceat(distinct * pos, starts)]
    ).ravel()
    squared_sum = np.column_stack(
        [
            np.add.reduceat(distinct**2 * neg, starts),
            np.add.reduceat((1 - distinct) ** 2 * pos, starts),
        ]
    ).ravel()
    keep = counts > 0
    counts = counts[keep]
    return _Cells(
        n=len(ys),
        counts=counts,
        level=np.repeat(np.arange(n_levels), 2)[keep],
        positive=np.tile(np.array([False, True]), n_levels)[keep],
        selected=np.repeat(selected[starts], 2)[keep],
        ece_bin=np.repeat(bins[starts], 2)[keep],
        score=score_sum[keep] / counts,
        squared_error=squared_sum[keep] / counts,
        n_levels=n_levels,
        within=within,
    )


def _resampled_counts(
    rng: np.random.Generator, counts: IntArray, n_resamples: int
) -> Iterator[tuple[int, int, npt.NDArray[np.int64]]]:
    """Chunks ``(start, stop, draws)`` of bootstrap resamples as counts per cell.

    Drawing ``n`` people with replacement, each with probability ``1 / n``, puts a multinomial
    number of them in each cell, with probabilities ``counts / n``.
    """
    n = int(counts.sum())
    shares = counts / n
    chunk = max(1, _CHUNK_CELLS // len(counts))
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        yield start, stop, rng.multinomial(n, shares, size=stop - start)


def _auc_from_cells(cells: _Cells, k: FloatArray) -> FloatArray:
    """AUC of each resample (row of ``k``): as :func:`_auc_from_levels`, with the pairs within
    one level counted by the level's share of pairs ranked right."""
    rows = k.shape[0]
    positives = np.zeros((rows, cells.n_levels))
    negatives = np.zeros((rows, cells.n_levels))
    positives[:, cells.level[cells.positive]] = k[:, cells.positive]
    negatives[:, cells.level[~cells.positive]] = k[:, ~cells.positive]
    below = np.cumsum(negatives, axis=1) - negatives
    u = (positives * (below + cells.within * negatives)).sum(axis=1)
    auc_values: FloatArray = _ratio(u, positives.sum(axis=1) * negatives.sum(axis=1))
    return auc_values


def _metrics_from_counts(
    cells: _Cells, draws: npt.NDArray[np.int64], metrics: Sequence[str]
) -> dict[str, FloatArray]:
    """Each metric on each resample, from the resamples' counts per cell (one per row)."""
    k = draws.astype(np.float64)
    n = np.full(k.shape[0], float(cells.n))
    weights = np.column_stack(
        [
            cells.positive,
            cells.selected,
            cells.selected & cells.positive,
            cells.score,
            cells.squared_error,
        ]
    ).astype(np.float64)
    positives, selected, true_positives, score_sum, squared_sum = (k @ weights).T
    negatives = n - positives
    values: dict[str, FloatArray] = {}
    for name in metrics:
        if name == "base_rate":
            values[name] = _ratio(positives, n)
        elif name == "selection_rate":
            values[name] = _ratio(selected, n)
        elif name == "fpr":
            values[name] = _ratio(selected - true_positives, negatives)
        elif name == "fnr":
            values[name] = _ratio(positives - true_positives, positives)
        elif name == "precision":
            values[name] = _ratio(true_positives, selected)
        elif name == "mean_score":
            values[name] = _ratio(score_sum, n)
        elif name == "brier":
            values[name] = _ratio(squared_sum, n)
        elif name == "calibration_in_the_large":
            values[name] = _ratio(score_sum, n) - _ratio(positives, n)
        elif name == "auc":
            values[name] = _auc_from_cells(cells, k)
        else:  # "ece"
            in_bin = cells.ece_bin[:, None] == np.arange(_ECE_BINS)
            gaps = k @ (in_bin * (cells.score - cells.positive)[:, None])
            values[name] = _ratio(np.abs(gaps).sum(axis=1), n)
    return values


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

    Each resample draws ``len(y_true)`` people with replacement, every person with the same
    probability (the nonparametric bootstrap); the decision is ``y_score >= threshold``. All
    metrics share the resamples.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_score : array-like of float
        Scores.
    threshold : float
        Scores at or above it are selected.
    metrics : sequence of str
        Names from :data:`METRICS`. ``"ece"`` needs scores in [0, 1].
    n_resamples : int
        Number of resamples.
    seed : int, sequence of int or numpy Generator
        Seed of the resampling; the same seed gives the same draws.

    Returns
    -------
    dict of str to ndarray
        For each metric, its ``n_resamples`` values (NaN where undefined on a resample).

    Raises
    ------
    RiskkitError
        On an unknown metric, ``n_resamples < 1``, invalid or mismatched inputs, or ``"ece"``
        with scores outside [0, 1].

    Notes
    -----
    No rows are copied. The people are compressed into cells, one per score level and outcome,
    and a resample is a multinomial draw of ``n`` people over the cells
    (``rng.multinomial(n, cell_counts / n)``), which has exactly the distribution of the counts
    of ``n`` rows drawn with replacement. Every metric is then computed from the counts: the rates
    from the four confusion counts, ``mean_score``, ``brier``, ``calibration_in_the_large`` and
    ``ece`` as weighted sums, AUC from the counts per level with cumulative sums (ties count one
    half). A resample costs time in proportion to the number of cells, whatever the number of
    people. Resamples are drawn in chunks to bound memory.

    With at most 2,000 distinct scores, each distinct score is a level, and every draw equals
    (up to floating-point rounding) the metric computed on rows with those counts; AUC as
    :func:`auc` computes it. A custom function given to :func:`bootstrap_interval` with the
    same seed sees these same resamples.

    With more distinct scores (a continuous probability has about one per person), a multinomial
    over all of them would cost as much as resampling rows, so neighbouring scores are grouped into
    levels. A level spans at most ``h = (max - min) / 1000`` of the scores (at most 0.001 for
    probabilities), holds about 1/1000 of the people at most (more only where many people share one
    score), and never straddles the threshold or a bin edge of :func:`calibration_error`: about
    2,000 levels. The rates (``base_rate``, ``selection_rate``, ``fpr``, ``fnr``, ``precision``)
    therefore stay exact. The score-based draws are the expected value, given the cell counts, of
    the metric on a resample with those counts: each cell contributes the mean score (and mean
    squared error) of its people, and AUC compares people of different levels exactly and counts a
    pair within one level by the share of such pairs that the full sample ranks right (ties one
    half). So the bootstrap distribution keeps its centre, and a draw differs from the exact value
    on a resample with the same counts by a zero-mean error of

    - at most ``h`` for ``mean_score`` and ``calibration_in_the_large`` (standard deviation at
      most ``h / (2 sqrt(n))``);
    - at most ``2 h`` for ``brier`` on probabilities (standard deviation at most
      ``h / sqrt(n)``, 1e-5 for 10,000 people on probabilities);
    - for AUC, at most the share of the resample's (outcome, no outcome) pairs that fall within
      one level: about ``1 / (1000 max(p, 1 - p)) <= 0.002`` for a base rate ``p``, when no
      single score holds more than 1/1000 of the people.

    ``ece`` differs by at most ``h``. The point estimates, computed by the metric functions,
    are not affected.
    """
    unknown = [m for m in metrics if m not in _BATCH]
    if unknown:
        raise RiskkitError(f"unknown metric(s) {unknown}; the known metrics are {sorted(_BATCH)}.")
    if n_resamples < 1:
        raise RiskkitError(f"n_resamples must be at least 1; found {n_resamples}.")
    yt = check_outcomes(y_true)
    ys = check_scores(y_score)
    n = _check_lengths(y_true=yt, y_score=ys)
    for name in _PROBABILITY_ONLY.intersection(metrics):
        _check_probabilities(name, ys)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    draws = {m: np.full(n_resamples, np.nan) for m in metrics}
    if n == 0:
        return draws
    cells = _cells(yt, ys, threshold)
    for start, stop, counts in _resampled_counts(rng, cells.counts, n_resamples):
        for name, values in _metrics_from_counts(cells, counts, metrics).items():
            draws[name][start:stop] = values
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
        functions of this module are computed from counts (see :func:`bootstrap_draws`); any
        other callable is called once per resample, on the resample's rows (in no particular
        order). With the same seed, both see the same resamples when the second argument has at
        most 2,000 distinct values.
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
        for i, index in _resampled_rows(rng, yt_any, other_any, n_resamples):
            values[i] = function(yt_any[index], other_any[index])
    return percentile_interval(values, confidence)


def _resampled_rows(
    rng: np.random.Generator,
    y_true: npt.NDArray[np.generic],
    y_other: npt.NDArray[np.generic],
    n_resamples: int,
) -> Iterator[tuple[int, IntArray]]:
    """``(i, row indices)`` of each bootstrap resample, for a custom metric.

    With at most ``_EXACT_LEVELS`` distinct values of ``y_other``, the resamples are drawn as
    counts of the cells of :func:`_cells`, in the same order, so that a custom metric sees the
    resamples of the named ones (a person stands for everybody with their pair of values).
    Otherwise (or for values that cannot be sorted) row indices are drawn directly: a
    multinomial over about one cell per person would only be slower.
    """
    n = len(y_true)
    try:
        other_levels, other_code = np.unique(y_other, return_inverse=True)
        true_levels, true_code = np.unique(y_true, return_inverse=True)
        by_cells = len(other_levels) <= _EXACT_LEVELS
    except TypeError:
        by_cells = False
    if not by_cells:
        for i in range(n_resamples):
            yield i, rng.integers(0, n, size=n)
        return
    code = other_code.ravel() * len(true_levels) + true_code.ravel()
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    for start, stop, chunk in _resampled_counts(rng, counts, n_resamples):
        for i, resample in zip(range(start, stop), chunk, strict=True):
            yield i, np.repeat(first, resample)

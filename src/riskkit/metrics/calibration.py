"""Calibration metrics on numpy arrays: expected calibration error, calibration slope and
intercept, and log-loss.

Like :mod:`riskkit.metrics.classification`, every function takes ``(y_true, y_prob)``
positionally, checks its input (0/1 outcomes, finite probabilities in [0, 1], equal lengths) and
raises :class:`~riskkit.errors.RiskkitError` when it is invalid, and returns NaN, never a
warning, when the metric is undefined on valid input (an empty array, a single outcome class for
the slope, predictions that do not vary).

Expected calibration error
--------------------------
The people are put into ``n_bins`` bins of (about) equal size by their predicted probability:
the bin edges are the quantiles of the predictions, and a prediction equal to an inner edge falls
in the lower bin (the convention of ``sklearn.calibration.calibration_curve(strategy="quantile")``,
so tied predictions always share a bin and a bin may end up empty). Then::

    ECE = sum over non-empty bins b of (n_b / n) * |mean(p in b) - mean(y in b)|

Calibration slope and intercept
-------------------------------
The coefficients of the logistic regression of the outcome on the logit of the prediction,
``logit P(y = 1) = intercept + slope * logit(p)``, fitted by maximum likelihood without a
penalty (Newton-Raphson). A perfectly calibrated model has slope 1 and intercept 0; a slope
below 1 means the predictions are too extreme (over-fitting), above 1 too timid. Predictions of
exactly 0 or 1 are clipped to ``[1e-12, 1 - 1e-12]`` first. When the fit has no finite solution
(one outcome class, constant predictions, or predictions that separate the outcomes perfectly)
both are NaN.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from riskkit.errors import RiskkitError
from riskkit.metrics.classification import check_outcomes, check_scores

__all__ = [
    "CalibrationFit",
    "calibration_intercept",
    "calibration_slope",
    "expected_calibration_error",
    "log_loss",
    "logistic_calibration",
]

FloatArray = npt.NDArray[np.float64]

#: Predictions are clipped to [EPSILON, 1 - EPSILON] before taking logits or logs.
EPSILON: Final = 1e-12
_MAX_ITERATIONS: Final = 100
_TOLERANCE: Final = 1e-10
# A slope or intercept this large means the likelihood has no finite maximum (separation).
_DIVERGED: Final = 1e6


class CalibrationFit(NamedTuple):
    """Coefficients of the logistic recalibration
    ``logit P(y=1) = intercept + slope * logit(p)``."""

    slope: float
    intercept: float


def _check(y_true: npt.ArrayLike, y_prob: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Outcomes as 0.0/1.0 and probabilities as floats, after checking both."""
    outcomes = check_outcomes(y_true)
    probabilities = check_scores(y_prob, "y_prob")
    if len(outcomes) != len(probabilities):
        raise RiskkitError(
            "the arrays must have one value per person, so the same length; found: y_true has "
            f"{len(outcomes)}, y_prob has {len(probabilities)}."
        )
    outside = (probabilities < 0.0) | (probabilities > 1.0)
    if outside.any():
        examples = ", ".join(f"{v:g}" for v in probabilities[outside][:5])
        raise RiskkitError(
            f"y_prob must hold probabilities in [0, 1]; found {int(outside.sum())} value(s) "
            f"outside, e.g. {examples}. Pass predicted probabilities (predict_proba), not "
            "scores or log-odds."
        )
    return outcomes.astype(np.float64), probabilities


def expected_calibration_error(
    y_true: npt.ArrayLike, y_prob: npt.ArrayLike, n_bins: int = 10
) -> float:
    """Expected calibration error over ``n_bins`` quantile bins of the predictions.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_prob : array-like of float
        Predicted probabilities in [0, 1].
    n_bins : int, default 10
        Number of quantile bins (at least 1).

    Returns
    -------
    float
        The size-weighted mean absolute gap between the mean prediction and the observed rate in
        each bin (0 is perfect; on the probability scale); NaN for empty input.

    Raises
    ------
    RiskkitError
        For invalid outcomes or probabilities, arrays of different lengths or ``n_bins < 1``.
    """
    if n_bins < 1:
        raise RiskkitError(f"n_bins must be at least 1; found {n_bins}.")
    outcomes, probabilities = _check(y_true, y_prob)
    n = len(outcomes)
    if n == 0:
        return float("nan")
    edges = np.percentile(probabilities, np.linspace(0.0, 100.0, n_bins + 1))
    bins = np.searchsorted(edges[1:-1], probabilities)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    predicted = np.bincount(bins, weights=probabilities, minlength=n_bins)
    observed = np.bincount(bins, weights=outcomes, minlength=n_bins)
    gaps = np.abs(predicted - observed)  # = count * |mean prediction - observed rate|
    return float(gaps[counts > 0].sum() / n)


def _logit(probabilities: FloatArray) -> FloatArray:
    clipped = np.clip(probabilities, EPSILON, 1.0 - EPSILON)
    out: FloatArray = np.log(clipped) - np.log1p(-clipped)
    return out


def logistic_calibration(y_true: npt.ArrayLike, y_prob: npt.ArrayLike) -> CalibrationFit:
    """Calibration slope and intercept: the logistic regression of the outcome on logit(p).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_prob : array-like of float
        Predicted probabilities in [0, 1].

    Returns
    -------
    CalibrationFit
        ``(slope, intercept)``; both NaN when the regression has no finite solution (empty
        input, one outcome class, constant predictions, perfect separation).

    Raises
    ------
    RiskkitError
        For invalid outcomes or probabilities, or arrays of different lengths.
    """
    outcomes, probabilities = _check(y_true, y_prob)
    undefined = CalibrationFit(float("nan"), float("nan"))
    if len(outcomes) < 2 or outcomes.min() == outcomes.max():
        return undefined
    x = _logit(probabilities)
    if np.ptp(x) == 0.0:
        return undefined
    positive, negative = x[outcomes == 1.0], x[outcomes == 0.0]
    if negative.max() <= positive.min() or positive.max() <= negative.min():
        # (quasi-)complete separation: the likelihood grows without bound as the slope does
        return undefined
    # Newton-Raphson on the log-likelihood, started at the identity recalibration, with step
    # halving so that the likelihood never decreases. x is centred for conditioning.
    centre = float(x.mean())
    design = np.column_stack([np.ones_like(x), x - centre])
    beta = np.array([centre, 1.0])

    def loglik(b: FloatArray) -> float:
        eta = design @ b
        return float(np.sum(outcomes * eta - np.logaddexp(0.0, eta)))

    current = loglik(beta)
    for _ in range(_MAX_ITERATIONS):
        p = 0.5 * (1.0 + np.tanh(0.5 * (design @ beta)))
        gradient = design.T @ (outcomes - p)
        weights = p * (1.0 - p)
        hessian = design.T @ (design * weights[:, None])
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return undefined
        if not np.all(np.isfinite(step)):
            return undefined
        scale = 1.0
        candidate = beta + step
        value = loglik(candidate)
        while value < current - 1e-12 and scale > 1e-8:
            scale /= 2.0
            candidate = beta + scale * step
            value = loglik(candidate)
        beta, previous, current = candidate, current, value
        if np.abs(beta).max() > _DIVERGED:
            return undefined
        if np.abs(scale * step).max() < _TOLERANCE or abs(current - previous) < _TOLERANCE * 1e-2:
            break
    else:
        return undefined
    slope = float(beta[1])
    intercept = float(beta[0] - slope * centre)
    if not (np.isfinite(slope) and np.isfinite(intercept)):
        return undefined
    return CalibrationFit(slope=slope, intercept=intercept)


def calibration_slope(y_true: npt.ArrayLike, y_prob: npt.ArrayLike) -> float:
    """Calibration slope (1 is perfect); see :func:`logistic_calibration`.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_prob : array-like of float
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        The slope; NaN when undefined.
    """
    return logistic_calibration(y_true, y_prob).slope


def calibration_intercept(y_true: npt.ArrayLike, y_prob: npt.ArrayLike) -> float:
    """Calibration intercept (0 is perfect); see :func:`logistic_calibration`.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_prob : array-like of float
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        The intercept of the same two-parameter fit as the slope; NaN when undefined.
    """
    return logistic_calibration(y_true, y_prob).intercept


def log_loss(y_true: npt.ArrayLike, y_prob: npt.ArrayLike) -> float:
    """Mean negative log-likelihood of the outcomes (natural log; lower is better).

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    y_prob : array-like of float
        Predicted probabilities in [0, 1], clipped to ``[1e-12, 1 - 1e-12]``.

    Returns
    -------
    float
        The log-loss; NaN for empty input.
    """
    outcomes, probabilities = _check(y_true, y_prob)
    if len(outcomes) == 0:
        return float("nan")
    clipped = np.clip(probabilities, EPSILON, 1.0 - EPSILON)
    losses = -(outcomes * np.log(clipped) + (1.0 - outcomes) * np.log1p(-clipped))
    return float(losses.mean())

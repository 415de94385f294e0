"""The metric functions against scikit-learn, their undefined cases, and the bootstrap."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, confusion_matrix, precision_score, roc_auc_score

from riskkit.errors import RiskkitError
from riskkit.metrics import (
    METRICS,
    auc,
    base_rate,
    bootstrap_draws,
    bootstrap_interval,
    brier,
    calibration_in_the_large,
    false_negative_rate,
    false_positive_rate,
    mean_score,
    percentile_interval,
    precision,
    selection_rate,
)


@pytest.fixture(params=[0, 1, 2])
def random_data(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(request.param)
    n = 400
    y_true = rng.integers(0, 2, n)
    # Rounded scores: many ties, which AUC must handle as scikit-learn does.
    y_score = np.round(np.clip(0.25 * y_true + rng.random(n) * 0.75, 0, 1), 1)
    y_pred = (y_score >= 0.5).astype(int)
    return y_true, y_score, y_pred


def test_auc_matches_sklearn(random_data: tuple[np.ndarray, ...]) -> None:
    y_true, y_score, _ = random_data
    assert auc(y_true, y_score) == pytest.approx(roc_auc_score(y_true, y_score), abs=1e-12)


def test_brier_matches_sklearn(random_data: tuple[np.ndarray, ...]) -> None:
    y_true, y_score, _ = random_data
    assert brier(y_true, y_score) == pytest.approx(brier_score_loss(y_true, y_score), abs=1e-12)


def test_error_rates_match_confusion_matrix(random_data: tuple[np.ndarray, ...]) -> None:
    y_true, _, y_pred = random_data
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    assert false_positive_rate(y_true, y_pred) == pytest.approx(fp / (fp + tn))
    assert false_negative_rate(y_true, y_pred) == pytest.approx(fn / (fn + tp))
    assert precision(y_true, y_pred) == pytest.approx(precision_score(y_true, y_pred))
    assert selection_rate(y_true, y_pred) == pytest.approx((tp + fp) / len(y_true))
    assert base_rate(y_true) == pytest.approx((tp + fn) / len(y_true))


def test_calibration_in_the_large_is_mean_score_minus_base_rate(
    random_data: tuple[np.ndarray, ...],
) -> None:
    y_true, y_score, _ = random_data
    expected = y_score.mean() - y_true.mean()
    assert calibration_in_the_large(y_true, y_score) == pytest.approx(expected)
    assert mean_score(y_true, y_score) == pytest.approx(y_score.mean())


def test_booleans_are_accepted() -> None:
    y_true = np.array([True, False, False, True])
    y_pred = np.array([True, True, False, False])
    assert false_positive_rate(y_true, y_pred) == 0.5
    assert false_negative_rate(y_true, y_pred) == 0.5


@pytest.mark.parametrize(
    ("function", "y_true", "other"),
    [
        (auc, [1, 1, 1], [0.1, 0.5, 0.9]),
        (auc, [0, 0], [0.1, 0.2]),
        (false_positive_rate, [1, 1], [1, 0]),
        (false_negative_rate, [0, 0], [1, 0]),
        (precision, [0, 1], [0, 0]),
        (brier, [], []),
        (selection_rate, [], []),
        (mean_score, [], []),
    ],
)
def test_undefined_cases_are_nan_without_warnings(
    function: object, y_true: list[int], other: list[float]
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(y_true, other)  # type: ignore[operator]
    assert math.isnan(value)
    assert caught == []


def test_base_rate_of_nobody_is_nan() -> None:
    assert math.isnan(base_rate([]))


def test_mismatched_lengths_name_both() -> None:
    with pytest.raises(RiskkitError, match=r"y_true has 3, y_pred has 2"):
        false_positive_rate([0, 1, 0], [1, 0])
    with pytest.raises(RiskkitError, match=r"y_true has 2, y_score has 3"):
        auc([0, 1], [0.1, 0.2, 0.3])


def test_non_binary_outcomes_are_refused() -> None:
    with pytest.raises(RiskkitError, match=r"only 0 and 1; found 1 other value\(s\), e\.g\. 2"):
        base_rate([0, 1, 2])


def test_missing_scores_are_refused() -> None:
    with pytest.raises(
        RiskkitError, match=r"1 missing or infinite value\(s\) \(first positions: \[1\]\)"
    ):
        auc([0, 1], [0.2, float("nan")])


def test_vectorised_bootstrap_equals_a_plain_loop() -> None:
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, 200)
    y_score = np.round(rng.random(200), 1)
    y_pred = (y_score >= 0.5).astype(int)
    fast = bootstrap_interval(auc, y_true, y_score, n_resamples=60, seed=7)
    slow = bootstrap_interval(
        lambda t, s: float(roc_auc_score(t, s)), y_true, y_score, n_resamples=60, seed=7
    )
    assert fast == pytest.approx(slow, abs=1e-12)
    fast_fpr = bootstrap_interval("fpr", y_true, y_pred, n_resamples=60, seed=7)
    slow_fpr = bootstrap_interval(
        lambda t, p: float(np.mean(p[t == 0])), y_true, y_pred, n_resamples=60, seed=7
    )
    assert fast_fpr == pytest.approx(slow_fpr, abs=1e-12)


def test_bootstrap_interval_is_reproducible_and_contains_the_estimate(
    random_data: tuple[np.ndarray, ...],
) -> None:
    y_true, y_score, y_pred = random_data
    for name, function in METRICS.items():
        other = y_pred if name in {"selection_rate", "fpr", "fnr", "precision"} else y_score
        low, high = bootstrap_interval(function, y_true, other, n_resamples=200, seed=3)
        assert (low, high) == bootstrap_interval(name, y_true, other, n_resamples=200, seed=3)
        assert low <= function(y_true, other) <= high, name
    assert bootstrap_interval(auc, y_true, y_score, seed=1) != bootstrap_interval(
        auc, y_true, y_score, seed=2
    )


def test_bootstrap_draws_share_resamples_and_threshold() -> None:
    y_true = np.array([0, 0, 1, 1, 0, 1])
    y_score = np.array([0.1, 0.6, 0.7, 0.4, 0.2, 0.9])
    draws = bootstrap_draws(
        y_true, y_score, threshold=0.5, metrics=["base_rate", "fnr"], n_resamples=50, seed=0
    )
    assert set(draws) == {"base_rate", "fnr"}
    assert draws["base_rate"].shape == (50,)
    # The FNR is undefined exactly in the resamples without positives.
    assert np.array_equal(np.isnan(draws["fnr"]), draws["base_rate"] == 0)


def test_percentile_interval_of_undefined_draws_is_nan_without_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        low, high = percentile_interval(np.full(10, np.nan))
    assert math.isnan(low) and math.isnan(high)
    assert caught == []
    assert percentile_interval([np.nan, 1.0, 2.0, 3.0], 0.5) == (1.5, 2.5)


def test_unknown_metric_name_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"unknown metric 'tpr'"):
        bootstrap_interval("tpr", [0, 1], [0, 1])

"""Reference models (logistic baseline, unrestricted LightGBM): the scikit-learn contract,
riskkit's validated frames (floats with NaN, pandas categories), tuning; and the calibration
metrics they are judged by, against hand-computed values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.estimators.reference import LogisticBaseline, ReferenceLightGBM
from riskkit.metrics.calibration import (
    calibration_intercept,
    calibration_slope,
    expected_calibration_error,
    log_loss,
    logistic_calibration,
)

FEATURES = [
    "age",
    "prior_convictions",
    "offence_type",
    "sentence_months",
    "gang_affiliation",
    "housing",
    "substance_use",
]

# Checks that fail by design, with the reason.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "LogisticBaseline": {
        "check_sample_weight_equivalence_on_dense_data": (
            "the median imputation and the standardisation are fitted unweighted (they only "
            "prepare the inputs); the logistic regression itself uses the weights"
        ),
    },
    "ReferenceLightGBM": {},
}


def _expected_failures(estimator: Any) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


@parametrize_with_checks(
    [LogisticBaseline(), ReferenceLightGBM(), ReferenceLightGBM(tune=False)],
    expected_failed_checks=_expected_failures,
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_scikit_learn_contract(estimator: Any, check: Callable[[Any], None]) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, np.ndarray]:
    """Validated-like frame: float64 numbers with NaN, pandas categories."""
    frame = generate_population(3000, seed=5)
    X = frame[FEATURES].copy()
    for column in X.columns:
        if not isinstance(X[column].dtype, pd.CategoricalDtype):
            X[column] = X[column].astype("float64")
    y = frame["rearrest_24m"].astype(int).to_numpy()
    return X, y


def test_inputs_are_riskkit_frames(synthetic: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = synthetic
    assert X["gang_affiliation"].isna().any()
    assert isinstance(X["housing"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize("make", [LogisticBaseline, ReferenceLightGBM])
def test_fits_frames_with_categories_and_missing_values(
    make: Callable[[], Any], synthetic: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, y = synthetic
    model = make().fit(X[:2000], y[:2000])
    proba = model.predict_proba(X[2000:])
    assert proba.shape == (1000, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    from riskkit.metrics import auc

    assert auc(y[2000:], proba[:, 1]) > 0.6
    assert list(model.feature_names_in_) == FEATURES
    # a category unseen in training and a missing category are scored, not refused
    odd = X[2000:2003].copy()
    odd["housing"] = pd.Categorical(["stable", None, "stable"], categories=["stable", "castle"])
    assert np.isfinite(model.predict_proba(odd)).all()


@pytest.mark.parametrize("make", [LogisticBaseline, ReferenceLightGBM])
def test_refuses_frames_with_other_columns(
    make: Callable[[], Any], synthetic: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, y = synthetic
    model = make().fit(X[:1000], y[:1000])
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict_proba(X[1000:1010].rename(columns={"age": "edad"}))


def test_logistic_baseline_is_standardised_logistic_regression() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
    y = (rng.random(400) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    ours = LogisticBaseline(C=0.5).fit(X, y)
    standardised = (X - X.mean(axis=0)) / X.std(axis=0)
    theirs = LogisticRegression(C=0.5, max_iter=2000).fit(standardised, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(standardised), atol=1e-6)


def test_logistic_baseline_imputes_the_median() -> None:
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0, np.nan, 7.0] * 20})
    y = np.array([0, 1, 0, 1, 1, 0] * 20)
    model = LogisticBaseline().fit(X, y)
    assert list(model.pipeline_[0].get_feature_names_out()) == ["a"]
    # a missing value is scored as the median, 4.0
    imputed = model.pipeline_[0].transform(pd.DataFrame({"a": [np.nan, 4.0]}))
    assert imputed[0, 0] == pytest.approx(imputed[1, 0])
    proba = model.predict_proba(pd.DataFrame({"a": [np.nan, 4.0]}))
    assert proba[0, 1] == pytest.approx(proba[1, 1])


def test_logistic_baseline_can_flag_missing_values() -> None:
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0, np.nan, 7.0] * 20})
    y = np.array([0, 1, 0, 1, 1, 0] * 20)
    model = LogisticBaseline(missing_indicator=True).fit(X, y)
    names = model.pipeline_[0].get_feature_names_out()
    assert list(names) == ["a", "missingindicator_a"]
    imputed = model.pipeline_[0].transform(pd.DataFrame({"a": [np.nan, 4.0]}))
    assert imputed[0, 0] == pytest.approx(imputed[1, 0])
    assert imputed[0, 1] > imputed[1, 1]  # the (standardised) indicator: missing vs present


def test_lightgbm_tunes_on_an_inner_holdout(synthetic: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = synthetic
    grid = [{"num_leaves": 4, "min_child_samples": 50}, {"num_leaves": 31, "min_child_samples": 5}]
    model = ReferenceLightGBM(param_grid=grid, max_estimators=300, early_stopping_rounds=20)
    model.fit(X, y)
    assert len(model.tuning_results_) == 2
    best = min(model.tuning_results_, key=lambda r: r["valid_logloss"])
    assert model.best_params_["num_leaves"] == best["num_leaves"]
    assert model.best_params_["n_estimators"] == best["n_estimators"] <= 300
    # the same data and seed give the same model
    again = ReferenceLightGBM(param_grid=grid, max_estimators=300, early_stopping_rounds=20)
    np.testing.assert_array_equal(again.fit(X, y).predict_proba(X), model.predict_proba(X))


def test_lightgbm_does_not_tune_small_data() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    model = ReferenceLightGBM(n_estimators=50).fit(X, y)
    assert model.tuning_results_ == []
    assert model.best_params_["n_estimators"] == 50


def test_lightgbm_text_columns_become_categories() -> None:
    X = pd.DataFrame({"colour": ["red", "blue", None, "red"] * 50, "n": np.arange(200.0)})
    y = np.array([1, 0, 0, 1] * 50)
    model = ReferenceLightGBM(tune=False, min_child_samples=5).fit(X, y)
    assert model.categories_ == {"colour": ["blue", "red"]}
    assert model.predict(pd.DataFrame({"colour": ["red", "green"], "n": [1.0, 2.0]})).shape == (2,)


@pytest.mark.parametrize("make", [LogisticBaseline, ReferenceLightGBM])
def test_sample_weights_are_checked(make: Callable[[], Any]) -> None:
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0, 1] * 5)
    with pytest.raises(ValueError, match="one weight per row"):
        make().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="zero for every row"):
        make().fit(X, y, sample_weight=np.zeros(10))


# --- calibration metrics -----------------------------------------------------------------


def test_ece_by_hand() -> None:
    # 10 people, 2 quantile bins of 5: mean predictions 0.2 and 0.8, observed 1/5 and 3/5
    p = [0.1, 0.2, 0.2, 0.2, 0.3, 0.7, 0.8, 0.8, 0.8, 0.9]
    y = [0, 0, 1, 0, 0, 1, 0, 1, 1, 0]
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(
        0.5 * abs(0.2 - 0.2) + 0.5 * abs(0.8 - 0.6)
    )
    # one bin: |mean prediction - observed rate|
    assert expected_calibration_error(y, p, n_bins=1) == pytest.approx(abs(0.5 - 0.4))


def test_ece_keeps_ties_in_one_bin() -> None:
    # six predictions of 0.2 cannot be split by an inner quantile edge: they share a bin
    p = [0.2] * 6 + [0.9] * 2
    y = [0, 0, 0, 1, 1, 1, 1, 1]
    expected = (6 / 8) * abs(0.2 - 0.5) + (2 / 8) * abs(0.9 - 1.0)
    assert expected_calibration_error(y, p, n_bins=4) == pytest.approx(expected)


def test_ece_agrees_with_scikit_learn_quantile_curve() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.02, 0.98, 5000)
    y = (rng.random(5000) < p**1.2).astype(int)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
    # equal-size bins: the weights are all 1/10
    assert expected_calibration_error(y, p) == pytest.approx(np.abs(observed - predicted).mean())


def test_calibration_slope_and_intercept_by_hand() -> None:
    # y depends on logit(p) with slope 0.5 and intercept 0.25 exactly in the limit: build the
    # outcomes as fractional counts with 1000 people per prediction level
    levels = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    logits = np.log(levels / (1 - levels))
    rates = 1 / (1 + np.exp(-(0.25 + 0.5 * logits)))
    positives = np.round(rates * 1000).astype(int)
    y = np.concatenate([np.r_[np.ones(k), np.zeros(1000 - k)] for k in positives])
    p = np.repeat(levels, 1000)
    fit = logistic_calibration(y, p)
    assert fit.slope == pytest.approx(0.5, abs=0.01)
    assert fit.intercept == pytest.approx(0.25, abs=0.01)
    assert calibration_slope(y, p) == fit.slope
    assert calibration_intercept(y, p) == fit.intercept


def test_calibration_slope_matches_unpenalised_logistic_regression() -> None:
    rng = np.random.default_rng(4)
    p = rng.uniform(0.05, 0.95, 3000)
    y = (rng.random(3000) < p).astype(int)
    logit = np.log(p / (1 - p))[:, None]
    reference = LogisticRegression(C=1e12, tol=1e-10, max_iter=10_000).fit(logit, y)
    fit = logistic_calibration(y, p)
    assert fit.slope == pytest.approx(reference.coef_[0, 0], abs=1e-4)
    assert fit.intercept == pytest.approx(reference.intercept_[0], abs=1e-4)
    assert fit.slope == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize(
    ("y", "p"),
    [
        ([], []),
        ([1, 1, 1], [0.2, 0.5, 0.9]),
        ([0, 1, 0], [0.4, 0.4, 0.4]),
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]),  # perfect separation: no finite slope
    ],
)
def test_calibration_slope_is_nan_when_undefined(y: list[int], p: list[float]) -> None:
    fit = logistic_calibration(y, p)
    assert np.isnan(fit.slope)
    assert np.isnan(fit.intercept)


def test_empty_input_gives_nan() -> None:
    assert np.isnan(expected_calibration_error([], []))
    assert np.isnan(log_loss([], []))


def test_log_loss_by_hand() -> None:
    assert log_loss([1, 0], [0.8, 0.4]) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    assert np.isfinite(log_loss([1, 0], [0.0, 1.0]))


def test_invalid_input_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"probabilities in \[0, 1\]"):
        expected_calibration_error([0, 1], [0.5, 1.5])
    with pytest.raises(RiskkitError, match="same length"):
        calibration_slope([0, 1, 1], [0.5, 0.5])
    with pytest.raises(RiskkitError, match="only 0 and 1"):
        log_loss([0, 2], [0.5, 0.5])
    with pytest.raises(RiskkitError, match="n_bins must be at least 1"):
        expected_calibration_error([0, 1], [0.5, 0.5], n_bins=0)

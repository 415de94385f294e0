"""Calibration of the additive model: method choice, exact contributions after calibration,
persistence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.calibration import CalibratedAdditiveClassifier, estimator_from_state


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 4000
    X = pd.DataFrame(
        {
            "priors": rng.poisson(2, n).astype(float),
            "age": rng.integers(18, 70, n).astype(float),
            "housing": pd.Categorical(
                rng.choice(["stable", "homeless"], n), categories=["stable", "homeless"]
            ),
        }
    )
    logit = -1.0 + 0.4 * X["priors"] - 0.03 * (X["age"] - 35) + (X["housing"] == "homeless") * 0.7
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


def fit(data: tuple[pd.DataFrame, np.ndarray], method: str) -> CalibratedAdditiveClassifier:
    X, y = data
    base = AdditiveBoostedClassifier(n_estimators=60, learning_rate=0.1)
    return CalibratedAdditiveClassifier(base, method=method, cv=3).fit(X, y)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def models(data: tuple[pd.DataFrame, np.ndarray]) -> dict[str, CalibratedAdditiveClassifier]:
    """One fitted model per method, shared by the tests (each fit runs 3 folds + a refit)."""
    return {method: fit(data, method) for method in ("platt", "isotonic", "auto")}


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_contributions_sum_to_calibrated_probability(
    data: tuple[pd.DataFrame, np.ndarray], method: str
) -> None:
    X, _ = data
    model = fit(data, method)
    assert model.method_ == method
    probability = model.predict_proba(X)[:, 1]
    points = model.contributions(X)
    np.testing.assert_allclose(
        points.sum(axis=1), probability - model.reference_probability_, atol=1e-12
    )
    assert model.reference_probability_ == pytest.approx(probability.mean(), abs=1e-12)
    # every factor keeps the sign of its log-odds effect around the calibrated anchor
    raw = model.estimator_.raw_contributions(X)
    shifted = (
        raw[:, :-1] + (raw[:, -1:] - model.anchor_logit_) * model.estimator_.contribution_weights_
    )
    moved = np.abs(points.to_numpy()) > 1e-12
    assert (np.sign(points.to_numpy())[moved] == np.sign(shifted)[moved]).all()


def test_auto_picks_the_lower_cross_validated_log_loss(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    model = fit(data, "auto")
    assert set(model.cv_log_loss_) == {"platt", "isotonic"}
    assert model.method_ == min(model.cv_log_loss_, key=model.cv_log_loss_.__getitem__)


def test_calibrated_probabilities_match_the_base_rate(
    data: tuple[pd.DataFrame, np.ndarray],
) -> None:
    X, y = data
    model = fit(data, "platt")
    assert model.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), abs=0.01)


def test_state_round_trip(
    data: tuple[pd.DataFrame, np.ndarray], models: dict[str, CalibratedAdditiveClassifier]
) -> None:
    X, _ = data
    model = models["isotonic"]
    state, booster = model.get_state()
    restored = estimator_from_state(json.loads(json.dumps(state)), booster)
    assert isinstance(restored, CalibratedAdditiveClassifier)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    pd.testing.assert_frame_equal(restored.contributions(X), model.contributions(X))


def test_unknown_method_is_refused(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    with pytest.raises(
        RiskkitError, match=r"unknown calibration method 'beta'; use auto, platt or isotonic"
    ):
        fit(data, "beta")


def test_probability_and_contributions_match_the_separate_calls() -> None:
    from riskkit.data.synthetic import generate_population
    from riskkit.estimators.additive import AdditiveBoostedClassifier
    from riskkit.estimators.calibration import CalibratedAdditiveClassifier

    population = generate_population(3000, seed=4)
    X = population[["age", "prior_convictions", "housing"]]
    y = population["rearrest_24m"].astype(int)
    plain = AdditiveBoostedClassifier(n_estimators=40, n_jobs=1).fit(X, y)
    calibrated = CalibratedAdditiveClassifier(
        AdditiveBoostedClassifier(n_estimators=40, n_jobs=1), method="platt", cv=3
    ).fit(X, y)
    for model in (plain, calibrated):
        probability, points = model.probability_and_contributions(X)
        np.testing.assert_array_equal(probability, model.predict_proba(X)[:, 1])
        np.testing.assert_allclose(points, model.contributions(X).to_numpy(), atol=1e-15)
        np.testing.assert_allclose(
            points.sum(axis=1), probability - model.reference_probability_, atol=1e-12
        )

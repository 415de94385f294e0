"""The additive boosted model: single-feature trees, monotone constraints, exact contributions,
persistence without pickle."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.bands import assign_bands, decision_threshold


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 6000
    X = pd.DataFrame(
        {
            "priors": rng.poisson(2, n).astype(float),
            "age": rng.integers(18, 70, n).astype(float),
            "housing": pd.Categorical(
                rng.choice(["stable", "temporary", "homeless"], n),
                categories=["stable", "temporary", "homeless"],
            ),
        }
    )
    logit = -0.5 + 0.35 * X["priors"] - 0.03 * (X["age"] - 35) + (X["housing"] == "homeless") * 0.8
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def model(data: tuple[pd.DataFrame, np.ndarray]) -> AdditiveBoostedClassifier:
    X, y = data
    return AdditiveBoostedClassifier(
        n_estimators=150, monotone_constraints={"priors": 1, "age": -1}
    ).fit(X, y)


def test_every_tree_uses_one_feature(model: AdditiveBoostedClassifier) -> None:
    trees = model.booster_.trees_to_dataframe()
    splits = trees.dropna(subset=["split_feature"])
    assert splits.groupby("tree_index")["split_feature"].nunique().max() == 1
    assert set(splits["split_feature"]) == {"priors", "age", "housing"}


def test_monotone_constraints_hold(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    grid = pd.concat([X.iloc[[0]]] * 30, ignore_index=True)
    grid["priors"] = np.arange(30, dtype=float)
    assert np.all(np.diff(model.predict_proba(grid)[:, 1]) >= 0)
    grid = pd.concat([X.iloc[[0]]] * 50, ignore_index=True)
    grid["age"] = np.arange(18, 68, dtype=float)
    assert np.all(np.diff(model.predict_proba(grid)[:, 1]) <= 0)


def test_contributions_sum_exactly_to_probability_minus_reference(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    points = model.contributions(X)
    probability = model.predict_proba(X)[:, 1]
    assert list(points.columns) == ["priors", "age", "housing"]
    np.testing.assert_allclose(
        points.sum(axis=1).to_numpy(),
        probability - model.reference_probability_,
        rtol=0,
        atol=1e-12,
    )
    assert model.reference_probability_ == pytest.approx(probability.mean(), abs=1e-12)


def test_contributions_keep_the_sign_of_the_log_odds_shape(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    logit = model.logit_contributions(X)
    np.testing.assert_allclose(logit.sum(axis=1), model.decision_function(X), atol=1e-10)
    points = model.contributions(X)
    gap = logit["(base)"].to_numpy()[:, None] - model.reference_logit_
    shifted = logit.drop(columns="(base)").to_numpy() + gap * model.contribution_weights_
    agree = np.sign(points.to_numpy()) == np.sign(shifted)
    assert agree.mean() > 0.999


def test_more_priors_means_a_larger_priors_contribution(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    low, high = X.iloc[[0]].copy(), X.iloc[[0]].copy()
    low["priors"], high["priors"] = 0.0, 8.0
    assert model.contributions(high)["priors"].iloc[0] > model.contributions(low)["priors"].iloc[0]


def test_state_round_trip_without_pickle(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    state, booster_text = model.get_state()
    restored = AdditiveBoostedClassifier.from_state(json.loads(json.dumps(state)), booster_text)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    pd.testing.assert_frame_equal(restored.contributions(X), model.contributions(X))


def test_unknown_state_format_is_refused(model: AdditiveBoostedClassifier) -> None:
    state, text = model.get_state()
    with pytest.raises(RiskkitError, match=r"unknown model format 'riskkit.additive_boosted/99'"):
        AdditiveBoostedClassifier.from_state(
            {**state, "format": "riskkit.additive_boosted/99"}, text
        )


def test_same_seed_same_model(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    a = AdditiveBoostedClassifier(n_estimators=40, random_state=3).fit(X, y)
    b = AdditiveBoostedClassifier(n_estimators=40, random_state=3).fit(X, y)
    assert a.get_state()[1] == b.get_state()[1]


def test_missing_feature_at_prediction_is_named(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    with pytest.raises(RiskkitError, match=r"the records lack the model's feature\(s\) \['age'\]"):
        model.predict_proba(X.drop(columns="age"))


def test_text_columns_are_refused_with_a_hint(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    with pytest.raises(RiskkitError, match=r"feature 'housing' has dtype .*validate records"):
        AdditiveBoostedClassifier(n_estimators=5).fit(X.assign(housing=X["housing"].astype(str)), y)


def test_non_binary_target_is_refused(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, _ = data
    with pytest.raises(ValueError, match=r"Only binary classification is supported"):
        AdditiveBoostedClassifier(n_estimators=5).fit(X, np.arange(len(X)) % 3)


def test_bands_are_inclusive_upper_edges() -> None:
    bands = assign_bands(
        np.array([0.0, 0.25, 0.2500001, 0.5, 0.9, 1.0]), [0.25, 0.5, 1.0], ["low", "medium", "high"]
    )
    assert bands.tolist() == ["low", "low", "medium", "medium", "high", "high"]
    assert decision_threshold([0.25, 0.5, 1.0]) == 0.5


def test_lookup_tables_equal_lightgbm(
    model: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, _ = data
    probe = X.copy()
    probe.loc[::5, "priors"] = np.nan
    probe.loc[::7, "housing"] = np.nan
    probe.loc[3, "age"] = 200.0  # beyond every threshold
    frame = model._as_frame(probe, fitting=False)
    lightgbm_logit = model.booster_.predict(frame, raw_score=True)
    np.testing.assert_allclose(model.decision_function(probe), lightgbm_logit, rtol=0, atol=1e-9)
    lightgbm_contrib = model.booster_.predict(frame, pred_contrib=True)
    np.testing.assert_allclose(
        model.logit_contributions(probe).to_numpy(), lightgbm_contrib, rtol=0, atol=1e-9
    )


def test_shape_functions_export(model: AdditiveBoostedClassifier, tmp_path: Path) -> None:
    table = model.shape_function_table()
    assert set(table["feature"]) == {"priors", "age", "housing"}
    housing = table[table["feature"] == "housing"]
    assert housing["bin"].tolist() == ["stable", "temporary", "homeless", "(missing)"]
    priors = table[(table["feature"] == "priors") & (table["bin"] != "(missing)")]
    assert priors[
        "value"
    ].is_monotonic_increasing  # the registry-style constraint holds in the table
    assert priors["lower"].iloc[0] == -np.inf and priors["upper"].iloc[-1] == np.inf
    table.to_csv(tmp_path / "shapes.csv", index=False)
    assert pd.read_csv(tmp_path / "shapes.csv").shape == table.shape


def test_interactions_fall_back_to_lightgbm(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = data
    paired = AdditiveBoostedClassifier(n_estimators=30, interactions=[("priors", "age")]).fit(X, y)
    assert paired.shape_functions_ is None
    points = paired.contributions(X)
    np.testing.assert_allclose(
        points.sum(axis=1),
        paired.predict_proba(X)[:, 1] - paired.reference_probability_,
        atol=1e-12,
    )
    with pytest.raises(
        RiskkitError, match=r"pairwise interactions has no one-dimensional shape functions"
    ):
        paired.shape_function_table()

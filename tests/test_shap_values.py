"""Contributions as a shap.Explanation: the additive model's table contributions equal shap's
TreeExplainer values on its own booster; probability points keep the exact sum for the additive
(plain and calibrated) and the reference LightGBM models; shap's plots render them."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier, as_categories
from riskkit.estimators.calibration import CalibratedAdditiveClassifier
from riskkit.estimators.reference import LogisticBaseline, ReferenceLightGBM
from riskkit.explain.shap_values import import_shap, to_explanation
from riskkit.features.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
FEATURES = [
    "age",
    "prior_convictions",
    "sentence_months",
    "gang_affiliation",
    "offence_type",
    "housing",
    "substance_use",
]
TRAIN_ROWS = 2500
# few trees and one thread: the file must stay fast on a busy 2-core machine
FAST: dict[str, Any] = {"n_estimators": 60, "learning_rate": 0.1, "n_jobs": 1}
# float64 rounding of a sum of a handful of terms of order 1
EXACT = 1e-12


def test_features_come_from_the_recidivism_pipeline() -> None:
    with (ROOT / "pipelines" / "recidivism.toml").open("rb") as handle:
        use = tomllib.load(handle)["features"]["use"]
    assert set(FEATURES) <= set(use)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Training frame and outcome, and held-out people (with a few missing values, an unknown
    category among them), typed as the record validator types them."""
    frame = generate_population(3000, seed=17)
    X = frame[FEATURES].copy()
    for column in X.columns:
        if not isinstance(X[column].dtype, pd.CategoricalDtype):
            X[column] = X[column].astype("float64")
    y = frame["rearrest_24m"].astype(int).to_numpy()
    held = X.iloc[TRAIN_ROWS:].copy()
    held.loc[held.index[:5], "age"] = np.nan
    held.loc[held.index[5:10], "housing"] = np.nan
    held["offence_type"] = held["offence_type"].astype(object)
    held.loc[held.index[10], "offence_type"] = "smuggling"  # not a model category
    return X.iloc[:TRAIN_ROWS], y[:TRAIN_ROWS], held


@pytest.fixture(scope="module")
def additive(data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]) -> AdditiveBoostedClassifier:
    X, y, _ = data
    return AdditiveBoostedClassifier(**FAST, monotone_constraints={"prior_convictions": 1}).fit(
        X, y
    )


@pytest.fixture(scope="module")
def calibrated(data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]) -> CalibratedAdditiveClassifier:
    X, y, _ = data
    base = AdditiveBoostedClassifier(**FAST)
    return CalibratedAdditiveClassifier(base, method="isotonic", cv=3).fit(X, y)


@pytest.fixture(scope="module")
def reference(data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]) -> ReferenceLightGBM:
    X, y, _ = data
    return ReferenceLightGBM(tune=False, n_estimators=50, num_leaves=8, n_jobs=1).fit(X, y)


@pytest.fixture(scope="module")
def plain_lightgbm(data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]) -> Any:
    X, y, _ = data
    return lgb.LGBMClassifier(n_estimators=30, num_leaves=8, n_jobs=1, verbose=-1).fit(X, y)


def _logit(p: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.log(p) - np.log1p(-p)
    return out


# --- exactness against shap ------------------------------------------------------------------
@pytest.mark.parametrize("which", ["plain", "calibrated"])
def test_table_contributions_equal_tree_explainer_values(
    which: str,
    additive: AdditiveBoostedClassifier,
    calibrated: CalibratedAdditiveClassifier,
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, _, held = data
    model = additive if which == "plain" else calibrated.estimator_
    assert model.shape_functions_ is not None  # scored from the lookup tables, not LightGBM
    people = pd.concat([X.iloc[:300], held], ignore_index=True)
    # LightGBM's input exactly as the model builds it: its column order, its categories' codes
    encoded = people[list(model.feature_names_in_)].copy()
    for name, categories in model.categories_.items():
        encoded[name] = as_categories(encoded[name], categories)
    shap = import_shap()
    explained = shap.TreeExplainer(
        model.booster_, model_output="raw", feature_perturbation="tree_path_dependent"
    )(encoded)

    table = model.raw_contributions(people)
    assert np.abs(table[:, :-1] - explained.values).max() <= 1e-9
    assert np.abs(table[:, -1] - explained.base_values).max() <= 1e-9
    # and the Explanation on the log-odds scale carries exactly the table values
    ours = to_explanation(model, people, scale="log_odds")
    np.testing.assert_array_equal(ours.values, table[:, :-1])
    np.testing.assert_array_equal(ours.base_values, table[:, -1])
    logit = model.decision_function(people)
    assert np.abs(ours.values.sum(axis=1) + ours.base_values - logit).max() <= EXACT


# --- exact sums in probability points ------------------------------------------------------
def test_additive_points_sum_to_the_probability(
    additive: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]
) -> None:
    _, _, held = data
    explanation = to_explanation(additive, held)
    p = additive.predict_proba(held)[:, 1]
    np.testing.assert_array_equal(explanation.base_values, additive.reference_probability_)
    assert np.abs(explanation.values.sum(axis=1) + explanation.base_values - p).max() <= EXACT
    np.testing.assert_array_equal(explanation.values, additive.contributions(held).to_numpy())


def test_calibrated_points_sum_to_the_calibrated_probability(
    calibrated: CalibratedAdditiveClassifier, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]
) -> None:
    _, _, held = data
    explanation = to_explanation(calibrated, held)
    p = calibrated.predict_proba(held)[:, 1]
    np.testing.assert_array_equal(explanation.base_values, calibrated.reference_probability_)
    assert np.abs(explanation.values.sum(axis=1) + explanation.base_values - p).max() <= EXACT
    # on the log-odds scale: the additive score before calibration
    logits = to_explanation(calibrated, held, scale="log_odds")
    before = calibrated.estimator_.decision_function(held)
    assert np.abs(logits.values.sum(axis=1) + logits.base_values - before).max() <= EXACT


@pytest.mark.parametrize("with_population", [False, True])
def test_reference_lightgbm_points_sum_to_the_probability(
    with_population: bool,
    reference: ReferenceLightGBM,
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, _, held = data
    population = X if with_population else None
    explanation = to_explanation(reference, held, population=population)
    logits = to_explanation(reference, held, scale="log_odds")
    p = reference.predict_proba(held)[:, 1]
    if with_population:
        p_ref = reference.predict_proba(X)[:, 1].mean()
    else:
        p_ref = 1 / (1 + np.exp(-logits.base_values[0]))
    assert explanation.base_values == pytest.approx(np.full(len(held), p_ref), abs=EXACT)
    assert np.abs(explanation.values.sum(axis=1) + explanation.base_values - p).max() <= EXACT
    # the log-odds come from shap's TreeExplainer and add up to the model's log-odds
    assert np.abs(logits.values.sum(axis=1) + logits.base_values - _logit(p)).max() <= 1e-9
    if not with_population:
        # nothing to share between features: the secant slope keeps every factor's sign
        assert (np.sign(explanation.values) * np.sign(logits.values) >= 0).all()


def test_any_binary_lightgbm_classifier_is_explained(
    plain_lightgbm: Any, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]
) -> None:
    _, _, held = data
    known = held.dropna(subset=["offence_type"]).copy()
    known = known[known["offence_type"] != "smuggling"]
    known["offence_type"] = pd.Categorical(
        known["offence_type"], categories=plain_lightgbm.booster_.pandas_categorical[0]
    )
    explanation = to_explanation(plain_lightgbm, known)
    p = plain_lightgbm.predict_proba(known)[:, 1]
    assert explanation.feature_names == FEATURES
    assert np.abs(explanation.values.sum(axis=1) + explanation.base_values - p).max() <= EXACT


# --- what the Explanation shows --------------------------------------------------------------
def test_data_and_feature_names(
    additive: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]
) -> None:
    _, _, held = data
    explanation = to_explanation(additive, held.iloc[:12])
    assert explanation.feature_names == FEATURES
    assert explanation.values.shape == explanation.data.shape == (12, len(FEATURES))
    housing = explanation.data[:, FEATURES.index("housing")]
    assert all(isinstance(v, str) for v in housing[:5])
    assert all(v != v for v in housing[5:10])  # missing stays NaN
    assert explanation.data[10, FEATURES.index("offence_type")] == "smuggling"  # as recorded
    ages = explanation.data[:, FEATURES.index("age")]
    assert np.isnan(ages[:5].astype(float)).all()
    np.testing.assert_array_equal(ages[5:].astype(float), held["age"].iloc[5:12].to_numpy())

    registry = default_registry()
    labels = {name: registry[name].label("es") for name in FEATURES}
    labelled = to_explanation(additive, held.iloc[:12], feature_labels=labels)
    assert labelled.feature_names[FEATURES.index("age")] == "Edad"
    with pytest.raises(RiskkitError, match=r"no label for \['housing'\]"):
        to_explanation(
            additive,
            held.iloc[:12],
            feature_labels={k: v for k, v in labels.items() if k != "housing"},
        )


@pytest.fixture
def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.mark.parametrize("which", ["calibrated", "reference"])
def test_waterfall_and_beeswarm_render(
    which: str,
    pyplot: Any,
    calibrated: CalibratedAdditiveClassifier,
    reference: ReferenceLightGBM,
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    _, _, held = data
    shap = import_shap()
    model = calibrated if which == "calibrated" else reference
    registry = default_registry()
    labels = {name: registry[name].label("pt") for name in FEATURES}
    explanation = to_explanation(model, held.iloc[:200], feature_labels=labels)
    shap.plots.waterfall(explanation[5], show=False)  # person 5 has a missing housing value
    assert pyplot.gcf().axes
    pyplot.close("all")
    shap.plots.beeswarm(explanation, show=False)
    assert pyplot.gcf().axes


# --- errors ------------------------------------------------------------------------------
def test_unsupported_model_type_is_refused(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame],
) -> None:
    X, y, held = data
    numeric = ["age", "prior_convictions", "sentence_months"]
    logistic = LogisticBaseline().fit(X[numeric], y)
    with pytest.raises(RiskkitError, match=r"cannot explain a model of type .*LogisticBaseline"):
        to_explanation(logistic, held[numeric])


def test_bad_arguments_are_refused(
    additive: AdditiveBoostedClassifier, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame]
) -> None:
    X, _, held = data
    with pytest.raises(RiskkitError, match="unknown scale 'probability'"):
        to_explanation(additive, held, scale="probability")  # type: ignore[arg-type]
    with pytest.raises(RiskkitError, match="population= is only for LightGBM models"):
        to_explanation(additive, held, population=X)
    three = np.arange(len(X)) % 3
    multiclass = lgb.LGBMClassifier(n_estimators=2, n_jobs=1, verbose=-1).fit(X, three)
    with pytest.raises(RiskkitError, match=r"explains binary classifiers; .* has 3 classes"):
        to_explanation(multiclass, held)


def test_shap_is_imported_lazily() -> None:
    """shap costs about 2 s to import: the module imports it (and lightgbm) inside functions."""
    source = ROOT / "src" / "riskkit" / "explain" / "shap_values.py"
    imported: list[str] = []
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
    assert not {name.split(".")[0] for name in imported} & {"shap", "lightgbm"}

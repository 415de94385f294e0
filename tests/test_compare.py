"""Model comparison: the additive model, its scorecard, a logistic baseline and an unrestricted
LightGBM on the pipeline's own split, with bootstrap intervals (small synthetic population)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from riskkit.config import PipelineConfig, load_pipeline
from riskkit.data.synthetic import generate_population
from riskkit.errors import DataValidationError, RiskkitError
from riskkit.training.compare import (
    METRIC_NAMES,
    MODEL_KINDS,
    Estimate,
    ModelComparison,
    compare_models,
    evaluate_predictions,
    fit_model_kinds,
    render_comparison,
)

ROOT = Path(__file__).resolve().parent.parent


def small_config(rows: int = 4000, **features: object) -> PipelineConfig:
    """The synthetic pipeline on a small population, with a quick additive model."""
    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    return config.model_copy(
        update={
            "data": config.data.model_copy(update={"rows": rows}),
            "model": config.model.model_copy(update={"n_estimators": 150, "learning_rate": 0.1}),
            "features": config.features.model_copy(update=features),
        }
    )


@pytest.fixture(scope="module")
def comparison() -> ModelComparison:
    return compare_models(small_config(), n_resamples=100, n_jobs=1)


def test_compares_the_four_kinds(comparison: ModelComparison) -> None:
    assert tuple(comparison.models) == MODEL_KINDS
    assert comparison.n_train + comparison.n_test == 4000
    assert comparison.n_test == 1000  # the pipeline's 25% stratified split
    assert comparison.split == "stratified"
    assert set(comparison.differences) == {"scorecard", "logistic", "lightgbm"}
    for result in comparison.models.values():
        assert set(result.metrics) == set(METRIC_NAMES)
        assert result.fit_seconds >= 0


def test_intervals_contain_the_point_estimates(comparison: ModelComparison) -> None:
    for kind, result in comparison.models.items():
        for name, estimate in result.metrics.items():
            assert estimate.low <= estimate.value <= estimate.high, (kind, name, estimate)
            assert estimate.high - estimate.low > 0, (kind, name)
    auc = comparison.models["additive"].metrics["auc"]
    assert 0.6 < auc.value < 0.95


def test_scorecard_is_within_a_hundredth_of_the_additive_auc(comparison: ModelComparison) -> None:
    additive = comparison.models["additive"].metrics["auc"].value
    scorecard = comparison.models["scorecard"].metrics["auc"].value
    assert abs(scorecard - additive) <= 0.01
    gap = comparison.differences["scorecard"]["auc"]
    assert gap.value == pytest.approx(scorecard - additive)


def test_models_are_calibrated_on_synthetic_data(comparison: ModelComparison) -> None:
    for kind in ("additive", "logistic", "lightgbm"):
        slope = comparison.models[kind].metrics["calibration_slope"]
        assert slope.low < 1.0 < slope.high, kind
        assert comparison.models[kind].metrics["ece"].value < 0.06, kind


def test_interpretability_cost_is_lightgbm_against_additive(comparison: ModelComparison) -> None:
    cost = comparison.interpretability_cost()
    models = comparison.models
    assert cost["auc"].value == pytest.approx(
        models["lightgbm"].metrics["auc"].value - models["additive"].metrics["auc"].value
    )
    assert cost["brier"].value == pytest.approx(
        models["additive"].metrics["brier"].value - models["lightgbm"].metrics["brier"].value
    )
    assert cost["brier"].low <= cost["brier"].value <= cost["brier"].high
    # the synthetic outcome is additive on the logit scale: the restriction costs (almost) nothing
    assert abs(cost["auc"].value) < 0.02


def test_to_dict_is_json_and_to_frame_has_a_row_per_model(comparison: ModelComparison) -> None:
    document = json.loads(json.dumps(comparison.to_dict(), allow_nan=False))
    assert list(document["models"]) == list(MODEL_KINDS)
    assert set(document["models"]["additive"]["metrics"]["auc"]) == {"value", "low", "high"}
    assert set(document["interpretability_cost"]) == {"auc", "brier"}
    frame = comparison.to_frame()
    assert list(frame.index) == list(MODEL_KINDS)
    assert {"auc", "auc_low", "auc_high", "ece", "calibration_slope", "fit_seconds"} <= set(
        frame.columns
    )
    assert frame.loc["additive", "auc"] == comparison.models["additive"].metrics["auc"].value


def test_render_comparison_is_a_plain_text_table(comparison: ModelComparison) -> None:
    text = render_comparison(comparison)
    for kind in MODEL_KINDS:
        assert any(line.startswith(kind) for line in text.splitlines()), kind
    assert "What interpretability costs" in text
    assert "95% percentile-bootstrap" in text
    assert "\x1b" not in text  # no terminal colour codes


def test_compare_is_reproducible() -> None:
    config = small_config(rows=1000)
    first = compare_models(config, n_resamples=20, n_jobs=1)
    second = compare_models(config, n_resamples=20, n_jobs=1)
    assert (
        first.to_frame()
        .drop(columns="fit_seconds")
        .equals(second.to_frame().drop(columns="fit_seconds"))
    )


def test_pairwise_interactions_leave_the_scorecard_out() -> None:
    config = small_config(rows=1500, interactions=[("age", "prior_convictions")])
    result = compare_models(config, n_resamples=10, n_jobs=1)
    assert "scorecard" not in result.models
    assert any("scorecard" in note for note in result.notes)
    assert "Note: no scorecard" in render_comparison(result)


def test_additive_is_fitted_as_train_fits_it() -> None:
    from riskkit.estimators.additive import AdditiveBoostedClassifier
    from riskkit.estimators.calibration import CalibratedAdditiveClassifier
    from riskkit.estimators.scorecard import PointsScorecard

    config = small_config(rows=1000)
    frame = generate_population(1000, seed=9)
    X = frame[config.features.use].astype(
        {c: "float64" for c in config.features.use if frame[c].dtype.kind in "iub"}
    )
    y = frame[config.target.column].to_numpy()
    trained = fit_model_kinds(config, X, y, kinds=["additive", "scorecard"], n_jobs=1)
    assert isinstance(trained["additive"].estimator, CalibratedAdditiveClassifier)
    card = trained["scorecard"].estimator
    assert isinstance(card, PointsScorecard)
    assert card.additive_ is trained["additive"].estimator.estimator_
    plain = fit_model_kinds(config, X, y, kinds=["additive"], as_trained=False, n_jobs=1)
    assert type(plain["additive"].estimator) is AdditiveBoostedClassifier
    assert list(plain) == ["additive"]


def test_evaluate_predictions_pairs_the_resamples() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 500)
    y = (rng.random(500) < p).astype(int)
    metrics, differences = evaluate_predictions(
        y, {"additive": p, "same": p.copy(), "noisy": np.clip(p + 0.2, 0, 1)}, n_resamples=50
    )
    same = differences["same"]
    for name in METRIC_NAMES:
        assert same[name] == Estimate(0.0, 0.0, 0.0)
    assert differences["noisy"]["brier"].low > 0  # worse on every resample
    assert "additive" not in differences
    assert metrics["additive"]["auc"].value == metrics["same"]["auc"].value


def test_unknown_kind_and_bad_resamples_are_refused() -> None:
    config = small_config(rows=500)
    with pytest.raises(RiskkitError, match="unknown model kind"):
        fit_model_kinds(config, None, [0, 1], kinds=["forest"])  # type: ignore[arg-type]
    with pytest.raises(RiskkitError, match="n_resamples must be at least 1"):
        evaluate_predictions([0, 1], {"additive": [0.2, 0.8]}, n_resamples=0)


def test_comparison_without_lightgbm_has_no_cost() -> None:
    comparison = ModelComparison(
        pipeline="p",
        target="t",
        source="s",
        split="stratified",
        n_train=1,
        n_test=1,
        test_base_rate=0.5,
        models={},
        differences={},
        n_resamples=1,
    )
    with pytest.raises(RiskkitError, match="no unrestricted LightGBM"):
        comparison.interpretability_cost()
    assert comparison.to_dict()["interpretability_cost"] is None


def test_records_with_one_outcome_are_refused(tmp_path: Path) -> None:
    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    frame = generate_population(200, seed=3)
    frame["rearrest_24m"] = 0
    path = tmp_path / "records.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(
        DataValidationError, match="a model needs at least 2 valid records of each outcome"
    ):
        compare_models(config, path, n_resamples=10)

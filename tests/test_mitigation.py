"""Mitigation comparison: ThresholdOptimizer closes a built-in FPR gap, reproducibly, with or
without a model; invalid inputs are refused before anything is fitted."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from riskkit.errors import RiskkitError
from riskkit.fairness.mitigation import (
    METHODS,
    REQUIREMENT_TEXT,
    REQUIREMENTS,
    MitigationComparison,
    _measure,
    _sample_weight_name,
    compare_mitigations,
)
from riskkit.reports.fairness_plots import plot_mitigation_tradeoff

N = 1000


def _biased_data(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features whose signal is shifted upwards for group "b": at any threshold, people of
    group "b" without the outcome are selected far more often (a clear FPR gap)."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], N)
    outcome = rng.random(N) < 0.4
    signal = 1.2 * outcome + rng.normal(0.0, 1.0, N) + 1.5 * (group == "b")
    features = pd.DataFrame({"signal": signal, "noise": rng.normal(0.0, 1.0, N)})
    return features, outcome.astype(int), group


@pytest.fixture(scope="module")
def on_training_data() -> MitigationComparison:
    # Measured on the training data itself: what ThresholdOptimizer guarantees is there.
    X, y, group = _biased_data()
    model = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    return compare_mitigations(
        X,
        y,
        X,
        y,
        sensitive_train={"race": group},
        sensitive_test={"race": group},
        estimator=model,
        threshold=0.5,
    )


def test_threshold_optimizer_closes_the_fpr_gap(on_training_data: MitigationComparison) -> None:
    none = on_training_data.result("none")
    rates = {g.group: g for g in none.groups}
    assert rates["b"].fpr - rates["a"].fpr > 0.2  # the gap built into the data
    assert none.equalized_odds_difference > 0.25

    optimised = on_training_data.result("threshold_optimizer")
    assert optimised.equalized_odds_difference < 0.4 * none.equalized_odds_difference
    assert optimised.accuracy > 0.6
    reduced = on_training_data.result("exponentiated_gradient")
    assert reduced.equalized_odds_difference < none.equalized_odds_difference


def test_result_fields(on_training_data: MitigationComparison) -> None:
    assert on_training_data.attribute == "race"
    assert on_training_data.score == "estimator"
    assert on_training_data.estimator == "Pipeline"
    assert [r.method for r in on_training_data.results] == list(METHODS)
    for result in on_training_data.results:
        assert result.requires == REQUIREMENTS[result.method]
        assert all(code in REQUIREMENT_TEXT for code in result.requires)
        assert [g.group for g in result.groups] == ["a", "b"]
        assert sum(g.n for g in result.groups) == N
    assert on_training_data.result("none").requires == ()
    assert on_training_data.result("threshold_optimizer").requires == (
        "sensitive_attribute_at_decision",
        "randomised_decisions",
    )

    as_dict = on_training_data.to_dict()
    json.dumps(as_dict, allow_nan=False)
    assert as_dict["methods"][1]["requires"] == [
        "sensitive_attribute_at_decision",
        "randomised_decisions",
    ]
    frame = on_training_data.to_frame()
    assert list(frame.columns) == ["method", "group", "n", "selection_rate", "fpr", "fnr"]
    assert len(frame) == 3 * 2


def test_existing_score_without_a_model_is_reproducible() -> None:
    X, y, group = _biased_data(seed=1)
    # An incumbent instrument's deciles (1-10), audited without a model.
    deciles = np.clip(np.ceil((X["signal"] + 2.0) * 2.0), 1, 10)
    half = N // 2

    def compare(seed: int) -> MitigationComparison:
        return compare_mitigations(
            deciles[:half],
            y[:half],
            deciles[half:].to_frame("decile_score"),  # a one-column table works too
            y[half:],
            sensitive_train=pd.Series(group[:half], name="race"),
            sensitive_test=pd.Series(group[half:], name="race"),
            threshold=5,
            seed=seed,
        )

    first, again = compare(seed=3), compare(seed=3)
    assert first.to_dict() == again.to_dict()
    assert first.score == "existing_score" and first.estimator is None
    none = first.result("none")
    test_selected = (deciles[half:] >= 5).to_numpy()
    assert none.selection_rate == pytest.approx(test_selected.mean())
    assert (
        first.result("threshold_optimizer").equalized_odds_difference
        < none.equalized_odds_difference
    )

    figure = plot_mitigation_tradeoff(first, text={"none": "sin mitigación"})
    try:
        assert isinstance(figure, Figure)
        (axes,) = figure.axes
        assert len(axes.collections) == 3
        assert "sin mitigación" in [t.get_text() for t in axes.texts]
    finally:
        figure.clear()


def test_differences_are_fairlearns() -> None:
    rng = np.random.default_rng(4)
    n = 900
    group = rng.choice(["a", "b", "c"], n).astype(object)
    outcome = rng.random(n) < 0.3 + 0.2 * (group == "b")
    decision = rng.random(n) < 0.3 + 0.2 * (group == "c") + 0.3 * outcome
    result = _measure("none", outcome, decision, group)
    for ours, theirs in [
        (result.equalized_odds_difference, equalized_odds_difference),
        (result.demographic_parity_difference, demographic_parity_difference),
        (result.equal_opportunity_difference, equal_opportunity_difference),
    ]:
        assert ours == pytest.approx(theirs(outcome, decision, sensitive_features=group))
    assert result.accuracy == pytest.approx(np.mean(outcome == decision))


def test_sample_weights_reach_the_model() -> None:
    assert _sample_weight_name(LogisticRegression()) == "sample_weight"
    pipeline = Pipeline([("scale", StandardScaler()), ("fit", LogisticRegression())])
    assert _sample_weight_name(pipeline) == "fit__sample_weight"
    assert _sample_weight_name(KNeighborsClassifier()) is None


def _small() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    X = pd.DataFrame({"age": [20, 30, 40, 50, 25, 35, 45, 55]})
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    group = np.array(["f", "f", "f", "f", "m", "m", "m", "m"])
    return X, y, group


def test_a_sensitive_attribute_among_the_features_is_refused() -> None:
    X, y, group = _small()
    X_with_sex = X.assign(sex=group)
    with pytest.raises(RiskkitError, match=r"X_train has column\(s\) \['sex'\].*drop"):
        compare_mitigations(
            X_with_sex,
            y,
            X,
            y,
            sensitive_train={"sex": group},
            sensitive_test={"sex": group},
            estimator=LogisticRegression(),
            threshold=0.5,
        )


def test_different_lengths_are_refused() -> None:
    X, y, group = _small()
    with pytest.raises(RiskkitError, match="X_test has 8, y_test has 7"):
        compare_mitigations(
            X,
            y,
            X,
            y[:7],
            sensitive_train={"sex": group},
            sensitive_test={"sex": group},
            estimator=LogisticRegression(),
            threshold=0.5,
        )
    with pytest.raises(RiskkitError, match="sensitive_test: sensitive attribute 'sex' has 6"):
        compare_mitigations(
            X,
            y,
            X,
            y,
            sensitive_train={"sex": group},
            sensitive_test={"sex": group[:6]},
            estimator=LogisticRegression(),
            threshold=0.5,
        )


def test_a_group_with_one_outcome_class_is_refused() -> None:
    X, _, group = _small()
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1])  # nobody in group "f" has the outcome
    with pytest.raises(RiskkitError, match="group 'f' of 'sex' has only people without"):
        compare_mitigations(
            X["age"],
            y,
            X["age"],
            y,
            sensitive_train={"sex": group},
            sensitive_test={"sex": group},
            threshold=40,
        )


def test_other_refusals() -> None:
    X, y, group = _small()
    common = {"sensitive_train": {"sex": group}, "threshold": 40.0}
    with pytest.raises(RiskkitError, match="must hold one column, the existing score"):
        compare_mitigations(X.assign(other=1.0), y, X, y, sensitive_test={"sex": group}, **common)
    with pytest.raises(RiskkitError, match=r"group\(s\) \['x'\] of 'sex' are in the test part"):
        compare_mitigations(X, y, X, y, sensitive_test={"sex": [*group[:7], "x"]}, **common)
    with pytest.raises(RiskkitError, match="constraint must be one of"):
        compare_mitigations(
            X,
            y,
            X,
            y,
            sensitive_test={"sex": group},
            constraint="calibration",  # type: ignore[arg-type]
            **common,
        )

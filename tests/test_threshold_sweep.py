"""Threshold sweep: hand-computed rates, agreement with a plain loop, thresholds, plots."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from riskkit.errors import RiskkitError
from riskkit.fairness.audit import MISSING_GROUP
from riskkit.fairness.sweep import OVERALL, ThresholdSweep, threshold_sweep
from riskkit.reports.fairness_plots import plot_threshold_sweep

# Eight people, two groups of four; one score ties with a threshold (0.5).
HAND_SCORES = [0.9, 0.7, 0.4, 0.2, 0.8, 0.6, 0.5, 0.1]
HAND_OUTCOMES = [1, 0, 1, 0, 1, 1, 0, 0]
HAND_GROUPS = ["a", "a", "a", "a", "b", "b", "b", "b"]
HAND_THRESHOLDS = [0.3, 0.5, 0.75]


@pytest.fixture
def hand_sweep() -> ThresholdSweep:
    return threshold_sweep(
        HAND_OUTCOMES,
        HAND_SCORES,
        sensitive_features={"group": HAND_GROUPS},
        thresholds=HAND_THRESHOLDS,
        minimum_group_size=1,
    )


def test_hand_computed_overall(hand_sweep: ThresholdSweep) -> None:
    assert hand_sweep.thresholds == (0.3, 0.5, 0.75)
    assert hand_sweep.thresholds_chosen_by == "given"
    overall = hand_sweep.overall
    assert (overall.attribute, overall.group, overall.n, overall.n_with_outcome) == (
        OVERALL,
        OVERALL,
        8,
        4,
    )
    # t=0.3: selects 0.9 0.7 0.4 | 0.8 0.6 0.5 -> wrong: 0.7, 0.5 (selected, no outcome)
    # t=0.5: selects 0.9 0.7 | 0.8 0.6 0.5 -> wrong: 0.7, 0.4, 0.5
    # t=0.75: selects 0.9 | 0.8 -> wrong: 0.4, 0.6
    assert overall.accuracy == pytest.approx((6 / 8, 5 / 8, 6 / 8))
    assert overall.selection_rate == pytest.approx((6 / 8, 5 / 8, 2 / 8))
    assert overall.fpr == pytest.approx((2 / 4, 2 / 4, 0.0))
    assert overall.fnr == pytest.approx((0.0, 1 / 4, 2 / 4))


def test_hand_computed_groups(hand_sweep: ThresholdSweep) -> None:
    a = hand_sweep.group("group", "a")
    # a: (0.9, 1) (0.7, 0) (0.4, 1) (0.2, 0)
    assert (a.n, a.n_with_outcome, a.too_small) == (4, 2, False)
    assert a.selection_rate == pytest.approx((3 / 4, 2 / 4, 1 / 4))
    assert a.fpr == pytest.approx((1 / 2, 1 / 2, 0.0))
    assert a.fnr == pytest.approx((0.0, 1 / 2, 1 / 2))
    assert a.accuracy == pytest.approx((3 / 4, 2 / 4, 3 / 4))
    b = hand_sweep.group("group", "b")
    # b: (0.8, 1) (0.6, 1) (0.5, 0) (0.1, 0); at t=0.5 the score 0.5 is selected (>=)
    assert (b.n, b.n_with_outcome) == (4, 2)
    assert b.selection_rate == pytest.approx((3 / 4, 3 / 4, 1 / 4))
    assert b.fpr == pytest.approx((1 / 2, 1 / 2, 0.0))
    assert b.fnr == pytest.approx((0.0, 0.0, 1 / 2))
    assert b.accuracy == pytest.approx((3 / 4, 3 / 4, 3 / 4))


def _loop_rates(
    y: np.ndarray, s: np.ndarray, thresholds: tuple[float, ...]
) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"accuracy": [], "selection_rate": [], "fpr": [], "fnr": []}
    for t in thresholds:
        selected = s >= t
        negatives, positives = ~y, y
        rates["accuracy"].append(float(np.mean(selected == y)))
        rates["selection_rate"].append(float(np.mean(selected)))
        rates["fpr"].append(float(np.mean(selected[negatives])) if negatives.any() else math.nan)
        rates["fnr"].append(float(np.mean(~selected[positives])) if positives.any() else math.nan)
    return rates


@pytest.mark.parametrize("kind", ["probability", "points"])
def test_equals_a_plain_loop(kind: str) -> None:
    rng = np.random.default_rng(7)
    n = 600
    y = rng.random(n) < 0.35
    # Rounded scores, so that many people tie with each other and with the thresholds.
    s = np.round(rng.random(n), 2) if kind == "probability" else rng.integers(-5, 40, n) * 1.0
    race = rng.choice(["x", "y", "z"], n).astype(object)
    race[rng.random(n) < 0.05] = None
    sex = pd.Series(rng.choice(["f", "m"], n), index=rng.permutation(n))  # index is ignored
    sweep = threshold_sweep(y, s, sensitive_features=pd.DataFrame({"race": race, "sex": sex}))
    assert sweep.attributes == ("race", "sex")
    assert [c.group for c in sweep.groups_of("race")] == ["x", "y", "z", MISSING_GROUP]
    assert [c.group for c in sweep.groups_of("sex")] == ["f", "m"]

    checks = [(sweep.overall, np.ones(n, dtype=bool))]
    for curve in sweep.groups:
        values = race if curve.attribute == "race" else sex.to_numpy()
        label = np.array([MISSING_GROUP if v is None else v for v in values], dtype=object)
        checks.append((curve, label == curve.group))
    for curve, members in checks:
        expected = _loop_rates(y[members], s[members], sweep.thresholds)
        assert curve.n == int(members.sum())
        for metric, values in expected.items():
            np.testing.assert_allclose(getattr(curve, metric), values, equal_nan=True)


def test_default_thresholds_for_a_probability_are_a_grid() -> None:
    rng = np.random.default_rng(1)
    sweep = threshold_sweep(
        rng.random(50) < 0.5, rng.random(50), sensitive_features={"sex": ["f", "m"] * 25}
    )
    assert sweep.thresholds_chosen_by == "grid"
    assert sweep.score_is_probability
    np.testing.assert_allclose(sweep.thresholds, np.linspace(0, 1, 101))


def test_deciles_use_their_distinct_values() -> None:
    rng = np.random.default_rng(2)
    deciles = rng.integers(1, 11, 200)
    deciles[deciles == 7] = 6  # a value nobody has is not a threshold
    sweep = threshold_sweep(
        rng.random(200) < 0.4, deciles, sensitive_features={"race": ["a", "b"] * 100}
    )
    assert sweep.thresholds_chosen_by == "distinct_scores"
    assert not sweep.score_is_probability
    assert sweep.thresholds == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 9.0, 10.0)
    assert sweep.overall.selection_rate[0] == 1.0  # score >= lowest decile: everybody


def test_too_small_groups_are_kept_and_flagged() -> None:
    rng = np.random.default_rng(3)
    groups = np.array(["large"] * 95 + ["small"] * 5, dtype=object)
    outcomes = np.zeros(100, dtype=int)
    outcomes[:40] = 1
    outcomes[95:] = 0  # the small group has nobody with the outcome: its FNR is undefined
    sweep = threshold_sweep(
        outcomes,
        rng.random(100),
        sensitive_features=pd.Series(groups, name="unit"),
        thresholds=[0.25, 0.5],
        minimum_group_size=30,
    )
    small = sweep.group("unit", "small")
    assert small.too_small and small.n == 5
    assert not sweep.group("unit", "large").too_small
    assert all(math.isnan(v) for v in small.fnr)

    as_dict = sweep.to_dict()
    json.dumps(as_dict, allow_nan=False)  # NaN written as null
    assert as_dict["schema_version"] == "1"
    assert as_dict["groups"][1]["fnr"] == [None, None]
    assert as_dict["groups"][1]["too_small"] is True


def test_to_frame_is_long(hand_sweep: ThresholdSweep) -> None:
    frame = hand_sweep.to_frame()
    assert list(frame.columns) == [
        "threshold",
        "attribute",
        "group",
        "n",
        "too_small",
        "accuracy",
        "selection_rate",
        "fpr",
        "fnr",
    ]
    assert len(frame) == 3 * 3  # (overall + 2 groups) x 3 thresholds
    overall = frame[frame["attribute"] == OVERALL]
    assert overall["threshold"].tolist() == [0.3, 0.5, 0.75]
    assert overall["accuracy"].tolist() == pytest.approx([6 / 8, 5 / 8, 6 / 8])
    b = frame[(frame["attribute"] == "group") & (frame["group"] == "b")]
    assert b["selection_rate"].tolist() == pytest.approx([3 / 4, 3 / 4, 1 / 4])


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(RiskkitError, match="y_true has 3 values but y_score has 2"):
        threshold_sweep([0, 1, 0], [0.1, 0.2], sensitive_features={"sex": ["f", "m", "f"]})
    with pytest.raises(RiskkitError, match="thresholds must be finite"):
        threshold_sweep(
            [0, 1], [0.1, 0.2], sensitive_features={"sex": ["f", "m"]}, thresholds=[0.5, np.nan]
        )
    with pytest.raises(RiskkitError, match="non-empty list"):
        threshold_sweep([0, 1], [0.1, 0.2], sensitive_features={"sex": ["f", "m"]}, thresholds=[])
    with pytest.raises(RiskkitError, match="sensitive attribute 'sex' has 1 values"):
        threshold_sweep([0, 1], [0.1, 0.2], sensitive_features={"sex": ["f"]})
    with pytest.raises(RiskkitError, match="no group 'c'"):
        threshold_sweep(
            HAND_OUTCOMES, HAND_SCORES, sensitive_features={"group": HAND_GROUPS}
        ).group("group", "c")


def test_plot_draws_accuracy_and_two_lines_per_group(hand_sweep: ThresholdSweep) -> None:
    figure = plot_threshold_sweep(
        hand_sweep,
        attribute="group",
        labels={"group": "grupo", "a": "grupo A"},
        threshold=0.5,
        text={"fpr": "tasa de falsos positivos", "rates_title": "Errores por {attribute}"},
    )
    try:
        assert isinstance(figure, Figure)
        accuracy_axes, rates_axes = figure.axes
        assert len(accuracy_axes.lines) == 1 + 1  # accuracy + audited threshold
        assert len(rates_axes.lines) == 2 * 2 + 1  # FPR and FNR per group + audited threshold
        assert rates_axes.get_title() == "Errores por grupo"
        legend = [t.get_text() for t in rates_axes.get_legend().get_texts()]
        assert legend == ["grupo A", "b", "tasa de falsos positivos", "false negative rate"]
    finally:
        figure.clear()

    without_threshold = plot_threshold_sweep(hand_sweep, attribute="group")
    assert [len(axes.lines) for axes in without_threshold.axes] == [1, 4]
    without_threshold.clear()

"""Promotion gates: a worse model is not promoted, and the reason is recorded."""

from __future__ import annotations

from riskkit.config import PromotionConfig
from riskkit.training.promotion import decide_promotion

GATES = PromotionConfig(min_auc=0.65, max_ece=0.03, max_group_gap=0.1, auc_tolerance=0.005)
GOOD = {"test_auc": 0.72, "test_ece": 0.02, "max_group_gap": 0.05}


def test_a_model_passing_every_gate_is_promoted() -> None:
    decision = decide_promotion(
        GOOD, GATES, champion_metrics={"test_auc": 0.721}, champion_version=3
    )
    assert decision.promoted
    assert decision.summary() == "promoted to champion: every promotion gate passed"


def test_each_failed_gate_is_a_reason() -> None:
    decision = decide_promotion({"test_auc": 0.6, "test_ece": 0.05, "max_group_gap": 0.2}, GATES)
    assert not decision.promoted
    assert decision.reasons == (
        "test AUC 0.600 is below promotion.min_auc 0.650",
        "test ECE 0.050 is above promotion.max_ece 0.030",
        "largest group gap 0.200 is above promotion.max_group_gap 0.100",
    )


def test_worse_than_the_champion_is_not_promoted() -> None:
    decision = decide_promotion(
        GOOD, GATES, champion_metrics={"test_auc": 0.74}, champion_version=2
    )
    assert not decision.promoted
    assert decision.summary() == (
        "not promoted: test AUC 0.720 is below the champion's (v2) 0.740 minus "
        "promotion.auc_tolerance 0.005"
    )


def test_missing_metrics_fail_the_gates_they_feed() -> None:
    decision = decide_promotion({"test_auc": float("nan")}, GATES)
    assert not decision.promoted
    assert "test AUC nan is below promotion.min_auc 0.650" in decision.reasons
    assert "test ECE nan is above promotion.max_ece 0.030" in decision.reasons

"""Promotion gates: whether a new version may become the ``champion``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from riskkit.config import PromotionConfig


@dataclass(frozen=True)
class PromotionDecision:
    """The decision and every reason behind it (empty reasons when promoted)."""

    promoted: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        """One sentence for logs, tags and the model card."""
        if self.promoted:
            return "promoted to champion: every promotion gate passed"
        return "not promoted: " + "; ".join(self.reasons)


def decide_promotion(
    metrics: Mapping[str, float],
    gates: PromotionConfig,
    champion_metrics: Mapping[str, float] | None = None,
    champion_version: int | None = None,
) -> PromotionDecision:
    """Check a new version's test metrics against the pipeline's gates and the champion.

    Parameters
    ----------
    metrics : mapping
        The new version's ``test_auc``, ``test_ece`` and ``max_group_gap``.
    gates : PromotionConfig
        The pipeline's ``[promotion]`` section.
    champion_metrics : mapping, optional
        The current champion's metrics (``test_auc``), when there is one.
    champion_version : int, optional
        The current champion's version, for the message.
    """
    reasons: list[str] = []
    auc = metrics.get("test_auc", math.nan)
    if not auc >= gates.min_auc:
        reasons.append(f"test AUC {auc:.3f} is below promotion.min_auc {gates.min_auc:.3f}")
    ece = metrics.get("test_ece", math.nan)
    if not ece <= gates.max_ece:
        reasons.append(f"test ECE {ece:.3f} is above promotion.max_ece {gates.max_ece:.3f}")
    gap = metrics.get("max_group_gap", math.nan)
    if not math.isnan(gap) and gap > gates.max_group_gap:
        reasons.append(
            f"largest group gap {gap:.3f} is above promotion.max_group_gap "
            f"{gates.max_group_gap:.3f}"
        )
    if champion_metrics is not None:
        champion_auc = champion_metrics.get("test_auc", math.nan)
        if not math.isnan(champion_auc) and auc < champion_auc - gates.auc_tolerance:
            reasons.append(
                f"test AUC {auc:.3f} is below the champion's (v{champion_version}) "
                f"{champion_auc:.3f} minus promotion.auc_tolerance {gates.auc_tolerance:.3f}"
            )
    return PromotionDecision(promoted=not reasons, reasons=tuple(reasons))


def decide_needs_promotion(
    domain_aucs: Mapping[str, float],
    *,
    min_auc: float,
    auc_tolerance: float,
    champion_metrics: Mapping[str, float] | None = None,
    champion_version: int | None = None,
) -> PromotionDecision:
    """Check a new needs model's held-out AUC in every domain.

    A needs model has no single score, so the risk gates (one AUC, ECE, group gaps at a
    decision threshold) do not apply. Its gates are: every domain's test AUC is at least
    ``min_auc`` (an AUC that could not be computed fails), and, in every domain the current
    champion also models, at least the champion's AUC minus ``auc_tolerance``.

    Parameters
    ----------
    domain_aucs : mapping
        Domain -> held-out AUC of the new version.
    min_auc : float
        ``[needs] min_auc``.
    auc_tolerance : float
        ``[needs] auc_tolerance``.
    champion_metrics : mapping, optional
        The current champion's run metrics (``<domain>_test_auc``), when there is one.
    champion_version : int, optional
        The current champion's version, for the message.
    """
    reasons: list[str] = []
    for domain, auc in domain_aucs.items():
        if math.isnan(auc):
            reasons.append(
                f"{domain}: the test AUC could not be computed (the labelled test records lack "
                "a class)"
            )
        elif auc < min_auc:
            reasons.append(f"{domain}: test AUC {auc:.3f} is below needs.min_auc {min_auc:.3f}")
    if champion_metrics is not None:
        for domain, auc in domain_aucs.items():
            champion_auc = champion_metrics.get(f"{domain}_test_auc", math.nan)
            if not math.isnan(champion_auc) and auc < champion_auc - auc_tolerance:
                reasons.append(
                    f"{domain}: test AUC {auc:.3f} is below the champion's (v{champion_version}) "
                    f"{champion_auc:.3f} minus needs.auc_tolerance {auc_tolerance:.3f}"
                )
    return PromotionDecision(promoted=not reasons, reasons=tuple(reasons))

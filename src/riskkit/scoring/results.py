"""Result objects of scoring (frozen; rendering and writing happen elsewhere).

JSON schema of a scored case (``ScoreResult.to_dict()``, ``schema_version`` "2")::

    {
      "schema_version": "2",
      "person_id": str,
      "probability": float,              # calibrated probability of the outcome, 0-1
      "interval": {"low", "high", "level", "method"} | null,
                                         # uncertainty of the probability (see
                                         # docs/uncertainty.md); null when the model has none
      "band": str,                       # the model's risk band (pipeline thresholds)
      "final_band": str,                 # the band after a case worker's override, else band
      "override": {"band", "reason"} | null,
      "scorecard_points": int | null,    # total on the printed points scorecard
      "reference_probability": float,    # average probability of the training population
      "outcome": str,                    # registry name of the predicted outcome
      "contributions": [                 # one per model input, largest effect first
        {"feature": str, "value": str | float | null, "points": float, "changeable": bool}
      ],                                 # sum(points) == probability - reference_probability
      "needs": NeedsProfile.to_dict() | null,
      "case_plan": CasePlan.to_dict() | null,
      "recourse": Recourse.to_dict() | null,
                                         # the smallest changes to changeable factors that
                                         # would lower the band (riskkit.explain.recourse)
      "model": {"name": str, "version": int, "alias": str | null},
      "scored_at": str                   # ISO 8601, UTC
    }

Version 2 added ``interval``, ``final_band``, ``override``, ``scorecard_points``, ``needs``,
``case_plan`` and ``recourse`` to version 1; the fields of version 1 are unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskkit.estimators.needs import NeedsProfile
    from riskkit.explain.recourse import Recourse
    from riskkit.scoring.interventions import CasePlan

SCHEMA_VERSION = "2"
INTERVAL_METHOD = "bootstrap"


@dataclass(frozen=True)
class FactorContribution:
    """How much one factor moves this person's probability from the population average."""

    feature: str
    value: str | float | None
    points: float
    changeable: bool


@dataclass(frozen=True)
class ModelIdentity:
    """The registered model that produced a score."""

    name: str
    version: int
    alias: str | None


@dataclass(frozen=True)
class Override:
    """A case worker's decision to use a different band, with the reason."""

    band: str
    reason: str


@dataclass(frozen=True)
class ScoreResult:
    """One person's score with its explanation and provenance."""

    person_id: str
    probability: float
    band: str
    reference_probability: float
    outcome: str
    contributions: tuple[FactorContribution, ...]
    model: ModelIdentity
    scored_at: str
    interval: tuple[float, float, float] | None = None  # (low, high, level)
    scorecard_points: int | None = None
    needs: NeedsProfile | None = None
    case_plan: CasePlan | None = None
    recourse: Recourse | None = None
    override: Override | None = None

    @property
    def final_band(self) -> str:
        """The band used: the override's when a case worker recorded one, else the model's."""
        return self.band if self.override is None else self.override.band

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring for the schema)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "person_id": self.person_id,
            "probability": self.probability,
            "interval": None
            if self.interval is None
            else {
                "low": self.interval[0],
                "high": self.interval[1],
                "level": self.interval[2],
                "method": INTERVAL_METHOD,
            },
            "band": self.band,
            "final_band": self.final_band,
            "override": None
            if self.override is None
            else {"band": self.override.band, "reason": self.override.reason},
            "scorecard_points": self.scorecard_points,
            "reference_probability": self.reference_probability,
            "outcome": self.outcome,
            "contributions": [
                {
                    "feature": c.feature,
                    "value": None
                    if isinstance(c.value, float) and math.isnan(c.value)
                    else c.value,
                    "points": c.points,
                    "changeable": c.changeable,
                }
                for c in self.contributions
            ],
            "needs": None if self.needs is None else self.needs.to_dict(),
            "case_plan": None if self.case_plan is None else self.case_plan.to_dict(),
            "recourse": None if self.recourse is None else self.recourse.to_dict(),
            "model": {
                "name": self.model.name,
                "version": self.model.version,
                "alias": self.model.alias,
            },
            "scored_at": self.scored_at,
        }

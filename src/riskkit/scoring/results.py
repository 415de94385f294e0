"""Result objects of scoring (frozen; rendering and writing happen elsewhere).

JSON schema of a scored case (``ScoreResult.to_dict()``, ``schema_version`` "1")::

    {
      "schema_version": "1",
      "person_id": str,
      "probability": float,              # probability of the outcome, 0-1
      "band": str,                       # risk band name from the pipeline
      "reference_probability": float,    # average probability of the training population
      "outcome": str,                    # registry name of the predicted outcome
      "contributions": [                 # one per model input, largest effect first
        {"feature": str, "value": str | float | null, "points": float, "changeable": bool}
      ],                                 # sum(points) == probability - reference_probability
      "model": {"name": str, "version": int, "alias": str | null},
      "scored_at": str                   # ISO 8601, UTC
    }
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = "1"


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring for the schema)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "person_id": self.person_id,
            "probability": self.probability,
            "band": self.band,
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
            "model": {
                "name": self.model.name,
                "version": self.model.version,
                "alias": self.model.alias,
            },
            "scored_at": self.scored_at,
        }

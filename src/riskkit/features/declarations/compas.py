"""Variables only the compas adapter provides (declared by the adapter work)."""

from __future__ import annotations

from riskkit.features.registry import Feature, Outcome

FEATURES: list[Feature] = []
OUTCOMES: list[Outcome] = []

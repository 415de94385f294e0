"""Feature and outcome declarations, one module per source of variables.

``common`` holds the variables several sources share (age, sex, prior record...); the other
modules add what only one source has. A name is declared once across all of them.
"""

from __future__ import annotations

from riskkit.features.declarations import common, compas, nij, synthetic
from riskkit.features.registry import Feature, Outcome

_MODULES = (common, synthetic, compas, nij)


def all_features() -> list[Feature]:
    """Every declared feature, in declaration order."""
    return [f for module in _MODULES for f in module.FEATURES]


def all_outcomes() -> list[Outcome]:
    """Every declared outcome, in declaration order."""
    return [o for module in _MODULES for o in module.OUTCOMES]

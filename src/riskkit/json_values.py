"""Values made ready for JSON: every JSON file riskkit writes (metrics, cards' summaries,
monitoring reports) goes through :func:`finite_json`, so none holds ``NaN`` or ``Infinity``,
which are not JSON, or a numpy number, which ``json`` cannot write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["finite_json"]


def finite_json(value: Any) -> Any:
    """``value`` with NaN and infinities as None and numpy numbers as Python numbers, inside
    mappings, lists and tuples (tuples become lists)."""
    if isinstance(value, Mapping):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value

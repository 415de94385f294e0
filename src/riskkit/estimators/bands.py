"""Risk bands: policy thresholds on the probability, written in the pipeline TOML."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def assign_bands(
    probabilities: np.ndarray, thresholds: Sequence[float], names: Sequence[str]
) -> np.ndarray:
    """Band name for each probability: a band holds probabilities up to its threshold
    (inclusive) and above the previous band's.

    Parameters
    ----------
    probabilities : array of float
        Probabilities in [0, 1].
    thresholds : sequence of float
        Upper probability of each band, increasing, the last one 1.0.
    names : sequence of str
        Band names, from lowest to highest risk.
    """
    if len(thresholds) != len(names):
        raise ValueError(f"{len(thresholds)} thresholds but {len(names)} band names")
    index = np.searchsorted(np.asarray(thresholds, dtype="float64"), probabilities, side="left")
    index = np.minimum(index, len(names) - 1)
    out: np.ndarray = np.asarray(names, dtype=object)[index]
    return out


def decision_threshold(thresholds: Sequence[float]) -> float:
    """The probability above which a person is in the highest band: the audit's default cut
    between "flagged" and "not flagged"."""
    if len(thresholds) < 2:
        raise ValueError("a single band gives no decision threshold; pass one explicitly")
    return float(thresholds[-2])

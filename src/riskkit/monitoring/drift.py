"""Drift: how far a new cohort's features and scores have moved from the training part.

Each variable (a model feature, or the score) is compared in the bins of the model's reference
profile (:mod:`riskkit.monitoring.profile`), the missing values being one more bin:

* the **population stability index** (PSI), ``sum((a - e) * ln(a / e))`` over the bins, with
  ``e`` the training share and ``a`` the new cohort's share of a bin. 0 means the same
  distribution; the usual reading is below 0.1 stable, 0.1 to 0.25 a moderate shift, from 0.25
  a major one (``psi_moderate`` and ``psi_major`` in ``[monitoring]``). A bin empty on one side
  would make the logarithm infinite, so every share is floored at :data:`PSI_FLOOR` (0.0001,
  i.e. 0.01%) first: an empty training bin that holds 1% of the new cohort then adds
  ``0.0099 * ln(100) = 0.046``.
* a **chi-square test of homogeneity** on the same binned counts (training counts against the
  new cohort's, bins empty on both sides left out), through :func:`scipy.stats.chi2_contingency`.
  The profile stores counts, not the training values, so a test on the raw values (such as
  Kolmogorov-Smirnov) is not possible; the chi-square test also treats numeric and categorical
  variables alike. Its p-value says whether the shift could be chance at the new cohort's size.

A shift **matters** when its PSI reaches ``psi_moderate`` and the test rejects at ``p_value``:
the PSI says the shift is large enough to care about, the test that it is not sampling noise
(on a cohort of a hundred people, PSIs above 0.1 arise by chance alone). A PSI at or above
``psi_major`` is a *major* shift, otherwise *moderate*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from riskkit.monitoring.profile import DistributionProfile, ReferenceProfile

if TYPE_CHECKING:
    import pandas as pd

    from riskkit.config import MonitoringConfig

__all__ = [
    "PSI_FLOOR",
    "BandShift",
    "BinShift",
    "DriftReport",
    "VariableDrift",
    "chi_square_p_value",
    "compare_distribution",
    "drift_level",
    "drift_report",
    "population_stability_index",
]

#: The smallest share a bin counts with in the PSI (an empty bin would make it infinite).
PSI_FLOOR = 1e-4

Level = Literal["stable", "moderate", "major"]
BinLabel = tuple[float | None, float | None] | str | None


def _shares(counts: Sequence[int] | np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(counts, dtype="float64")
    if array.ndim != 1 or np.any(array < 0) or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be non-negative finite counts, one per bin")
    total = array.sum()
    if total <= 0:
        raise ValueError(f"{name} are all zero: there is nothing to compare")
    shares: np.ndarray = array / total
    return shares


def population_stability_index(
    expected_counts: Sequence[int] | np.ndarray,
    actual_counts: Sequence[int] | np.ndarray,
    *,
    floor: float = PSI_FLOOR,
) -> float:
    """Population stability index of ``actual_counts`` against ``expected_counts``.

    ``PSI = sum((a_i - e_i) * ln(a_i / e_i))`` over the bins, where ``e_i`` and ``a_i`` are the
    shares of bin ``i`` in each set of counts, each floored at ``floor`` so that a bin empty on
    one side adds a large but finite amount (the shares are not renormalised after the floor).

    Parameters
    ----------
    expected_counts : sequence of int
        Counts per bin of the reference (training) data.
    actual_counts : sequence of int
        Counts per bin of the new data, in the same bins.
    floor : float
        Smallest share a bin counts with (default :data:`PSI_FLOOR`, 0.0001).

    Returns
    -------
    float
        0 for identical shares; larger the further apart they are (never negative).

    Raises
    ------
    ValueError
        When the bins differ in number, a count is negative, or one side has no count at all.

    Examples
    --------
    >>> round(population_stability_index([50, 50], [25, 75]), 4)
    0.2747
    """
    expected = _shares(expected_counts, "expected counts")
    actual = _shares(actual_counts, "actual counts")
    if expected.shape != actual.shape:
        raise ValueError(
            f"expected counts have {len(expected)} bins but actual counts {len(actual)}"
        )
    if not 0 < floor < 1:
        raise ValueError(f"floor must be between 0 and 1, not {floor}")
    e = np.maximum(expected, floor)
    a = np.maximum(actual, floor)
    return float(np.sum((a - e) * np.log(a / e)))


def chi_square_p_value(
    expected_counts: Sequence[int] | np.ndarray, actual_counts: Sequence[int] | np.ndarray
) -> float:
    """p-value of the chi-square test that two sets of binned counts come from one distribution.

    The counts form a 2 x k contingency table (bins empty on both sides are left out) tested
    with :func:`scipy.stats.chi2_contingency` (with Yates' correction when only two bins
    remain).

    Parameters
    ----------
    expected_counts, actual_counts : sequence of int
        Counts per bin of the reference and of the new data.

    Returns
    -------
    float
        The p-value; 1.0 when fewer than two bins hold any record (nothing to test).

    Raises
    ------
    ValueError
        When the bins differ in number, a count is negative, or one side has no count at all.
    """
    from scipy.stats import chi2_contingency

    _shares(expected_counts, "expected counts")
    _shares(actual_counts, "actual counts")
    table = np.vstack(
        [np.asarray(expected_counts, dtype="float64"), np.asarray(actual_counts, dtype="float64")]
    )
    if table.shape[1] != len(np.asarray(expected_counts)) or table.shape[0] != 2:
        raise ValueError("expected and actual counts must have the same number of bins")
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0
    return float(chi2_contingency(table).pvalue)


def drift_level(psi: float, thresholds: MonitoringConfig) -> Level:
    """``"major"`` from ``psi_major``, ``"moderate"`` from ``psi_moderate``, else ``"stable"``."""
    if psi >= thresholds.psi_major:
        return "major"
    if psi >= thresholds.psi_moderate:
        return "moderate"
    return "stable"


@dataclass(frozen=True)
class BinShift:
    """One bin's share in the training part and in the new cohort.

    Attributes
    ----------
    label : tuple, str or None
        ``(lower, upper)`` of a numeric bin (``lower < x <= upper``, None for an open end), a
        category, or None for the missing values.
    expected_share, actual_share : float
        Share of the training part and of the new cohort in the bin.
    """

    label: BinLabel
    expected_share: float
    actual_share: float

    @property
    def change(self) -> float:
        """``actual_share - expected_share`` (positive: the bin gained)."""
        return self.actual_share - self.expected_share

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        label: Any = list(self.label) if isinstance(self.label, tuple) else self.label
        return {
            "bin": label,
            "expected_share": self.expected_share,
            "actual_share": self.actual_share,
            "change": self.change,
        }


@dataclass(frozen=True)
class VariableDrift:
    """How one variable moved.

    Attributes
    ----------
    name : str
        Feature name, or ``"score"``.
    kind : {"numeric", "categorical"}
    psi : float
        Population stability index.
    p_value : float
        Chi-square test on the binned counts.
    level : {"stable", "moderate", "major"}
        From the PSI alone.
    matters : bool
        The PSI reaches ``psi_moderate`` and the test rejects at ``p_value``.
    n_expected, n_actual : int
        Records compared on each side.
    bins : tuple of BinShift
        Every bin, the missing values last.
    expected_mean, actual_mean : float or None
        Means of the present values (numeric variables).
    """

    name: str
    kind: Literal["numeric", "categorical"]
    psi: float
    p_value: float
    level: Level
    matters: bool
    n_expected: int
    n_actual: int
    bins: tuple[BinShift, ...]
    expected_mean: float | None = None
    actual_mean: float | None = None

    @property
    def gained(self) -> BinShift | None:
        """The bin whose share grew most (None when none grew)."""
        best = max(self.bins, key=lambda b: b.change, default=None)
        return best if best is not None and best.change > 0 else None

    @property
    def lost(self) -> BinShift | None:
        """The bin whose share shrank most (None when none shrank)."""
        worst = min(self.bins, key=lambda b: b.change, default=None)
        return worst if worst is not None and worst.change < 0 else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "psi": self.psi,
            "p_value": self.p_value,
            "level": self.level,
            "matters": self.matters,
            "n_expected": self.n_expected,
            "n_actual": self.n_actual,
            "expected_mean": self.expected_mean,
            "actual_mean": self.actual_mean,
            "bins": [b.to_dict() for b in self.bins],
        }


@dataclass(frozen=True)
class BandShift:
    """One band's share of the training part and of the new cohort."""

    name: str
    expected_share: float
    actual_share: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "band": self.name,
            "expected_share": self.expected_share,
            "actual_share": self.actual_share,
        }


@dataclass(frozen=True)
class DriftReport:
    """Every feature's and the score's drift in a new cohort.

    Attributes
    ----------
    n_reference : int
        Records in the training part.
    n_new : int
        Valid records of the new cohort compared.
    psi_moderate, psi_major, p_value : float
        The thresholds used (``[monitoring]``).
    features : tuple of VariableDrift
        In the model's feature order.
    score : VariableDrift or None
        The score's drift (None when the profile or the cohort has no score).
    bands : tuple of BandShift
        Share of each band, training part and new cohort.
    """

    n_reference: int
    n_new: int
    psi_moderate: float
    psi_major: float
    p_value: float
    features: tuple[VariableDrift, ...]
    score: VariableDrift | None = None
    bands: tuple[BandShift, ...] = ()

    @property
    def mattering(self) -> tuple[VariableDrift, ...]:
        """Features whose drift matters, largest PSI first."""
        return tuple(sorted((f for f in self.features if f.matters), key=lambda f: -f.psi))

    @property
    def drifted(self) -> bool:
        """True when a feature's or the score's drift matters."""
        return bool(self.mattering) or (self.score is not None and self.score.matters)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (numbers only; the report's sentences are added by the renderer)."""
        return {
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_new": self.n_new,
            "thresholds": {
                "psi_moderate": self.psi_moderate,
                "psi_major": self.psi_major,
                "p_value": self.p_value,
            },
            "features_that_matter": [f.name for f in self.mattering],
            "score": None if self.score is None else self.score.to_dict(),
            "bands": [b.to_dict() for b in self.bands],
            "features": [f.to_dict() for f in self.features],
        }


def compare_distribution(
    profile: DistributionProfile,
    actual_counts: Sequence[int],
    thresholds: MonitoringConfig,
    *,
    actual_mean: float | None = None,
) -> VariableDrift:
    """Compare a variable's new counts with its training profile.

    Parameters
    ----------
    profile : DistributionProfile
        The variable's training profile.
    actual_counts : sequence of int
        New counts in the profile's bins, missing values last (:meth:`DistributionProfile.count`).
    thresholds : MonitoringConfig
        ``psi_moderate``, ``psi_major`` and ``p_value``.
    actual_mean : float, optional
        Mean of the new values (numeric variables).

    Returns
    -------
    VariableDrift
    """
    expected = profile.bin_counts
    if len(actual_counts) != len(expected):
        raise ValueError(
            f"{profile.name}: {len(actual_counts)} new counts for {len(expected)} bins"
        )
    psi = population_stability_index(expected, actual_counts)
    p_value = chi_square_p_value(expected, actual_counts)
    level = drift_level(psi, thresholds)
    e_shares = _shares(expected, "expected counts")
    a_shares = _shares(actual_counts, "actual counts")
    bins = tuple(
        BinShift(label, float(e), float(a))
        for label, e, a in zip(profile.bin_labels(), e_shares, a_shares, strict=True)
    )
    return VariableDrift(
        name=profile.name,
        kind=profile.kind,
        psi=psi,
        p_value=p_value,
        level=level,
        matters=level != "stable" and p_value < thresholds.p_value,
        n_expected=profile.n,
        n_actual=int(sum(actual_counts)),
        bins=bins,
        expected_mean=profile.mean,
        actual_mean=actual_mean,
    )


def _mean(values: pd.Series | np.ndarray) -> float | None:
    numbers = np.asarray(values, dtype="float64")
    numbers = numbers[~np.isnan(numbers)]
    return float(numbers.mean()) if len(numbers) else None


def drift_report(
    reference: ReferenceProfile,
    records: pd.DataFrame,
    thresholds: MonitoringConfig,
    *,
    probability: np.ndarray | None = None,
) -> DriftReport:
    """Compare a new cohort with a model's reference profile, feature by feature and for the
    score.

    Parameters
    ----------
    reference : ReferenceProfile
        The profile stored with the model.
    records : DataFrame
        The new cohort's validated records (every feature of the profile).
    thresholds : MonitoringConfig
        ``psi_moderate``, ``psi_major`` and ``p_value`` (the pipeline's ``[monitoring]``).
    probability : ndarray, optional
        The model's calibrated probability for each record; compared with the profile's score
        and bands when both are there.

    Returns
    -------
    DriftReport

    Raises
    ------
    ValueError
        When ``records`` is empty or lacks a profiled feature.
    """
    if len(records) == 0:
        raise ValueError("the new cohort has no valid record to compare")
    missing = [f.name for f in reference.features if f.name not in records.columns]
    if missing:
        raise ValueError(f"the new records lack the model's features {missing}")
    features = []
    for profile in reference.features:
        column = records[profile.name]
        mean = _mean(column) if profile.kind == "numeric" else None
        features.append(
            compare_distribution(profile, profile.count(column), thresholds, actual_mean=mean)
        )
    score = None
    bands: tuple[BandShift, ...] = ()
    if probability is not None and reference.score is not None:
        p = np.asarray(probability, dtype="float64")
        score = compare_distribution(
            reference.score, reference.score.count(p), thresholds, actual_mean=_mean(p)
        )
        if reference.bands is not None:
            expected = _shares(reference.bands.counts, "band counts")
            actual = _shares(reference.bands.count(p), "band counts")
            bands = tuple(
                BandShift(name, float(e), float(a))
                for name, e, a in zip(reference.bands.names, expected, actual, strict=True)
            )
    return DriftReport(
        n_reference=reference.n,
        n_new=len(records),
        psi_moderate=thresholds.psi_moderate,
        psi_major=thresholds.psi_major,
        p_value=thresholds.p_value,
        features=tuple(features),
        score=score,
        bands=bands,
    )

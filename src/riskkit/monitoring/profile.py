"""The reference profile stored with a model: how its training part was distributed.

``riskkit monitor drift`` compares a new cohort with the data a model was trained on. The
training rows themselves are never stored with the model (they are personal data); instead the
training pipeline keeps a compact profile of the training part, in the bundle file
``reference.json``:

* for each numeric, integer or binary feature, the edges of about ten quantile bins of the
  training values and the count of training records in each bin, plus the count of missing
  values (a binary feature gets one bin per value, 0 and 1);
* for each categorical feature, the count of training records per category (every category the
  feature allows, also those absent from training) and the count of missing values;
* the same for the model's score (the calibrated probability on the training part, in ten
  quantile bins), and the count of training records in each band.

Only counts and bin edges are kept, never a row. A bin may hold few people; that is fine, as no
individual value can be read back from a count.

A numeric bin ``i`` holds the values ``edges[i-1] < x <= edges[i]`` (the first bin from minus
infinity, the last to plus infinity), so a new value outside the training range still falls in a
bin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from riskkit.config import PipelineConfig

__all__ = [
    "PROFILE_FORMAT",
    "REFERENCE_FILE",
    "BandProfile",
    "DistributionProfile",
    "ReferenceProfile",
    "build_reference_profile",
    "profile_values",
]

#: The bundle file holding the profile.
REFERENCE_FILE = "reference.json"
#: Version of the profile's JSON layout.
PROFILE_FORMAT = 1
#: Quantile bins of a numeric feature and of the score.
DEFAULT_BINS = 10

Kind = Literal["numeric", "categorical"]
T = TypeVar("T")


@dataclass(frozen=True)
class DistributionProfile:
    """How one variable (a feature or the score) was distributed in the training part.

    Attributes
    ----------
    name : str
        The feature's registry name, or ``"score"``.
    kind : {"numeric", "categorical"}
        Numeric: ``edges`` cut the values into ``len(edges) + 1`` bins. Categorical: one bin per
        entry of ``categories``.
    edges : tuple of float
        Upper edges of the numeric bins but the last (empty for a categorical variable).
    categories : tuple of str
        The categories, in order (empty for a numeric variable).
    counts : tuple of int
        Training records per bin (numeric) or per category (categorical).
    missing : int
        Training records with no value.
    mean : float or None
        Mean of the training values that are present (numeric only).
    """

    name: str
    kind: Kind
    edges: tuple[float, ...]
    categories: tuple[str, ...]
    counts: tuple[int, ...]
    missing: int
    mean: float | None = None

    @property
    def n(self) -> int:
        """Records profiled (missing values included)."""
        return int(sum(self.counts)) + self.missing

    @property
    def bin_counts(self) -> tuple[int, ...]:
        """The counts of every bin, the missing values last (what drift compares)."""
        return (*self.counts, self.missing)

    def count(self, values: pd.Series | np.ndarray) -> tuple[int, ...]:
        """Counts of new ``values`` in this profile's bins, missing values last.

        Parameters
        ----------
        values : Series or ndarray
            Values of the same variable (numbers, or categories as text or ``Categorical``).

        Returns
        -------
        tuple of int
            ``len(self.bin_counts)`` counts; a category this profile does not know is counted
            as missing (validated records cannot hold one).
        """
        series = pd.Series(values)
        if self.kind == "categorical":
            if not isinstance(series.dtype, pd.CategoricalDtype) and (
                pd.api.types.is_numeric_dtype(series.dtype)
            ):
                # 0/1 flags as the text "0"/"1", not "0.0"/"1.0"
                series = series.astype("float64").map(lambda v: None if pd.isna(v) else f"{v:g}")
            text = series.astype(object).where(series.notna(), None)
            position = {category: i for i, category in enumerate(self.categories)}
            counts = [0] * (len(self.categories) + 1)
            for value, number in text.value_counts(dropna=False).items():
                slot = position.get(str(value), len(self.categories)) if value is not None else -1
                counts[slot] += int(number)
            return tuple(counts)
        numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
        present = numbers[~np.isnan(numbers)]
        bins = np.searchsorted(np.asarray(self.edges, dtype="float64"), present, side="left")
        binned = np.bincount(bins, minlength=len(self.edges) + 1)
        return (*(int(c) for c in binned), int(len(numbers) - len(present)))

    def bin_labels(self) -> tuple[tuple[float | None, float | None] | str | None, ...]:
        """Each bin as ``(lower, upper)`` (None for an open end), a category, or None for the
        missing values (last)."""
        if self.kind == "categorical":
            return (*self.categories, None)
        bounds: list[float | None] = [None, *self.edges, None]
        return (*((bounds[i], bounds[i + 1]) for i in range(len(self.edges) + 1)), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``reference.json``."""
        return {
            "name": self.name,
            "kind": self.kind,
            "edges": list(self.edges),
            "categories": list(self.categories),
            "counts": list(self.counts),
            "missing": self.missing,
            "mean": self.mean,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DistributionProfile:
        """Read :meth:`to_dict`'s form back."""
        kind = str(data["kind"])
        if kind not in ("numeric", "categorical"):
            raise ValueError(f"unknown profile kind {kind!r}")
        mean = data.get("mean")
        return cls(
            name=str(data["name"]),
            kind="numeric" if kind == "numeric" else "categorical",
            edges=tuple(float(e) for e in data["edges"]),
            categories=tuple(str(c) for c in data["categories"]),
            counts=tuple(int(c) for c in data["counts"]),
            missing=int(data["missing"]),
            mean=None if mean is None else float(mean),
        )


@dataclass(frozen=True)
class BandProfile:
    """Training records per band of the model's score."""

    names: tuple[str, ...]
    thresholds: tuple[float, ...]
    counts: tuple[int, ...]

    def count(self, probability: np.ndarray) -> tuple[int, ...]:
        """Counts of new probabilities per band (a band holds ``p <= its threshold``)."""
        bins = np.searchsorted(np.asarray(self.thresholds[:-1]), probability, side="left")
        return tuple(int(c) for c in np.bincount(bins, minlength=len(self.names)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "names": list(self.names),
            "thresholds": list(self.thresholds),
            "counts": list(self.counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BandProfile:
        """Read :meth:`to_dict`'s form back."""
        return cls(
            names=tuple(str(n) for n in data["names"]),
            thresholds=tuple(float(t) for t in data["thresholds"]),
            counts=tuple(int(c) for c in data["counts"]),
        )


@dataclass(frozen=True)
class ReferenceProfile:
    """The training part of a model, as counts: one profile per feature, the score's and the
    bands' (see the module's description).

    Attributes
    ----------
    n : int
        Records in the training part.
    features : tuple of DistributionProfile
        One per model feature, in the model's order.
    score : DistributionProfile or None
        The calibrated probability on the training part.
    bands : BandProfile or None
        Training records per band.
    """

    n: int
    features: tuple[DistributionProfile, ...]
    score: DistributionProfile | None = None
    bands: BandProfile | None = None
    part: str = "train"
    format: int = field(default=PROFILE_FORMAT)

    def feature(self, name: str) -> DistributionProfile:
        """The profile of one feature.

        Raises
        ------
        KeyError
            When the model has no such feature.
        """
        for profile in self.features:
            if profile.name == name:
                return profile
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``reference.json``."""
        return {
            "format": self.format,
            "part": self.part,
            "n": self.n,
            "features": [f.to_dict() for f in self.features],
            "score": None if self.score is None else self.score.to_dict(),
            "bands": None if self.bands is None else self.bands.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReferenceProfile:
        """Read :meth:`to_dict`'s form back.

        Raises
        ------
        ValueError
            When the layout is from a newer riskkit.
        """
        version = int(data.get("format", 0))
        if version != PROFILE_FORMAT:
            raise ValueError(
                f"reference profile format {version} is not readable by this riskkit "
                f"(it reads format {PROFILE_FORMAT})"
            )
        return cls(
            n=int(data["n"]),
            features=tuple(DistributionProfile.from_dict(f) for f in data["features"]),
            score=_optional(data.get("score"), DistributionProfile.from_dict),
            bands=_optional(data.get("bands"), BandProfile.from_dict),
            part=str(data.get("part", "train")),
            format=version,
        )


def _optional(data: Any, read: Callable[[Mapping[str, Any]], T]) -> T | None:
    return None if data is None else read(data)


def _quantile_edges(values: np.ndarray, bins: int) -> tuple[float, ...]:
    """Interior quantile edges of ``values``, each an observed value (repeats removed). The
    largest value is never an edge, so the top bin is not empty in the data profiled."""
    if len(values) == 0:
        return ()
    levels = np.arange(1, bins) / bins
    edges = np.unique(np.quantile(values, levels, method="inverted_cdf"))
    return tuple(float(e) for e in edges if e < values.max())


def profile_values(
    name: str,
    values: pd.Series | np.ndarray,
    *,
    kind: Kind | None = None,
    categories: Sequence[str] | None = None,
    bins: int = DEFAULT_BINS,
) -> DistributionProfile:
    """Profile one variable: quantile bins of a numeric one, counts per category otherwise.

    Parameters
    ----------
    name : str
        The variable's name.
    values : Series or ndarray
        Its values (NaN or None for missing).
    kind : {"numeric", "categorical"}, optional
        Taken from the values when omitted (a ``Categorical`` is categorical).
    categories : sequence of str, optional
        The categories to count (default: the ``Categorical``'s, or the values seen, sorted).
        Giving ``["0", "1"]`` with numeric 0/1 values profiles a binary feature.
    bins : int
        Number of quantile bins of a numeric variable (fewer when values repeat).

    Returns
    -------
    DistributionProfile
    """
    series = pd.Series(values)
    is_categorical = isinstance(series.dtype, pd.CategoricalDtype)
    if kind is None:
        kind = "categorical" if is_categorical or categories is not None else "numeric"
    if kind == "categorical":
        if categories is None:
            if is_categorical:
                categories = [str(c) for c in series.cat.categories]
            else:
                categories = sorted({str(v) for v in series.dropna()})
        profile = DistributionProfile(
            name=name,
            kind="categorical",
            edges=(),
            categories=tuple(str(c) for c in categories),
            counts=(),
            missing=0,
        )
        counted = profile.count(series)
        return DistributionProfile(
            name=name,
            kind="categorical",
            edges=(),
            categories=profile.categories,
            counts=counted[:-1],
            missing=counted[-1],
        )
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    present = numbers[~np.isnan(numbers)]
    edges = _quantile_edges(present, bins)
    empty = DistributionProfile(name, "numeric", edges, (), (), 0)
    counted = empty.count(numbers)
    return DistributionProfile(
        name=name,
        kind="numeric",
        edges=edges,
        categories=(),
        counts=counted[:-1],
        missing=counted[-1],
        mean=float(present.mean()) if len(present) else None,
    )


def feature_profile(
    name: str, values: pd.Series, *, bins: int = DEFAULT_BINS
) -> DistributionProfile:
    """Profile one model feature as the registry declares it (a binary feature gets the
    categories ``"0"`` and ``"1"``; a feature the registry lacks is profiled by its values)."""
    from riskkit.features.registry import default_registry

    registry = default_registry()
    feature = registry[name] if name in registry else None  # noqa: SIM401 (raises, not KeyError)
    if feature is not None and feature.kind == "binary":
        return profile_values(name, values, kind="categorical", categories=("0", "1"))
    if feature is not None and feature.kind == "categorical":
        return profile_values(name, values, kind="categorical", categories=feature.categories)
    return profile_values(name, values, bins=bins)


def build_reference_profile(
    config: PipelineConfig,
    X_train: pd.DataFrame,
    probability: np.ndarray | None = None,
    *,
    bins: int = DEFAULT_BINS,
) -> ReferenceProfile:
    """The reference profile of a model's training part.

    Parameters
    ----------
    config : PipelineConfig
        The pipeline (its features, in order, and its bands).
    X_train : DataFrame
        The validated training part (the model's features).
    probability : ndarray, optional
        The model's calibrated probability on ``X_train``; profiled with the bands when given.
    bins : int
        Quantile bins of a numeric feature and of the score.

    Returns
    -------
    ReferenceProfile
    """
    features = tuple(
        feature_profile(name, X_train[name], bins=bins) for name in config.features.use
    )
    score = bands = None
    if probability is not None:
        p = np.asarray(probability, dtype="float64")
        score = profile_values("score", p, kind="numeric", bins=bins)
        names = tuple(config.band_names())
        thresholds = tuple(float(t) for t in config.band_thresholds())
        empty = BandProfile(names, thresholds, ())
        bands = BandProfile(names, thresholds, empty.count(p))
    return ReferenceProfile(n=len(X_train), features=features, score=score, bands=bands)

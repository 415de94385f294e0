"""Recourse: the smallest changes to changeable factors that would lower a person's risk band.

The additive model scores a person as ``L = b + sum_f shape_f(x_f)`` in log-odds, then (when
calibrated) maps ``L`` through one non-decreasing function to the probability the person is
given, and the band is read off that probability. Changing feature ``f`` from ``x`` to ``x'``
therefore moves the log-odds by exactly ``shape_f(x') - shape_f(x)``, whatever the other
features are. :func:`find_recourse` uses this to score candidate changes and their
combinations with vectorised numpy, never with one model prediction per candidate.

What is searched
----------------
Only model inputs the feature registry declares ``changeable`` and not ``protected``: never
age, criminal record or protected attributes. A changeable factor whose value is missing in the
record is left out (it is a gap in the record, not something the person can change) and listed
in :attr:`Recourse.missing_changeable`. Candidate values come from the feature's lookup table:

* numeric, integer and binary features: one value per bin of the shape function, the value of
  that bin nearest to the current one, inside the registry's ``[minimum, maximum]`` (binary:
  ``[0, 1]``); integers stay integers, other numbers are rounded to the coarsest decimal that
  stays in the bin and within 1 % of the allowed range of the exact nearest value;
* categorical features: every registry category the model knows, other than the current one.

A missing value is never proposed. Changes that do not lower the log-odds are dropped: they
can never be part of a smallest change set, because leaving them out gives fewer changes and a
probability at least as low.

What "smallest" means
---------------------
Change sets are ranked by, in order:

1. the number of features changed (1, then 2, up to ``max_changes``);
2. the total effort: for a numeric or integer feature, the distance moved as a fraction of the
   registry's allowed range (``|x' - x| / (maximum - minimum)``); a binary flip or a change of
   category counts 1 (the whole range);
3. the new probability (lower first), then the log-odds shift (larger first);
4. the model's feature order, then the candidate values' order (so ties break the same way
   every time).

The search does not score every combination. For each feature it keeps the candidates no
other candidate of that feature beats on both effort and log-odds shift (a beaten one can be
swapped for its better in any change set without losing rank); for a combination of features it
finds, for each candidate of the first feature, the least-effort completion on the others that
crosses the band's boundary in log-odds (the boundary is found once, by a grid search on the
probability map; the completion by a binary search on the others' sorted shifts). The change
set found is the one scoring every combination would find; for two changes the work is about
``features**2 * bins`` lookups instead of ``(features * bins)**2`` scored pairs.

The chosen change set is applied to the record and re-scored term by term from the lookup
tables, as the model scores a record, before it is reported, so
:attr:`Recourse.new_probability` is what the model's ``predict_proba`` gives for the changed
record (not the current log-odds plus a shift, which can differ in the last bits and so put a
probability on the wrong side of a threshold).

Reason codes
------------
When no recourse is found, :attr:`Recourse.reason` is one of these stable codes, which reports
translate (see :data:`REASONS`):

``"already_lowest_band"``
    The person is already in the lowest band; there is nothing lower to reach.
``"no_changeable_inputs"``
    None of the model's inputs is a changeable, non-protected factor.
``"not_reachable_within_allowed_ranges"``
    No combination of at most ``max_changes`` changeable factors, within their allowed ranges
    and categories, brings the probability into a lower band.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier, probability_pair
from riskkit.estimators.calibration import CalibratedAdditiveClassifier
from riskkit.estimators.shape import ShapeFunction
from riskkit.features.registry import Feature, FeatureRegistry, default_registry

Value = int | float | str

#: Changeable factors recourse never proposes. A health condition can change with treatment,
#: and the case plan offers that treatment; but "not having the condition" is not a change a
#: report should hold out as the way to a lower band.
NEVER_PROPOSED: Final[frozenset[str]] = frozenset({"mental_health_condition"})

REASONS: dict[str, str] = {
    "already_lowest_band": "The person is already in the lowest band.",
    "no_changeable_inputs": "None of the model's inputs is a changeable, non-protected factor.",
    "not_reachable_within_allowed_ranges": (
        "No change to at most max_changes changeable factors, within their allowed ranges and "
        "categories, reaches a lower band."
    ),
}
"""Reason codes of a :class:`Recourse` with ``found=False``, with their meaning in English."""

MAX_CHANGES_LIMIT = 3
"""The largest ``max_changes`` accepted: the candidates grow as (features x bins) to that power,
and a case plan acts on a few factors at a time."""

LOWEST_BAND_OPTIONS = 3
"""How many change sets reaching the lowest band are reported."""

# Re-scored term by term in batches of this many, best first, until enough are confirmed.
_VERIFY_BATCH = 8
# The band boundary in log-odds is found by a refined grid search; completions are looked up
# with this slack and the next few partners are kept, so a set within rounding of the boundary
# is never missed.
_BOUNDARY_SLACK = 1e-9
_BOUNDARY_GRID = 129
_BOUNDARY_ROUNDS = 6
_PARTNERS = 3
# Efforts equal to this many decimals are ties (sums of fractions differ in the last bits).
_EFFORT_DECIMALS = 12


@dataclass(frozen=True)
class RecourseChange:
    """One factor to change.

    Attributes
    ----------
    feature : str
        Registry name of the factor.
    current_value : int, float or str
        The person's value.
    new_value : int, float or str
        The proposed value (an integer for integer and binary features, a category name for
        categorical ones).
    contribution_change_points : float
        This change's share of the probability change, in probability points (0-1 scale): the
        probability change shared between the changed factors in proportion to their log-odds
        shifts, so the shares sum to ``new_probability - current_probability``.
    """

    feature: str
    current_value: Value
    new_value: Value
    contribution_change_points: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "feature": self.feature,
            "current_value": self.current_value,
            "new_value": self.new_value,
            "contribution_change_points": self.contribution_change_points,
        }


@dataclass(frozen=True)
class RecourseOption:
    """A change set and where it leads.

    Attributes
    ----------
    changes : tuple of RecourseChange
        The factors to change, in the model's feature order.
    new_probability : float
        The probability the model gives after the changes.
    new_band : str
        The band of ``new_probability``.
    effort : float
        Total effort (see the module docstring).
    """

    changes: tuple[RecourseChange, ...]
    new_probability: float
    new_band: str
    effort: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "changes": [c.to_dict() for c in self.changes],
            "new_probability": self.new_probability,
            "new_band": self.new_band,
            "effort": self.effort,
        }


@dataclass(frozen=True)
class Recourse:
    """The smallest changes to changeable factors that move a person into a lower band.

    Attributes
    ----------
    current_band : str
        The person's band now.
    target_band : str or None
        The next lower band (``None`` when the person is already in the lowest band).
    current_probability : float
        The probability the model gives now (calibrated, when the model is).
    new_probability : float or None
        The probability after ``changes``; ``None`` when none was found.
    changes : tuple of RecourseChange
        The smallest change set reaching ``target_band`` or a lower band; empty when none was
        found.
    found : bool
        Whether such a change set exists.
    reason : str or None
        Why none was found (a code of :data:`REASONS`); ``None`` when found.
    new_band : str or None
        The band after ``changes`` (``target_band`` or lower); ``None`` when none was found.
    effort : float or None
        Total effort of ``changes`` (see the module docstring); ``None`` when none was found.
    lowest_band_options : tuple of RecourseOption
        When the lowest band lies below ``target_band``: up to :data:`LOWEST_BAND_OPTIONS`
        change sets reaching the lowest band, best first by the same ranking and with the same
        ``max_changes`` (the first is the smallest such set and may equal ``changes``; the
        others are the next-best sets the search scored, not necessarily the next-best of
        every combination). Empty otherwise.
    missing_changeable : tuple of str
        Changeable factors left out because the record has no value for them (empty when the
        search did not run: ``already_lowest_band``, ``no_changeable_inputs``).
    """

    current_band: str
    target_band: str | None
    current_probability: float
    new_probability: float | None
    changes: tuple[RecourseChange, ...]
    found: bool
    reason: str | None
    new_band: str | None = None
    effort: float | None = None
    lowest_band_options: tuple[RecourseOption, ...] = ()
    missing_changeable: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "current_band": self.current_band,
            "target_band": self.target_band,
            "current_probability": self.current_probability,
            "new_probability": self.new_probability,
            "changes": [c.to_dict() for c in self.changes],
            "found": self.found,
            "reason": self.reason,
            "new_band": self.new_band,
            "effort": self.effort,
            "lowest_band_options": [o.to_dict() for o in self.lowest_band_options],
            "missing_changeable": list(self.missing_changeable),
        }


def find_recourse(
    model: AdditiveBoostedClassifier | CalibratedAdditiveClassifier,
    record: pd.DataFrame | pd.Series | Mapping[str, Any],
    *,
    band_thresholds: Sequence[float],
    band_names: Sequence[str],
    registry: FeatureRegistry | None = None,
    max_changes: int = 2,
    exclude: Collection[str] = NEVER_PROPOSED,
) -> Recourse:
    """The smallest changes to changeable factors that would move a person into a lower band.

    The answer describes the model, not the person's obligations: it says which changes to the
    recorded factors would lower the score this model gives, not that the person should make
    them, that they are feasible or fair to ask, or that they would lower the person's actual
    risk. Reports must say so in words.

    Parameters
    ----------
    model : AdditiveBoostedClassifier or CalibratedAdditiveClassifier
        A fitted model without pairwise interactions. Bands are read off the probability the
        person is given (the calibrated one for a calibrated model).
    record : DataFrame, Series or mapping
        One person, already validated: a one-row DataFrame, or registry name -> value. Every
        model input must be present.
    band_thresholds : sequence of float
        Upper probability of each band, increasing, the last one 1.0 (as in
        :func:`riskkit.estimators.bands.assign_bands`).
    band_names : sequence of str
        Band names, from lowest to highest risk.
    registry : FeatureRegistry, optional
        Which factors are changeable and protected, and their allowed ranges; the default
        registry when omitted. Model inputs it does not declare are treated as static.
    max_changes : int, default 2
        Most factors changed together (1 to :data:`MAX_CHANGES_LIMIT`; 3 is slower).
    exclude : collection of str, default :data:`NEVER_PROPOSED`
        Changeable factors never proposed (they are still scored as they are).

    Returns
    -------
    Recourse
        ``found=True`` with the smallest change set reaching the next lower band (or lower), or
        ``found=False`` with a reason code (see the module docstring).

    Raises
    ------
    RiskkitError
        For an unfitted or unsupported model, a model with pairwise interactions, bands that
        do not match or do not increase, ``max_changes`` out of range, or a record that is not
        one person with every model input.
    """
    additive, to_probability = _unwrap(model)
    shapes = additive.shape_functions_
    if shapes is None:
        raise RiskkitError(
            "find_recourse needs a model without pairwise interactions (its log-odds must be a "
            "sum of one lookup table per feature); this model was fit with interactions "
            f"{list(additive.interactions)}. Fit it without features.interactions."
        )
    thresholds = _check_bands(band_thresholds, band_names)
    if isinstance(max_changes, bool) or not isinstance(max_changes, (int, np.integer)):
        raise RiskkitError(
            f"max_changes must be an integer from 1 to {MAX_CHANGES_LIMIT}, got {max_changes!r}"
        )
    if not 1 <= max_changes <= MAX_CHANGES_LIMIT:
        raise RiskkitError(
            f"max_changes must be from 1 to {MAX_CHANGES_LIMIT}, got {max_changes}; the "
            "candidates grow as (features x bins) to that power"
        )
    registry = default_registry() if registry is None else registry
    names = [str(n) for n in additive.feature_names_in_]
    values = _record_values(record, names, set(additive.categories_))

    intercept = float(additive.intercept_ if additive.intercept_ is not None else 0.0)
    terms = np.array([*(_term(shapes[n], values[n]) for n in names), intercept])
    # summed as the model sums its table rows, so the probability is predict_proba's
    base_logit = float(terms.reshape(1, -1).sum(axis=1)[0])
    current_probability = float(to_probability(np.array([base_logit]))[0])
    current = int(_band_index(np.array([current_probability]), thresholds)[0])
    current_band = str(band_names[current])
    if current == 0:
        return _not_found(current_band, None, current_probability, "already_lowest_band")
    target = current - 1
    target_band = str(band_names[target])
    eligible = [
        name
        for name in names
        if name in registry
        and registry[name].changeable
        and not registry[name].protected
        and name not in exclude
    ]
    if not eligible:
        return _not_found(current_band, target_band, current_probability, "no_changeable_inputs")
    missing = tuple(name for name in eligible if values[name] is None)
    present = [name for name in eligible if values[name] is not None]
    search = _Search(
        names=names,
        shown={name: _shown(values[name], registry[name]) for name in present},
        candidates=_candidates([names.index(n) for n in present], names, values, shapes, registry),
        terms=terms,
        base_logit=base_logit,
        current_probability=current_probability,
        to_probability=to_probability,
        thresholds=thresholds,
        band_names=tuple(str(n) for n in band_names),
    )
    best = search.best(target, max_changes, 1)
    if not best:
        return _not_found(
            current_band,
            target_band,
            current_probability,
            "not_reachable_within_allowed_ranges",
            missing,
        )
    lowest = search.best(0, max_changes, LOWEST_BAND_OPTIONS) if target > 0 else []
    return Recourse(
        current_band=current_band,
        target_band=target_band,
        current_probability=current_probability,
        new_probability=best[0].new_probability,
        changes=best[0].changes,
        found=True,
        reason=None,
        new_band=best[0].new_band,
        effort=best[0].effort,
        lowest_band_options=tuple(lowest),
        missing_changeable=missing,
    )


# -- model and inputs -------------------------------------------------------------------------
def _unwrap(
    model: Any,
) -> tuple[AdditiveBoostedClassifier, Callable[[np.ndarray], np.ndarray]]:
    """The additive model and the map from its log-odds to the probability the person gets."""
    if isinstance(model, CalibratedAdditiveClassifier):
        if not hasattr(model, "calibrator_"):
            raise RiskkitError(
                "the CalibratedAdditiveClassifier is not fitted; fit it or load a registered "
                "model before asking for recourse"
            )
        calibrator = model.calibrator_
        estimator: AdditiveBoostedClassifier = model.estimator_
        return estimator, lambda logit: np.asarray(calibrator(logit), dtype="float64")
    if isinstance(model, AdditiveBoostedClassifier):
        if not hasattr(model, "booster_"):
            raise RiskkitError(
                "the AdditiveBoostedClassifier is not fitted; fit it or load a registered model "
                "before asking for recourse"
            )
        return model, lambda logit: np.asarray(probability_pair(logit)[:, 1])
    raise RiskkitError(
        f"find_recourse needs an AdditiveBoostedClassifier or CalibratedAdditiveClassifier, got "
        f"{type(model).__name__}; recourse relies on the additive model's lookup tables"
    )


def _check_bands(thresholds: Sequence[float], names: Sequence[str]) -> np.ndarray:
    array = np.asarray(list(thresholds), dtype="float64")
    if len(array) != len(names) or len(array) == 0:
        raise RiskkitError(
            f"band_thresholds and band_names must pair up, one threshold per band: got "
            f"{len(array)} thresholds and {len(names)} names (pass the pipeline's "
            "band_thresholds() and band_names())"
        )
    if not np.all(np.isfinite(array)) or np.any(np.diff(array) <= 0) or array[-1] != 1.0:
        raise RiskkitError(
            f"band_thresholds must increase and end at 1.0, got {array.tolist()}; pass the "
            "upper probability of each band from lowest to highest"
        )
    if len(set(names)) != len(names):
        raise RiskkitError(f"band_names repeat: {list(names)}; give each band its own name")
    return array


def _band_index(probability: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    # the same rule as riskkit.estimators.bands.assign_bands, on indices instead of names
    index = np.searchsorted(thresholds, probability, side="left")
    out: np.ndarray = np.minimum(index, len(thresholds) - 1)
    return out


def _is_missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _record_values(
    record: pd.DataFrame | pd.Series | Mapping[str, Any], names: list[str], categorical: set[str]
) -> dict[str, Any]:
    """The model inputs of one person as plain Python values (``None`` when missing)."""
    if isinstance(record, pd.DataFrame):
        if len(record) != 1:
            raise RiskkitError(
                f"record must be one person, got a DataFrame with {len(record)} rows; pass "
                "records.iloc[[i]] for person i"
            )
        row: Mapping[str, Any] = {str(k): v for k, v in record.iloc[0].items()}
    elif isinstance(record, (pd.Series, Mapping)):
        row = {str(k): v for k, v in record.items()}
    else:
        raise RiskkitError(
            f"record must be a one-row DataFrame, a Series or a mapping of registry name to "
            f"value, got {type(record).__name__}"
        )
    absent = [n for n in names if n not in row]
    if absent:
        raise RiskkitError(
            f"the record lacks the model's input(s) {absent}; the model was trained on {names}"
        )
    values: dict[str, Any] = {}
    for name in names:
        value = row[name]
        if _is_missing(value):
            values[name] = None
        elif name in categorical:
            values[name] = str(value)
        else:
            try:
                values[name] = float(value)
            except (TypeError, ValueError):
                raise RiskkitError(
                    f"feature {name!r} must be a number, got {value!r}; validate the record "
                    "against the pipeline's schema first"
                ) from None
    return values


def _term(shape: ShapeFunction, value: Any) -> float:
    """``shape.lookup`` for one value, without building arrays and indexes."""
    if value is None:
        return shape.missing_value
    if shape.kind == "categorical":
        if value in shape.categories:
            return shape.values[shape.categories.index(value)]
        return shape.missing_value
    return shape.values[int(np.searchsorted(shape.edges, value, side="left"))]


# -- candidates -------------------------------------------------------------------------------
def _candidates(
    features: list[int],
    names: list[str],
    values: Mapping[str, Any],
    shapes: Mapping[str, ShapeFunction],
    registry: FeatureRegistry,
) -> _Candidates:
    """Every single change that lowers the log-odds, feature by feature, values in order."""
    feature: list[np.ndarray] = []
    value: list[Value] = []
    term: list[np.ndarray] = []
    effort: list[np.ndarray] = []
    delta: list[np.ndarray] = []
    for j in features:
        name = names[j]
        shape, declared, current = shapes[name], registry[name], values[name]
        if shape.kind == "categorical":
            new, new_term, new_effort = _categorical_options(shape, declared, str(current))
        else:
            new, new_term, new_effort = _numeric_options(shape, declared, float(current))
        now = _term(shape, current)
        lowers = new_term < now
        feature.append(np.full(int(lowers.sum()), j, dtype=np.int64))
        value.extend(v for v, keep in zip(new, lowers, strict=True) if keep)
        term.append(new_term[lowers])
        delta.append(new_term[lowers] - now)
        effort.append(np.round(new_effort[lowers], _EFFORT_DECIMALS))
    if not feature:
        empty = np.empty(0, dtype="float64")
        return _Candidates(np.empty(0, dtype=np.int64), [], empty, empty, empty)
    return _Candidates(
        feature=np.concatenate(feature),
        value=value,
        term=np.concatenate(term),
        delta=np.concatenate(delta),
        effort=np.concatenate(effort),
    )


Options = tuple[list[Value], np.ndarray, np.ndarray]
"""Candidate values of one feature, their table values (log-odds) and their efforts."""


def _categorical_options(shape: ShapeFunction, feature: Feature, current: str) -> Options:
    allowed = feature.categories or shape.categories
    new = [c for c in allowed if c != current and c in shape.categories]
    if current not in shape.categories:
        new = []
    table = [shape.values[shape.categories.index(c)] for c in new]
    return list(new), np.asarray(table, dtype="float64"), np.ones(len(new))


def _numeric_options(shape: ShapeFunction, feature: Feature, current: float) -> Options:
    """For each bin other than the current one, its allowed value nearest to ``current``."""
    empty: Options = ([], np.empty(0), np.empty(0))
    if feature.kind == "binary":
        low, high = 0.0, 1.0
    elif feature.minimum is None or feature.maximum is None:
        return empty
    else:
        low, high = float(feature.minimum), float(feature.maximum)
    if high <= low:
        return empty
    spread = high - low
    edges = np.asarray(shape.edges, dtype="float64")
    table = np.asarray(shape.values, dtype="float64")
    here = int(np.searchsorted(edges, current, side="left"))
    bins = np.arange(len(table))
    # bin b holds (lower[b], upper[b]]; a bin reaching below the range starts at `low`
    # (the placeholder low - 1 keeps the arithmetic finite where that applies)
    lower = np.concatenate([[low - 1.0], np.maximum(edges, low - 1.0)])
    top = np.minimum(np.concatenate([edges, [high]]), high)
    closed = lower < low
    integer = feature.kind in ("integer", "binary")
    if integer:
        up = np.where(closed, math.ceil(low), np.floor(lower) + 1)
        down = np.floor(top)
    else:
        up = np.where(closed, low, _round_up(lower, top, spread))
        down = _round_down(top, lower, low, spread)
    value = np.where(bins > here, up, down)
    usable = np.flatnonzero(
        (bins != here)
        & (lower < value)
        & (value <= top)
        & (value >= low)
        & (np.searchsorted(edges, value, side="left") == bins)
    )
    new: list[Value] = [int(v) if integer else float(v) for v in value[usable]]
    return new, table[usable], np.abs(value[usable] - current) / spread


def _round_up(lower: np.ndarray, top: np.ndarray, spread: float) -> np.ndarray:
    """The coarsest round number above each ``lower`` and at most ``top``, within 1 % of the
    range of it (else the next float up)."""
    result: np.ndarray = np.nextafter(lower, math.inf)
    done = np.zeros(lower.shape, dtype=bool)
    for decimals in range(7):
        scale = 10.0**decimals
        value = (np.floor(lower * scale) + 1) / scale
        fits = ~done & (lower < value) & (value <= top) & (value - lower <= 0.01 * spread)
        result = np.where(fits, value, result)
        done |= fits
    return result


def _round_down(top: np.ndarray, lower: np.ndarray, low: float, spread: float) -> np.ndarray:
    """The coarsest round number at most each ``top``, above ``lower`` and at least ``low``,
    within 1 % of the range of it (else ``top`` itself)."""
    result = top.copy()
    done = np.zeros(top.shape, dtype=bool)
    for decimals in range(7):
        scale = 10.0**decimals
        value = np.floor(top * scale) / scale
        fits = ~done & (lower < value) & (value >= low) & (top - value <= 0.01 * spread)
        result = np.where(fits, value, result)
        done |= fits
    return result


# -- search -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Candidates:
    """Every single change that lowers the log-odds, flat: position ``i`` is one (feature,
    value) pair; features in model order, values in bin or category order."""

    feature: np.ndarray  # index of the feature among the model's inputs
    value: list[Value]
    term: np.ndarray  # the feature's table value (log-odds) at the new value
    delta: np.ndarray  # the log-odds shift: new table value minus the current one
    effort: np.ndarray


@dataclass(frozen=True)
class _Frontier:
    """Change sets on one group of features that no other set on the group beats on both
    effort and log-odds shift: effort increasing, shift strictly decreasing."""

    effort: np.ndarray
    delta: np.ndarray
    members: np.ndarray  # (sets, features in the group): candidate indices, model order


def _pareto(effort: np.ndarray, delta: np.ndarray, members: np.ndarray) -> _Frontier:
    keys = [members[:, i] for i in range(members.shape[1] - 1, -1, -1)]
    order = np.lexsort((*keys, delta, effort))
    effort, delta, members = effort[order], delta[order], members[order]
    lowest_before = np.minimum.accumulate(np.concatenate([[np.inf], delta[:-1]]))
    keep = delta < lowest_before
    return _Frontier(effort[keep], delta[keep], members[keep])


@dataclass
class _Search:
    """The person, the candidates and the model's probability map: ranks and confirms change
    sets."""

    names: list[str]
    shown: Mapping[str, Value]
    candidates: _Candidates
    terms: np.ndarray
    base_logit: float
    current_probability: float
    to_probability: Callable[[np.ndarray], np.ndarray]
    thresholds: np.ndarray
    band_names: tuple[str, ...]
    _frontiers: dict[tuple[int, ...], _Frontier] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.feature = self.candidates.feature
        self.delta = self.candidates.delta
        self.effort = self.candidates.effort
        self.term = self.candidates.term
        self.features = [int(j) for j in np.unique(self.feature)]

    def best(self, reach: int, max_changes: int, wanted: int) -> list[RecourseOption]:
        """Up to ``wanted`` confirmed change sets reaching band ``reach`` or lower, from the
        fewest factors that can, best first."""
        bound = self._bound(reach)
        if bound is None:
            return []
        for k in range(1, min(max_changes, len(self.features)) + 1):
            combos = self._completions(k, bound)
            if combos.size == 0:
                continue
            delta = self.delta[combos].sum(axis=1)
            effort = np.round(self.effort[combos].sum(axis=1), _EFFORT_DECIMALS)
            probability = self.to_probability(self.base_logit + delta)
            keys = [combos[:, i] for i in range(k - 1, -1, -1)]
            # lexsort's last key is the primary one: effort, probability, shift, indices
            order = np.lexsort((*keys, delta, probability, effort))
            ranked = order[_band_index(probability[order], self.thresholds) <= reach]
            confirmed = self._confirm(combos, effort, ranked, reach, wanted)
            if confirmed:
                return confirmed
        return []

    def _bound(self, reach: int) -> float | None:
        """A log-odds shift at or just past the largest one that still reaches band
        ``reach``; ``None`` when even changing every factor at once falls short."""
        threshold = self.thresholds[reach]
        lowest = [self.delta[self.feature == j].min() for j in self.features]
        low, high = self.base_logit + float(sum(lowest)), self.base_logit
        if self.to_probability(np.array([low]))[0] > threshold:
            return None
        # invariant: low reaches the band, high (at first the person's own log-odds) does not;
        # the probability map is non-decreasing, so the band is reached exactly below a point
        for _ in range(_BOUNDARY_ROUNDS):
            grid = np.linspace(low, high, _BOUNDARY_GRID)
            reached = self.to_probability(grid) <= threshold
            last = int(np.flatnonzero(reached)[-1])
            if last + 1 >= len(grid) or grid[last] == grid[last + 1]:
                break
            low, high = float(grid[last]), float(grid[last + 1])
        return high - self.base_logit + _BOUNDARY_SLACK

    def _frontier(self, group: tuple[int, ...]) -> _Frontier:
        """The frontier of change sets on ``group`` (one change per feature), cached."""
        if group not in self._frontiers:
            if len(group) == 1:
                members = np.flatnonzero(self.feature == group[0]).reshape(-1, 1)
            else:
                first, rest = self._frontier(group[:1]), self._frontier(group[1:])
                members = np.column_stack(
                    [
                        np.repeat(first.members, len(rest.members), axis=0),
                        np.tile(rest.members, (len(first.members), 1)),
                    ]
                )
            effort = np.round(self.effort[members].sum(axis=1), _EFFORT_DECIMALS)
            self._frontiers[group] = _pareto(effort, self.delta[members].sum(axis=1), members)
        return self._frontiers[group]

    def _completions(self, k: int, bound: float) -> np.ndarray:
        """Change sets on ``k`` features worth scoring: for each frontier candidate of a
        group's first feature, the least-effort frontier sets of the other features whose
        shift brings the total to ``bound`` or below (and the next few, for rounding)."""
        singles = np.concatenate([self._frontier((j,)).members for j in self.features])
        if k == 1:
            return singles
        first = singles[:, 0]
        blocks = []
        for group in itertools.combinations(self.features, k - 1):
            before = first[self.feature[first] < group[0]]
            rest = self._frontier(group)
            if before.size == 0 or rest.delta.size == 0:
                continue
            # rest.delta strictly decreases, so -rest.delta is sorted for searchsorted
            start = np.searchsorted(-rest.delta, self.delta[before] - bound, side="left")
            for offset in range(_PARTNERS):
                partner = start + offset
                usable = partner < rest.delta.size
                blocks.append(np.column_stack([before[usable], rest.members[partner[usable]]]))
        return np.concatenate(blocks) if blocks else np.empty((0, k), dtype=np.int64)

    def _confirm(
        self,
        combos: np.ndarray,
        effort: np.ndarray,
        ranked: np.ndarray,
        reach: int,
        wanted: int,
    ) -> list[RecourseOption]:
        """The first ``wanted`` ranked change sets that, applied to the record and re-scored
        term by term, really land in band ``reach`` or lower (a set whose probability sits
        within rounding of a threshold can fail this; it is then skipped)."""
        confirmed: list[RecourseOption] = []
        for start in range(0, ranked.size, _VERIFY_BATCH):
            positions = ranked[start : start + _VERIFY_BATCH]
            batch = combos[positions]
            rows = np.tile(self.terms, (len(batch), 1))
            rows[np.arange(len(batch))[:, None], self.feature[batch]] = self.term[batch]
            probability = self.to_probability(rows.sum(axis=1))
            bands = _band_index(probability, self.thresholds)
            for n, position in enumerate(positions):
                if bands[n] <= reach:
                    confirmed.append(
                        self._option(
                            combos[position],
                            float(effort[position]),
                            float(probability[n]),
                            int(bands[n]),
                        )
                    )
                    if len(confirmed) == wanted:
                        return confirmed
        return confirmed

    def _option(
        self, combo: np.ndarray, effort: float, probability: float, band: int
    ) -> RecourseOption:
        # share the probability change between the factors in proportion to their shifts
        slope = (probability - self.current_probability) / float(self.delta[combo].sum())
        changes = tuple(
            RecourseChange(
                feature=self.names[self.candidates.feature[i]],
                current_value=self.shown[self.names[self.candidates.feature[i]]],
                new_value=self.candidates.value[i],
                contribution_change_points=float(self.delta[i] * slope),
            )
            for i in combo
        )
        return RecourseOption(
            changes=changes,
            new_probability=probability,
            new_band=self.band_names[band],
            effort=effort,
        )


def _shown(value: str | float, feature: Feature) -> Value:
    """A record value as reports show it: integers for integer and binary features."""
    if isinstance(value, str):
        return value
    if feature.kind in ("integer", "binary") and float(value).is_integer():
        return int(value)
    return float(value)


def _not_found(
    current_band: str,
    target_band: str | None,
    probability: float,
    reason: str,
    missing: tuple[str, ...] = (),
) -> Recourse:
    return Recourse(
        current_band=current_band,
        target_band=target_band,
        current_probability=probability,
        new_probability=None,
        changes=(),
        found=False,
        reason=reason,
        missing_changeable=missing,
    )

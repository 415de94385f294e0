"""Scoring validated records with a registered model.

:func:`score_cases` computes everything that can be computed for many people at once in one pass
over the model's lookup tables (probability, band, exact contributions, scorecard points) and
returns a :class:`ScoredCases`: columns, not one Python object per person, so a million people
are scored in about a second. ``cases[i]`` (or iterating) builds the full
:class:`~riskkit.scoring.results.ScoreResult` of one person on demand, with the parts that are
only needed in a report: the needs profile, the case plan and the uncertainty interval.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, overload

import numpy as np
import pandas as pd

from riskkit.errors import RiskkitError
from riskkit.features.registry import default_registry
from riskkit.scoring.results import (
    FactorContribution,
    ModelIdentity,
    Override,
    ScoreResult,
)

if TYPE_CHECKING:
    from riskkit.estimators.needs import NeedsModel
    from riskkit.estimators.scorecard import PointsScorecard
    from riskkit.estimators.uncertainty import BootstrapIntervals
    from riskkit.scoring.catalogue import Catalogue
    from riskkit.tracking import LoadedModel


@dataclass(frozen=True)
class ScoredCases:
    """Scores of many people, as columns (see :func:`score_cases`).

    Attributes
    ----------
    person_ids : ndarray of str
    probability : ndarray of float
        Calibrated probability of the outcome.
    bands : ndarray of str
        Risk band of each person (the pipeline's thresholds).
    contributions : ndarray of shape (n, p)
        Probability points per feature; each row sums to ``probability - reference_probability``.
    features : tuple of str
        The model's inputs, in the columns' order.
    values : DataFrame
        The inputs as scored (one row per person).

    The remaining fields carry what a person's full result needs when it is read: the
    estimator and the log-odds of the scoring pass (scorecard points, recourse), the bands, the
    needs model and its inputs, the jurisdiction's catalogue, and the bootstrap refits with the
    calibration map (the uncertainty interval).
    """

    person_ids: np.ndarray
    probability: np.ndarray
    bands: np.ndarray
    contributions: np.ndarray
    features: tuple[str, ...]
    changeable: tuple[bool, ...]
    values: pd.DataFrame
    reference_probability: float
    outcome: str
    model: ModelIdentity
    scored_at: str
    estimator: Any = field(default=None, repr=False)
    log_odds: np.ndarray | None = field(default=None, repr=False)
    band_thresholds: tuple[float, ...] | None = None
    band_names: tuple[str, ...] = ()
    needs_model: NeedsModel | None = field(default=None, repr=False)
    needs_inputs: pd.DataFrame | None = field(default=None, repr=False)
    catalogue: Catalogue | None = field(default=None, repr=False)
    intervals: BootstrapIntervals | None = field(default=None, repr=False)
    calibrator: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.person_ids)

    @cached_property
    def scorecard(self) -> PointsScorecard | None:
        """The model's points scorecard (calibrated table, as printed), built on first use."""
        return None if self.estimator is None else scorecard_of(self.estimator)

    @cached_property
    def needs_probabilities(self) -> np.ndarray | None:
        """Each person's probability per need domain (``needs_model.domains_`` order), from
        one prediction for everybody the first time a result is read."""
        if self.needs_model is None or self.needs_inputs is None:
            return None
        values: np.ndarray = self.needs_model.predict_proba(self.needs_inputs).to_numpy(
            dtype="float64"
        )
        return values

    @cached_property
    def scorecard_points(self) -> np.ndarray | None:
        """Each person's total on the printed scorecard. Each feature's points are the
        scorecard's rounding of the table value the person's bin has, so they come from the
        log-odds already computed rather than a second lookup."""
        card = self.scorecard
        if card is None or self.log_odds is None:
            return None
        shapes = card.additive_.shape_functions_
        assert shapes is not None
        totals = np.zeros(len(self), dtype=np.int64)
        for j, name in enumerate(self.features):
            shape = shapes[name]
            lowest = min(min(shape.values, default=shape.missing_value), shape.missing_value)
            totals += np.rint((self.log_odds[:, j] - lowest) / card.log_odds_per_point_).astype(
                np.int64
            )
        return totals

    @cached_property
    def interval_bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Everybody's uncertainty interval ``(low, high)``, from one pass over the bootstrap
        refits the first time a result is read (None when the model has no refits)."""
        if self.intervals is None:
            return None
        return self.intervals.interval(self.values, calibrator=self.calibrator)

    def result(self, index: int, *, recourse: bool = True) -> ScoreResult:
        """Person ``index``'s full result; ``recourse=False`` leaves out the search for what
        would change the band (the slowest part, a few milliseconds a person)."""
        position = range(len(self))[index]  # raises IndexError, allows negative indices
        return self._result(position, recourse=recourse)

    @overload
    def __getitem__(self, index: int) -> ScoreResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[ScoreResult]: ...

    def __getitem__(self, index: int | slice) -> ScoreResult | list[ScoreResult]:
        if isinstance(index, slice):
            return [self._result(i) for i in range(len(self))[index]]
        position = range(len(self))[index]  # raises IndexError, allows negative indices
        return self._result(position)

    def __iter__(self) -> Iterator[ScoreResult]:
        for i in range(len(self)):
            yield self._result(i)

    def band_counts(self, band_names: Sequence[str]) -> dict[str, int]:
        """People per band, in the order of ``band_names``."""
        names, counts = np.unique(self.bands, return_counts=True)
        found = dict(zip(names.tolist(), counts.tolist(), strict=True))
        return {name: int(found.get(name, 0)) for name in band_names}

    def to_frame(self, *, top: int = 3) -> pd.DataFrame:
        """One row per person: id, probability, band, scorecard points and the ``top`` factors
        by absolute effect (``factor_1``, ``points_1``, ...)."""
        order = np.argsort(-np.abs(self.contributions), axis=1, kind="stable")[:, :top]
        rows = np.arange(len(self))[:, None]
        columns: dict[str, Any] = {
            "person_id": self.person_ids,
            "probability": self.probability,
            "band": self.bands,
        }
        if self.scorecard_points is not None:
            columns["points"] = self.scorecard_points
        names = np.asarray(self.features, dtype=object)
        for k in range(order.shape[1]):
            columns[f"factor_{k + 1}"] = names[order[:, k]]
            columns[f"points_{k + 1}"] = self.contributions[rows[:, 0], order[:, k]]
        return pd.DataFrame(columns)

    def _result(self, i: int, *, recourse: bool = True) -> ScoreResult:
        points = self.contributions[i]
        order = np.argsort(-np.abs(points), kind="stable")
        row = self.values.iloc[i]
        contributions = tuple(
            FactorContribution(
                feature=self.features[j],
                value=_plain(row.iloc[j]),
                points=float(points[j]),
                changeable=self.changeable[j],
            )
            for j in order
        )
        needs = None
        if self.needs_model is not None and self.needs_probabilities is not None:
            needs = self.needs_model.profile_from_probabilities(self.needs_probabilities[i])
        case_plan = None
        if self.catalogue is not None:
            from riskkit.scoring.interventions import recommend_interventions

            case_plan = recommend_interventions(str(self.bands[i]), needs, self.catalogue)
        found_recourse = None
        if recourse and self.band_thresholds is not None and self.estimator is not None:
            from riskkit.explain.recourse import find_recourse

            additive = getattr(self.estimator, "estimator_", self.estimator)
            if not list(additive.interactions or []):
                found_recourse = find_recourse(
                    self.estimator,
                    self.values.iloc[[i]],
                    band_thresholds=self.band_thresholds,
                    band_names=self.band_names,
                )
        interval = None
        if self.intervals is not None and self.interval_bounds is not None:
            low, high = self.interval_bounds
            interval = (float(low[i]), float(high[i]), float(self.intervals.level))
        return ScoreResult(
            person_id=str(self.person_ids[i]),
            probability=float(self.probability[i]),
            band=str(self.bands[i]),
            reference_probability=self.reference_probability,
            outcome=self.outcome,
            contributions=contributions,
            model=self.model,
            scored_at=self.scored_at,
            interval=interval,
            scorecard_points=None
            if self.scorecard_points is None
            else int(self.scorecard_points[i]),
            needs=needs,
            case_plan=case_plan,
            recourse=found_recourse,
        )


def score_cases(
    model: LoadedModel,
    records: pd.DataFrame,
    *,
    needs_model: NeedsModel | None = None,
    catalogue: Catalogue | None = None,
    scored_at: datetime | None = None,
) -> ScoredCases:
    """Score validated records: probability, band and exact per-feature contributions.

    Parameters
    ----------
    model : LoadedModel
        A registered risk model (see :func:`riskkit.tracking.load_model`).
    records : DataFrame
        Records validated against the model's schema (typed; one row per person, with the
        pipeline's id column).
    needs_model : NeedsModel, optional
        Gives each person's needs profile (built when a person's result is read).
    catalogue : Catalogue, optional
        The jurisdiction's catalogue: each person's case plan (supervision, measures,
        programmes for the top needs).
    scored_at : datetime, optional
        The time recorded with the scores; now (UTC) by default.

    Returns
    -------
    ScoredCases
        In the order of ``records``.
    """
    from riskkit.estimators.bands import assign_bands

    if getattr(model, "kind", "risk") != "risk":
        raise RiskkitError(
            f"{model.reference} is a needs model; score people with a risk model and pass the "
            "needs model as needs_model="
        )
    estimator, config = model.bundle.estimator, model.bundle.config
    registry = default_registry()
    features = tuple(str(n) for n in estimator.feature_names_in_)
    missing = [f for f in features if f not in records.columns]
    if missing:
        raise RiskkitError(
            f"the records lack the model's input(s) {missing}; validate them against pipeline "
            f"{config.name!r} first (riskkit data validate)"
        )
    if catalogue is not None:
        catalogue.check_bands(config.band_names())
    needs_inputs = None
    if needs_model is not None:
        wanted = sorted({f for names in needs_model.features_.values() for f in names})
        absent = [f for f in wanted if f not in records.columns]
        if absent:
            raise RiskkitError(
                f"the needs model reads {absent}, which the records do not have; score records "
                f"that carry both models' inputs (the risk pipeline {config.name!r} validates "
                "only its own columns)"
            )
        needs_inputs = records[wanted].reset_index(drop=True)
    X = records[list(features)]
    probability, contributions, log_odds = _explain_in_parallel(estimator, X)
    bands = assign_bands(probability, config.band_thresholds(), config.band_names())
    when = (scored_at or datetime.now(UTC)).isoformat(timespec="seconds")
    return ScoredCases(
        person_ids=records[config.data.id_column].astype(str).to_numpy(),
        probability=probability,
        bands=np.asarray(bands),
        contributions=contributions,
        features=features,
        changeable=tuple(registry[f].changeable for f in features),
        values=X.reset_index(drop=True),
        reference_probability=float(estimator.reference_probability_),
        outcome=config.target.column,
        model=ModelIdentity(name=model.name, version=model.version, alias=model.alias),
        scored_at=when,
        estimator=estimator,
        intervals=model.bundle.intervals,
        calibrator=getattr(estimator, "calibrator_", None),
        log_odds=log_odds,
        band_thresholds=tuple(config.band_thresholds()),
        band_names=tuple(config.band_names()),
        needs_model=needs_model,
        needs_inputs=needs_inputs,
        catalogue=catalogue,
    )


#: Below this many people one thread is as fast (starting threads costs more than it saves).
PARALLEL_FROM: Final = 100_000


def _explain_in_parallel(
    estimator: Any, X: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``estimator.explain_arrays(X)``, in two halves on two threads for large inputs (the
    table lookups and array arithmetic release the GIL)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    workers = min(2, os.cpu_count() or 1)
    if len(X) < PARALLEL_FROM or workers < 2:
        whole = estimator.explain_arrays(X)
        return whole.probability, whole.points, whole.log_odds
    half = len(X) // 2
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(estimator.explain_arrays, (X.iloc[:half], X.iloc[half:])))
    return tuple(  # type: ignore[return-value]
        np.concatenate([part[k] for part in parts]) for k in range(3)
    )


_SCORECARDS: weakref.WeakKeyDictionary[Any, PointsScorecard | None] = weakref.WeakKeyDictionary()


def scorecard_of(estimator: Any) -> PointsScorecard | None:
    """The points scorecard of the model, as ``riskkit train`` prints it (calibrated table);
    derived once per loaded model, since a service scores one person at a time."""
    if estimator not in _SCORECARDS:
        _SCORECARDS[estimator] = _derive_scorecard(estimator)
    return _SCORECARDS[estimator]


def _derive_scorecard(estimator: Any) -> PointsScorecard | None:
    from riskkit.estimators.scorecard import PointsScorecard

    additive = getattr(estimator, "estimator_", estimator)
    if not getattr(additive, "shape_functions_", None) or list(additive.interactions or []):
        return None  # a pairwise interaction has no one-dimensional table to print as points
    card = PointsScorecard.from_additive(additive)
    calibrator = getattr(estimator, "calibrator_", None)
    if calibrator is not None:
        card.calibrate_table(calibrator, getattr(estimator, "method_", "calibrated"))
    return card


def apply_override(
    result: ScoreResult, band: str, reason: str, *, band_names: Sequence[str]
) -> ScoreResult:
    """The result with a case worker's override: ``final_band`` becomes ``band``, the model's
    band stays in ``band``, and the reason is kept.

    Raises
    ------
    RiskkitError
        When the band is not one of the pipeline's, or the reason is empty.
    """
    if band not in band_names:
        raise RiskkitError(
            f"override band {band!r} is not one of the pipeline's bands {list(band_names)}"
        )
    if not reason.strip():
        raise RiskkitError(
            "an override needs a reason (--reason TEXT): it is kept with the score so the "
            "decision can be reviewed"
        )
    from dataclasses import replace

    return replace(result, override=Override(band=band, reason=reason.strip()))


def _plain(value: object) -> str | float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return int(number) if number.is_integer() else number
    return str(value)

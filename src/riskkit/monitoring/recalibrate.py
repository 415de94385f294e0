"""Recalibration: refit only the calibration map of a model on a new cohort, and register the
result as a new version through the training's promotion gates.

Calibration maps the additive model's log-odds through one non-decreasing function (Platt
scaling or isotonic regression, see :mod:`riskkit.estimators.calibration`). When the population
or the recording of outcomes changes, the ranking may hold while the probabilities drift (the
outcomes check then recommends *recalibrate*). :func:`recalibrate` keeps the additive model (its
shape functions, so every explanation's factors) and fits a new map on the cohort's log-odds,
choosing Platt or isotonic by cross-validated log-loss as training does.

The figures that judge the new version are honest: they are measured on the cohort's
**cross-validated** probabilities (each fold's map fitted on the other folds), never on the
people a map was fitted on. They become the new version's ``test_*`` run metrics, so the
promotion gates of training (:func:`riskkit.training.promotion.decide_promotion`: minimum AUC,
maximum ECE, largest group gap, and not worse than the champion) apply unchanged; the champion
is compared on the same cohort. The model as registered, on the same cohort, gives the
``before_*`` figures and the recalibrated one the ``after_*`` figures.

:func:`calibrate_score_column` does the same for an imported instrument's score (e.g. COMPAS's
``decile_score``): a map from score to probability, saved as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from riskkit.errors import RiskkitError

if TYPE_CHECKING:
    import pandas as pd

    from riskkit.config import PipelineConfig
    from riskkit.estimators.calibration import (
        CalibratedAdditiveClassifier,
        Calibrator,
        RiskModel,
    )
    from riskkit.monitoring.outcomes import Cohort
    from riskkit.tracking import LoadedModel, RegisteredVersion
    from riskkit.training.evaluation import Estimate, Evaluation
    from riskkit.training.promotion import PromotionDecision

__all__ = [
    "CALIBRATION_METRICS",
    "CalibrationFit",
    "Recalibration",
    "ScoreCalibration",
    "ScoreCalibrationRow",
    "calibrate_score_column",
    "fit_calibration",
    "recalibrate",
    "recalibrated_estimator",
    "register_recalibration",
]

Method = Literal["auto", "platt", "isotonic"]
#: The figures recorded before and after recalibration (``before_<name>``, ``after_<name>``).
CALIBRATION_METRICS: Final = (
    "auc",
    "brier",
    "log_loss",
    "ece",
    "calibration_slope",
    "calibration_intercept",
)
#: Format tag of a score column's calibration map (:meth:`ScoreCalibration.to_dict`).
SCORE_MAP_FORMAT: Final = "riskkit.score_calibration/1"
#: A score with at most this many distinct values gets one table row per value.
_MAX_TABLE_VALUES: Final = 20


# --- the calibration map ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CalibrationFit:
    """A calibration map fitted on one cohort.

    Attributes
    ----------
    method : {"platt", "isotonic"}
        The map chosen.
    calibrator : Calibrator
        The map fitted on the whole cohort.
    cv_log_loss : dict
        Cross-validated log-loss of each method tried.
    cross_validated : ndarray
        Each person's probability from the chosen method's map fitted on the other folds.
    n_folds : int
        Folds used.
    """

    method: Literal["platt", "isotonic"]
    calibrator: Calibrator
    cv_log_loss: dict[str, float]
    cross_validated: np.ndarray
    n_folds: int


def fit_calibration(
    score: np.ndarray, y: np.ndarray, *, method: Method = "auto", cv: int = 5, seed: int = 0
) -> CalibrationFit:
    """Fit a non-decreasing map from ``score`` to probability, choosing the method by
    cross-validated log-loss.

    The selection is the one training makes
    (:class:`~riskkit.estimators.calibration.CalibratedAdditiveClassifier`: the same stratified
    folds, :class:`~riskkit.estimators.calibration.Calibrator` and log-loss), applied to a fixed
    score instead of out-of-fold refits of the model.

    Parameters
    ----------
    score : ndarray
        Log-odds of the additive model, or any score where higher means more likely.
    y : ndarray of 0/1
        Outcomes.
    method : {"auto", "platt", "isotonic"}
        ``auto`` fits both and keeps the one with the lower cross-validated log-loss.
    cv : int
        Folds (fewer when a class has fewer records).
    seed : int
        Seed of the folds.

    Returns
    -------
    CalibrationFit

    Raises
    ------
    RiskkitError
        For an unknown method, or fewer than 2 records of a class.
    """
    from sklearn.model_selection import StratifiedKFold

    from riskkit.estimators.calibration import Calibrator
    from riskkit.metrics.calibration import log_loss

    if method not in ("auto", "platt", "isotonic"):
        raise RiskkitError(f"unknown calibration method {method!r}; use auto, platt or isotonic")
    score = np.asarray(score, dtype="float64")
    y = np.asarray(y).astype("int64")
    counts = np.bincount(y, minlength=2)
    n_folds = int(min(cv, counts.min()))
    if n_folds < 2:
        raise RiskkitError(
            "a calibration map needs at least 2 records of each outcome for its folds; found "
            f"{counts[0]} zeros and {counts[1]} ones"
        )
    folds = list(
        StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    )
    methods: list[Literal["platt", "isotonic"]] = (
        ["platt", "isotonic"] if method == "auto" else [method]
    )
    losses: dict[str, float] = {}
    predictions: dict[str, np.ndarray] = {}
    for candidate in methods:
        predicted = np.empty(len(y), dtype="float64")
        for train, test in folds:
            predicted[test] = Calibrator.fit(candidate, score[train], y[train])(score[test])
        losses[candidate] = log_loss(y, predicted)
        predictions[candidate] = predicted
    chosen = min(methods, key=losses.__getitem__)
    return CalibrationFit(
        method=chosen,
        calibrator=Calibrator.fit(chosen, score, y),
        cv_log_loss=losses,
        cross_validated=predictions[chosen],
        n_folds=n_folds,
    )


def recalibrated_estimator(
    estimator: RiskModel, fit: CalibrationFit, X: pd.DataFrame
) -> CalibratedAdditiveClassifier:
    """The same additive model with a new calibration map.

    The shape functions (and so the factors of every explanation) are unchanged. The
    population average that contributions are measured from becomes the cohort's mean
    calibrated probability (``X``): the population the model now serves.

    Parameters
    ----------
    estimator : AdditiveBoostedClassifier or CalibratedAdditiveClassifier
        The registered model (calibrated or not).
    fit : CalibrationFit
        The new map, fitted on the additive model's log-odds.
    X : DataFrame
        The cohort's features.
    """
    from riskkit.estimators.calibration import CalibratedAdditiveClassifier, anchor_for

    if isinstance(estimator, CalibratedAdditiveClassifier):
        additive, cv, seed = estimator.estimator_, estimator.cv, estimator.random_state
    else:
        additive, cv, seed = estimator, fit.n_folds, 0
    model = CalibratedAdditiveClassifier(additive, method=fit.method, cv=cv, random_state=seed)
    model.estimator_ = additive
    model.calibrator_ = fit.calibrator
    model.method_ = fit.method
    model.cv_log_loss_ = dict(fit.cv_log_loss)
    model.classes_ = np.asarray(estimator.classes_)
    logit = additive.decision_function(X)
    model.reference_probability_ = float(np.mean(fit.calibrator(logit)))
    model.anchor_logit_ = anchor_for(
        fit.calibrator, model.reference_probability_, float(logit.min()), float(logit.max())
    )
    return model


# --- a registered model -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Recalibration:
    """A registered model recalibrated on a cohort, judged by the promotion gates.

    Attributes
    ----------
    estimator : CalibratedAdditiveClassifier
        The new model (same additive model, new map).
    fit : CalibrationFit
        The map and how it was chosen.
    before : dict of str to Estimate
        :data:`CALIBRATION_METRICS` of the model as registered, on the cohort.
    after : Evaluation
        The training evaluation of the cross-validated recalibrated probabilities (overall and
        by group); its ``test_*`` metrics are the new version's.
    decision : PromotionDecision
        The training's promotion gates on those metrics.
    champion_auc : float or None
        The champion's AUC on the same cohort (None when there is no champion).
    """

    estimator: CalibratedAdditiveClassifier
    fit: CalibrationFit
    before: dict[str, Estimate]
    after: Evaluation
    decision: PromotionDecision
    champion_auc: float | None

    def metrics(self) -> dict[str, float]:
        """The new version's run metrics: ``test_*`` (cross-validated on the cohort, as the
        gates read them), ``before_*`` and ``after_*`` (with ``_low``/``_high``), the
        cross-validated log-loss of each method tried and the reference probability."""
        out = dict(self.after.flat_metrics())
        for name in CALIBRATION_METRICS:
            for stage, estimate in (
                ("before", self.before[name]),
                ("after", self.after.overall[name]),
            ):
                out[f"{stage}_{name}"] = estimate.value
                out[f"{stage}_{name}_low"] = estimate.low
                out[f"{stage}_{name}_high"] = estimate.high
        out.update({f"cv_log_loss_{k}": v for k, v in self.fit.cv_log_loss.items()})
        out["reference_probability"] = float(self.estimator.reference_probability_)
        if self.champion_auc is not None:
            out["champion_cohort_auc"] = self.champion_auc
        return out

    def summary(self) -> dict[str, Any]:
        """Before/after figures, the map and the decision, JSON-serialisable."""
        from riskkit.json_values import finite_json

        return {
            "method": self.fit.method,
            "cv_log_loss": finite_json(self.fit.cv_log_loss),
            "folds": self.fit.n_folds,
            "calibrator": self.fit.calibrator.to_dict(),
            "before": {name: self.before[name].to_dict() for name in CALIBRATION_METRICS},
            "after": {name: self.after.overall[name].to_dict() for name in CALIBRATION_METRICS},
            "groups": finite_json(self.after.groups),
            "max_group_gap": finite_json(self.after.max_group_gap),
            "champion_cohort_auc": self.champion_auc,
            "promotion": {
                "promoted": self.decision.promoted,
                "reasons": list(self.decision.reasons),
                "summary": self.decision.summary(),
            },
        }


def recalibrate(
    estimator: RiskModel,
    config: PipelineConfig,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    sensitive: pd.DataFrame | None = None,
    method: Method | None = None,
    champion_auc: float | None = None,
    champion_version: int | None = None,
    n_resamples: int = 200,
) -> Recalibration:
    """Refit a model's calibration map on a cohort and judge it by the promotion gates.

    Parameters
    ----------
    estimator : AdditiveBoostedClassifier or CalibratedAdditiveClassifier
        The registered model.
    config : PipelineConfig
        Its pipeline: ``[calibration]`` (method and folds; ``none`` means ``auto`` here),
        ``[promotion]`` (the gates), the bands (decision threshold of the group gaps),
        ``[sensitive]`` and ``[split] seed`` (of the bootstrap, as in training).
    X : DataFrame
        The cohort's features.
    y : ndarray of 0/1
        The cohort's outcomes.
    sensitive : DataFrame, optional
        The cohort's sensitive attributes (for the group gap gate and the figures by group).
    method : {"auto", "platt", "isotonic"}, optional
        Instead of the pipeline's ``[calibration] method``.
    champion_auc : float, optional
        The current champion's AUC on this cohort; the new version must reach it minus
        ``[promotion] auc_tolerance``.
    champion_version : int, optional
        The champion's version, for the gate's message.
    n_resamples : int
        Bootstrap resamples of the intervals.

    Returns
    -------
    Recalibration
    """
    from riskkit.estimators.calibration import CalibratedAdditiveClassifier
    from riskkit.training.evaluation import (
        bootstrap_estimates,
        evaluate_for_pipeline,
        metric_functions,
    )
    from riskkit.training.promotion import decide_promotion

    chosen: Method = method or (
        "auto" if config.calibration.method == "none" else config.calibration.method
    )
    additive = (
        estimator.estimator_ if isinstance(estimator, CalibratedAdditiveClassifier) else estimator
    )
    y = np.asarray(y).astype("int64")
    logit = additive.decision_function(X)
    fit = fit_calibration(logit, y, method=chosen, cv=config.calibration.cv, seed=config.model.seed)
    new = recalibrated_estimator(estimator, fit, X)
    functions = {k: v for k, v in metric_functions().items() if k in CALIBRATION_METRICS}
    seed = config.split.seed
    before = bootstrap_estimates(
        y, estimator.predict_proba(X)[:, 1], functions, n_resamples=n_resamples, seed=seed
    )
    after = evaluate_for_pipeline(
        y, fit.cross_validated, config, sensitive=sensitive, n_resamples=n_resamples, seed=seed
    )
    decision = decide_promotion(
        after.flat_metrics(),
        config.promotion,
        champion_metrics=None if champion_auc is None else {"test_auc": champion_auc},
        champion_version=champion_version,
    )
    return Recalibration(
        estimator=new,
        fit=fit,
        before=before,
        after=after,
        decision=decision,
        champion_auc=champion_auc,
    )


def register_recalibration(
    loaded: LoadedModel,
    cohort: Cohort,
    result: Recalibration,
    *,
    reason: str,
    artifacts: Mapping[str, Path] | None = None,
) -> RegisteredVersion:
    """Log the recalibration as a run and register the new version (MLflow, through
    :mod:`riskkit.tracking`); ``champion`` moves to it only when the gates passed.

    Recorded: the reason, the parent version and the cohort (file, SHA-256, size in bytes,
    records read, used and rejected) as params and tags; the before/after figures and the new
    ``test_*`` metrics as metrics; the promotion decision, the reason and the parent on the
    model version.
    """
    from riskkit import tracking

    bundle = loaded.bundle
    parent = f"{loaded.name}/{loaded.version}"
    tags = {
        "pipeline": bundle.config.name,
        "riskkit_step": "recalibrate",
        "recalibrated_from": parent,
        "recalibration_reason": reason,
        "data_source": cohort.source,
        "data_sha256": cohort.sha256,
        "data_bytes": str(cohort.n_bytes),
        **tracking.environment_tags(),
    }
    params: dict[str, Any] = {
        "recalibration.reason": reason,
        "recalibration.parent": parent,
        "recalibration.method": result.fit.method,
        "recalibration.folds": result.fit.n_folds,
        "recalibration.data_file": cohort.source,
        "recalibration.data_sha256": cohort.sha256,
        "recalibration.data_bytes": cohort.n_bytes,
        "recalibration.n_read": cohort.n_read,
        "recalibration.n_records": cohort.n_valid,
        "recalibration.n_rejected": cohort.n_rejected,
        "recalibration.recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": bundle.config.features.use,
        "target": bundle.config.target.column,
        "calibration": result.fit.method,
    }
    return tracking.log_and_register(
        tracking.ModelBundle(
            estimator=result.estimator, config=bundle.config, intervals=bundle.intervals
        ),
        params=params,
        metrics=result.metrics(),
        tags=tags,
        artifacts=artifacts,
        promote=result.decision.promoted,
        run_name=f"{bundle.config.name}-recalibrate-v{loaded.version}",
        version_tags={
            "promotion": result.decision.summary(),
            "riskkit_kind": "risk",
            "recalibrated_from": parent,
            "recalibration_reason": reason,
        },
    )


# --- an imported instrument's score -----------------------------------------------------------


@dataclass(frozen=True)
class ScoreCalibrationRow:
    """One line of a score's calibration table: the people with a score in ``[low, high]``."""

    low: float
    high: float
    n: int
    observed: float
    probability: float

    def to_dict(self) -> dict[str, float | int]:
        """JSON-serialisable form."""
        return {
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "observed": self.observed,
            "probability": self.probability,
        }


@dataclass(frozen=True, eq=False)
class ScoreCalibration:
    """A map from an instrument's score to a probability, with its table and figures.

    Attributes
    ----------
    score_column, label_column : str
        The columns used.
    fit : CalibrationFit
        The map.
    table : tuple of ScoreCalibrationRow
        One row per score value (at most 20 values) or per tenth of the people.
    metrics : dict
        AUC of the score; Brier score, ECE, calibration slope and intercept of the
        cross-validated probabilities.
    n : int
        People used.
    rejects : DataFrame
        Rows left out (outcome not 0/1, or no number in the score), with a ``reason``.
    """

    score_column: str
    label_column: str
    fit: CalibrationFit
    table: tuple[ScoreCalibrationRow, ...]
    metrics: dict[str, float]
    n: int
    rejects: pd.DataFrame

    def predict(self, score: np.ndarray) -> np.ndarray:
        """Probabilities for scores."""
        out: np.ndarray = self.fit.calibrator(np.asarray(score, dtype="float64"))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The map as saved (``--out``): format, columns, method, parameters, table, figures."""
        from riskkit.json_values import finite_json

        return {
            "format": SCORE_MAP_FORMAT,
            "score_column": self.score_column,
            "label_column": self.label_column,
            "method": self.fit.method,
            "calibrator": self.fit.calibrator.to_dict(),
            "cv_log_loss": finite_json(self.fit.cv_log_loss),
            "folds": self.fit.n_folds,
            "n": self.n,
            "rejected": len(self.rejects),
            "metrics": finite_json(self.metrics),
            "table": [row.to_dict() for row in self.table],
        }

    def render_table(self) -> str:
        """The calibration table as plain text."""
        lines = [
            f"{'score':>15}  {'people':>7}  {'observed':>9}  {'probability':>11}",
        ]
        for row in self.table:
            span = f"{row.low:g}" if row.low == row.high else f"{row.low:g}-{row.high:g}"
            lines.append(f"{span:>15}  {row.n:>7}  {row.observed:>9.3f}  {row.probability:>11.3f}")
        return "\n".join(lines)


def calibrate_score_column(
    frame: pd.DataFrame,
    *,
    score_column: str,
    label_column: str,
    method: Method = "auto",
    cv: int = 5,
    seed: int = 0,
    source: str = "the data",
) -> ScoreCalibration:
    """Fit a calibration map from an existing score column to the probability of the outcome.

    Rows whose outcome is not 0/1 (``true``/``false``, ``yes``/``no`` are read too) or whose
    score is missing are left out, as ``riskkit audit --score-column`` does.

    Parameters
    ----------
    frame : DataFrame
        One row per person.
    score_column : str
        The instrument's score (higher = riskier), e.g. ``"decile_score"``.
    label_column : str
        The observed outcome, e.g. ``"two_year_recid"``.
    method, cv, seed
        As in :func:`fit_calibration`.
    source : str
        Name of the data, for messages.

    Returns
    -------
    ScoreCalibration

    Raises
    ------
    RiskkitError
        When a column is missing (the message lists the columns), or too few rows remain.
    """
    import pandas as pd

    from riskkit.fairness.score_audit import outcome_flags, require_columns
    from riskkit.metrics import auc
    from riskkit.training.evaluation import metric_functions

    require_columns(frame, {"score": score_column, "label": label_column}, source)
    outcomes, bad_outcome = outcome_flags(frame[label_column])
    scores = pd.to_numeric(frame[score_column], errors="coerce").to_numpy(dtype=np.float64)
    bad_score = ~np.isfinite(scores)
    reasons = np.full(len(frame), "", dtype=object)
    reasons[bad_outcome] = f"{label_column}: not 0/1"
    reasons[bad_score & ~bad_outcome] = f"{score_column}: missing or not a number"
    reasons[bad_outcome & bad_score] = (
        f"{label_column}: not 0/1; {score_column}: missing or not a number"
    )
    rejected = bad_outcome | bad_score
    rejects = frame.loc[rejected].assign(reason=reasons[rejected])
    keep = ~rejected
    y, score = outcomes[keep], scores[keep]
    fit = fit_calibration(score, y, method=method, cv=cv, seed=seed)
    metrics = {
        f"cv_{name}": float(function(y, fit.cross_validated))
        for name, function in metric_functions().items()
        if name in CALIBRATION_METRICS
    }
    metrics["score_auc"] = float(auc(y, score))
    metrics["base_rate"] = float(np.mean(y))
    return ScoreCalibration(
        score_column=score_column,
        label_column=label_column,
        fit=fit,
        table=_table(score, y, fit.calibrator),
        metrics=metrics,
        n=len(y),
        rejects=rejects,
    )


def _table(
    score: np.ndarray, y: np.ndarray, calibrator: Callable[[np.ndarray], np.ndarray]
) -> tuple[ScoreCalibrationRow, ...]:
    values = np.unique(score)
    if len(values) <= _MAX_TABLE_VALUES:
        groups = [(float(v), float(v), score == v) for v in values]
    else:
        edges = np.unique(np.quantile(score, np.linspace(0, 1, 11)))
        bins = np.clip(np.searchsorted(edges[1:-1], score, side="right"), 0, len(edges) - 2)
        groups = []
        for b in range(len(edges) - 1):
            mask = bins == b
            if mask.any():
                groups.append((float(score[mask].min()), float(score[mask].max()), mask))
    return tuple(
        ScoreCalibrationRow(
            low=low,
            high=high,
            n=int(mask.sum()),
            observed=float(y[mask].mean()),
            probability=float(np.mean(calibrator(score[mask]))),
        )
        for low, high, mask in groups
    )

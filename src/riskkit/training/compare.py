"""What interpretability costs: the additive model beside a scorecard, a logistic baseline and an
unrestricted LightGBM, fitted on the same training part and evaluated on the same test part.

``compare_models(config)`` reads and validates the pipeline's records, splits them as the pipeline
says (:func:`riskkit.training.split.split_records`), fits the four kinds of model on the training
part and evaluates each on the test part: AUC, Brier score, log-loss, expected calibration error
(10 quantile bins) and calibration slope, each with a percentile-bootstrap confidence interval
over resamples of the test part. The same resamples serve every model, so the differences from
the additive model (what each alternative gains or loses) get paired intervals too.

The four kinds (:data:`MODEL_KINDS`):

``additive``
    The pipeline's own model, fitted as :func:`riskkit.training.pipeline.train` fits it: the
    ``[tuning]`` grid searched by cross-validation on the training part (when it has one), then
    the additive boosted model with the chosen settings, calibrated as ``[calibration]`` says.
``scorecard``
    Integer points per bin, rounded from the fitted additive model before calibration
    (``PointsScorecard.from_additive``, 20 points to double the odds); its fit time is the
    rounding only.
``logistic``
    :class:`~riskkit.estimators.reference.LogisticBaseline`: one-hot categories, median-imputed
    standardised numbers, L2 logistic regression.
``lightgbm``
    :class:`~riskkit.estimators.reference.ReferenceLightGBM`: unrestricted gradient boosting,
    tuned on an inner hold-out of the training part.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskkit.config import PipelineConfig
from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.reference import LogisticBaseline, ReferenceLightGBM
from riskkit.metrics.calibration import (
    calibration_slope,
    expected_calibration_error,
    log_loss,
)
from riskkit.metrics.classification import auc, brier, percentile_interval
from riskkit.training.pipeline import build_estimator
from riskkit.training.split import load_and_split

__all__ = [
    "METRIC_NAMES",
    "MODEL_KINDS",
    "Estimate",
    "FittedModel",
    "ModelComparison",
    "ModelResult",
    "compare_models",
    "evaluate_predictions",
    "fit_model_kinds",
    "render_comparison",
]

Progress = Callable[[str], None]
FloatArray = npt.NDArray[np.float64]

#: The kinds of model compared, in the order they are reported.
MODEL_KINDS: Final[tuple[str, ...]] = ("additive", "scorecard", "logistic", "lightgbm")

#: Metrics reported for every model, and whether lower values are better.
METRIC_NAMES: Final[tuple[str, ...]] = ("auc", "brier", "log_loss", "ece", "calibration_slope")
LOWER_IS_BETTER: Final[Mapping[str, bool]] = {
    "auc": False,
    "brier": True,
    "log_loss": True,
    "ece": True,
    "calibration_slope": False,
}
_METRIC_FUNCTIONS: Final[Mapping[str, Callable[[npt.ArrayLike, npt.ArrayLike], float]]] = {
    "auc": auc,
    "brier": brier,
    "log_loss": log_loss,
    "ece": expected_calibration_error,
    "calibration_slope": calibration_slope,
}
_LABELS: Final[Mapping[str, str]] = {
    "auc": "AUC",
    "brier": "Brier",
    "log_loss": "log-loss",
    "ece": "ECE",
    "calibration_slope": "slope",
}
DESCRIPTIONS: Final[Mapping[str, str]] = {
    "additive": "additive boosted model, as the pipeline trains it (tuning, calibration)",
    "scorecard": "integer points scorecard rounded from the additive model (PDO 20)",
    "logistic": "L2 logistic regression (one-hot, median-imputed, standardised)",
    "lightgbm": "unrestricted LightGBM (tuned on an inner hold-out)",
}
SCORECARD_POINTS_TO_DOUBLE_ODDS: Final = 20.0


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        """``{"value", "low", "high"}``."""
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class ModelResult:
    """One model's test-part metrics with intervals, and how long it took to fit."""

    kind: str
    description: str
    metrics: Mapping[str, Estimate]
    fit_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "description": self.description,
            "fit_seconds": self.fit_seconds,
            "metrics": {name: e.to_dict() for name, e in self.metrics.items()},
        }


@dataclass(frozen=True)
class ModelComparison:
    """The four kinds of model side by side on one pipeline's test part.

    Attributes
    ----------
    pipeline : str
        The pipeline's name.
    target : str
        The outcome.
    source : str
        Where the records came from.
    split : str
        How the records were split (the pipeline's ``[split]`` method).
    n_train, n_test : int
        Records in each part.
    test_base_rate : float
        Share of the test part with the outcome.
    models : mapping of str to ModelResult
        By kind, in :data:`MODEL_KINDS` order (a kind that could not be built is absent and
        explained in ``notes``).
    differences : mapping of str to mapping of str to Estimate
        For each kind other than ``additive``, each metric of that kind minus the additive
        model's, with a paired bootstrap interval (the same resamples for both).
    n_resamples : int
        Bootstrap resamples of the test part.
    confidence : float
        Coverage of the intervals.
    notes : tuple of str
        Anything the reader should know (a model left out, and why).
    """

    pipeline: str
    target: str
    source: str
    split: str
    n_train: int
    n_test: int
    test_base_rate: float
    models: Mapping[str, ModelResult]
    differences: Mapping[str, Mapping[str, Estimate]]
    n_resamples: int
    confidence: float = 0.95
    notes: tuple[str, ...] = field(default_factory=tuple)

    def interpretability_cost(self) -> dict[str, Estimate]:
        """What the additive model gives up against the unrestricted LightGBM, as positive
        numbers when LightGBM is better: ``auc`` (LightGBM's AUC minus the additive model's) and
        ``brier`` (the additive model's Brier score minus LightGBM's), with paired intervals.

        Raises
        ------
        RiskkitError
            When the comparison has no LightGBM model.
        """
        if "lightgbm" not in self.differences:
            raise RiskkitError(
                "this comparison has no unrestricted LightGBM model to measure the cost of "
                "interpretability against; run compare_models with the default kinds"
            )
        gap = self.differences["lightgbm"]
        brier_gap = gap["brier"]
        return {
            "auc": gap["auc"],
            "brier": Estimate(-brier_gap.value, -brier_gap.high, -brier_gap.low),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole comparison."""
        cost: dict[str, Any] | None = None
        if "lightgbm" in self.differences:
            cost = {k: v.to_dict() for k, v in self.interpretability_cost().items()}
        return {
            "pipeline": self.pipeline,
            "target": self.target,
            "source": self.source,
            "split": self.split,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "test_base_rate": self.test_base_rate,
            "n_resamples": self.n_resamples,
            "confidence": self.confidence,
            "interval": "percentile bootstrap over resamples of the test part",
            "models": {kind: result.to_dict() for kind, result in self.models.items()},
            "differences_from_additive": {
                kind: {name: e.to_dict() for name, e in metrics.items()}
                for kind, metrics in self.differences.items()
            },
            "interpretability_cost": cost,
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per model (indexed by kind): each metric with ``_low``/``_high`` columns,
        then ``fit_seconds``."""
        rows: dict[str, dict[str, float]] = {}
        for kind, result in self.models.items():
            row: dict[str, float] = {}
            for name in METRIC_NAMES:
                estimate = result.metrics[name]
                row[name] = estimate.value
                row[f"{name}_low"] = estimate.low
                row[f"{name}_high"] = estimate.high
            row["fit_seconds"] = result.fit_seconds
            rows[kind] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "model"
        return frame


@dataclass(frozen=True)
class FittedModel:
    """A fitted model of one kind and its fit time in seconds."""

    kind: str
    estimator: Any
    fit_seconds: float

    def predict_probability(self, X: pd.DataFrame) -> FloatArray:
        """Probability of the outcome for each row of ``X``."""
        proba = np.asarray(self.estimator.predict_proba(X), dtype=np.float64)
        out: FloatArray = proba[:, 1]
        return out


def _timed(fit: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fit(*args, **kwargs)`` and the seconds it took."""
    start = time.perf_counter()
    fitted = fit(*args, **kwargs)
    return fitted, time.perf_counter() - start


def fit_model_kinds(
    config: PipelineConfig,
    X: pd.DataFrame,
    y: npt.ArrayLike,
    *,
    kinds: Sequence[str] = MODEL_KINDS,
    n_jobs: int | None = None,
    as_trained: bool = True,
    progress: Progress | None = None,
) -> dict[str, FittedModel]:
    """Fit each kind of model on ``X`` and ``y`` the way :func:`compare_models` does.

    Parameters
    ----------
    config : PipelineConfig
        The pipeline (its ``[model]`` settings, monotone directions and seed).
    X : DataFrame
        Validated features (the pipeline's ``features.use``).
    y : array-like of 0/1
        Outcomes.
    kinds : sequence of str
        Which of :data:`MODEL_KINDS` to fit; the scorecard needs the additive model and fits it
        when it is not asked for.
    n_jobs : int, optional
        Threads for the additive model and LightGBM; the pipeline's ``model.n_jobs`` when
        omitted.
    as_trained : bool, default True
        Fit the additive model as ``train`` does (the ``[tuning]`` grid, then calibration as
        ``[calibration]`` says; its fit time covers both). False fits the plain
        :class:`~riskkit.estimators.additive.AdditiveBoostedClassifier` with the ``[model]``
        settings, uncalibrated.
    progress : callable, optional
        Receives one line per model.

    Returns
    -------
    dict of str to FittedModel
        By kind, in the order asked; a scorecard is left out (not an error) when the pipeline
        has pairwise interactions, since their tables cannot be printed as points.

    Raises
    ------
    RiskkitError
        For an unknown kind.
    """
    unknown = [k for k in kinds if k not in MODEL_KINDS]
    if unknown:
        raise RiskkitError(f"unknown model kind(s) {unknown}; the kinds are {list(MODEL_KINDS)}")
    say = progress or (lambda _line: None)
    if n_jobs is not None:
        config = config.model_copy(
            update={"model": config.model.model_copy(update={"n_jobs": n_jobs})}
        )
    threads = config.model.n_jobs
    y_array = np.asarray(y).astype(np.int64)
    fitted: dict[str, FittedModel] = {}
    model: Any = None
    additive: AdditiveBoostedClassifier | None = None
    additive_seconds = 0.0
    if "additive" in kinds or "scorecard" in kinds:
        say(f"fitting the additive boosted model on {len(X)} records")
        model, additive_seconds = _timed(_fit_additive, config, X, y_array, as_trained)
        additive = getattr(model, "estimator_", model)
    for kind in kinds:
        if kind == "additive":
            fitted[kind] = FittedModel(kind, model, additive_seconds)
        elif kind == "scorecard":
            if config.features.interactions:
                say(
                    "no scorecard: the pipeline's pairwise interactions cannot be printed as points"
                )
                continue
            from riskkit.estimators.scorecard import PointsScorecard

            say("rounding the additive model to a points scorecard")
            assert additive is not None
            card, seconds = _timed(
                PointsScorecard.from_additive,
                additive,
                points_to_double_odds=SCORECARD_POINTS_TO_DOUBLE_ODDS,
            )
            fitted[kind] = FittedModel(kind, card, seconds)
        elif kind == "logistic":
            say(f"fitting the logistic baseline on {len(X)} records")
            model, seconds = _timed(LogisticBaseline().fit, X, y_array)
            fitted[kind] = FittedModel(kind, model, seconds)
        else:
            say(f"tuning and fitting the unrestricted LightGBM on {len(X)} records")
            reference = ReferenceLightGBM(random_state=config.model.seed, n_jobs=threads)
            model, seconds = _timed(reference.fit, X, y_array)
            fitted[kind] = FittedModel(kind, model, seconds)
    return fitted


def _fit_additive(config: PipelineConfig, X: pd.DataFrame, y: np.ndarray, as_trained: bool) -> Any:
    """The additive model fitted as ``train`` fits it, or plain (see :func:`fit_model_kinds`)."""
    if not as_trained:
        return build_estimator(config).fit(X, y)
    from riskkit.training.pipeline import build_model
    from riskkit.training.tuning import tune

    tuning = tune(
        config,
        X,
        y,
        build=lambda overrides: build_estimator(config, overrides),
        show_progress=False,
    )
    return build_model(config, tuning.best_params).fit(X, y)


def evaluate_predictions(
    y_true: npt.ArrayLike,
    predictions: Mapping[str, npt.ArrayLike],
    *,
    n_resamples: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    reference: str = "additive",
) -> tuple[dict[str, dict[str, Estimate]], dict[str, dict[str, Estimate]]]:
    """Every metric of :data:`METRIC_NAMES` for each model's predicted probabilities, with
    percentile-bootstrap intervals, and each model's paired difference from ``reference``.

    Parameters
    ----------
    y_true : array-like of 0/1
        Observed outcomes.
    predictions : mapping of str to array-like
        Predicted probabilities by model name, one per person.
    n_resamples : int
        Bootstrap resamples (the same resampled people for every model).
    confidence : float
        Coverage of the intervals.
    seed : int
        Seed of the resampling.
    reference : str
        The model the differences are taken from (absent: no differences).

    Returns
    -------
    (dict, dict)
        ``metrics[model][metric]`` and ``differences[model][metric]`` (model minus reference,
        for every model but the reference).
    """
    if n_resamples < 1:
        raise RiskkitError(f"n_resamples must be at least 1; found {n_resamples}.")
    y = np.asarray(y_true)
    probabilities = {name: np.asarray(p, dtype=np.float64) for name, p in predictions.items()}
    names = list(probabilities)
    points = {
        name: {m: _METRIC_FUNCTIONS[m](y, p) for m in METRIC_NAMES}
        for name, p in probabilities.items()
    }
    draws = {name: {m: np.full(n_resamples, np.nan) for m in METRIC_NAMES} for name in names}
    rng = np.random.default_rng(seed)
    n = len(y)
    for r in range(n_resamples):
        index = rng.integers(0, n, size=n)
        y_r = y[index]
        for name in names:
            p_r = probabilities[name][index]
            for m in METRIC_NAMES:
                draws[name][m][r] = _METRIC_FUNCTIONS[m](y_r, p_r)

    def estimate(value: float, values: FloatArray) -> Estimate:
        low, high = percentile_interval(values, confidence)
        return Estimate(value, low, high)

    metrics = {
        name: {m: estimate(points[name][m], draws[name][m]) for m in METRIC_NAMES} for name in names
    }
    differences: dict[str, dict[str, Estimate]] = {}
    if reference in probabilities:
        for name in names:
            if name == reference:
                continue
            differences[name] = {
                m: estimate(
                    points[name][m] - points[reference][m],
                    draws[name][m] - draws[reference][m],
                )
                for m in METRIC_NAMES
            }
    return metrics, differences


def compare_models(
    config: PipelineConfig,
    data: str | Path | None = None,
    *,
    progress: Progress | None = None,
    n_resamples: int = 200,
    n_jobs: int | None = None,
    seed: int = 0,
) -> ModelComparison:
    """Fit the four kinds of model on the pipeline's training part and compare them on its
    test part.

    Parameters
    ----------
    config : PipelineConfig
        The pipeline: records, features, target, split and the additive model's settings.
    data : str or Path, optional
        A records file to use instead of the pipeline's ``data.source``.
    progress : callable, optional
        Receives one line per step.
    n_resamples : int, default 200
        Bootstrap resamples of the test part for the intervals.
    n_jobs : int, optional
        Threads for the additive model and LightGBM; the pipeline's ``model.n_jobs`` when
        omitted.
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    ModelComparison

    Raises
    ------
    DataValidationError
        When the records cannot be used (a required column missing, no records, fewer than two
        records of each outcome, or a split part without both outcomes).
    """
    say = progress or (lambda _line: None)
    split = load_and_split(config, data, say=say)
    X_train, X_test, y_train, y_test = split.X_train, split.X_test, split.y_train, split.y_test
    fitted = fit_model_kinds(config, X_train, y_train, n_jobs=n_jobs, progress=say)
    notes: list[str] = []
    if "scorecard" not in fitted:
        notes.append(
            "no scorecard: the pipeline names pairwise interactions, whose two-dimensional "
            "tables cannot be printed as points per bin"
        )
    say(f"evaluating on {len(X_test)} test records ({n_resamples} bootstrap resamples)")
    predictions = {kind: model.predict_probability(X_test) for kind, model in fitted.items()}
    metrics, differences = evaluate_predictions(
        y_test, predictions, n_resamples=n_resamples, seed=seed
    )
    models = {
        kind: ModelResult(
            kind=kind,
            description=DESCRIPTIONS[kind],
            metrics=metrics[kind],
            fit_seconds=fitted[kind].fit_seconds,
        )
        for kind in fitted
    }
    return ModelComparison(
        pipeline=config.name,
        target=config.target.column,
        source=split.loaded.source,
        split=config.split.method,
        n_train=len(X_train),
        n_test=len(X_test),
        test_base_rate=float(y_test.mean()),
        models=models,
        differences=differences,
        n_resamples=n_resamples,
        notes=tuple(notes),
    )


def _cell(estimate: Estimate, digits: int) -> str:
    def number(x: float) -> str:
        return "n/a" if not np.isfinite(x) else f"{x:.{digits}f}"

    return f"{number(estimate.value)} [{number(estimate.low)}, {number(estimate.high)}]"


def _signed_cell(estimate: Estimate, digits: int) -> str:
    def number(x: float) -> str:
        return "n/a" if not np.isfinite(x) else f"{x:+.{digits}f}"

    return f"{number(estimate.value)} [{number(estimate.low)}, {number(estimate.high)}]"


def render_comparison(comparison: ModelComparison) -> str:
    """The comparison as a plain-text table for the terminal.

    Parameters
    ----------
    comparison : ModelComparison

    Returns
    -------
    str
        A heading, one row per model (each metric with its interval, and the fit time), the
        differences from the additive model and what interpretability costs.
    """
    c = comparison
    level = f"{c.confidence:.0%}"
    lines = [
        f"Pipeline {c.pipeline}: outcome {c.target}, {c.split} split, "
        f"{c.n_train:,} training and {c.n_test:,} test records "
        f"(test base rate {c.test_base_rate:.1%})",
        f"Test-part metrics with {level} percentile-bootstrap intervals "
        f"({c.n_resamples} resamples); lower is better for Brier, log-loss and ECE, "
        "slope 1 is perfect calibration.",
        "",
    ]
    digits = {"auc": 3, "brier": 4, "log_loss": 4, "ece": 3, "calibration_slope": 2}
    header = [
        "model",
        *(_LABELS[m] for m in METRIC_NAMES),
        "fit s",
    ]
    rows = [
        [
            kind,
            *(_cell(result.metrics[m], digits[m]) for m in METRIC_NAMES),
            f"{result.fit_seconds:.2f}",
        ]
        for kind, result in c.models.items()
    ]
    lines.extend(_table(header, rows))
    if c.differences:
        lines.extend(["", "Difference from the additive model (paired intervals):"])
        diff_rows = [
            [kind, *(_signed_cell(gaps[m], digits[m]) for m in METRIC_NAMES)]
            for kind, gaps in c.differences.items()
        ]
        lines.extend(_table(header[:-1], diff_rows))
    if "lightgbm" in c.differences:
        cost = c.interpretability_cost()
        lines.extend(
            [
                "",
                "What interpretability costs (unrestricted LightGBM against the additive model; "
                "positive = LightGBM better):",
                f"  AUC   {_signed_cell(cost['auc'], 3)}",
                f"  Brier {_signed_cell(cost['brier'], 4)}",
            ]
        )
    for note in c.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    return out

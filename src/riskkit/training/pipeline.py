"""The training pipeline: load and validate records, split, fit the additive boosted model,
evaluate on the held-out test split, log and register it in MLflow, and write its card.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskkit.config import PipelineConfig
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.calibration import CalibratedAdditiveClassifier
from riskkit.features.registry import default_registry
from riskkit.json_values import finite_json
from riskkit.training.split import load_and_split

if TYPE_CHECKING:
    from riskkit.estimators.uncertainty import BootstrapIntervals

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    model_name: str
    version: int
    alias: str | None
    promoted: bool
    promotion: str
    metrics: dict[str, float]
    run_id: str
    tracking_uri: str
    output_dir: Path
    n_records: int
    n_train: int
    n_test: int
    n_rejected: int
    files: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON line ``riskkit train --json`` prints."""
        summary: dict[str, Any] = {
            "kind": "risk",
            "model": self.model_name,
            "version": self.version,
            "alias": self.alias,
            "promoted": self.promoted,
            "promotion": self.promotion,
            "metrics": self.metrics,
            "run_id": self.run_id,
            "output_dir": str(self.output_dir),
            "records": {
                "read": self.n_records,
                "train": self.n_train,
                "test": self.n_test,
                "rejected": self.n_rejected,
            },
        }
        return finite_json(summary)  # type: ignore[no-any-return]

    def headline(self) -> str:
        """What ``riskkit train`` prints without ``--json``."""
        return (
            f"{self.model_name} v{self.version} ({self.promotion}): "
            f"test AUC {self.metrics['test_auc']:.3f}, Brier {self.metrics['test_brier']:.4f}; "
            f"card: {self.files['card']}"
        )


def build_estimator(
    config: PipelineConfig, overrides: Mapping[str, Any] | None = None
) -> AdditiveBoostedClassifier:
    """The additive boosted model the pipeline describes, with the registry's monotone
    directions; ``overrides`` replace [model] settings (from tuning)."""
    registry = default_registry()
    settings = {**config.model.model_dump(exclude={"kind", "seed", "n_jobs"}), **(overrides or {})}
    return AdditiveBoostedClassifier(
        n_estimators=int(settings["n_estimators"]),
        learning_rate=float(settings["learning_rate"]),
        max_leaves_per_tree=int(settings["max_leaves_per_tree"]),
        min_child_samples=int(settings["min_child_samples"]),
        reg_lambda=float(settings["reg_lambda"]),
        monotone_constraints={n: registry[n].monotone for n in config.features.use},
        interactions=[(a, b) for a, b in config.features.interactions],
        random_state=config.model.seed,
        n_jobs=config.model.n_jobs,
    )


def build_model(
    config: PipelineConfig, overrides: Mapping[str, Any] | None = None
) -> AdditiveBoostedClassifier | CalibratedAdditiveClassifier:
    """The model ``train`` fits: the additive model, calibrated unless the pipeline says
    ``[calibration] method = "none"``."""
    estimator = build_estimator(config, overrides)
    if config.calibration.method == "none":
        return estimator
    return CalibratedAdditiveClassifier(
        estimator,
        method=config.calibration.method,
        cv=config.calibration.cv,
        random_state=config.model.seed,
    )


def fit_intervals(
    config: PipelineConfig,
    overrides: Mapping[str, Any] | None,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    say: Callable[[str], None] = lambda _line: None,
) -> BootstrapIntervals | None:
    """The bootstrap refits behind each score's uncertainty interval (``[uncertainty]``), or
    ``None`` when the pipeline turns them off or the model has pairwise interactions (its
    log-odds are not a sum of one table per feature)."""
    from riskkit.estimators.uncertainty import BootstrapIntervals

    settings = config.uncertainty
    if settings.n_bootstrap == 0:
        return None
    if config.features.interactions:
        say("uncertainty intervals skipped: the model has pairwise interactions")
        return None
    say(f"fitting {settings.n_bootstrap} bootstrap refits for the uncertainty intervals")
    return BootstrapIntervals(
        n_bootstrap=settings.n_bootstrap, level=settings.level, random_state=config.model.seed
    ).fit(build_estimator(config, overrides), X, y)


def write_card_files(
    out_dir: Path,
    *,
    summary: Mapping[str, Any],
    card: str,
    title: str,
    rejects: pd.DataFrame,
) -> dict[str, Path]:
    """Write a trained model's ``metrics.json``, ``model_card.md`` and ``model_card.html``
    (and ``rejects.csv`` when records were invalid) into ``out_dir``; returns them by name."""
    from riskkit.data.io import write_records

    files = {"metrics": out_dir / "metrics.json"}
    files["metrics"].write_text(json.dumps(finite_json(summary), indent=2), encoding="utf-8")
    if len(rejects):
        files["rejects"] = write_records(rejects, out_dir / "rejects.csv")
    files.update(write_card(out_dir, card=card, title=title))
    return files


def write_card(out_dir: Path, *, card: str, title: str) -> dict[str, Path]:
    """Write a card's ``model_card.md`` and its HTML page ``model_card.html`` into
    ``out_dir``; returns them as ``card`` and ``card_html``."""
    from riskkit.reports.model_card import render_model_card_html

    files = {"card": out_dir / "model_card.md", "card_html": out_dir / "model_card.html"}
    files["card"].write_text(card, encoding="utf-8")
    files["card_html"].write_text(render_model_card_html(card, title=title), encoding="utf-8")
    return files


def data_period(records: pd.DataFrame, config: PipelineConfig) -> str | None:
    """First and last date of the records, when the pipeline splits by a date column."""
    if config.split.method != "time" or config.split.column not in records.columns:
        return None
    dates = records[config.split.column]
    return f"{dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d}"


def write_figures(
    config: PipelineConfig, estimator: Any, y_test: np.ndarray, p_test: np.ndarray, folder: Path
) -> dict[str, str]:
    """The card's plots and the shape-function table, written into ``folder``; returns
    {kind: file name}."""
    from riskkit.reports.plots import calibration_plot, shape_function_plots

    files = {"calibration": "calibration.png"}
    calibration_plot(y_test, p_test, folder / files["calibration"], title="Test split")
    additive = getattr(estimator, "estimator_", estimator)
    if getattr(additive, "shape_functions_", None):
        registry = default_registry()
        labels = {name: registry[name].labels.en for name in additive.shape_functions_}
        files["shapes"] = "shape_functions.png"
        shape_function_plots(additive.shape_functions_, labels, folder / files["shapes"])
        files["shape_table"] = "shape_functions.csv"
        additive.shape_function_table().to_csv(folder / files["shape_table"], index=False)
        files["shape_json"] = "shape_functions.json"
        (folder / files["shape_json"]).write_text(
            json.dumps(
                {
                    "intercept": additive.intercept_,
                    "shape_functions": [s.to_dict() for s in additive.shape_functions_.values()],
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return files


def interpretability_cost(
    config: PipelineConfig,
    estimator: Any,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    p_test: np.ndarray,
    folder: Path,
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Test AUC and Brier of the model, its points scorecard, a logistic baseline and an
    unrestricted LightGBM fitted on the same training part; the printable scorecard is written
    into ``folder`` (one page per language)."""
    from riskkit.estimators.scorecard import PointsScorecard
    from riskkit.metrics import auc, brier
    from riskkit.reports.scorecard_report import render_scorecard_html
    from riskkit.training.compare import fit_model_kinds

    def scores(p: np.ndarray) -> dict[str, float]:
        return {"auc": auc(y_test, p), "brier": brier(y_test, p)}

    comparison = {"additive": scores(p_test)}
    scorecard: dict[str, Any] = {"files": {}}
    additive = getattr(estimator, "estimator_", estimator)
    if getattr(additive, "shape_functions_", None):
        card = PointsScorecard.from_additive(additive)
        calibrator = getattr(estimator, "calibrator_", None)
        if calibrator is not None:
            # The card prints the calibrated probability for each total, as the model gives.
            card.calibrate_table(calibrator, getattr(estimator, "method_", "calibrated"))
        comparison["scorecard"] = scores(card.predict_proba(X_test)[:, 1])
        for language in ("es", "pt", "en"):
            name = f"scorecard.{language}.html"
            (folder / name).write_text(
                render_scorecard_html(card, language=language), encoding="utf-8"
            )
            scorecard["files"][f"scorecard_{language}"] = name
        scorecard.update(
            {
                "file": "scorecard.es.html (also .pt and .en)",
                **comparison["scorecard"],
                "auc_loss": comparison["additive"]["auc"] - comparison["scorecard"]["auc"],
            }
        )
    for kind, fitted in fit_model_kinds(
        config, X_train, y_train, kinds=("logistic", "lightgbm")
    ).items():
        comparison[kind] = scores(fitted.predict_probability(X_test))
    return comparison, scorecard


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the validated training records (order and values)."""
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def train(
    config: PipelineConfig,
    *,
    data: str | Path | None = None,
    models_dir: str | Path = "models",
    progress: Progress | None = None,
    show_progress: bool = True,
) -> TrainResult:
    """Train, evaluate, register and document one model.

    A needs pipeline (``[model] kind = "needs"``) is trained by
    :func:`riskkit.training.needs.train_needs`, and the result is then a
    :class:`~riskkit.training.needs.NeedsTrainResult` (a ``TrainResult`` whose ``metrics`` are
    per domain and whose ``domains`` hold each domain's figures).

    Parameters
    ----------
    config : PipelineConfig
        The pipeline.
    data : str or Path, optional
        A records file to use instead of the pipeline's ``data.source``.
    models_dir : str or Path
        Where ``<model name>/v<version>/`` (metrics, card, rejects) is written.
    progress : callable, optional
        Receives one line per step.
    show_progress : bool
        Show a progress bar during tuning.

    Returns
    -------
    TrainResult

    Raises
    ------
    DataValidationError
        When the records cannot be used at all (a required column is missing, no records, or
        too few valid records to split). Invalid rows alone do not stop training: they are
        written to ``rejects.csv`` beside the metrics and counted.
    """
    from riskkit import tracking
    from riskkit.training.evaluation import evaluate_for_pipeline
    from riskkit.training.promotion import decide_promotion
    from riskkit.training.tuning import tune

    if config.is_needs:
        from riskkit.training.needs import train_needs

        return train_needs(config, data=data, models_dir=models_dir, progress=progress)
    say = progress or (lambda _line: None)
    split = load_and_split(config, data, say=say)
    loaded, validation, records = split.loaded, split.loaded.validation, split.records
    target = config.target.column
    X_train, X_test, y_train, y_test = split.X_train, split.X_test, split.y_train, split.y_test
    test_index = split.test_index

    if config.tuning.grid:
        say(f"tuning {len(config.tuning.grid)} setting(s) by {config.tuning.cv}-fold CV")
    tuning = tune(
        config,
        X_train,
        y_train,
        build=lambda overrides: build_estimator(config, overrides),
        show_progress=show_progress,
    )
    if tuning.best_params:
        say(f"chosen settings: {tuning.best_params}")
    say(f"fitting the additive boosted model on {len(X_train)} records")
    estimator = build_model(config, tuning.best_params).fit(X_train, y_train)
    if isinstance(estimator, CalibratedAdditiveClassifier):
        say(f"calibration: {estimator.method_} (cross-validated log-loss {estimator.cv_log_loss_})")
    intervals = fit_intervals(config, tuning.best_params, X_train, y_train, say=say)
    p_test = estimator.predict_proba(X_test)[:, 1]
    p_train = estimator.predict_proba(X_train)[:, 1]
    present = [a for a in config.sensitive.attributes if a in records.columns]
    evaluation = evaluate_for_pipeline(
        y_test, p_test, config, sensitive=records.loc[test_index, present] if present else None
    )
    from riskkit.metrics import auc

    metrics = {
        **evaluation.flat_metrics(),
        "train_auc": auc(y_train, p_train),
        "reference_probability": float(estimator.reference_probability_),
    }
    say(
        f"test AUC {metrics['test_auc']:.3f} ({metrics['test_auc_low']:.3f}-"
        f"{metrics['test_auc_high']:.3f}), Brier {metrics['test_brier']:.4f}, "
        f"ECE {metrics['test_ece']:.3f}"
    )
    champion = tracking.champion(config.tracking.model_name)
    decision = decide_promotion(
        metrics,
        config.promotion,
        champion_metrics=None if champion is None else champion.metrics,
        champion_version=None if champion is None else champion.version,
    )
    say(decision.summary())

    # removed by its finaliser even when a later step fails
    staging_dir = tempfile.TemporaryDirectory(prefix="riskkit-train-")
    staging = Path(staging_dir.name)
    figures = write_figures(config, estimator, y_test, p_test, staging)
    say("fitting the logistic baseline and the unrestricted LightGBM reference")
    comparison, scorecard = interpretability_cost(
        config, estimator, X_train, y_train, X_test, y_test, p_test, staging
    )
    figures.update(scorecard.pop("files"))
    metrics.update({f"{kind}_test_auc": values["auc"] for kind, values in comparison.items()})

    say(f"logging the run and registering model {config.tracking.model_name!r} in MLflow")
    from riskkit.monitoring.profile import build_reference_profile

    bundle = tracking.ModelBundle(
        estimator=estimator,
        config=config,
        intervals=intervals,
        # bin edges and counts of the training part, for `riskkit monitor drift` (no rows)
        reference=build_reference_profile(config, X_train, p_train),
    )
    hash_of_data = data_hash(records)
    tags = {
        "pipeline": config.name,
        "data_source": loaded.source,
        "data_sha256": hash_of_data,
        **tracking.environment_tags(),
    }
    params: dict[str, Any] = {
        **{f"model.{k}": v for k, v in config.model.model_dump().items()},
        **{f"split.{k}": v for k, v in config.split.model_dump().items()},
        "features": config.features.use,
        "target": target,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_rejected": len(validation.rejects),
        "calibration": config.calibration.method,
        **{f"tuned.{k}": v for k, v in tuning.best_params.items()},
    }
    registered = tracking.log_and_register(
        bundle,
        params=params,
        metrics=metrics,
        tags=tags,
        artifacts={name: staging / file for name, file in figures.items()},
        promote=decision.promoted,
        version_tags={"promotion": decision.summary(), "riskkit_kind": "risk"},
    )

    out_dir = Path(models_dir) / registered.name / f"v{registered.version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name, file in figures.items():
        files[name] = Path(shutil.move(str(staging / file), out_dir / file))
    staging_dir.cleanup()
    summary = {
        "model": registered.name,
        "version": registered.version,
        "alias": registered.alias,
        "pipeline": config.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": registered.run_id,
        "tracking_uri": registered.tracking_uri,
        "data_source": loaded.source,
        "data_period": data_period(records, config),
        "data_sha256": hash_of_data,
        "figures": {k: v for k, v in figures.items() if k in ("calibration", "shapes")},
        "comparison": comparison,
        "scorecard": scorecard,
        "records": {
            "read": validation.n_input,
            "valid": len(records),
            "rejected": len(validation.rejects),
            "train": len(X_train),
            "test": len(X_test),
        },
        "metrics": metrics,
        "intervals": {name: e.to_dict() for name, e in evaluation.overall.items()},
        "groups": evaluation.groups,
        "group_gaps": evaluation.group_gaps,
        "tuning": {"best": tuning.best_params, "candidates": tuning.candidates},
        "calibration": {
            "method": getattr(estimator, "method_", "none"),
            "cv_log_loss": getattr(estimator, "cv_log_loss_", {}),
        },
        "promotion": {
            "promoted": decision.promoted,
            "reasons": list(decision.reasons),
            "summary": decision.summary(),
            "champion_before": None if champion is None else champion.version,
        },
    }
    from riskkit.reports.model_card import render_model_card

    files.update(
        write_card_files(
            out_dir,
            summary=summary,
            card=render_model_card(config, estimator, summary),
            title=f"{registered.name} v{registered.version}",
            rejects=validation.rejects,
        )
    )
    tracking.attach_files(registered.run_id, [files["card"], files["card_html"], files["metrics"]])
    say(f"model {registered.name} v{registered.version} registered; card in {out_dir}")
    return TrainResult(
        model_name=registered.name,
        version=registered.version,
        alias=registered.alias,
        promoted=decision.promoted,
        promotion=decision.summary(),
        metrics=metrics,
        run_id=registered.run_id,
        tracking_uri=registered.tracking_uri,
        output_dir=out_dir,
        n_records=validation.n_input,
        n_train=len(X_train),
        n_test=len(X_test),
        n_rejected=len(validation.rejects),
        files=files,
    )

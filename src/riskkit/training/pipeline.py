"""The training pipeline: load and validate records, split, fit the additive boosted model,
evaluate on the held-out test split, log and register it in MLflow, and write its card.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskkit.config import PipelineConfig
from riskkit.data.sources import load_records
from riskkit.errors import DataValidationError, ValidationProblem
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.features.registry import default_registry
from riskkit.training.split import split_records

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced."""

    model_name: str
    version: int
    alias: str | None
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
        return {
            "model": self.model_name,
            "version": self.version,
            "alias": self.alias,
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


def build_estimator(config: PipelineConfig) -> AdditiveBoostedClassifier:
    """The additive boosted model the pipeline describes, with the registry's monotone
    directions."""
    registry = default_registry()
    settings = config.model
    return AdditiveBoostedClassifier(
        n_estimators=settings.n_estimators,
        learning_rate=settings.learning_rate,
        max_leaves_per_tree=settings.max_leaves_per_tree,
        min_child_samples=settings.min_child_samples,
        reg_lambda=settings.reg_lambda,
        monotone_constraints={n: registry[n].monotone for n in config.features.use},
        interactions=[(a, b) for a, b in config.features.interactions],
        random_state=settings.seed,
    )


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
) -> TrainResult:
    """Train, evaluate, register and document one model.

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
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from riskkit import tracking
    from riskkit.data.io import write_records

    say = progress or (lambda _line: None)
    say(f"reading records for pipeline {config.name!r}")
    loaded = load_records(config, data, purpose="train")
    validation = loaded.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=loaded.source)
    say(validation.summary())
    records = validation.valid
    target = config.target.column
    y = records[target].astype("int64").to_numpy()
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        rule = (
            f"training needs at least 2 records of each class; found {counts[0]} zeros and "
            f"{counts[1]} ones among {len(y)} valid records"
        )
        raise DataValidationError([ValidationProblem(None, target, None, rule)], loaded.source)
    train_index, test_index = split_records(records, target, config.split)
    X_train = records.loc[train_index, config.features.use]
    X_test = records.loc[test_index, config.features.use]
    y_train = records.loc[train_index, target].astype("int64").to_numpy()
    y_test = records.loc[test_index, target].astype("int64").to_numpy()
    say(f"fitting the additive boosted model on {len(X_train)} records")
    estimator = build_estimator(config).fit(X_train, y_train)
    p_test = estimator.predict_proba(X_test)[:, 1]
    p_train = estimator.predict_proba(X_train)[:, 1]
    metrics = {
        "test_auc": float(roc_auc_score(y_test, p_test)),
        "test_brier": float(brier_score_loss(y_test, p_test)),
        "train_auc": float(roc_auc_score(y_train, p_train)),
        "test_base_rate": float(y_test.mean()),
        "reference_probability": float(estimator.reference_probability_),
    }
    say(f"test AUC {metrics['test_auc']:.3f}, Brier {metrics['test_brier']:.3f}")

    say(f"logging the run and registering model {config.tracking.model_name!r} in MLflow")
    bundle = tracking.ModelBundle(estimator=estimator, config=config)
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
    }
    registered = tracking.log_and_register(bundle, params=params, metrics=metrics, tags=tags)

    out_dir = Path(models_dir) / registered.name / f"v{registered.version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    summary = {
        "model": registered.name,
        "version": registered.version,
        "alias": registered.alias,
        "pipeline": config.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": registered.run_id,
        "tracking_uri": registered.tracking_uri,
        "data_source": loaded.source,
        "data_sha256": hash_of_data,
        "records": {
            "read": validation.n_input,
            "valid": len(records),
            "rejected": len(validation.rejects),
            "train": len(X_train),
            "test": len(X_test),
        },
        "metrics": metrics,
    }
    files["metrics"] = out_dir / "metrics.json"
    files["metrics"].write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if len(validation.rejects):
        files["rejects"] = write_records(validation.rejects, out_dir / "rejects.csv")
    from riskkit.reports.model_card import render_model_card

    files["card"] = out_dir / "model_card.md"
    files["card"].write_text(render_model_card(config, estimator, summary), encoding="utf-8")
    say(f"model {registered.name} v{registered.version} registered; card in {out_dir}")
    return TrainResult(
        model_name=registered.name,
        version=registered.version,
        alias=registered.alias,
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

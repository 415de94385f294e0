"""A small, bounded hyper-parameter search by cross-validation on the training part."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskkit.config import PipelineConfig

_INTEGER = {"n_estimators", "max_leaves_per_tree", "min_child_samples"}


@dataclass(frozen=True)
class TuningResult:
    """The settings chosen and every candidate's cross-validated score."""

    best_params: dict[str, Any]
    metric: str
    candidates: list[dict[str, Any]] = field(default_factory=list)


def _score(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    from riskkit.metrics import auc, brier
    from riskkit.metrics.calibration import log_loss

    if metric == "auc":
        return -auc(y, p)  # lower is better for every metric here
    if metric == "brier":
        return brier(y, p)
    return log_loss(y, p)


def tune(
    config: PipelineConfig,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    build: Callable[[dict[str, Any]], Any],
    show_progress: bool = True,
) -> TuningResult:
    """Try every combination of ``config.tuning.grid`` with ``config.tuning.cv``-fold CV.

    Parameters
    ----------
    config : PipelineConfig
        The pipeline (its ``[tuning]`` section and split seed).
    X, y : training features and 0/1 outcomes
    build : callable
        Returns an unfitted estimator given setting overrides.
    show_progress : bool
        Show a progress bar on standard error.
    """
    from sklearn.model_selection import StratifiedKFold
    from tqdm.auto import tqdm

    grid = config.tuning.grid
    if not grid:
        return TuningResult(best_params={}, metric=config.tuning.metric)
    names: list[str] = [str(name) for name in grid]
    combinations = [
        dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())
    ]
    folds = list(
        StratifiedKFold(config.tuning.cv, shuffle=True, random_state=config.split.seed).split(X, y)
    )
    candidates: list[dict[str, Any]] = []
    with tqdm(
        total=len(combinations) * len(folds),
        desc="tuning",
        unit="fit",
        disable=not show_progress,
        leave=False,
    ) as bar:
        for params in combinations:
            params = {str(k): (int(v) if k in _INTEGER else float(v)) for k, v in params.items()}
            scores = []
            for train, test in folds:
                model = build(params).fit(X.iloc[train], y[train])
                scores.append(
                    _score(config.tuning.metric, y[test], model.predict_proba(X.iloc[test])[:, 1])
                )
                bar.update(1)
            loss = float(np.mean(scores))
            value = -loss if config.tuning.metric == "auc" else loss
            candidates.append({**params, f"cv_{config.tuning.metric}": value, "_loss": loss})
    best = min(candidates, key=lambda c: c["_loss"])
    for candidate in candidates:
        candidate.pop("_loss")
    best_params = {k: best[k] for k in names}
    return TuningResult(best_params=best_params, metric=config.tuning.metric, candidates=candidates)

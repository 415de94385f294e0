"""Evaluation of a fitted model on the held-out test part: discrimination and calibration with
bootstrap 95% intervals, overall and per sensitive group."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from riskkit.config import PipelineConfig
    from riskkit.fairness.audit import Disparity

MetricFunction = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Estimate:
    """A metric's value and its bootstrap interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-serialisable form (NaN as None)."""
        return {k: (None if np.isnan(v) else float(v)) for k, v in vars(self).items()}


@dataclass(frozen=True)
class Evaluation:
    """Test-set metrics with intervals, overall and by group, and the fairness summary."""

    overall: dict[str, Estimate]
    n: int
    base_rate: float
    groups: list[dict[str, Any]] = field(default_factory=list)
    max_group_gap: float = float("nan")
    group_gaps: dict[str, float] = field(default_factory=dict)

    def flat_metrics(self, prefix: str = "test_") -> dict[str, float]:
        """``{test_auc: …, test_auc_low: …, test_auc_high: …, …}`` for MLflow."""
        out: dict[str, float] = {f"{prefix}base_rate": self.base_rate}
        for name, estimate in self.overall.items():
            out[f"{prefix}{name}"] = estimate.value
            out[f"{prefix}{name}_low"] = estimate.low
            out[f"{prefix}{name}_high"] = estimate.high
        if not np.isnan(self.max_group_gap):
            out["max_group_gap"] = self.max_group_gap
        return out


def metric_functions() -> dict[str, MetricFunction]:
    """The test-set metrics: AUC, Brier, log-loss, ECE (10 quantile bins), calibration slope
    and intercept."""
    from riskkit.metrics import auc, brier
    from riskkit.metrics.calibration import (
        calibration_intercept,
        calibration_slope,
        expected_calibration_error,
        log_loss,
    )

    return {
        "auc": auc,
        "brier": brier,
        "log_loss": log_loss,
        "ece": expected_calibration_error,
        "calibration_slope": calibration_slope,
        "calibration_intercept": calibration_intercept,
    }


def bootstrap_estimates(
    y: np.ndarray,
    p: np.ndarray,
    functions: Mapping[str, MetricFunction],
    *,
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Estimate]:
    """Each metric on ``(y, p)`` with a percentile bootstrap interval (resampling people)."""
    rng = np.random.default_rng(seed)
    draws = {name: np.empty(n_resamples) for name in functions}
    for b in range(n_resamples):
        index = rng.integers(0, len(y), len(y))
        for name, function in functions.items():
            draws[name][b] = function(y[index], p[index])
    tail = (1 - confidence) / 2 * 100
    out = {}
    for name, function in functions.items():
        finite = draws[name][np.isfinite(draws[name])]
        low, high = (
            (float(np.percentile(finite, tail)), float(np.percentile(finite, 100 - tail)))
            if finite.size
            else (float("nan"), float("nan"))
        )
        out[name] = Estimate(value=float(function(y, p)), low=low, high=high)
    return out


def evaluate_for_pipeline(
    y: np.ndarray,
    p: np.ndarray,
    config: PipelineConfig,
    *,
    sensitive: pd.DataFrame | None,
    n_resamples: int = 200,
    seed: int | None = None,
) -> Evaluation:
    """:func:`evaluate` with the pipeline's own choices: the cut of its highest band as the
    decision threshold (0.5 with a single band), its minimum group size and, unless ``seed``
    is given, its split's seed. Training, the outcomes check and recalibration all judge a
    model this way, so their figures compare."""
    from riskkit.estimators.bands import decision_threshold

    bands = config.band_thresholds()
    return evaluate(
        np.asarray(y),
        np.asarray(p, dtype="float64"),
        sensitive=sensitive,
        threshold=decision_threshold(bands) if len(bands) > 1 else 0.5,
        minimum_group_size=config.sensitive.minimum_group_size,
        n_resamples=n_resamples,
        seed=config.split.seed if seed is None else seed,
    )


def evaluate(
    y: np.ndarray,
    p: np.ndarray,
    *,
    sensitive: pd.DataFrame | None,
    threshold: float,
    minimum_group_size: int,
    n_resamples: int = 200,
    seed: int = 0,
) -> Evaluation:
    """Evaluate test predictions overall and, when ``sensitive`` has columns, by group.

    ``group_gaps`` holds each attribute's equalized-odds difference (fairlearn's, at
    ``threshold``); ``max_group_gap`` is the largest FPR or FNR gap against the reference group
    that the bootstrap interval supports (see :func:`confident_gap`).
    """
    overall = bootstrap_estimates(y, p, metric_functions(), n_resamples=n_resamples, seed=seed)
    groups: list[dict[str, Any]] = []
    gaps: dict[str, float] = {}
    if sensitive is not None and sensitive.shape[1] > 0:
        from riskkit.fairness.audit import audit_predictions

        audit = audit_predictions(
            y,
            p,
            sensitive_features=sensitive.reset_index(drop=True),
            threshold=threshold,
            minimum_group_size=minimum_group_size,
            n_resamples=n_resamples,
            seed=seed,
        )
        groups = [
            {
                "attribute": g.attribute,
                "group": g.group,
                "n": g.n,
                "too_small": g.too_small,
                "is_reference": g.is_reference,
                "metrics": {
                    name: {
                        key: None if np.isnan(number) else number
                        for key, number in (("value", v.value), ("low", v.low), ("high", v.high))
                    }
                    for name, v in g.metrics.items()
                },
            }
            for g in audit.groups
        ]
        add_group_calibration(groups, y, p, sensitive.reset_index(drop=True), seed=seed)
        single = set(audit.attributes)  # the intersection is summarised by its parts
        for summary in audit.summary:
            value = summary.equalized_odds_difference.value
            if not np.isnan(value) and summary.attribute in single:
                gaps[summary.attribute] = float(value)
        confident = [confident_gap(d) for d in audit.disparities if d.attribute in single]
    else:
        confident = []
    return Evaluation(
        overall=overall,
        n=len(y),
        base_rate=float(np.mean(y)),
        groups=groups,
        max_group_gap=max(confident) if confident else float("nan"),
        group_gaps=gaps,
    )


GROUP_CALIBRATION_METRICS = ("log_loss", "ece", "calibration_slope", "calibration_intercept")


def add_group_calibration(
    groups: list[dict[str, Any]],
    y: np.ndarray,
    p: np.ndarray,
    sensitive: pd.DataFrame,
    *,
    n_resamples: int = 100,
    seed: int = 0,
) -> None:
    """Add log-loss, ECE and calibration slope and intercept, with bootstrap intervals, to each
    single-attribute group large enough to judge (in place)."""
    functions = {k: v for k, v in metric_functions().items() if k in GROUP_CALIBRATION_METRICS}
    for group in groups:
        attribute = group["attribute"]
        if group.get("too_small") or attribute not in sensitive.columns:
            continue
        values = sensitive[attribute].astype(object)
        mask = (values.astype(str) == str(group["group"])).to_numpy()
        if values.isna().any() and group["group"] == "(missing)":
            mask = values.isna().to_numpy()
        if not mask.any():
            continue
        estimates = bootstrap_estimates(
            y[mask], p[mask], functions, n_resamples=n_resamples, seed=seed
        )
        group["metrics"].update({name: e.to_dict() for name, e in estimates.items()})


def confident_gap(disparity: Disparity) -> float:
    """The error-rate gap (FPR or FNR, against the reference group) that the bootstrap interval
    supports: the interval's bound nearest zero when it excludes zero, else 0. Small groups and
    other metrics count as 0, so noise alone never blocks a promotion."""
    if disparity.metric not in ("fpr", "fnr") or disparity.too_small:
        return 0.0
    low, high = disparity.difference_low, disparity.difference_high
    if low > 0:
        return float(low)
    if high < 0:
        return float(-high)
    return 0.0

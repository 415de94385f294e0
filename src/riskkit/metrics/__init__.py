"""Pure metric functions on numpy arrays: discrimination, calibration and error rates, with
percentile-bootstrap confidence intervals. Undefined cases return NaN instead of raising."""

from riskkit.metrics.classification import (
    METRICS,
    Metric,
    auc,
    base_rate,
    bootstrap_draws,
    bootstrap_interval,
    brier,
    calibration_error,
    calibration_in_the_large,
    check_outcomes,
    check_scores,
    false_negative_rate,
    false_positive_rate,
    mean_score,
    percentile_interval,
    precision,
    selection_rate,
)

__all__ = [
    "METRICS",
    "Metric",
    "auc",
    "base_rate",
    "bootstrap_draws",
    "bootstrap_interval",
    "brier",
    "calibration_error",
    "calibration_in_the_large",
    "check_outcomes",
    "check_scores",
    "false_negative_rate",
    "false_positive_rate",
    "mean_score",
    "percentile_interval",
    "precision",
    "selection_rate",
]

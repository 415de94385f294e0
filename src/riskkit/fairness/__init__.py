"""Fairness audits: group and intersectional metrics with bootstrap intervals, disparities against
a reference group, and fairlearn summaries, for any score (a model's or an existing instrument's).
"""

from riskkit.fairness.audit import (
    MISSING_GROUP,
    SCHEMA_VERSION,
    AttributeSummary,
    AuditReport,
    BootstrapSettings,
    Disparity,
    GroupMetrics,
    MetricValue,
    audit_predictions,
)

__all__ = [
    "MISSING_GROUP",
    "SCHEMA_VERSION",
    "AttributeSummary",
    "AuditReport",
    "BootstrapSettings",
    "Disparity",
    "GroupMetrics",
    "MetricValue",
    "audit_predictions",
]

"""Outcomes of a model in use: the training metrics on a new cohort whose outcomes are now
known, compared with the model card's figures, and a recommendation (keep, recalibrate or
retrain).

The metrics are exactly the training pipeline's (:func:`riskkit.training.evaluation.evaluate`):
AUC, Brier score, log-loss, expected calibration error (ECE, 10 quantile bins), calibration slope
and intercept, each with a percentile-bootstrap 95% interval, overall and for every group of the
pipeline's sensitive attributes. The card's figures are the registered version's run metrics
(``test_auc``, ``test_ece``, ...: measured on the training run's held-out test split).

The recommendation follows the pipeline's ``[monitoring]`` thresholds
(:class:`~riskkit.config.MonitoringConfig`), judged on the cohort's point estimates:

* **retrain** when the cohort's AUC falls more than ``auc_drop`` below the card's: the model no
  longer ranks people as it did, and a new calibration map cannot restore that;
* otherwise **recalibrate** when the calibration slope leaves ``slope_range`` or the ECE exceeds
  ``max_ece``: the ranking holds but the probabilities no longer match the observed rates
  (``riskkit recalibrate`` refits only the calibration map);
* otherwise **keep**.

Each reason is a :class:`Finding` (a code and its numbers, so reports can word it in any
language). Notes that do not change the recommendation are findings too: an AUC drop whose
interval still holds the card's value (it may be noise), and a group whose mean probability
misses its observed rate by more than everybody's does, by over ``max_ece`` across its whole
95% interval (one calibration map for everybody cannot fix a single group). The groups' own
ECE is shown but not judged: on a few hundred people it is large by chance alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from riskkit.config import MonitoringConfig, PipelineConfig, SplitConfig
from riskkit.errors import DataValidationError
from riskkit.json_values import finite_json

if TYPE_CHECKING:
    import pandas as pd

    from riskkit.training.evaluation import Estimate, Evaluation

__all__ = [
    "ACTIONS",
    "COMPARED_METRICS",
    "SCHEMA_VERSION",
    "Action",
    "Cohort",
    "Finding",
    "MetricComparison",
    "OutcomesAssessment",
    "Recommendation",
    "assess_outcomes",
    "file_sha256",
    "load_cohort",
    "recommend",
]

Action = Literal["keep", "recalibrate", "retrain"]
#: The recommendations, from the mildest to the strongest.
ACTIONS: Final[tuple[Action, ...]] = ("keep", "recalibrate", "retrain")
#: The metrics compared with the card, in report order (the card's run metrics are
#: ``test_<name>``, ``test_<name>_low`` and ``test_<name>_high``).
COMPARED_METRICS: Final = (
    "auc",
    "brier",
    "log_loss",
    "ece",
    "calibration_slope",
    "calibration_intercept",
)
#: Version of :meth:`OutcomesAssessment.to_dict`'s layout.
SCHEMA_VERSION: Final = "1"


# --- the cohort -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Cohort:
    """A new cohort's records with their outcomes, read and validated as for training.

    Attributes
    ----------
    source : str
        The file read.
    sha256, n_bytes : str, int
        SHA-256 and size in bytes of that file.
    n_read : int
        Records read (valid and rejected).
    records : DataFrame
        The valid records (registry names).
    rejects : DataFrame
        The invalid rows, each with its reasons (as ``riskkit data validate`` writes them).
    X : DataFrame
        The model's features, in the pipeline's order.
    y : ndarray
        The outcomes, 0/1.
    sensitive : DataFrame or None
        The pipeline's sensitive attributes present in the file (None when none is).
    """

    source: str
    sha256: str
    n_bytes: int
    n_read: int
    records: pd.DataFrame
    rejects: pd.DataFrame
    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.DataFrame | None

    @property
    def n_valid(self) -> int:
        """Records used."""
        return len(self.records)

    @property
    def n_rejected(self) -> int:
        """Records left out as invalid."""
        return len(self.rejects)

    def describe(self) -> dict[str, Any]:
        """The cohort as the outcomes and recalibration records describe it."""
        return {
            "source": self.source,
            "sha256": self.sha256,
            "bytes": self.n_bytes,
            "read": self.n_read,
            "valid": self.n_valid,
            "rejected": self.n_rejected,
            "base_rate": float(np.mean(self.y)),
        }


def file_sha256(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def load_cohort(config: PipelineConfig, path: str | Path) -> Cohort:
    """Read a cohort file with the pipeline's column mapping and the training validation.

    The records must hold the model's features and the outcome (``[target]``); the sensitive
    attributes are used when present. A ``[split]`` column is not needed (the whole cohort is
    evaluated). Invalid rows are left out and returned in :attr:`Cohort.rejects`.

    Parameters
    ----------
    config : PipelineConfig
        The model's pipeline (as registered with it).
    path : str or Path
        A CSV, Parquet or JSON-lines file.

    Returns
    -------
    Cohort

    Raises
    ------
    DataValidationError
        When the file cannot be used at all: a required column is missing, or fewer than two
        valid records of each outcome remain.
    RiskkitError
        When the file cannot be read.
    """
    from riskkit.data.sources import load_records
    from riskkit.training.split import require_both_outcomes

    reading = config
    if config.split.column is not None:
        reading = config.model_copy(update={"split": SplitConfig()})
    loaded = load_records(reading, path, purpose="train")
    validation = loaded.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=loaded.source)
    records = validation.valid
    target = config.target.column
    y = records[target].astype("int64").to_numpy()
    require_both_outcomes(y, target, loaded.source, needed_for="an outcomes check")
    present = [a for a in config.sensitive.attributes if a in records.columns]
    sha256, n_bytes = file_sha256(path)
    return Cohort(
        source=loaded.source,
        sha256=sha256,
        n_bytes=n_bytes,
        n_read=validation.n_input,
        records=records,
        rejects=validation.rejects,
        X=records[config.features.use],
        y=y,
        sensitive=records[present] if present else None,
    )


# --- the assessment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One reason behind a recommendation, or a note beside it.

    Attributes
    ----------
    code : str
        What was found: ``auc_drop``, ``slope_outside``, ``ece_above``, ``within_limits``
        (reasons); ``auc_drop_uncertain``, ``no_card_auc``, ``group_calibration_gap`` (notes).
    action : {"keep", "recalibrate", "retrain"} or None
        The recommendation the finding argues for; None for a note.
    values : dict
        The numbers behind it (the message fields of the reports).
    """

    code: str
    action: Action | None
    values: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {"code": self.code, "action": self.action, "values": finite_json(self.values)}


@dataclass(frozen=True)
class Recommendation:
    """Keep, recalibrate or retrain, with every finding behind it (reasons first)."""

    action: Action
    findings: tuple[Finding, ...]

    @property
    def reasons(self) -> tuple[Finding, ...]:
        """The findings that decide the action."""
        return tuple(f for f in self.findings if f.action is not None)

    @property
    def notes(self) -> tuple[Finding, ...]:
        """The findings that do not change the action."""
        return tuple(f for f in self.findings if f.action is None)


@dataclass(frozen=True)
class MetricComparison:
    """One metric on the cohort next to the card's figure.

    ``card``, ``card_low`` and ``card_high`` are NaN when the card does not have them.
    """

    name: str
    cohort: Estimate
    card: float
    card_low: float
    card_high: float

    @property
    def difference(self) -> float:
        """Cohort minus card (NaN when the card has no figure)."""
        return float(self.cohort.value - self.card)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (NaN as None)."""
        return {
            "name": self.name,
            "cohort": self.cohort.to_dict(),
            "card": finite_json({"value": self.card, "low": self.card_low, "high": self.card_high}),
            "difference": finite_json(self.difference),
        }


@dataclass(frozen=True)
class OutcomesAssessment:
    """The training metrics on a new cohort, the card's figures and the recommendation.

    Attributes
    ----------
    n : int
        People evaluated.
    base_rate, card_base_rate : float
        Observed outcome rate in the cohort and on the card's test split (NaN if unknown).
    comparisons : tuple of MetricComparison
        :data:`COMPARED_METRICS`, in order.
    evaluation : Evaluation
        The full evaluation (groups with intervals, group gaps).
    recommendation : Recommendation
    thresholds : MonitoringConfig
        The ``[monitoring]`` settings used.
    """

    n: int
    base_rate: float
    card_base_rate: float
    comparisons: tuple[MetricComparison, ...]
    evaluation: Evaluation
    recommendation: Recommendation
    thresholds: MonitoringConfig

    def metric(self, name: str) -> MetricComparison:
        """The comparison of one metric (``"auc"``, ``"ece"``, ...).

        Raises
        ------
        KeyError
            When ``name`` is not one of :data:`COMPARED_METRICS`.
        """
        for comparison in self.comparisons:
            if comparison.name == name:
                return comparison
        raise KeyError(f"no metric {name!r}; the metrics are {', '.join(COMPARED_METRICS)}")

    def flat_metrics(self, prefix: str = "cohort_") -> dict[str, float]:
        """``{cohort_auc: …, cohort_auc_low: …, …, cohort_base_rate: …}``."""
        return self.evaluation.flat_metrics(prefix)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (NaN as None): metrics, groups, thresholds, recommendation."""
        thresholds = self.thresholds
        return {
            "schema_version": SCHEMA_VERSION,
            "n": self.n,
            "base_rate": finite_json(self.base_rate),
            "card_base_rate": finite_json(self.card_base_rate),
            "metrics": [c.to_dict() for c in self.comparisons],
            "groups": finite_json(self.evaluation.groups),
            "group_gaps": finite_json(self.evaluation.group_gaps),
            "max_group_gap": finite_json(self.evaluation.max_group_gap),
            "thresholds": {
                "slope_range": list(thresholds.slope_range),
                "max_ece": thresholds.max_ece,
                "auc_drop": thresholds.auc_drop,
            },
            "recommendation": {
                "action": self.recommendation.action,
                "findings": [f.to_dict() for f in self.recommendation.findings],
            },
        }


def assess_outcomes(
    y: np.ndarray,
    p: np.ndarray,
    *,
    config: PipelineConfig,
    card_metrics: Mapping[str, float],
    sensitive: pd.DataFrame | None = None,
    thresholds: MonitoringConfig | None = None,
    n_resamples: int = 200,
    seed: int = 0,
) -> OutcomesAssessment:
    """Evaluate a model's probabilities on a cohort with known outcomes and recommend.

    Parameters
    ----------
    y : ndarray of 0/1
        The cohort's observed outcomes.
    p : ndarray of float
        The model's probabilities for the same people.
    config : PipelineConfig
        The model's pipeline: its bands give the decision threshold of the group error rates,
        ``[sensitive] minimum_group_size`` the smallest group judged, ``[monitoring]`` the
        thresholds (unless ``thresholds`` is given).
    card_metrics : mapping
        The registered version's run metrics (``test_auc``, ``test_ece``, ...).
    sensitive : DataFrame, optional
        The cohort's sensitive attributes, one row per person, for the metrics by group.
    thresholds : MonitoringConfig, optional
        Thresholds to use instead of the pipeline's ``[monitoring]``.
    n_resamples : int
        Bootstrap resamples of the intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    OutcomesAssessment
    """
    from riskkit.training.evaluation import evaluate_for_pipeline

    monitoring = thresholds or config.monitoring
    evaluation = evaluate_for_pipeline(
        y, p, config, sensitive=sensitive, n_resamples=n_resamples, seed=seed
    )
    comparisons = tuple(
        MetricComparison(
            name=name,
            cohort=evaluation.overall[name],
            card=_card(card_metrics, f"test_{name}"),
            card_low=_card(card_metrics, f"test_{name}_low"),
            card_high=_card(card_metrics, f"test_{name}_high"),
        )
        for name in COMPARED_METRICS
    )
    return OutcomesAssessment(
        n=evaluation.n,
        base_rate=evaluation.base_rate,
        card_base_rate=_card(card_metrics, "test_base_rate"),
        comparisons=comparisons,
        evaluation=evaluation,
        recommendation=recommend(
            evaluation.overall,
            card_metrics,
            monitoring,
            groups=evaluation.groups,
            overall_gap=float(np.mean(p) - np.mean(y)),
        ),
        thresholds=monitoring,
    )


def recommend(
    overall: Mapping[str, Estimate],
    card_metrics: Mapping[str, float],
    thresholds: MonitoringConfig,
    *,
    groups: Sequence[Mapping[str, Any]] = (),
    overall_gap: float = 0.0,
) -> Recommendation:
    """Keep, recalibrate or retrain, from a cohort's metrics and the card's.

    Parameters
    ----------
    overall : mapping of str to Estimate
        The cohort's ``auc``, ``ece`` and ``calibration_slope`` (with intervals).
    card_metrics : mapping
        The card's run metrics; ``test_auc`` is the AUC the cohort's is compared with.
    thresholds : MonitoringConfig
        ``auc_drop``, ``slope_range`` and ``max_ece``.
    groups : sequence of dict
        :attr:`Evaluation.groups <riskkit.training.evaluation.Evaluation.groups>`, for the
        per-group notes: a group is noted when its mean probability minus observed rate
        (``calibration_in_the_large``) differs from ``overall_gap`` by more than ``max_ece``
        over its whole 95% interval.
    overall_gap : float
        Everybody's mean probability minus observed rate.

    Returns
    -------
    Recommendation
        ``retrain`` when the AUC falls more than ``auc_drop`` below the card's; otherwise
        ``recalibrate`` when the slope leaves ``slope_range`` or the ECE exceeds ``max_ece``;
        otherwise ``keep``.
    """
    reasons: list[Finding] = []
    notes: list[Finding] = []
    auc, slope, ece = overall["auc"], overall["calibration_slope"], overall["ece"]
    card_auc = _card(card_metrics, "test_auc")
    low, high = thresholds.slope_range
    if math.isnan(card_auc):
        notes.append(Finding("no_card_auc", None, {"auc": auc.value}))
    elif auc.value < card_auc - thresholds.auc_drop:
        reasons.append(
            Finding(
                "auc_drop",
                "retrain",
                {
                    "auc": auc.value,
                    "card_auc": card_auc,
                    "drop": card_auc - auc.value,
                    "limit": thresholds.auc_drop,
                },
            )
        )
        if auc.high >= card_auc:
            notes.append(
                Finding(
                    "auc_drop_uncertain",
                    None,
                    {"low": auc.low, "high": auc.high, "card_auc": card_auc},
                )
            )
    if not math.isnan(slope.value) and not low <= slope.value <= high:
        reasons.append(
            Finding(
                "slope_outside",
                "recalibrate",
                {"slope": slope.value, "low": low, "high": high},
            )
        )
    if not math.isnan(ece.value) and ece.value > thresholds.max_ece:
        reasons.append(
            Finding("ece_above", "recalibrate", {"ece": ece.value, "limit": thresholds.max_ece})
        )
    for group in groups:
        gap = group.get("metrics", {}).get("calibration_in_the_large")
        if group.get("too_small") or not gap or gap.get("low") is None or gap.get("high") is None:
            continue
        # against everybody's gap: that part a new calibration map would correct
        difference = gap["value"] - overall_gap
        low_difference, high_difference = gap["low"] - overall_gap, gap["high"] - overall_gap
        beyond = abs(difference) > thresholds.max_ece
        if beyond and (low_difference > 0 or high_difference < 0):
            notes.append(
                Finding(
                    "group_calibration_gap",
                    None,
                    {
                        "attribute": group["attribute"],
                        "group": group["group"],
                        "n": group["n"],
                        "gap": gap["value"],
                        "low": gap["low"],
                        "high": gap["high"],
                        "overall": overall_gap,
                        "difference": difference,
                        "limit": thresholds.max_ece,
                    },
                )
            )
    actions = {f.action for f in reasons}
    action: Action = next((a for a in reversed(ACTIONS) if a in actions), "keep")
    if action == "keep":
        reasons.append(
            Finding(
                "within_limits",
                "keep",
                {
                    "auc": auc.value,
                    "card_auc": card_auc,
                    "limit": thresholds.auc_drop,
                    "slope": slope.value,
                    "low": low,
                    "high": high,
                    "ece": ece.value,
                    "max_ece": thresholds.max_ece,
                },
            )
        )
    order = {a: i for i, a in enumerate(reversed(ACTIONS))}
    reasons.sort(key=lambda f: order[f.action] if f.action is not None else len(order))
    return Recommendation(action=action, findings=(*reasons, *notes))


# --- helpers ----------------------------------------------------------------------------------


def _card(metrics: Mapping[str, float], key: str) -> float:
    value = metrics.get(key)
    return float(value) if value is not None else float("nan")

"""Auditing a registered model on a set of records with known outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from riskkit.errors import DataValidationError, RiskkitError
from riskkit.estimators.bands import decision_threshold

if TYPE_CHECKING:
    from riskkit.tracking import LoadedModel


@dataclass(frozen=True)
class ModelAuditOutput:
    """Files an audit wrote, and how many records it used."""

    files: dict[str, Path]
    n_input: int
    n_audited: int
    n_rejected: int
    threshold: float


def audit_model(
    model: LoadedModel,
    data: str | Path,
    *,
    sensitive: Sequence[str],
    out_dir: str | Path,
    threshold: float | None = None,
    language: str = "en",
) -> ModelAuditOutput:
    """Score ``data`` with ``model`` and audit the scores by the ``sensitive`` attributes.

    Parameters
    ----------
    model : LoadedModel
        The registered model.
    data : str or Path
        Records with the model's features, its outcome and the sensitive attributes.
    sensitive : sequence of str
        Registry names of the attributes to audit by (never model inputs).
    out_dir : str or Path
        Where ``audit.json`` and ``audit.html`` (and ``rejects.csv`` if any) go.
    threshold : float, optional
        Probability at or above which a person counts as flagged; defaults to the lower edge
        of the pipeline's highest band.
    language : {"es", "pt", "en"}
        Language of ``audit.html``.
    """
    from riskkit.data.io import write_records
    from riskkit.data.sources import load_records
    from riskkit.fairness.audit import audit_predictions
    from riskkit.reports.audit_report import write_audit

    if not sensitive:
        raise RiskkitError("an audit needs at least one sensitive attribute (--sensitive COL)")
    config = model.bundle.config
    overlap = sorted(set(sensitive) & set(config.features.use))
    if overlap:
        raise RiskkitError(
            f"{overlap} are inputs of model {model.reference}; audit by attributes that are not "
            "model inputs, or audit the effect of using them with a separate pipeline"
        )
    loaded = load_records(config, data, purpose="audit", sensitive=list(sensitive))
    validation = loaded.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=loaded.source)
    records = validation.valid
    cut = decision_threshold(config.band_thresholds()) if threshold is None else threshold
    estimator = model.bundle.estimator
    probability = estimator.predict_proba(records[list(estimator.feature_names_in_)])[:, 1]
    report = audit_predictions(
        records[config.target.column].astype("int64").to_numpy(),
        probability,
        sensitive_features=records[list(sensitive)],
        threshold=cut,
        minimum_group_size=config.sensitive.minimum_group_size,
        score_name=f"{model.name} v{model.version} probability",
    )
    out = Path(out_dir)
    metadata = {
        "model": {"name": model.name, "version": model.version, "alias": model.alias},
        "data": loaded.source,
        "records": {
            "read": validation.n_input,
            "audited": len(records),
            "rejected": len(validation.rejects),
        },
        "outcome": config.target.column,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    files = dict(write_audit(report, out, language=language, metadata=metadata))
    if len(validation.rejects):
        files["rejects"] = write_records(validation.rejects, out / "rejects.csv")
    return ModelAuditOutput(
        files=files,
        n_input=validation.n_input,
        n_audited=len(records),
        n_rejected=len(validation.rejects),
        threshold=cut,
    )

"""Running an audit end to end: read the records, score or take the score column, audit, write.

:func:`audit_model` audits a registered model on records with known outcomes, with the settings
of its pipeline's ``[audit]`` section; :func:`audit_score_column` audits a score already in a
file (an instrument in use today). Both write ``audit.json``, ``audit.html`` and ``audit.pdf``
(and ``rejects.csv`` when some rows could not be audited) and return an :class:`AuditOutput`.
:func:`rerender_audit` renders the pages again from ``audit.json`` (after a sign-off).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from riskkit.errors import DataValidationError, RiskkitError
from riskkit.estimators.bands import decision_threshold

if TYPE_CHECKING:
    from riskkit.fairness.audit import AuditReport, Disparity, Purpose
    from riskkit.tracking import LoadedModel

DEFAULT_AUDIT_ROOT = Path("audits")


@dataclass(frozen=True)
class AuditOutput:
    """Files an audit wrote, how many records it used, and its flags in words."""

    files: dict[str, Path]
    n_input: int
    n_audited: int
    n_rejected: int
    threshold: float
    flags: tuple[str, ...]


def _flag_line(flag: Disparity) -> str:
    ratio = f"ratio {flag.ratio:.2f} [{flag.ratio_low:.2f}, {flag.ratio_high:.2f}]"
    return (
        f"{flag.attribute} = {flag.group}: {flag.metric} {flag.value:.3f} against "
        f"{flag.reference_value:.3f} for {flag.reference} ({ratio})"
    )


def _quiet(_: str) -> None:
    return None


def audit_model(
    model: LoadedModel,
    data: str | Path,
    *,
    sensitive: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    threshold: float | None = None,
    language: str = "en",
    purpose: Purpose | None = None,
    reference_groups: Mapping[str, str] | None = None,
    minimum_group_size: int | None = None,
    n_resamples: int | None = None,
    say: Callable[[str], None] = _quiet,
) -> AuditOutput:
    """Score ``data`` with ``model`` and audit the scores by the sensitive attributes.

    Every setting left out comes from the model's pipeline: ``[sensitive] attributes`` and
    ``minimum_group_size``; ``[audit] purpose``, ``reference_groups``, ``threshold`` (else the
    lower edge of the highest band), ``n_resamples`` and ``seed``. The calibration table uses
    the pipeline's risk bands.

    Parameters
    ----------
    model : LoadedModel
        The registered model.
    data : str or Path
        Records with the model's features, its outcome and the sensitive attributes.
    sensitive : sequence of str, optional
        Registry names of the attributes to audit by (never model inputs).
    out_dir : str or Path, optional
        Where the files go; by default ``audits/<model>/v<version>``.
    threshold : float, optional
        Probability at or above which a person counts as flagged.
    language : {"es", "pt", "en"}
        Language of ``audit.html`` and ``audit.pdf``.
    purpose : {"punitive", "assistive"}, optional
        What the score is used for.
    reference_groups : mapping, optional
        Reference group per attribute.
    minimum_group_size, n_resamples : int, optional
        Override the pipeline's.
    say : callable
        Receives progress lines.
    """
    from riskkit.data.io import write_records
    from riskkit.data.sources import load_records
    from riskkit.fairness.audit import audit_predictions

    config = model.bundle.config
    attributes = list(sensitive or config.sensitive.attributes)
    if not attributes:
        raise RiskkitError(
            f"an audit needs at least one sensitive attribute: pass --sensitive COLUMNS or list "
            f"them in the [sensitive] attributes of pipeline {config.name!r}"
        )
    overlap = sorted(set(attributes) & set(config.features.use))
    if overlap:
        raise RiskkitError(
            f"{overlap} are inputs of model {model.reference}; audit by attributes that are not "
            "model inputs, or audit the effect of using them with a separate pipeline"
        )
    say(f"reading {data}")
    loaded = load_records(config, data, purpose="audit", sensitive=attributes)
    validation = loaded.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=loaded.source)
    records = validation.valid
    settings = config.audit
    if threshold is not None:
        cut = threshold
    elif settings.threshold is not None:
        cut = settings.threshold
    else:
        # The highest band holds probabilities above the previous band's upper edge, which is
        # inclusive; the audit selects scores >= its threshold, so take the next number up.
        cut = float(np.nextafter(decision_threshold(config.band_thresholds()), 1.0))
    estimator = model.bundle.estimator
    say(f"scoring {len(records)} records with {model.reference}")
    probability = estimator.predict_proba(records[list(estimator.feature_names_in_)])[:, 1]
    references = dict(settings.reference_groups)
    references.update(reference_groups or {})
    resamples = n_resamples or settings.n_resamples
    say(f"auditing by {', '.join(attributes)} ({resamples} bootstrap resamples)")
    report = audit_predictions(
        records[config.target.column].astype("int64").to_numpy(),
        probability,
        sensitive_features=records[attributes],
        threshold=cut,
        minimum_group_size=minimum_group_size or config.sensitive.minimum_group_size,
        score_name=f"{model.name} v{model.version} probability",
        reference_groups={k: v for k, v in references.items() if k in _known(attributes)},
        n_resamples=resamples,
        confidence=settings.confidence,
        seed=settings.seed,
        purpose=purpose or settings.purpose,
        score_bands=[(b.name, b.max_probability) for b in config.bands],
    )
    extras = audit_extras(
        records[config.target.column].astype("int64").to_numpy(),
        probability,
        records[attributes],
        threshold=cut,
        minimum_group_size=minimum_group_size or config.sensitive.minimum_group_size,
        seed=settings.seed,
        say=say,
    )
    out = Path(out_dir) if out_dir is not None else _default_dir(model.name, model.version)
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
    files = _write(report, out, language, metadata, extras)
    if len(validation.rejects):
        files["rejects"] = write_records(validation.rejects, out / "rejects.csv")
    return AuditOutput(
        files=files,
        n_input=validation.n_input,
        n_audited=len(records),
        n_rejected=len(validation.rejects),
        threshold=cut,
        flags=tuple(_flag_line(f) for f in report.flags),
    )


def audit_score_column(
    data: str | Path,
    *,
    score_column: str,
    label_column: str,
    sensitive: Sequence[str],
    threshold: float,
    out_dir: str | Path | None = None,
    language: str = "en",
    purpose: Purpose | None = None,
    reference_groups: Mapping[str, str] | None = None,
    minimum_group_size: int = 30,
    n_resamples: int = 1000,
    say: Callable[[str], None] = _quiet,
) -> AuditOutput:
    """Audit a score column already in ``data`` (see :mod:`riskkit.fairness.score_audit`).

    The files go to ``out_dir``, by default ``audits/<score_column>``.
    """
    from riskkit.data.io import write_records
    from riskkit.fairness.score_audit import audit_score_file

    say(f"auditing {score_column} in {data} by {', '.join(sensitive)}")
    result = audit_score_file(
        data,
        score_column=score_column,
        label_column=label_column,
        sensitive=sensitive,
        threshold=threshold,
        purpose=purpose,
        minimum_group_size=minimum_group_size,
        reference_groups=reference_groups,
        n_resamples=n_resamples,
    )
    records = result.records
    extras = audit_extras(
        result.outcomes,
        result.scores,
        records[list(sensitive)],
        threshold=threshold,
        minimum_group_size=minimum_group_size,
        say=say,
    )
    out = Path(out_dir) if out_dir is not None else DEFAULT_AUDIT_ROOT / score_column
    metadata = {
        "score_column": score_column,
        "data": result.source,
        "records": {
            "read": result.n_input,
            "audited": result.n_audited,
            "rejected": len(result.rejects),
        },
        "outcome": label_column,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    files = _write(result.report, out, language, metadata, extras)
    if len(result.rejects):
        files["rejects"] = write_records(result.rejects, out / "rejects.csv")
    return AuditOutput(
        files=files,
        n_input=result.n_input,
        n_audited=result.n_audited,
        n_rejected=len(result.rejects),
        threshold=threshold,
        flags=tuple(_flag_line(f) for f in result.report.flags),
    )


def rerender_audit(audit_dir: str | Path, *, language: str = "en") -> dict[str, Path]:
    """Render ``audit.html`` and ``audit.pdf`` again from ``audit.json`` and the sign-offs.

    ``audit.json`` itself is not rewritten, so its hash (which sign-offs record) stays valid.
    """
    from riskkit.fairness.signoff import AUDIT_FILE, read_signoffs
    from riskkit.reports.audit_report import write_audit_pages

    folder = Path(audit_dir)
    path = folder / AUDIT_FILE
    if not path.is_file():
        raise RiskkitError(
            f"{folder} holds no {AUDIT_FILE}; pass the folder `riskkit audit` wrote."
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return write_audit_pages(data, folder, language=language, signoffs=read_signoffs(folder))


#: Mitigations are compared on at most this many people (a seeded sample): ExponentiatedGradient
#: refits its model dozens of times, and the comparison's conclusions do not need more.
MITIGATION_SAMPLE: Final = 50_000


def audit_extras(
    y_true: np.ndarray,
    y_score: np.ndarray,
    sensitive: pd.DataFrame,
    *,
    threshold: float,
    minimum_group_size: int,
    seed: int = 0,
    say: Callable[[str], None] = _quiet,
) -> dict[str, Any]:
    """The threshold sweep and the mitigation comparison that go into ``audit.json``.

    The sweep covers every person and every single attribute. The mitigations are compared on
    the first attribute, on the people of its groups that are large enough to judge (at most
    :data:`MITIGATION_SAMPLE`, sampled with ``seed``), split in half by outcome: fitted on one
    half, measured on the other. They work on the audited score itself (a threshold per group;
    a logistic model of the score retrained under the constraint), so the same comparison
    serves a registered model and an instrument's score column. When the comparison cannot be
    made (e.g. a group with only one outcome), ``mitigations`` is left out and the reason is
    kept under ``mitigations_skipped``.
    """
    from sklearn.model_selection import train_test_split

    from riskkit.fairness.mitigation import compare_mitigations
    from riskkit.fairness.sweep import threshold_sweep

    extras: dict[str, Any] = {}
    say("threshold sweep")
    extras["threshold_sweep"] = threshold_sweep(
        y_true,
        y_score,
        sensitive_features=sensitive.reset_index(drop=True),
        minimum_group_size=minimum_group_size,
    ).to_dict()
    attribute = str(sensitive.columns[0])
    groups = sensitive[attribute].astype(object).where(sensitive[attribute].notna(), "(missing)")
    sizes = groups.value_counts()
    keep = groups.isin(sizes[sizes >= minimum_group_size].index).to_numpy()
    index = np.flatnonzero(keep)
    rng = np.random.default_rng(seed)
    if len(index) > MITIGATION_SAMPLE:
        index = np.sort(rng.choice(index, size=MITIGATION_SAMPLE, replace=False))
    say(f"comparing mitigations by {attribute} on {len(index)} people")
    try:
        if groups.iloc[index].nunique() < 2:
            raise RiskkitError(
                f"fewer than two groups of {attribute!r} have {minimum_group_size} or more people"
            )
        train, test = train_test_split(
            index, test_size=0.5, random_state=seed, stratify=y_true[index]
        )
        labels = groups.to_numpy()
        comparison = compare_mitigations(
            y_score[train],
            y_true[train],
            y_score[test],
            y_true[test],
            sensitive_train={attribute: labels[train]},
            sensitive_test={attribute: labels[test]},
            threshold=threshold,
            seed=seed,
        )
        extras["mitigations"] = comparison.to_dict()
    except (RiskkitError, ValueError) as exc:
        say(f"mitigations not compared: {exc}")
        extras["mitigations_skipped"] = str(exc)
    return extras


def _known(attributes: Sequence[str]) -> set[str]:
    from riskkit.fairness.audit import INTERSECTION_SEPARATOR

    return {*attributes, INTERSECTION_SEPARATOR.join(attributes)}


def _default_dir(name: str, version: int | str) -> Path:
    return DEFAULT_AUDIT_ROOT / name / f"v{version}"


def _write(
    report: AuditReport,
    out: Path,
    language: str,
    metadata: Mapping[str, object],
    extras: Mapping[str, Any],
) -> dict[str, Path]:
    from riskkit.reports.audit_report import write_audit

    data = {**report.to_dict(), **extras}
    return dict(write_audit(data, out, language=language, metadata=metadata))

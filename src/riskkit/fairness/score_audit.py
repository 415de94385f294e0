"""Auditing a score column that is already in a file: the instrument an agency uses today.

An agency does not need a riskkit model to audit what it already uses. Give a file with one row
per person, the column holding the existing score (e.g. COMPAS's ``decile_score``), the
column holding the observed outcome, the sensitive attributes and the threshold the agency acts
on, and :func:`audit_score_file` returns the same :class:`~riskkit.fairness.audit.AuditReport`
as a model audit. Columns are read by their names in the file; no pipeline is needed.

Rows whose outcome is not 0/1 or whose score is missing or not a number cannot be audited: they
are returned as rejects with the reason, never dropped silently, and ``n_input`` equals the
audited rows plus the rejects. A missing sensitive attribute is not a reason to reject: those
people form the group ``"(missing)"``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.errors import RiskkitError
from riskkit.fairness.audit import AuditReport, Purpose, audit_predictions

__all__ = ["ScoreFileAudit", "audit_score_file"]

#: Outcome spellings read as 1 and 0 (compared case-insensitively, after trimming).
_POSITIVE = frozenset({"1", "1.0", "true", "yes"})
_NEGATIVE = frozenset({"0", "0.0", "false", "no"})


@dataclass(frozen=True)
class ScoreFileAudit:
    """An audit of a score column, and the rows that could not be audited.

    ``records``, ``outcomes`` and ``scores`` are the audited rows, in the same order.
    """

    report: AuditReport
    records: pd.DataFrame
    rejects: pd.DataFrame
    n_input: int
    source: str
    outcomes: np.ndarray
    scores: np.ndarray

    @property
    def n_audited(self) -> int:
        """People audited."""
        return self.report.n


def require_columns(frame: pd.DataFrame, wanted: Mapping[str, str], source: str) -> None:
    """Raise a :class:`RiskkitError` naming each column of ``wanted`` (role -> column) that
    ``frame`` lacks, with the closest column name it has."""
    available = [str(c) for c in frame.columns]
    problems = []
    for role, column in wanted.items():
        if column in frame.columns:
            continue
        close = difflib.get_close_matches(column, available, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"{role} column {column!r} is not in {source}{hint}")
    if problems:
        raise RiskkitError(
            "; ".join(problems) + f". The file's columns are: {', '.join(available)}."
        )


def outcome_flags(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """0/1 outcomes (1/0, yes/no, true/false in any case) and a mask of the rows whose outcome
    is none of these."""
    text = values.astype("string").str.strip().str.lower()
    positive = text.isin(_POSITIVE).fillna(False).to_numpy(dtype=bool)
    negative = text.isin(_NEGATIVE).fillna(False).to_numpy(dtype=bool)
    return positive.astype(np.int64), ~(positive | negative)


def audit_score_file(
    data: str | Path | pd.DataFrame,
    *,
    score_column: str,
    label_column: str,
    sensitive: Sequence[str],
    threshold: float,
    purpose: Purpose | None = None,
    minimum_group_size: int = 30,
    reference_groups: Mapping[str, str] | None = None,
    score_bands: Sequence[tuple[str, float]] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> ScoreFileAudit:
    """Audit an existing score column by group.

    Parameters
    ----------
    data : str, Path or DataFrame
        A CSV, Parquet or JSON-lines file (or a frame) with one row per person.
    score_column : str
        The audited score (e.g. ``"decile_score"``).
    label_column : str
        The observed outcome, 0/1 (``true``/``false`` and ``yes``/``no`` are read too).
    sensitive : sequence of str
        Columns of the sensitive attributes to audit by.
    threshold : float
        People with ``score >= threshold`` count as labelled high risk (e.g. 5 for COMPAS's
        "medium or high").
    purpose, minimum_group_size, reference_groups, score_bands, n_resamples, confidence, seed
        As in :func:`riskkit.fairness.audit.audit_predictions`.

    Returns
    -------
    ScoreFileAudit

    Raises
    ------
    RiskkitError
        When a named column is missing (the message lists the file's columns), no sensitive
        attribute is named, or no row can be audited.
    """
    from riskkit.data.io import read_records

    if not sensitive:
        raise RiskkitError(
            "an audit needs at least one sensitive attribute; name its column, e.g. "
            "--sensitive race"
        )
    if isinstance(data, pd.DataFrame):
        frame, source = data, "the data frame"
    else:
        frame, source = read_records(data).frame, str(data)
    roles = {"score": score_column, "label": label_column}
    roles.update({f"sensitive attribute #{i + 1}": c for i, c in enumerate(sensitive)})
    require_columns(frame, roles, source)
    overlap = sorted({score_column, label_column} & set(sensitive))
    if overlap:
        raise RiskkitError(
            f"{overlap} is named both as a sensitive attribute and as the score or the label; "
            "name different columns."
        )

    outcomes, bad_outcome = outcome_flags(frame[label_column])
    scores = pd.to_numeric(frame[score_column], errors="coerce").to_numpy(dtype=np.float64)
    bad_score = ~np.isfinite(scores)
    reasons = np.full(len(frame), "", dtype=object)
    reasons[bad_outcome] = f"{label_column}: not 0/1"
    both = bad_outcome & bad_score
    reasons[bad_score & ~bad_outcome] = f"{score_column}: missing or not a number"
    reasons[both] = f"{label_column}: not 0/1; {score_column}: missing or not a number"
    rejected = bad_outcome | bad_score
    rejects = frame.loc[rejected].assign(reason=reasons[rejected])
    keep = ~rejected
    if not keep.any():
        raise RiskkitError(
            f"no row of {source} can be audited: every row has an outcome that is not 0/1 in "
            f"{label_column!r} or no number in {score_column!r}."
        )
    records = frame.loc[keep].reset_index(drop=True)
    report = audit_predictions(
        outcomes[keep],
        scores[keep],
        sensitive_features=records[list(sensitive)],
        threshold=threshold,
        minimum_group_size=minimum_group_size,
        score_name=score_column,
        reference_groups=reference_groups,
        n_resamples=n_resamples,
        seed=seed,
        confidence=confidence,
        purpose=purpose,
        score_bands=score_bands,
    )
    return ScoreFileAudit(
        report=report,
        records=records,
        rejects=rejects,
        n_input=len(frame),
        source=source,
        outcomes=outcomes[keep],
        scores=scores[keep],
    )

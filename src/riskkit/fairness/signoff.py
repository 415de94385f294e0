"""Auditor sign-off of a written audit, bound to the exact ``audit.json`` it approves.

``riskkit audit sign AUDIT_DIR --auditor NAME --decision approve|reject --comment TEXT`` appends
a sign-off to ``AUDIT_DIR/signoff.json``: who, when, the decision, the comment and the SHA-256
of ``audit.json`` as it was when signed. Sign-offs are appended, never replaced, so a second
auditor's review (or a reversal) keeps the first. :func:`verify_audit` recomputes the hash:
any later change to ``audit.json`` shows as a mismatch against every earlier sign-off.

``signoff.json`` (``schema_version`` 1)::

    {"schema_version": 1,
     "signoffs": [{"auditor", "decision", "comment", "signed_at", "audit_sha256"}, ...]}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from riskkit.errors import RiskkitError

__all__ = [
    "AUDIT_FILE",
    "DECISIONS",
    "SIGNOFF_FILE",
    "SignOff",
    "Verification",
    "read_signoffs",
    "sign_audit",
    "verify_audit",
]

AUDIT_FILE: Final = "audit.json"
SIGNOFF_FILE: Final = "signoff.json"
SIGNOFF_SCHEMA_VERSION: Final = 1
DECISIONS: Final = ("approve", "reject")

Decision = Literal["approve", "reject"]


@dataclass(frozen=True)
class SignOff:
    """One auditor's decision on one version of ``audit.json``."""

    auditor: str
    decision: Decision
    comment: str
    signed_at: str
    audit_sha256: str

    def to_dict(self) -> dict[str, str]:
        """The sign-off's JSON object."""
        return asdict(self)


@dataclass(frozen=True)
class Verification:
    """Whether ``audit.json`` is still the file each sign-off approved."""

    audit_sha256: str
    signoffs: tuple[SignOff, ...]

    @property
    def mismatched(self) -> tuple[SignOff, ...]:
        """Sign-offs made on a different ``audit.json`` than the one now in the folder."""
        return tuple(s for s in self.signoffs if s.audit_sha256 != self.audit_sha256)

    @property
    def ok(self) -> bool:
        """True when the audit is signed and unchanged since every sign-off."""
        return bool(self.signoffs) and not self.mismatched


def _audit_file(audit_dir: str | Path) -> Path:
    path = Path(audit_dir) / AUDIT_FILE
    if not path.is_file():
        raise RiskkitError(
            f"{audit_dir} holds no {AUDIT_FILE}; pass the folder that `riskkit audit` wrote "
            "(e.g. audits/<model>/v<version>)."
        )
    return path


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_signoffs(audit_dir: str | Path) -> tuple[SignOff, ...]:
    """The sign-offs recorded in ``AUDIT_DIR/signoff.json`` (none when the file is absent)."""
    path = Path(audit_dir) / SIGNOFF_FILE
    if not path.is_file():
        return ()
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema_version") != SIGNOFF_SCHEMA_VERSION:
            raise RiskkitError(
                f"{path} has schema version {data.get('schema_version')!r}; this riskkit reads "
                f"version {SIGNOFF_SCHEMA_VERSION}."
            )
        return tuple(SignOff(**entry) for entry in data["signoffs"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RiskkitError(
            f"{path} is not a riskkit sign-off file ({exc}); restore it from your records or "
            "remove it and sign again."
        ) from exc


def sign_audit(
    audit_dir: str | Path,
    *,
    auditor: str,
    decision: str,
    comment: str = "",
    signed_at: datetime | None = None,
) -> SignOff:
    """Append a sign-off for the ``audit.json`` in ``audit_dir``.

    Parameters
    ----------
    audit_dir : str or Path
        Folder written by ``riskkit audit``.
    auditor : str
        The auditor's name, as it should appear on the report.
    decision : {"approve", "reject"}
        The auditor's decision.
    comment : str
        Reasons, conditions or reservations.
    signed_at : datetime, optional
        When; by default now (UTC).

    Returns
    -------
    SignOff
        The sign-off recorded, with the hash of ``audit.json``.

    Raises
    ------
    RiskkitError
        When the folder holds no ``audit.json``, the auditor's name is empty, or the decision
        is not ``approve`` or ``reject``.
    """
    path = _audit_file(audit_dir)
    if not auditor.strip():
        raise RiskkitError("the auditor's name is empty; pass --auditor 'First Last'.")
    if decision not in DECISIONS:
        raise RiskkitError(
            f"decision {decision!r} is not one of {', '.join(DECISIONS)}; pass --decision "
            "approve or --decision reject."
        )
    when = (signed_at or datetime.now(UTC)).isoformat(timespec="seconds")
    signoff = SignOff(
        auditor=auditor.strip(),
        decision=decision,  # type: ignore[arg-type]  # checked against DECISIONS above
        comment=comment.strip(),
        signed_at=when,
        audit_sha256=file_sha256(path),
    )
    signoffs = [*read_signoffs(audit_dir), signoff]
    content = {
        "schema_version": SIGNOFF_SCHEMA_VERSION,
        "signoffs": [s.to_dict() for s in signoffs],
    }
    (Path(audit_dir) / SIGNOFF_FILE).write_text(
        json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return signoff


def verify_audit(audit_dir: str | Path) -> Verification:
    """Compare the current ``audit.json`` with the hash each sign-off recorded."""
    path = _audit_file(audit_dir)
    return Verification(audit_sha256=file_sha256(path), signoffs=read_signoffs(audit_dir))

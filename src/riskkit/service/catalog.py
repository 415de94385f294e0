"""What the service lists besides scores: registered models with their cards, and audits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["AuditListing", "find_audit", "find_audits", "model_card_html", "registered_models"]

CARD_FILE: Final = "model_card.html"
#: How deep below an audit folder ``audit.json`` files are looked for.
AUDIT_DEPTH: Final = 4


def registered_models() -> list[dict[str, Any]]:
    """Every registered model: its aliases and versions (kind, promotion decision, and the
    link to the version's card)."""
    from riskkit import tracking

    return [
        {
            "name": model.name,
            "aliases": dict(model.aliases),
            "versions": [
                {
                    "version": v.version,
                    "aliases": list(v.aliases),
                    "kind": v.kind,
                    "promotion": v.promotion,
                    "created_at": v.created_at,
                    "run_id": v.run_id,
                    "card": f"/v1/models/{model.name}/versions/{v.version}/card",
                }
                for v in model.versions
            ],
        }
        for model in tracking.registered_models()
    ]


def model_card_html(name: str, version: int) -> str | None:
    """The model card (HTML) of a registered version, from its run's artifacts; None when the
    version or its card does not exist."""
    from riskkit.tracking import version_file_text

    return version_file_text(name, version, CARD_FILE)


@dataclass(frozen=True)
class AuditListing:
    """One audit found on disk: its folder, id and files by format."""

    id: str
    folder: Path
    data: dict[str, Any] = field(repr=False)
    files: dict[str, Path] = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """What a list of audits shows."""
        metadata = self.data.get("metadata") or {}
        return {
            "id": self.id,
            "model": metadata.get("model"),
            "score": self.data.get("score"),
            "created_at": metadata.get("created_at"),
            "purpose": self.data.get("purpose"),
            "attributes": self.data.get("attributes"),
            "n": self.data.get("n"),
            "flags": len(self.data.get("flags") or []),
            "formats": sorted(self.files),
            "url": f"/v1/audits/{self.id}",
        }


def audit_id(folder: Path) -> str:
    """A short stable id for the audit in ``folder``."""
    return hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:12]


def find_audits(roots: Iterable[Path]) -> list[AuditListing]:
    """The audits (``audit.json`` with its HTML and PDF) under ``roots``, newest first.
    Files that cannot be read as audits are left out."""
    found: dict[str, AuditListing] = {}
    for root in roots:
        if not root.is_dir():
            continue
        candidates = [root / "audit.json"] + [
            path
            for depth in range(1, AUDIT_DEPTH + 1)
            for path in root.glob("/".join(["*"] * depth) + "/audit.json")
        ]
        for path in candidates:
            if not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or "groups" not in data:
                continue
            folder = path.parent
            files = {"json": path}
            for kind in ("html", "pdf"):
                if (folder / f"audit.{kind}").is_file():
                    files[kind] = folder / f"audit.{kind}"
            listing = AuditListing(id=audit_id(folder), folder=folder, data=data, files=files)
            found[listing.id] = listing
    return sorted(
        found.values(),
        key=lambda a: str((a.data.get("metadata") or {}).get("created_at") or ""),
        reverse=True,
    )


def find_audit(roots: Iterable[Path], identifier: str) -> AuditListing | None:
    """The audit with this id, or None."""
    return next((a for a in find_audits(roots) if a.id == identifier), None)

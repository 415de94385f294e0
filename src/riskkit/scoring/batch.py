"""Scoring a file of records: every valid row is scored, every invalid row is written to a
rejects file with its reasons, and the summary counts both (their sum is the input)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.errors import DataValidationError, RiskkitError

if TYPE_CHECKING:
    from riskkit.estimators.needs import NeedsModel
    from riskkit.scoring.catalogue import Catalogue
    from riskkit.tracking import LoadedModel

Progress = Callable[[str], None]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class BatchSummary:
    """What a batch scoring run wrote."""

    n_input: int
    n_scored: int
    n_rejected: int
    out_dir: Path
    index_path: Path
    rejects_path: Path | None
    bands: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "input": self.n_input,
            "scored": self.n_scored,
            "rejected": self.n_rejected,
            "bands": self.bands,
            "out_dir": str(self.out_dir),
            "index": str(self.index_path),
            "rejects": None if self.rejects_path is None else str(self.rejects_path),
        }


def safe_file_stem(person_id: str) -> str:
    """A file name for a person's report: the id with anything but letters, digits, dot,
    dash and underscore replaced."""
    stem = _UNSAFE.sub("_", person_id).strip("._") or "person"
    return stem[:120]


def score_file(
    model: LoadedModel,
    input_path: str | Path,
    out_dir: str | Path,
    *,
    language: str = "es",
    html: bool = True,
    progress: Progress | None = None,
    needs_model: NeedsModel | None = None,
    catalogue: Catalogue | None = None,
    override: tuple[str, str] | None = None,
) -> BatchSummary:
    """Score every record of ``input_path`` and write one JSON (and one HTML report) per person.

    Writes ``<out_dir>/<id>.json``, ``<out_dir>/<id>.html``, ``<out_dir>/scores.csv`` (one row
    per person) and, when rows are invalid, ``<out_dir>/rejects.csv`` with the reasons.

    ``needs_model`` and ``catalogue`` add each person's needs profile and case plan.
    ``override`` is ``(band, reason)``: a case worker's decision for the one person in the file
    (refused when the file holds several people, since one reason cannot fit them all).

    Raises
    ------
    DataValidationError
        When no row can be scored because of a file-level problem (a required column is
        missing, the file is empty).
    """
    import pandas as pd

    from riskkit.data.io import write_records
    from riskkit.data.sources import load_records
    from riskkit.reports.case_report import render_case_html
    from riskkit.scoring.score import apply_override, score_cases

    say = progress or (lambda _line: None)
    config = model.bundle.config
    loaded = load_records(config, input_path, purpose="score")
    validation = loaded.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=loaded.source)
    say(validation.summary())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = score_cases(model, validation.valid, needs_model=needs_model, catalogue=catalogue)
    if override is not None and len(results) != 1:
        raise RiskkitError(
            f"--override applies to one person, but {input_path} holds {len(results)} valid "
            "records; score that person's record alone to record an override"
        )
    rows = []
    used: set[str] = set()
    for result in results:
        if override is not None:
            result = apply_override(result, *override, band_names=config.band_names())
        stem = safe_file_stem(result.person_id)
        while stem in used:
            stem += "_"
        used.add(stem)
        data = result.to_dict()
        (out / f"{stem}.json").write_text(
            json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        if html:
            (out / f"{stem}.html").write_text(
                render_case_html(result, config=config, language=language), encoding="utf-8"
            )
        rows.append(
            {
                "person_id": result.person_id,
                "probability": result.probability,
                "band": result.band,
                "final_band": result.final_band,
                "json": f"{stem}.json",
                "html": f"{stem}.html" if html else "",
            }
        )
    index_path = write_records(
        pd.DataFrame(
            rows, columns=["person_id", "probability", "band", "final_band", "json", "html"]
        ),
        out / "scores.csv",
    )
    rejects_path = None
    if len(validation.rejects):
        rejects_path = write_records(validation.rejects, out / "rejects.csv")
    bands = results.band_counts(config.band_names())
    summary = BatchSummary(
        n_input=validation.n_input,
        n_scored=len(results),
        n_rejected=len(validation.rejects),
        out_dir=out,
        index_path=index_path,
        rejects_path=rejects_path,
        bands=bands,
    )
    say(f"{summary.n_scored} scored, {summary.n_rejected} rejected of {summary.n_input} read")
    return summary

"""Scoring a file of records: every valid row is scored, every invalid row is written to a
rejects file with its reasons, and the summary counts both (their sum is the input). Besides
one report per person, a run writes the caseload (people by band) and the facility summary
(people by band, need and programme)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riskkit.errors import DataValidationError, RiskkitError

if TYPE_CHECKING:
    from riskkit.audit_log import ScoreLog
    from riskkit.estimators.needs import NeedsModel
    from riskkit.scoring.catalogue import Catalogue
    from riskkit.tracking import LoadedModel

Progress = Callable[[str], None]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: File stems of the run's own files: a person with such an id gets ``caseload_.json`` etc.
RESERVED_STEMS = frozenset({"caseload", "facility", "scores", "rejects"})


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
    caseload_path: Path | None = None
    facility_path: Path | None = None
    facility_json_path: Path | None = None
    caseload_pdf_path: Path | None = None
    facility_pdf_path: Path | None = None
    n_pdf: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""

        def shown(path: Path | None) -> str | None:
            return None if path is None else str(path)

        return {
            "input": self.n_input,
            "scored": self.n_scored,
            "rejected": self.n_rejected,
            "bands": self.bands,
            "out_dir": str(self.out_dir),
            "index": str(self.index_path),
            "rejects": shown(self.rejects_path),
            "caseload": shown(self.caseload_path),
            "facility": shown(self.facility_path),
            "facility_json": shown(self.facility_json_path),
            "caseload_pdf": shown(self.caseload_pdf_path),
            "facility_pdf": shown(self.facility_pdf_path),
            "pdf_reports": self.n_pdf,
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
    pdf: bool = False,
    progress: Progress | None = None,
    needs_model: NeedsModel | None = None,
    catalogue: Catalogue | None = None,
    override: tuple[str, str] | None = None,
    chunk_rows: int = 50_000,
    show_progress: bool = False,
    log: ScoreLog | None = None,
    user: str = "",
    role: str = "case_worker",
) -> BatchSummary:
    """Score every record of ``input_path`` and write one JSON (and one report) per person.

    Writes, in ``out_dir``:

    * ``<id>.json`` per person, ``<id>.html`` when ``html`` (the default) and ``<id>.pdf`` when
      ``pdf`` (off by default: a PDF takes about a second a person, an HTML page milliseconds);
    * ``scores.csv``, one row per person, naming each person's files;
    * ``caseload.html``, the people by band used (highest first) with their top need and first
      programme, linking to the HTML reports; ``facility.html`` and ``facility.json``, the people
      counted by band, need and programme (:mod:`riskkit.reports.caseload_report`); with
      ``pdf``, also ``caseload.pdf`` and ``facility.pdf``. These are always written, for an
      empty file too;
    * ``rejects.csv`` with the reasons, when rows are invalid.

    Reports are in ``language`` (es, pt or en). The file is read, validated and scored
    ``chunk_rows`` records at a time, so its size is not bounded by memory (rows are numbered
    and duplicate ids found across the whole file, see
    :func:`riskkit.data.sources.iter_loaded_records`); ``show_progress`` draws a progress bar on
    standard error, and ``progress`` receives a line per chunk. With ``log``, every score (and
    the override) is appended to the hash-chained score log as ``user`` with ``role``.

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
    from riskkit.data.sources import iter_loaded_records
    from riskkit.reports.case_report import render_case_html, render_case_pdf
    from riskkit.reports.caseload_report import (
        CaseloadEntry,
        facility_summary,
        render_caseload_html,
        render_caseload_pdf,
        render_facility_html,
        render_facility_pdf,
    )
    from riskkit.reports.i18n import messages
    from riskkit.scoring.score import apply_override, score_cases

    say = progress or (lambda _line: None)
    messages("case", language)  # an unknown language fails before any work
    config = model.bundle.config
    out = Path(out_dir)
    chunks = iter_loaded_records(config, input_path, purpose="score", chunk_rows=chunk_rows)
    first = next(chunks)
    if first.validation.file_problems:
        raise DataValidationError(first.validation.problems, source=first.source)
    if override is not None and len(first.validation.valid) + len(first.validation.rejects) > 1:
        raise RiskkitError(
            f"--override applies to one person, but {input_path} holds several records; score "
            "that person's record alone to record an override"
        )
    out.mkdir(parents=True, exist_ok=True)
    index_path = out / "scores.csv"
    index_columns = ["person_id", "probability", "band", "final_band", "json", "html", "pdf"]
    entries: list[CaseloadEntry] = []
    rejects: list[pd.DataFrame] = []
    used: set[str] = set(RESERVED_STEMS)
    bands = dict.fromkeys(config.band_names(), 0)
    n_input = n_scored = 0
    from tqdm import tqdm

    bar = tqdm(desc="scoring", unit=" records", disable=not show_progress, leave=False)
    for number, loaded in enumerate(itertools.chain([first], chunks)):
        validation = loaded.validation
        if validation.file_problems:
            raise DataValidationError(validation.problems, source=loaded.source)
        n_input += validation.n_input
        rejects.append(validation.rejects)
        results = score_cases(model, validation.valid, needs_model=needs_model, catalogue=catalogue)
        if override is not None and len(results) != 1:
            raise RiskkitError(
                f"--override applies to one person, but {input_path} holds no valid record; "
                f"see the reasons in {out / 'rejects.csv'}"
            )
        rows = []
        records = validation.valid.reset_index(drop=True)
        for position, result in enumerate(results):
            if override is not None:
                result = apply_override(result, *override, band_names=config.band_names())
            if log is not None:
                record = {str(k): v for k, v in records.iloc[position].items()}
                log.append_score(
                    result,
                    user=user,
                    role=role,
                    record=record,
                    groups={
                        name: record[name]
                        for name in config.sensitive.attributes
                        if name in record and not pd.isna(record[name])
                    },
                )
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
            if pdf:
                (out / f"{stem}.pdf").write_bytes(
                    render_case_pdf(result, config=config, language=language)
                )
            entries.append(
                CaseloadEntry.from_result(result, report=f"{stem}.html" if html else None)
            )
            rows.append(
                {
                    "person_id": result.person_id,
                    "probability": result.probability,
                    "band": result.band,
                    "final_band": result.final_band,
                    "json": f"{stem}.json",
                    "html": f"{stem}.html" if html else "",
                    "pdf": f"{stem}.pdf" if pdf else "",
                }
            )
        for name, count in results.band_counts(config.band_names()).items():
            bands[name] += count
        pd.DataFrame(rows, columns=index_columns).to_csv(
            index_path, mode="w" if number == 0 else "a", header=number == 0, index=False
        )
        n_scored += len(results)
        bar.update(validation.n_input)
        say(
            f"{n_input:,} records read: {n_scored:,} scored, {n_input - n_scored:,} rejected so far"
        )
    bar.close()
    all_rejects = pd.concat(rejects, ignore_index=True)
    caseload_path = out / "caseload.html"
    caseload_path.write_text(
        render_caseload_html(entries, config=config, language=language), encoding="utf-8"
    )
    summary_of_facility = facility_summary(entries, config=config, catalogue=catalogue)
    facility_path = out / "facility.html"
    facility_path.write_text(
        render_facility_html(summary_of_facility, config=config, language=language),
        encoding="utf-8",
    )
    facility_json_path = out / "facility.json"
    facility_json_path.write_text(
        json.dumps(summary_of_facility.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    caseload_pdf_path = facility_pdf_path = None
    if pdf:
        caseload_pdf_path = out / "caseload.pdf"
        caseload_pdf_path.write_bytes(
            render_caseload_pdf(entries, config=config, language=language)
        )
        facility_pdf_path = out / "facility.pdf"
        facility_pdf_path.write_bytes(
            render_facility_pdf(summary_of_facility, config=config, language=language)
        )
    rejects_path = None
    if len(all_rejects):
        rejects_path = write_records(all_rejects, out / "rejects.csv")
    summary = BatchSummary(
        n_input=n_input,
        n_scored=n_scored,
        n_rejected=len(all_rejects),
        out_dir=out,
        index_path=index_path,
        rejects_path=rejects_path,
        bands=bands,
        caseload_path=caseload_path,
        facility_path=facility_path,
        facility_json_path=facility_json_path,
        caseload_pdf_path=caseload_pdf_path,
        facility_pdf_path=facility_pdf_path,
        n_pdf=n_scored if pdf else 0,
    )
    say(f"{summary.n_scored} scored, {summary.n_rejected} rejected of {summary.n_input} read")
    return summary

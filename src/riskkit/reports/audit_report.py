"""The fairness audit as a page a non-statistician can read, and as JSON an auditor can keep.

Rendering only: an :class:`~riskkit.fairness.audit.AuditReport` (or its ``to_dict()`` form, e.g.
read back from ``audit.json``) goes in; HTML comes out. The page opens with a summary in words
(what was audited, how many people, which groups, the largest gaps in false positive and false
negative rates), then one table per attribute with 95% intervals ("0.31 (0.27–0.35)"), and ends
with notes on the method in plain words.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

import numpy as np

from riskkit import __version__
from riskkit.errors import RiskkitError
from riskkit.fairness.audit import (
    CALIBRATION_CHECK,
    DISPARITY_METRICS,
    INTERSECTION_SEPARATOR,
    MISSING_GROUP,
    SCHEMA_VERSION,
    AuditReport,
)
from riskkit.fairness.signoff import SignOff
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render

__all__ = ["audit_json", "render_audit_html", "write_audit", "write_audit_pages"]

_MINUS = "−"


# --- formatting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Format:
    text: Mapping[str, str]

    def number(self, value: float | None, decimals: int = 2, *, signed: bool = False) -> str:
        if value is None or math.isnan(value):
            return self.text["not_available"]
        body = f"{abs(value):.{decimals}f}".replace(".", self.text["decimal_separator"])
        if round(value, decimals) < 0:
            return f"{_MINUS}{body}"
        return f"+{body}" if signed and round(value, decimals) > 0 else body

    def plain(self, value: float) -> str:
        """A setting such as the threshold: as many decimals as it has ("0.5", "5")."""
        return f"{value:g}".replace(".", self.text["decimal_separator"])

    def interval(self, metric: Mapping[str, float | None], *, signed: bool = False) -> str:
        value = self.number(metric["value"], signed=signed)
        low, high = metric["lo"], metric["hi"]
        if low is None or high is None or metric["value"] is None:
            return value
        low_text, high_text = self.number(low), self.number(high)
        if low < 0 or high < 0:
            # "−0.04–0.02" would read as a subtraction.
            span = f"{low_text} {self.text['to']} {high_text}"
        else:
            span = f"{low_text}–{high_text}"
        return f"{value} ({span})"

    def percent(self, value: float | None) -> str:
        if value is None:
            return self.text["not_available"]
        return self.text["percent"].format(value=self.number(100 * value, 1))

    def points(self, value: float) -> str:
        return self.text["percentage_points"].format(value=self.number(100 * value, 1))

    def group(self, label: str) -> str:
        parts = label.split(INTERSECTION_SEPARATOR)
        return INTERSECTION_SEPARATOR.join(
            self.text["missing_group"] if p == MISSING_GROUP else p for p in parts
        )


# --- the page's content -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    label: str
    n: int
    is_reference: bool
    too_small: bool
    too_small_text: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class _GapRow:
    label: str
    too_small: bool
    too_small_text: str
    cells: tuple[tuple[str, bool], ...]  # (text, interval excludes zero)


@dataclass(frozen=True)
class _Section:
    heading: str
    reference_note: str
    rows: tuple[_Row, ...]
    gaps: tuple[_GapRow, ...]
    summary_note: str


def _check_schema(report: Mapping[str, Any]) -> None:
    version = report.get("schema_version")
    if version != SCHEMA_VERSION:
        raise RiskkitError(
            f"this audit has schema version {version!r}, but this version of riskkit reads "
            f"version {SCHEMA_VERSION!r}; render it with the riskkit version that wrote it."
        )
    missing = [
        key
        for key in ("score", "threshold", "n", "metrics", "overall", "groups", "disparities")
        if key not in report
    ]
    if missing:
        raise RiskkitError(f"the audit is missing the key(s) {missing}; it is not a riskkit audit.")


def _metadata_lines(metadata: Mapping[str, Any], text: Mapping[str, str]) -> list[tuple[str, str]]:
    def show(value: Any) -> str:
        if isinstance(value, Mapping):
            return ", ".join(f"{k}: {show(v)}" for k, v in value.items() if v is not None)
        if isinstance(value, list | tuple):
            return ", ".join(show(v) for v in value)
        return str(value)

    return [
        (text.get(f"meta_{key}", key.replace("_", " ")), show(value))
        for key, value in metadata.items()
        if value is not None
    ]


def _gap_sentence(
    gap: Mapping[str, Any], attribute: str, fmt: _Format, text: Mapping[str, str]
) -> str:
    sentence = text[f"gap_{gap['metric']}"].format(
        attribute=attribute,
        group=fmt.group(gap["group"]),
        value=fmt.percent(gap["value"]),
        reference=fmt.group(gap["reference"]),
        reference_value=fmt.percent(gap["reference_value"]),
        difference=fmt.points(abs(gap["difference"]["value"])),
        direction=text["higher"] if gap["difference"]["value"] > 0 else text["lower"],
    )
    low, high = gap["difference"]["lo"], gap["difference"]["hi"]
    if low is None or high is None:
        return sentence
    interval = text["gap_interval"].format(
        low=fmt.number(100 * low, 1, signed=True), high=fmt.number(100 * high, 1, signed=True)
    )
    chance = text["gap_chance"] if low <= 0 <= high else text["gap_clear"]
    return f"{sentence} {interval} {chance}"


def _signoff_row(signoff: SignOff, text: Mapping[str, str]) -> dict[str, str]:
    return {
        "auditor": signoff.auditor,
        "date": signoff.signed_at,
        "decision": text[f"decision_{signoff.decision}"],
        "comment": signoff.comment,
        "hash": signoff.audit_sha256,
    }


def _flag_sentence(flag: Mapping[str, Any], fmt: _Format, text: Mapping[str, str]) -> str:
    ratio = flag["ratio"]
    ratio_text = fmt.number(ratio["value"])
    if ratio["lo"] is not None and ratio["hi"] is not None:
        ratio_text += f" ({fmt.number(ratio['lo'])}–{fmt.number(ratio['hi'])})"
    if flag["metric"] == CALIBRATION_CHECK:
        return text["flag_calibration"].format(
            attribute=flag["attribute"],
            group=fmt.group(flag["group"]),
            value=fmt.percent(flag["value"]),
            reference_value=fmt.percent(flag["reference_value"]),
            ratio=ratio_text,
            direction=text[
                "underpredicts" if flag["value"] > flag["reference_value"] else "overpredicts"
            ],
        )
    return text["flag_sentence"].format(
        attribute=flag["attribute"],
        group=fmt.group(flag["group"]),
        reference=fmt.group(flag["reference"]),
        metric=text[f"gap_metric_{flag['metric']}"],
        value=fmt.percent(flag["value"]),
        reference_value=fmt.percent(flag["reference_value"]),
        ratio=ratio_text,
    )


def _summary(report: Mapping[str, Any], fmt: _Format, text: Mapping[str, str]) -> list[str]:
    attributes = report.get("attributes") or []
    group_lists = []
    for attribute in attributes:
        labels = [fmt.group(g["group"]) for g in report["groups"] if g["attribute"] == attribute]
        group_lists.append(text["groups_of"].format(attribute=attribute, groups=", ".join(labels)))
    lines = [
        text["summary_what"].format(
            score=report["score"], n=report["n"], threshold=fmt.plain(report["threshold"])
        ),
        text["summary_groups"].format(groups="; ".join(group_lists))
        + (" " + text["summary_intersection"] if report.get("intersection") else ""),
    ]
    purpose = report.get("purpose")
    lines.append(text[f"purpose_{purpose}" if purpose else "purpose_unknown"])
    order = ("fnr", "fpr") if purpose == "assistive" else ("fpr", "fnr")
    for summary in report.get("summary", {}).get("attributes", []):
        name = summary["attribute"]
        gaps = summary["largest_gaps"]
        if all(gaps.get(m) is None for m in order):
            lines.append(
                text["no_gap"].format(attribute=name, minimum=report["minimum_group_size"])
            )
            continue
        lines.extend(_gap_sentence(gaps[m], name, fmt, text) for m in order if gaps.get(m))
    flags = report.get("flags") or []
    if flags:
        lines.append(text["flags_intro"].format(count=len(flags)))
        lines.extend(_flag_sentence(flag, fmt, text) for flag in flags)
    elif report.get("bootstrap"):
        lines.append(text["no_flags"])
    for summary in report.get("summary", {}).get("attributes", []):
        if summary.get("base_rates_differ"):
            holds = []
            if summary.get("calibrated_within_groups"):
                holds.append(text["holds_calibration"])
            if summary.get("error_rates_equal"):
                holds.append(text["holds_error_rates"])
            lines.append(
                text["impossibility"].format(attribute=summary["attribute"])
                + " "
                + (" ".join(holds) if holds else text["holds_neither"])
            )
    small = [g for g in report["groups"] if g["too_small"]]
    if small:
        lines.append(
            text["summary_too_small"].format(
                count=len(small),
                minimum=report["minimum_group_size"],
                groups=", ".join(
                    f"{g['attribute']}: {fmt.group(g['group'])} (n = {g['n']})" for g in small
                ),
            )
        )
    return lines


def _sections(report: Mapping[str, Any], fmt: _Format, text: Mapping[str, str]) -> list[_Section]:
    metrics: list[str] = report["metrics"]
    summaries = {s["attribute"]: s for s in report.get("summary", {}).get("attributes", [])}
    names = list(report.get("attributes") or [])
    if report.get("intersection"):
        names.append(report["intersection"])
    names += [g["attribute"] for g in report["groups"] if g["attribute"] not in names]
    sections = []
    for attribute in names:
        groups = [g for g in report["groups"] if g["attribute"] == attribute]
        rows = tuple(
            _Row(
                label=fmt.group(g["group"]),
                n=g["n"],
                is_reference=bool(g.get("is_reference")),
                too_small=g["too_small"],
                too_small_text=text["too_small"].format(n=g["n"]),
                cells=tuple(fmt.interval(g[m]) for m in metrics if m in g),
            )
            for g in groups
        )
        small = {g["group"] for g in groups if g["too_small"]}
        gap_rows = []
        for g in groups:
            if g.get("is_reference"):
                continue
            found = {
                d["metric"]: d
                for d in report["disparities"]
                if d["attribute"] == attribute and d["group"] == g["group"]
            }
            cells = []
            for metric in DISPARITY_METRICS:
                d = found.get(metric)
                if d is None:
                    cells.append((text["not_available"], False))
                    continue
                low, high = d["difference"]["lo"], d["difference"]["hi"]
                clear = low is not None and high is not None and (low > 0 or high < 0)
                cells.append((fmt.interval(d["difference"], signed=True), clear))
            gap_rows.append(
                _GapRow(
                    label=fmt.group(g["group"]),
                    too_small=g["group"] in small or any(d["too_small"] for d in found.values()),
                    too_small_text=text["too_small_gap"],
                    cells=tuple(cells),
                )
            )
        summary = summaries.get(attribute)
        if summary is None:
            reference_note = summary_note = ""
        else:
            reference_note = text[f"reference_{summary['reference_chosen_by']}"].format(
                group=fmt.group(summary["reference_group"])
            )
            compared = summary["groups_compared"]
            if len(compared) >= 2:
                summary_note = text["fairlearn_summary"].format(
                    dpd=fmt.interval(summary["demographic_parity_difference"]),
                    eod=fmt.interval(summary["equalized_odds_difference"]),
                    eopp=fmt.interval(summary["equal_opportunity_difference"]),
                    groups=", ".join(fmt.group(c) for c in compared),
                )
            else:
                summary_note = text["fairlearn_not_enough"].format(
                    minimum=report["minimum_group_size"]
                )
        is_intersection = attribute == report.get("intersection")
        sections.append(
            _Section(
                heading=text["by_intersection" if is_intersection else "by_attribute"].format(
                    attribute=attribute
                ),
                reference_note=reference_note,
                rows=rows,
                gaps=tuple(gap_rows),
                summary_note=summary_note,
            )
        )
    return sections


def _notes(report: Mapping[str, Any], fmt: _Format, text: Mapping[str, str]) -> list[str]:
    notes = [text["note_threshold"].format(threshold=fmt.plain(report["threshold"]))]
    bootstrap = report.get("bootstrap")
    if bootstrap:
        notes.append(
            text["note_bootstrap"].format(
                confidence=round(100 * bootstrap["confidence"]),
                n_resamples=bootstrap["n_resamples"],
                seed=bootstrap["seed"],
            )
        )
    else:
        notes.append(text["note_no_bootstrap"])
    notes.extend(text[f"note_{m}"] for m in report["metrics"])
    if not report.get("score_is_probability", True):
        notes.append(text["note_not_probability"])
    notes += [
        text["note_too_small"].format(minimum=report["minimum_group_size"]),
        text["note_missing"].format(missing=text["missing_group"]),
        text["note_reference"],
        text["note_gaps"],
        text["note_fairlearn"],
        text["note_outcome"],
    ]
    return notes


def render_audit_html(
    report: AuditReport | Mapping[str, Any],
    *,
    language: str = "en",
    title: str | None = None,
    signoffs: Sequence[SignOff] = (),
) -> str:
    """The fairness audit as a self-contained HTML page.

    Parameters
    ----------
    report : AuditReport or dict
        The audit, or its ``to_dict()`` form (as stored in ``audit.json``; a ``metadata`` key,
        when present, is shown at the top).
    language : {"es", "pt", "en"}
        Language of the page.
    title : str, optional
        Page title; by default "Fairness audit" in the page's language.
    signoffs : sequence of SignOff
        Recorded sign-offs (``riskkit audit sign``), shown in the sign-off block; without them
        the block has blank lines to fill in by hand.

    Returns
    -------
    str
        HTML with inline CSS and no external resources or scripts; readable on a phone.
    """
    text = messages("audit", language)
    data = report.to_dict() if isinstance(report, AuditReport) else report
    _check_schema(data)
    fmt = _Format(text)
    metric_labels = [text[f"metric_{m}"] for m in data["metrics"]]
    overall = [(text[f"metric_{m}"], fmt.interval(data["overall"][m])) for m in data["metrics"]]
    return render(
        "audit.html",
        language=language,
        text=text,
        title=title or text["title"],
        meta=_metadata_lines(data.get("metadata") or {}, text),
        summary=_summary(data, fmt, text),
        overall=overall,
        overall_n=data["overall"]["n"],
        metric_labels=metric_labels,
        gap_labels=[text[f"gap_metric_{m}"] for m in DISPARITY_METRICS],
        sections=_sections(data, fmt, text),
        notes=_notes(data, fmt, text),
        signoffs=[_signoff_row(signoff, text) for signoff in signoffs],
        footer=text["footer"].format(
            version=__version__, schema=data["schema_version"], score=data["score"]
        ),
    )


# --- files --------------------------------------------------------------------------------------


def _plain(value: Any, where: str) -> Any:
    """``value`` with only JSON types; NaN becomes ``None``."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(items)]
    raise RiskkitError(
        f"{where} is a {type(value).__name__}, which cannot be written to audit.json; pass text, "
        "numbers, dates, paths, lists or mappings."
    )


def audit_json(
    report: AuditReport | Mapping[str, Any], metadata: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """The content of ``audit.json``: the report's dict plus a ``metadata`` object.

    Parameters
    ----------
    report : AuditReport or dict
        The audit.
    metadata : mapping, optional
        Extra facts to keep with the audit (model name and version, data file, ...). It is
        merged over ``{"riskkit_version": <version>}`` and any metadata already in ``report``;
        ``generated_at`` (the UTC time) is added unless a ``created_at``, ``date`` or
        ``generated_at`` is given.

    Returns
    -------
    dict
        JSON-serialisable (NaN as ``None``).
    """
    data = dict(report.to_dict() if isinstance(report, AuditReport) else report)
    _check_schema(data)
    merged: dict[str, object] = {"riskkit_version": __version__}
    merged.update(data.get("metadata") or {})
    merged.update(metadata or {})
    if not {"generated_at", "created_at", "date"} & set(merged):
        merged["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    data["metadata"] = merged
    plain: dict[str, Any] = _plain(data, "audit")
    return plain


def write_audit(
    report: AuditReport | Mapping[str, Any],
    out_dir: Path,
    *,
    language: str = "en",
    metadata: Mapping[str, object] | None = None,
) -> dict[str, Path]:
    """Write ``audit.json`` and ``audit.html`` into ``out_dir`` (created if needed).

    Parameters
    ----------
    report : AuditReport or dict
        The audit.
    out_dir : Path
        Output folder.
    language : {"es", "pt", "en"}
        Language of ``audit.html``.
    metadata : mapping, optional
        Facts kept in ``audit.json`` and shown at the top of ``audit.html``: model name and
        version, data file, date...

    Returns
    -------
    dict of str to Path
        ``{"json": .../audit.json, "html": .../audit.html}``.
    """
    data = audit_json(report, metadata)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "audit.json"
    json_path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return {"json": json_path, **write_audit_pages(data, out, language=language)}


def write_audit_pages(
    data: Mapping[str, Any],
    out_dir: Path,
    *,
    language: str = "en",
    signoffs: Sequence[SignOff] = (),
) -> dict[str, Path]:
    """Write ``audit.html`` from an ``audit.json`` dict and its sign-offs.

    Returns
    -------
    dict of str to Path
        ``{"html": .../audit.html}``.
    """
    html_path = Path(out_dir) / "audit.html"
    html_path.write_text(
        render_audit_html(data, language=language, signoffs=signoffs), encoding="utf-8"
    )
    return {"html": html_path}

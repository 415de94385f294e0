"""The fairness audit as pages a non-statistician can read, and as JSON an auditor can keep.

Rendering only: an :class:`~riskkit.fairness.audit.AuditReport` (or its ``to_dict()`` form, e.g.
read back from ``audit.json``, optionally with a ``threshold_sweep`` and a ``mitigations`` key)
and the recorded sign-offs go in; HTML (:func:`render_audit_html`) or PDF bytes
(:func:`render_audit_pdf`) come out, in Spanish, Portuguese or English. Nothing is computed
here beyond formatting.

Both formats have the same content, in this order:

1. A one-page summary: what was audited (model or score, data, number of people, threshold,
   purpose), the groups compared (too-small groups named as such), the headline disparities in
   words (the purpose's lead error rate first, with its interval and whether it is flagged),
   the flags, and, when base rates differ, why calibration and equal error rates cannot both
   hold and which one the score satisfies.
2. Tables and plots: everybody's measures; for each attribute (and the intersection) the
   group measures with intervals, a plot of the error rates with interval bars, the gaps
   against the reference group (difference, ratio and a ⚑ flag mark) and the summary measures;
   for each attribute the calibration check and the observed rate by score band (table and
   plot); the threshold sweep and the mitigation comparison when the audit holds them.
3. Notes on the method in plain words, then the sign-off block (the recorded sign-offs, or
   blank lines to fill in by hand).

Attributes and groups that are features of :func:`riskkit.features.registry.default_registry`
are shown by their label in the report's language (``race_us``/``african_american`` become
"Raza (EE. UU.)"/"afroestadounidense"); other names are shown as they are. Plots are embedded:
inline base64 PNG images in the HTML (no external resource, no script), images in the PDF.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from riskkit import __version__
from riskkit.errors import RiskkitError
from riskkit.fairness.audit import (
    CALIBRATION_CHECK,
    DISPARITY_METRICS,
    FLAG_RATIO_RANGE,
    INTERSECTION_SEPARATOR,
    MISSING_GROUP,
    SCHEMA_VERSION,
    AuditReport,
)
from riskkit.fairness.signoff import SignOff
from riskkit.fairness.sweep import SWEEP_SCHEMA_VERSION
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from riskkit.features.registry import Feature
    from riskkit.reports.pdf import Block, Document

__all__ = [
    "audit_json",
    "render_audit_html",
    "render_audit_pdf",
    "write_audit",
    "write_audit_pages",
]

_MINUS: Final = "−"
_OVERALL: Final = "(overall)"
#: The schema version of ``MitigationComparison.to_dict()`` this renderer reads (kept here so
#: that rendering does not import fairlearn's mitigations; a test checks it matches).
MITIGATION_SCHEMA_VERSION: Final = "1"
#: At most this many flags besides the headline gaps are spelled out on the summary page; the
#: rest are counted.
SUMMARY_FLAG_LIMIT: Final = 2
_FLAG_MARK: Final = "⚑"
_PLOT_DPI: Final = 110
_PDF_PLOT_WIDTH_MM: Final = 165.0
#: The group measures printed in the first of the two tables of the PDF (the rest in the second).
_PRINTED_FIRST: Final = frozenset({"base_rate", "selection_rate", "fpr", "fnr", "precision"})
_NUMERIC_BAND: Final = re.compile(r"^[0-9.eE+\-–≤≥<> ]+$")


# --- formatting ---------------------------------------------------------------------------------


def _in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Sexo" → "sexo", but "NIJ x" is kept."""
    parts = label.split(INTERSECTION_SEPARATOR)
    return INTERSECTION_SEPARATOR.join(
        p[:1].lower() + p[1:] if len(p) > 1 and p[1].islower() else p for p in parts
    )


class _Names:
    """Display names of attributes and groups: registry labels in the report's language."""

    def __init__(self, language: str, text: Mapping[str, str]) -> None:
        from riskkit.features.registry import default_registry

        self._language = language
        self._text = text
        self._registry = default_registry()

    def _feature(self, attribute: str) -> Feature | None:
        # Not Mapping.get: the registry raises RiskkitError (with suggestions), not KeyError.
        if attribute not in self._registry:
            return None
        return self._registry[attribute]

    def attribute(self, name: str) -> str:
        """The attribute's label (each part of an intersection translated)."""
        if name == _OVERALL:
            return self._text["everyone"]
        parts = []
        for part in name.split(INTERSECTION_SEPARATOR):
            feature = self._feature(part)
            parts.append(part if feature is None else feature.labels[self._language])
        return INTERSECTION_SEPARATOR.join(parts)

    def attribute_in_sentence(self, name: str) -> str:
        """The attribute's label as it reads inside a sentence."""
        shown = self.attribute(name)
        return shown if shown == name else _in_sentence(shown)

    def group(self, attribute: str, label: str) -> str:
        """The group's label: each part translated by its attribute's category labels."""
        if label == _OVERALL:
            return self._text["everyone"]
        attributes = attribute.split(INTERSECTION_SEPARATOR)
        parts = label.split(INTERSECTION_SEPARATOR)
        if len(parts) != len(attributes):
            attributes = [attribute] * len(parts)
        return INTERSECTION_SEPARATOR.join(
            self._value(a, p) for a, p in zip(attributes, parts, strict=True)
        )

    def _value(self, attribute: str, value: str) -> str:
        if value == MISSING_GROUP:
            return self._text["missing_group"]
        feature = self._feature(attribute)
        if feature is not None and value in feature.category_labels:
            return feature.category_labels[value][self._language]
        return value

    def outcome(self, name: str) -> str:
        """A registered outcome's label, or the name as it is."""
        outcome = self._registry.outcomes.get(name)
        return name if outcome is None else outcome.labels[self._language]

    def labels(self, attribute: str, groups: Sequence[str]) -> dict[str, str]:
        """Display names of an attribute (as inside a sentence) and its groups, for the plots."""
        shown = {g: self.group(attribute, g) for g in groups}
        shown[attribute] = self.attribute_in_sentence(attribute)
        return shown


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

    def count(self, value: int) -> str:
        """A count of people with the language's thousands separator ("5,000", "5.000")."""
        return f"{value:,}".replace(",", self.text["thousands_separator"])

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
        """A difference of proportions in (percentage) points: 0.062 → "6.2 points"."""
        return self.text["points"].format(value=self.number(100 * value, 1))

    def band(self, label: str) -> str:
        """A score band's label, with the language's decimal separator when it is numeric."""
        if _NUMERIC_BAND.match(label):
            return label.replace(".", self.text["decimal_separator"])
        return label

    def when(self, value: object) -> str:
        """An ISO date or time as "2025-01-31" or "2025-01-31 14:05 UTC"; other text as is."""
        text = str(value)
        if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
            return text
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        shown = moment.strftime("%Y-%m-%d %H:%M")
        offset = moment.utcoffset()
        if offset is None:
            return shown
        if not offset:
            return f"{shown} UTC"
        return f"{shown} (UTC{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]})"


def _listed(items: Sequence[str], text: Mapping[str, str]) -> str:
    """The items as a list in words: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {text['and']} {items[-1]}"


def _sub(text: Mapping[str, str], key: str, **fields: object) -> str:
    """``text[key]`` with ``fields`` filled in (the catalogues' only formatting call)."""
    return text[key].format(**fields)


# --- the page's content, shared by HTML and PDF -------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    text: str
    sub: str = ""
    css: str = "num"


@dataclass(frozen=True)
class _Row:
    head: str
    cells: tuple[_Cell, ...] = ()
    note: str = ""  # after the head, e.g. "(reference)"
    span: str = ""  # when set, one cell across the other columns (a too-small group)


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[_Row, ...]
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True)
class _Plot:
    png: bytes
    alt: str
    caption: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def width(self) -> int:
        return int.from_bytes(self.png[16:20], "big")

    @property
    def height(self) -> int:
        return int.from_bytes(self.png[20:24], "big")


@dataclass(frozen=True)
class _AttributeSection:
    heading: str
    reference_note: str
    groups: _Table
    printed_groups: tuple[_Table, ...]  # the same, split in two narrower tables for A4
    plot: _Plot | None
    gaps: _Table | None
    measures: _Table | None
    measures_note: str


@dataclass(frozen=True)
class _CalibrationSection:
    heading: str
    check: _Table | None
    plot: _Plot | None
    bands: _Table


@dataclass(frozen=True)
class _SweepSection:
    intro: str
    plots: tuple[_Plot, ...]


@dataclass(frozen=True)
class _MitigationSection:
    intro: str
    caveat: str
    table: _Table
    plot: _Plot | None
    groups: _Table


@dataclass(frozen=True)
class _Summary:
    facts: tuple[tuple[str, str], ...]
    groups: str
    what: str
    purpose: str
    headlines: tuple[str, ...]
    flags_intro: str
    flags: tuple[str, ...]
    flags_more: str
    impossibility: str
    holds: tuple[str, ...]


@dataclass(frozen=True)
class _Signature:
    auditor: str
    date: str
    decision: str
    comment: str
    hash_line: str


@dataclass(frozen=True)
class _Page:
    language: str
    title: str
    summary: _Summary
    overall: _Table
    overall_note: str
    sections: tuple[_AttributeSection, ...]
    calibration: tuple[_CalibrationSection, ...]
    sweep: _SweepSection | None
    mitigation: _MitigationSection | None
    notes: tuple[str, ...]
    signoffs: tuple[_Signature, ...]
    footer: str
    gaps_legend: str
    text: Mapping[str, str] = field(repr=False)


# --- reading the audit --------------------------------------------------------------------------


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
    for key, expected in (
        ("threshold_sweep", SWEEP_SCHEMA_VERSION),
        ("mitigations", MITIGATION_SCHEMA_VERSION),
    ):
        part = report.get(key)
        if part is None:
            continue
        if not isinstance(part, Mapping):
            raise RiskkitError(
                f"the audit's {key!r} is a {type(part).__name__}; it must be the object that "
                f"to_dict() returns, or be left out."
            )
        if part.get("schema_version") != expected:
            raise RiskkitError(
                f"the audit's {key!r} has schema version {part.get('schema_version')!r}, but "
                f"this version of riskkit reads version {expected!r}; render it with the "
                "riskkit version that wrote it, or leave the key out."
            )


def _attribute_order(data: Mapping[str, Any]) -> list[str]:
    names = list(data.get("attributes") or [])
    if data.get("intersection"):
        names.append(data["intersection"])
    names += [g["attribute"] for g in data["groups"] if g["attribute"] not in names]
    return list(dict.fromkeys(names))


def _summaries(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    summary = data.get("summary") or {}
    attributes: list[Mapping[str, Any]] = summary.get("attributes") or []
    return attributes


# --- plots --------------------------------------------------------------------------------------


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" entry: the same audit gives the same bytes on any matplotlib build.
    figure.savefig(buffer, format="png", dpi=_PLOT_DPI, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()


def _plot_words(text: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {key[len(prefix) :]: value for key, value in text.items() if key.startswith(prefix)}


# --- summary ------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value)
    return str(value)


def _facts(
    data: Mapping[str, Any],
    fmt: _Format,
    names: _Names,
    text: Mapping[str, str],
) -> list[tuple[str, str]]:
    """What was audited, as (label, value) lines that read naturally."""
    metadata = dict(data.get("metadata") or {})
    facts: list[tuple[str, str]] = []

    def take(key: str) -> Any:
        return metadata.pop(key, None)

    model = take("model")
    if isinstance(model, Mapping):
        shown = str(model.get("name", "?"))
        if model.get("version") is not None:
            shown = _sub(text, "model_value", name=shown, version=model["version"])
        if model.get("alias"):
            shown += f" ({model['alias']})"
        extra = {k: v for k, v in model.items() if k not in ("name", "version", "alias")}
        if extra:
            shown += f"; {_show(extra)}"
        facts.append((text["meta_model"], shown))
    elif model is not None:
        facts.append((text["meta_model"], _show(model)))
    facts.append((text["fact_score"], str(data["score"])))
    for key in ("score_column", "data", "data_file"):
        value = take(key)
        if value is not None and not (key == "score_column" and value == data["score"]):
            facts.append((text[f"meta_{key}"], _show(value)))
    outcome = take("outcome")
    if outcome is not None:
        facts.append((text["meta_outcome"], names.outcome(str(outcome))))
    people = fmt.count(int(data["n"]))
    records = take("records")
    counted = isinstance(records, Mapping) and {"read", "rejected"} <= set(records)
    if counted and records["rejected"]:
        # Said only when some records could not be audited: "5,000 (5,012 records read, ...)".
        people = _sub(
            text,
            "people_value",
            n=people,
            read=fmt.count(int(records["read"])),
            rejected=fmt.count(int(records["rejected"])),
        )
    elif records is not None and not counted:
        people += f" ({_show(records)})"
    facts.append((text["fact_people"], people))
    facts.append(
        (
            text["fact_threshold"],
            _sub(text, "threshold_value", threshold=fmt.plain(data["threshold"])),
        )
    )
    purpose = data.get("purpose")
    facts.append((text["fact_purpose"], text[f"purpose_short_{purpose or 'unknown'}"]))
    version = take("riskkit_version")
    for key in ("created_at", "date", "generated_at"):
        value = take(key)
        if value is not None:
            shown = fmt.when(value)
            if version is not None:
                shown += f" (riskkit {version})"
                version = None
            facts.append((text[f"meta_{key}"], shown))
    for key, value in metadata.items():
        if value is not None:
            label = text.get(f"meta_{key}", key.replace("_", " ").capitalize())
            facts.append((label, _show(value)))
    if version is not None:
        facts.append((text["meta_riskkit_version"], str(version)))
    return facts


def _ratio_text(ratio: Mapping[str, float | None], fmt: _Format) -> str:
    shown = fmt.number(ratio["value"])
    if ratio["value"] is not None and ratio["lo"] is not None and ratio["hi"] is not None:
        shown += f" ({fmt.number(ratio['lo'])}–{fmt.number(ratio['hi'])})"
    return shown


def _within_ratio_range(ratio: float | None) -> bool:
    return ratio is not None and FLAG_RATIO_RANGE[0] <= ratio <= FLAG_RATIO_RANGE[1]


def _gap_part(
    gap: Mapping[str, Any],
    fmt: _Format,
    names: _Names,
    text: Mapping[str, str],
    *,
    intervals: bool,
) -> str:
    """One metric's largest gap in words: rates, difference, plausible range, flag status."""
    attribute = gap["attribute"]
    part = _sub(
        text,
        f"gap_{gap['metric']}",
        group=names.group(attribute, gap["group"]),
        value=fmt.percent(gap["value"]),
        reference_value=fmt.percent(gap["reference_value"]),
        difference=fmt.points(abs(gap["difference"]["value"])),
        direction=text["higher"] if gap["difference"]["value"] > 0 else text["lower"],
    )
    low, high = gap["difference"]["lo"], gap["difference"]["hi"]
    if not intervals or low is None or high is None:
        return f"{part} {text['gap_no_interval']}"
    interval = _sub(
        text,
        "gap_interval",
        low=fmt.number(100 * low, 1, signed=True),
        high=fmt.number(100 * high, 1, signed=True),
    )
    ratio = fmt.number(gap["ratio"]["value"])
    if gap.get("flagged"):
        status = _sub(text, "gap_flagged", ratio=ratio, mark=_FLAG_MARK)
    elif _within_ratio_range(gap["ratio"]["value"]):
        status = _sub(text, "gap_not_flagged_ratio", ratio=ratio)
    else:
        status = text["gap_not_flagged_chance"]
    return f"{part} {interval}, {status}"


def _flag_sentence(
    flag: Mapping[str, Any], fmt: _Format, names: _Names, text: Mapping[str, str]
) -> str:
    attribute = flag["attribute"]
    ratio = fmt.number(flag["ratio"]["value"])
    if flag["metric"] == CALIBRATION_CHECK:
        return _sub(
            text,
            "flag_calibration",
            mark=_FLAG_MARK,
            attribute=names.attribute(attribute),
            group=names.group(attribute, flag["group"]),
            value=fmt.percent(flag["value"]),
            reference_value=fmt.percent(flag["reference_value"]),
            ratio=ratio,
            direction=text[
                "underpredicts" if flag["value"] > flag["reference_value"] else "overpredicts"
            ],
        )
    return _sub(
        text,
        "flag_sentence",
        mark=_FLAG_MARK,
        attribute=names.attribute(attribute),
        group=names.group(attribute, flag["group"]),
        reference=names.group(attribute, flag["reference"]),
        metric=_in_sentence(text[f"gap_metric_{flag['metric']}"]),
        value=fmt.percent(flag["value"]),
        reference_value=fmt.percent(flag["reference_value"]),
        ratio=ratio,
    )


def _group_list(
    data: Mapping[str, Any], attribute: str, fmt: _Format, names: _Names, text: Mapping[str, str]
) -> str:
    shown = []
    for g in data["groups"]:
        if g["attribute"] != attribute:
            continue
        label = names.group(attribute, g["group"])
        if g["too_small"]:
            label = _sub(text, "group_too_small", group=label, n=fmt.count(g["n"]))
        shown.append(label)
    return ", ".join(shown)


def _summary(
    data: Mapping[str, Any], fmt: _Format, names: _Names, text: Mapping[str, str]
) -> _Summary:
    intervals = bool(data.get("bootstrap"))
    groups_line = "; ".join(
        _sub(
            text,
            "groups_of",
            attribute=names.attribute(attribute),
            groups=_group_list(data, attribute, fmt, names, text),
        )
        for attribute in data.get("attributes") or []
    )
    intersection = data.get("intersection")
    if intersection:
        members = [g for g in data["groups"] if g["attribute"] == intersection]
        small = [g for g in members if g["too_small"]]
        groups_line += ". " + _sub(text, "summary_intersection", count=len(members))
        if small:
            groups_line += " " + _sub(
                text,
                "summary_intersection_small",
                groups=", ".join(
                    f"{names.group(intersection, g['group'])} (n = {fmt.count(g['n'])})"
                    for g in small
                ),
            )

    purpose = data.get("purpose")
    order = ("fnr", "fpr") if data.get("lead_metric") == "fnr" else ("fpr", "fnr")
    headlines: list[str] = []
    in_headlines: set[tuple[str, str, str]] = set()
    for summary in _summaries(data):
        attribute = summary["attribute"]
        gaps = summary.get("largest_gaps") or {}
        found = [gaps[m] for m in order if gaps.get(m)]
        if not found:
            headlines.append(
                _sub(
                    text,
                    "no_gap",
                    attribute=names.attribute(attribute),
                    minimum=data["minimum_group_size"],
                )
            )
            continue
        in_headlines.update((g["attribute"], g["group"], g["metric"]) for g in found)
        headlines.append(
            _sub(
                text,
                "headline",
                attribute=names.attribute(attribute),
                reference=names.group(attribute, found[0]["reference"]),
                gaps="; ".join(_gap_part(g, fmt, names, text, intervals=intervals) for g in found),
            )
        )

    flags = list(data.get("flags") or [])
    others = [f for f in flags if (f["attribute"], f["group"], f["metric"]) not in in_headlines]
    flags_intro = flags_more = ""
    if flags:
        flags_intro = _sub(text, "flags_intro", count=len(flags))
        if len(others) > SUMMARY_FLAG_LIMIT:
            flags_more = _sub(
                text, "flags_more", count=len(others) - SUMMARY_FLAG_LIMIT, mark=_FLAG_MARK
            )
    elif intervals:
        flags_intro = text["no_flags"]
    shown_flags = tuple(_flag_sentence(f, fmt, names, text) for f in others[:SUMMARY_FLAG_LIMIT])

    differ = [s for s in _summaries(data) if s.get("base_rates_differ")]
    impossibility = ""
    holds: list[str] = []
    if differ:
        singles = [s for s in differ if s["attribute"] != data.get("intersection")] or differ
        impossibility = _sub(
            text,
            "impossibility",
            attributes=_listed(
                [names.attribute_in_sentence(s["attribute"]) for s in singles], text
            ),
        )
        if not data.get("score_is_probability"):
            # One sentence for all the attributes, rather than "not checked" on every line.
            holds.append(text["holds_calibration_not_checked"])
        for s in differ:
            calibrated = s.get("calibrated_within_groups")
            equal = s.get("error_rates_equal")
            error_rates = text[
                "holds_error_rates_unknown"
                if equal is None
                else f"holds_error_rates_{'yes' if equal else 'no'}"
            ]
            attribute = names.attribute(s["attribute"])
            if calibrated is None:
                line = _sub(
                    text, "holds_line_error_rates", attribute=attribute, error_rates=error_rates
                )
            else:
                line = _sub(
                    text,
                    "holds_line",
                    attribute=attribute,
                    calibration=text[f"holds_calibration_{'yes' if calibrated else 'no'}"],
                    error_rates=error_rates,
                )
            if calibrated and equal:
                # Both "hold" only within the audit's precision: say so, or it reads as a
                # contradiction of the sentence above.
                line += " " + text["holds_both"]
            holds.append(line)
    return _Summary(
        facts=tuple(_facts(data, fmt, names, text)),
        groups=groups_line,
        what=_sub(
            text,
            "summary_what",
            score=data["score"],
            n=fmt.count(int(data["n"])),
            threshold=fmt.plain(data["threshold"]),
        ),
        purpose=text[f"purpose_{purpose}" if purpose else "purpose_unknown"],
        headlines=tuple(headlines),
        flags_intro=flags_intro,
        flags=shown_flags,
        flags_more=flags_more,
        impossibility=impossibility,
        holds=tuple(holds),
    )


# --- tables and plots by attribute --------------------------------------------------------------


def _error_rate_plot(
    data: Mapping[str, Any], attribute: str, names: _Names, text: Mapping[str, str]
) -> _Plot | None:
    from riskkit.reports.fairness_plots import plot_error_rates

    groups = [g["group"] for g in data["groups"] if g["attribute"] == attribute]
    if not groups or not {"fpr", "fnr"} <= set(data["metrics"]):
        return None
    figure = plot_error_rates(
        data, attribute, _plot_words(text, "plot_errors_"), labels=names.labels(attribute, groups)
    )
    shown = names.attribute(attribute)
    return _Plot(
        _png(figure),
        alt=_sub(text, "plot_errors_alt", attribute=shown),
        caption=_sub(text, "plot_errors_caption", attribute=shown),
    )


def _gap_table(
    data: Mapping[str, Any],
    attribute: str,
    groups: Sequence[Mapping[str, Any]],
    fmt: _Format,
    names: _Names,
    text: Mapping[str, str],
) -> _Table | None:
    rows = []
    for g in groups:
        if g.get("is_reference"):
            continue
        found = {
            d["metric"]: d
            for d in data["disparities"]
            if d["attribute"] == attribute and d["group"] == g["group"]
        }
        label = names.group(attribute, g["group"])
        if g["too_small"] or any(found[m]["too_small"] for m in DISPARITY_METRICS if m in found):
            rows.append(_Row(label, span=text["too_small_gap"]))
            continue
        cells = []
        for metric in DISPARITY_METRICS:
            d = found.get(metric)
            if d is None or d["difference"]["value"] is None:
                cells.append(_Cell(text["not_available"]))
                continue
            low, high = d["difference"]["lo"], d["difference"]["hi"]
            css = "num"
            if low is not None and high is not None and (low > 0 or high < 0):
                css += " clear"
            shown = fmt.interval(d["difference"], signed=True)
            if d["flagged"]:
                css += " flagged"
                shown = f"{_FLAG_MARK} {shown}"
            ratio = _sub(text, "ratio_cell", ratio=_ratio_text(d["ratio"], fmt))
            cells.append(_Cell(shown, ratio, css))
        rows.append(_Row(label, tuple(cells)))
    if not rows:
        return None
    return _Table(
        (text["group"], *(text[f"gap_metric_{m}"] for m in DISPARITY_METRICS)),
        tuple(rows),
        (1.4, 1.0, 1.0, 1.0),
    )


def _measures(
    summary: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    attribute: str,
    fmt: _Format,
    names: _Names,
    text: Mapping[str, str],
) -> tuple[_Table | None, str]:
    if summary is None:
        return None, ""
    compared = summary.get("groups_compared") or []
    if len(compared) < 2:
        return None, _sub(text, "fairlearn_not_enough", minimum=data["minimum_group_size"])
    rows = tuple(
        _Row(text[f"measure_{key}"], (_Cell(fmt.interval(summary[key])),))
        for key in (
            "demographic_parity_difference",
            "equalized_odds_difference",
            "equal_opportunity_difference",
        )
        if key in summary
    )
    note = _sub(
        text, "fairlearn_groups", groups=", ".join(names.group(attribute, c) for c in compared)
    )
    return _Table((text["measure"], text["value_interval"]), rows, (2.0, 1.0)), note


def _group_table(
    attribute: str,
    groups: Sequence[Mapping[str, Any]],
    metrics: Sequence[str],
    fmt: _Format,
    names: _Names,
    text: Mapping[str, str],
) -> _Table:
    """Each group's measures with their intervals; too-small groups get a note instead."""
    rows = tuple(
        _Row(
            names.group(attribute, g["group"]),
            (
                _Cell(fmt.count(g["n"])),
                *(_Cell(fmt.interval(g[m])) for m in metrics if not g["too_small"]),
            ),
            note=f"({text['reference']})" if g.get("is_reference") else "",
            span=_sub(text, "too_small", n=fmt.count(g["n"])) if g["too_small"] else "",
        )
        for g in groups
    )
    header = (text["group"], "n", *(text[f"metric_{m}"] for m in metrics))
    return _Table(header, rows, (1.5, 0.8, *(1.0 for _ in metrics)))


def _sections(
    data: Mapping[str, Any], fmt: _Format, names: _Names, text: Mapping[str, str]
) -> list[_AttributeSection]:
    metrics: list[str] = data["metrics"]
    summaries = {s["attribute"]: s for s in _summaries(data)}
    rates = [m for m in metrics if m in _PRINTED_FIRST]
    printed = [rates, [m for m in metrics if m not in _PRINTED_FIRST]]
    sections = []
    for attribute in _attribute_order(data):
        groups = [g for g in data["groups"] if g["attribute"] == attribute]

        summary = summaries.get(attribute)
        reference_note = ""
        if summary is not None:
            reference_note = _sub(
                text,
                f"reference_{summary['reference_chosen_by']}",
                group=names.group(attribute, summary["reference_group"]),
            )
        measures, measures_note = _measures(summary, data, attribute, fmt, names, text)
        is_intersection = attribute == data.get("intersection")
        sections.append(
            _AttributeSection(
                heading=_sub(
                    text,
                    "by_intersection" if is_intersection else "by_attribute",
                    attribute=names.attribute(attribute),
                ),
                reference_note=reference_note,
                groups=_group_table(attribute, groups, metrics, fmt, names, text),
                printed_groups=tuple(
                    _group_table(attribute, groups, shown, fmt, names, text)
                    for shown in printed
                    if shown
                ),
                plot=_error_rate_plot(data, attribute, names, text),
                gaps=_gap_table(data, attribute, groups, fmt, names, text),
                measures=measures,
                measures_note=measures_note,
            )
        )
    return sections


def _calibration_sections(
    data: Mapping[str, Any], fmt: _Format, names: _Names, text: Mapping[str, str]
) -> list[_CalibrationSection]:
    from riskkit.reports.fairness_plots import plot_calibration_by_group

    rows = data.get("calibration") or []
    if not rows:
        return []
    probability = bool(data.get("score_is_probability"))
    overall = [r for r in rows if r["attribute"] == _OVERALL]
    sections = []
    for attribute in data.get("attributes") or []:
        mine = [r for r in rows if r["attribute"] == attribute]
        if not mine:
            continue
        groups = [g for g in data["groups"] if g["attribute"] == attribute]
        check = None
        if probability:
            checks = {
                d["group"]: d
                for d in data["disparities"]
                if d["attribute"] == attribute and d["metric"] == CALIBRATION_CHECK
            }
            check_rows = []
            for g in groups:
                label = names.group(attribute, g["group"])
                d = checks.get(g["group"])
                if g["too_small"]:
                    check_rows.append(
                        _Row(label, (_Cell(fmt.count(g["n"])),), span=text["too_small_gap"])
                    )
                elif d is not None:
                    ratio = _ratio_text(d["ratio"], fmt)
                    flagged = bool(d["flagged"])
                    check_rows.append(
                        _Row(
                            label,
                            (
                                _Cell(fmt.count(g["n"])),
                                _Cell(fmt.percent(d["value"])),
                                _Cell(fmt.percent(d["reference_value"])),
                                _Cell(
                                    f"{_FLAG_MARK} {ratio}" if flagged else ratio,
                                    css="num flagged" if flagged else "num",
                                ),
                            ),
                        )
                    )
            if check_rows:
                check = _Table(
                    (
                        text["group"],
                        "n",
                        text["calibration_observed"],
                        text["calibration_predicted"],
                        text["calibration_ratio"],
                    ),
                    tuple(check_rows),
                    (1.4, 0.6, 1.0, 1.0, 1.2),
                )
        bands = list(dict.fromkeys([str(r["band"]) for r in overall + mine]))
        columns: list[tuple[str, str]] = [(_OVERALL, text["everyone"])]
        for g in groups:
            label = names.group(attribute, g["group"])
            if g["too_small"]:
                label = f"{label} ({text['too_small_gap']})"
            columns.append((g["group"], label))
        cells_of: dict[tuple[str, str], Mapping[str, Any]] = {
            (str(r["group"]), str(r["band"])): r for r in overall + mine
        }
        band_rows = []
        for band in bands:
            cells = []
            for group, _ in columns:
                found = cells_of.get((group, band))
                if found is None:
                    cells.append(_Cell("—"))
                    continue
                sub = _sub(text, "band_n", n=fmt.count(found["n"]))
                if probability:
                    sub = _sub(
                        text,
                        "band_n_predicted",
                        n=fmt.count(found["n"]),
                        predicted=fmt.number(found["mean_score"]),
                    )
                cells.append(_Cell(fmt.interval(found["observed"]), sub))
            band_rows.append(_Row(fmt.band(band), tuple(cells)))
        figure = plot_calibration_by_group(
            data,
            attribute,
            _plot_words(text, "plot_calibration_"),
            labels=names.labels(attribute, [g["group"] for g in groups]),
            band_labels={b: fmt.band(b) for b in bands},
        )
        shown = names.attribute(attribute)
        plot = _Plot(
            _png(figure),
            alt=_sub(text, "plot_calibration_alt", attribute=shown),
            caption=_sub(
                text,
                "plot_calibration_caption_probability"
                if probability
                else "plot_calibration_caption_band",
                attribute=shown,
            ),
        )
        sections.append(
            _CalibrationSection(
                heading=_sub(text, "calibration_heading", attribute=shown),
                check=check,
                plot=plot,
                bands=_Table(
                    (text["band"], *(label for _, label in columns)),
                    tuple(band_rows),
                    (1.0,) * (len(columns) + 1),
                ),
            )
        )
    return sections


def _sweep_section(
    data: Mapping[str, Any], fmt: _Format, names: _Names, text: Mapping[str, str]
) -> _SweepSection | None:
    sweep = data.get("threshold_sweep")
    if not sweep:
        return None
    from riskkit.reports.fairness_plots import plot_threshold_sweep

    words = _plot_words(text, "plot_sweep_")
    plots = []
    for attribute in sweep.get("attributes") or []:
        groups = [c["group"] for c in sweep.get("groups", []) if c["attribute"] == attribute]
        figure = plot_threshold_sweep(
            sweep,
            attribute=attribute,
            labels=names.labels(attribute, groups),
            threshold=float(data["threshold"]),
            text=words,
        )
        shown = names.attribute(attribute)
        plots.append(
            _Plot(
                _png(figure),
                alt=_sub(text, "plot_sweep_alt", attribute=shown),
                caption=_sub(
                    text,
                    "plot_sweep_caption",
                    attribute=shown,
                    threshold=fmt.plain(data["threshold"]),
                ),
            )
        )
    return _SweepSection(
        intro=_sub(
            text,
            "sweep_intro",
            count=len(sweep.get("thresholds") or []),
            threshold=fmt.plain(data["threshold"]),
        ),
        plots=tuple(plots),
    )


def _method_name(method: str, text: Mapping[str, str]) -> str:
    return text.get(f"method_{method}", method)


def _requirements(codes: Sequence[str], text: Mapping[str, str]) -> str:
    if not codes:
        return text["requires_nothing"]
    return " ".join(text.get(f"requirement_{code}", code) for code in codes)


def _mitigation_section(
    data: Mapping[str, Any], fmt: _Format, names: _Names, text: Mapping[str, str]
) -> _MitigationSection | None:
    comparison = data.get("mitigations")
    if not comparison:
        return None
    from riskkit.reports.fairness_plots import plot_mitigation_tradeoff

    attribute = str(comparison["attribute"])
    methods = list(comparison.get("methods") or [])
    rows = tuple(
        _Row(
            _method_name(m["method"], text),
            (
                _Cell(fmt.number(m.get("accuracy"))),
                _Cell(fmt.number(m.get("equalized_odds_difference"))),
                _Cell(fmt.number(m.get("demographic_parity_difference"))),
                _Cell(fmt.number(m.get("equal_opportunity_difference"))),
                _Cell(_requirements(m.get("requires") or [], text), css="words"),
            ),
        )
        for m in methods
    )
    table = _Table(
        (
            text["method"],
            text["mitigation_accuracy"],
            text["measure_equalized_odds_difference"],
            text["measure_demographic_parity_difference"],
            text["measure_equal_opportunity_difference"],
            text["mitigation_requires"],
        ),
        rows,
        (1.5, 0.9, 1.1, 1.1, 1.1, 3.0),
    )
    group_rows = tuple(
        _Row(
            # The method is named on its first row only: the rows below are its groups.
            _method_name(m["method"], text) if index == 0 else "",
            (
                _Cell(names.group(attribute, str(g["group"])), css="words"),
                _Cell(fmt.count(int(g["n"]))),
                _Cell(fmt.number(g.get("selection_rate"))),
                _Cell(fmt.number(g.get("fpr"))),
                _Cell(fmt.number(g.get("fnr"))),
            ),
        )
        for m in methods
        for index, g in enumerate(m.get("groups") or [])
    )
    groups_table = _Table(
        (
            text["method"],
            text["group"],
            "n",
            text["metric_selection_rate"],
            text["metric_fpr"],
            text["metric_fnr"],
        ),
        group_rows,
        (1.6, 1.3, 0.7, 1.0, 1.0, 1.0),
    )
    words = _plot_words(text, "plot_tradeoff_")
    figure = plot_mitigation_tradeoff(comparison, text=words)
    plot = _Plot(_png(figure), alt=text["plot_tradeoff_alt"], caption=text["plot_tradeoff_caption"])
    constraint = str(comparison.get("constraint"))
    return _MitigationSection(
        intro=_sub(
            text,
            "mitigation_intro",
            attribute=names.attribute_in_sentence(attribute),
            constraint=text.get(f"constraint_{constraint}", constraint),
            n_train=fmt.count(int(comparison.get("n_train") or 0)),
            n_test=fmt.count(int(comparison.get("n_test") or 0)),
            threshold=fmt.plain(float(comparison.get("threshold", data["threshold"]))),
        ),
        caveat=_sub(
            text,
            "mitigation_caveat",
            none=_method_name("none", text),
            threshold=fmt.plain(float(comparison.get("threshold", data["threshold"]))),
        ),
        table=table,
        plot=plot,
        groups=groups_table,
    )


def _notes(data: Mapping[str, Any], fmt: _Format, text: Mapping[str, str]) -> list[str]:
    notes = [_sub(text, "note_threshold", threshold=fmt.plain(data["threshold"]))]
    bootstrap = data.get("bootstrap")
    if bootstrap:
        notes.append(
            _sub(
                text,
                "note_bootstrap",
                confidence=round(100 * bootstrap["confidence"]),
                n_resamples=bootstrap["n_resamples"],
                seed=bootstrap["seed"],
            )
        )
    else:
        notes.append(text["note_no_bootstrap"])
    notes.extend(text[f"note_{m}"] for m in data["metrics"])
    if not data.get("score_is_probability", True):
        notes.append(text["note_not_probability"])
    notes += [
        _sub(text, "note_too_small", minimum=data["minimum_group_size"]),
        _sub(text, "note_missing", missing=text["missing_group"]),
        text["note_reference"],
        text["note_gaps"],
        _sub(
            text,
            "note_flag_rule",
            low=fmt.plain(FLAG_RATIO_RANGE[0]),
            high=fmt.plain(FLAG_RATIO_RANGE[1]),
            mark=_FLAG_MARK,
        ),
        text["note_fairlearn"],
    ]
    if data.get("score_is_probability"):
        notes.append(text["note_calibration_check"])
    if data.get("calibration"):
        notes.append(text["note_calibration_bands"])
    notes.append(text["note_impossibility"])
    if data.get("threshold_sweep"):
        notes.append(text["note_sweep"])
    if data.get("mitigations"):
        notes.append(text["note_mitigations"])
    notes.append(text["note_outcome"])
    return notes


def _signature(signoff: SignOff, fmt: _Format, text: Mapping[str, str]) -> _Signature:
    return _Signature(
        auditor=signoff.auditor,
        date=fmt.when(signoff.signed_at),
        decision=text.get(f"decision_{signoff.decision}", signoff.decision),
        comment=signoff.comment,
        hash_line=_sub(text, "signoff_hash", hash=signoff.audit_sha256),
    )


def _page(
    report: AuditReport | Mapping[str, Any],
    language: str,
    title: str | None,
    signoffs: Sequence[SignOff],
) -> _Page:
    text = messages("audit", language)
    data = report.to_dict() if isinstance(report, AuditReport) else report
    _check_schema(data)
    fmt = _Format(text)
    names = _Names(language, text)
    overall = _Table(
        (text["metric"], text["value_interval"]),
        tuple(
            _Row(text[f"metric_{m}"], (_Cell(fmt.interval(data["overall"][m])),))
            for m in data["metrics"]
        ),
        (2.0, 1.0),
    )
    return _Page(
        language=language,
        title=title or text["title"],
        summary=_summary(data, fmt, names, text),
        overall=overall,
        overall_note=_sub(text, "overall_note", n=fmt.count(int(data["overall"]["n"]))),
        sections=tuple(_sections(data, fmt, names, text)),
        calibration=tuple(_calibration_sections(data, fmt, names, text)),
        sweep=_sweep_section(data, fmt, names, text),
        mitigation=_mitigation_section(data, fmt, names, text),
        notes=tuple(_notes(data, fmt, text)),
        signoffs=tuple(_signature(s, fmt, text) for s in signoffs),
        footer=_sub(
            text, "footer", version=__version__, schema=data["schema_version"], score=data["score"]
        ),
        gaps_legend=_sub(text, "gaps_legend", mark=_FLAG_MARK),
        text=text,
    )


# --- HTML ---------------------------------------------------------------------------------------


def _html(page: _Page) -> str:
    return render("audit.html", page=page, text=page.text)


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
        The audit, or its ``to_dict()`` form (as stored in ``audit.json``): a ``metadata``
        key is shown in the summary, and ``threshold_sweep`` and ``mitigations`` keys (the
        ``to_dict()`` of a threshold sweep and of a mitigation comparison), when present, get
        their own sections.
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
        HTML with inline CSS, plots as inline base64 PNG images with alt text, and no
        external resources or scripts; readable on a phone.

    Raises
    ------
    RiskkitError
        If the language is unknown, or the audit (or its sweep or mitigations) has a schema
        version this riskkit does not read.
    """
    return _html(_page(report, language, title, signoffs))


# --- PDF ----------------------------------------------------------------------------------------


def _pdf_table(table: _Table) -> Block:
    from riskkit.reports.pdf import Table

    # In narrow columns an interval goes under its value, rather than wrapping mid-number.
    narrow = len(table.header) > 3

    def printed(cell: _Cell) -> str:
        shown = cell.text
        if narrow and cell.css.startswith("num"):
            shown = shown.replace(" (", "\n(")
        return shown + (f"\n{cell.sub}" if cell.sub else "")

    rows = []
    for row in table.rows:
        head = f"{row.head} {row.note}" if row.note else row.head
        cells = [printed(c) for c in row.cells]
        if row.span:
            cells.append(row.span)
        cells += [""] * (len(table.header) - 1 - len(cells))
        rows.append((head, *cells))
    align = ("left", *("right" for _ in table.header[1:]))
    # Words (requirements, group names) read better aligned left.
    if table.rows and table.rows[0].cells:
        align = (
            "left",
            *("left" if c.css == "words" else "right" for c in table.rows[0].cells),
            *("right" for _ in table.header[1 + len(table.rows[0].cells) :]),
        )
    return Table(header=table.header, rows=tuple(rows), column_widths=table.widths, align=align)


def _pdf_plot(plot: _Plot | None) -> list[Block]:
    from riskkit.reports.pdf import Image

    if plot is None:
        return []
    # The plots are drawn at 110 dpi; printed no larger than that, they stay sharp.
    width = min(_PDF_PLOT_WIDTH_MM, plot.width / _PLOT_DPI * 25.4 * 1.05)
    return [Image(plot.png, width_mm=width, caption=plot.caption)]


def _pdf_document(page: _Page) -> Document:
    from riskkit.reports.pdf import (
        Bullets,
        Document,
        Heading,
        KeyValues,
        PageBreak,
        Paragraph,
        SignatureBlock,
    )

    text = page.text
    summary = page.summary
    # The first page is the summary: no section heading, to keep it to one printed page.
    blocks: list[Block] = [Heading(page.title, level=1), KeyValues(summary.facts)]
    # Full width: the list of groups can be long.
    blocks.append(Paragraph(f"{text['summary_groups_heading']}: {summary.groups}"))
    blocks.append(Paragraph(f"{summary.what} {summary.purpose}"))
    blocks.append(Heading(text["headlines_heading"], level=3))
    if summary.flags_intro:
        blocks.append(Paragraph(summary.flags_intro))
    blocks.append(Bullets(summary.headlines))
    if summary.impossibility:
        blocks.append(Paragraph("\n".join((summary.impossibility, *summary.holds)), "notice"))
    if summary.flags:
        # In small print, one line per flag: the summary page stays one page more often.
        lines = (f"{text['flags_heading']}:", *summary.flags, summary.flags_more)
        blocks.append(Paragraph("\n".join(line for line in lines if line), style="small"))
    blocks.append(PageBreak())

    blocks += [Heading(text["overall_heading"], level=2), Paragraph(page.overall_note, "small")]
    blocks.append(_pdf_table(page.overall))
    for section in page.sections:
        blocks.append(Heading(section.heading, level=2))
        if section.reference_note:
            blocks.append(Paragraph(section.reference_note, style="small"))
        blocks += [_pdf_table(t) for t in section.printed_groups]
        blocks += _pdf_plot(section.plot)
        if section.gaps is not None:
            blocks += [Heading(text["gaps_heading"], level=3), _pdf_table(section.gaps)]
            blocks.append(Paragraph(page.gaps_legend, style="small"))
        if section.measures is not None:
            blocks += [Heading(text["measures_heading"], level=3), _pdf_table(section.measures)]
        if section.measures_note:
            blocks.append(Paragraph(section.measures_note, style="small"))
    for calibration in page.calibration:
        blocks.append(Heading(calibration.heading, level=2))
        if calibration.check is not None:
            blocks += [Heading(text["calibration_check_heading"], level=3)]
            blocks += [_pdf_table(calibration.check)]
            blocks.append(Paragraph(text["calibration_check_legend"], style="small"))
        blocks += _pdf_plot(calibration.plot)
        blocks += [Heading(text["calibration_bands_heading"], level=3)]
        blocks += [_pdf_table(calibration.bands)]
        blocks.append(Paragraph(text["calibration_bands_legend"], style="small"))
    if page.sweep is not None:
        blocks += [Heading(text["sweep_heading"], level=2), Paragraph(page.sweep.intro)]
        for plot in page.sweep.plots:
            blocks += _pdf_plot(plot)
    if page.mitigation is not None:
        mitigation = page.mitigation
        blocks += [Heading(text["mitigation_heading"], level=2), Paragraph(mitigation.intro)]
        blocks += [Paragraph(mitigation.caveat, style="notice"), _pdf_table(mitigation.table)]
        blocks += _pdf_plot(mitigation.plot)
        blocks += [Heading(text["mitigation_groups_heading"], level=3)]
        blocks += [_pdf_table(mitigation.groups)]
    blocks += [Heading(text["method_heading"], level=2), Bullets(page.notes)]
    blocks += [Heading(text["signoff_heading"], level=2)]
    blocks.append(Paragraph(text["signoff_note"], style="small"))
    for signature in page.signoffs:
        blocks.append(
            SignatureBlock(
                (
                    (text["signoff_auditor"], signature.auditor),
                    (text["signoff_date"], signature.date),
                    (text["signoff_decision"], signature.decision),
                )
            )
        )
        if signature.comment:
            blocks.append(Paragraph(f"{text['signoff_comment']}: {signature.comment}"))
        blocks.append(Paragraph(signature.hash_line, style="small"))
    if not page.signoffs:
        blocks.append(
            SignatureBlock(
                (
                    (text["signoff_auditor"], ""),
                    (text["signoff_date"], ""),
                    (
                        text["signoff_decision"],
                        f"☐ {text['decision_approve']}    ☐ {text['decision_reject']}",
                    ),
                    (text["signoff_comment"], ""),
                    (text["signoff_signature"], ""),
                )
            )
        )
    return Document(
        title=page.title,
        language=page.language,
        blocks=tuple(blocks),
        footer=page.footer,
        page_label=text["page_label"],
    )


def render_audit_pdf(
    report: AuditReport | Mapping[str, Any],
    *,
    language: str = "en",
    title: str | None = None,
    signoffs: Sequence[SignOff] = (),
) -> bytes:
    """The fairness audit as a printable PDF (A4), with the same content as the HTML page.

    Parameters
    ----------
    report : AuditReport or dict
        The audit, or its ``to_dict()`` form (see :func:`render_audit_html`).
    language : {"es", "pt", "en"}
        Language of the document.
    title : str, optional
        Document title; by default "Fairness audit" in the document's language.
    signoffs : sequence of SignOff
        Recorded sign-offs, printed on sign-off lines; without them the lines are blank, to
        be filled in and signed by hand.

    Returns
    -------
    bytes
        The PDF file: the one-page summary, then the tables and plots, the method notes and
        the sign-off block. The same audit and sign-offs give the same bytes.

    Raises
    ------
    RiskkitError
        If the language is unknown, or the audit (or its sweep or mitigations) has a schema
        version this riskkit does not read.
    """
    from riskkit.reports.pdf import render_pdf

    return render_pdf(_pdf_document(_page(report, language, title, signoffs)))


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
    """Write ``audit.json``, ``audit.html`` and ``audit.pdf`` into ``out_dir`` (created if
    needed).

    Parameters
    ----------
    report : AuditReport or dict
        The audit (a dict may carry ``threshold_sweep`` and ``mitigations``).
    out_dir : Path
        Output folder.
    language : {"es", "pt", "en"}
        Language of ``audit.html`` and ``audit.pdf``.
    metadata : mapping, optional
        Facts kept in ``audit.json`` and shown in the summary of the pages: model name and
        version, data file, date...

    Returns
    -------
    dict of str to Path
        ``{"json": .../audit.json, "html": .../audit.html, "pdf": .../audit.pdf}``.
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
    """Write ``audit.html`` and ``audit.pdf`` from an ``audit.json`` dict and its sign-offs.

    ``audit.json`` itself is never written here, so re-rendering after a sign-off keeps the
    hash the sign-off recorded. The content (plots included) is built once for both files.

    Parameters
    ----------
    data : mapping
        The content of ``audit.json``.
    out_dir : Path
        Folder to write into (it must exist).
    language : {"es", "pt", "en"}
        Language of the pages.
    signoffs : sequence of SignOff
        Recorded sign-offs, shown in the sign-off block.

    Returns
    -------
    dict of str to Path
        ``{"html": .../audit.html, "pdf": .../audit.pdf}``.
    """
    from riskkit.reports.pdf import render_pdf

    page = _page(data, language, None, signoffs)
    html_path = Path(out_dir) / "audit.html"
    pdf_path = Path(out_dir) / "audit.pdf"
    html_path.write_text(_html(page), encoding="utf-8")
    pdf_path.write_bytes(render_pdf(_pdf_document(page)))
    return {"html": html_path, "pdf": pdf_path}

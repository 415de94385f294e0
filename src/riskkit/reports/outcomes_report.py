"""The outcomes check (``riskkit monitor outcomes``) as a page and as JSON.

Rendering only: the JSON document :func:`outcomes_document` builds from an
:class:`~riskkit.monitoring.outcomes.OutcomesAssessment` (and the model and cohort it was
made for) goes in; ``outcomes.json`` and a self-contained ``outcomes.html`` in Spanish,
Portuguese or English come out. The page holds the recommendation and its reasons in words, the
cohort, the metrics against the model card's with intervals, the figures by group, the
thresholds used and a note on how to read it. Nothing is computed here beyond formatting.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from riskkit import __version__
from riskkit.errors import RiskkitError
from riskkit.reports.case_report import format_number
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render

if TYPE_CHECKING:
    from riskkit.monitoring.outcomes import OutcomesAssessment

__all__ = [
    "JSON_FILE",
    "finding_text",
    "headline",
    "outcomes_document",
    "render_outcomes_html",
    "write_outcomes",
]

JSON_FILE: Final = "outcomes.json"
#: The group metrics shown on the page, in column order.
GROUP_COLUMNS: Final = ("auc", "brier", "ece", "calibration_slope", "calibration_in_the_large")
#: Metrics shown with three decimals in the tables; the slope and intercept with two.
_THREE_DECIMALS: Final = frozenset({"auc", "brier", "ece", "log_loss", "calibration_in_the_large"})
_MINUS: Final = "−"
_INTERSECTION: Final = " × "


def outcomes_document(
    assessment: OutcomesAssessment,
    *,
    model: Mapping[str, Any],
    cohort: Mapping[str, Any],
) -> dict[str, Any]:
    """The outcomes check as saved in ``outcomes.json``.

    Parameters
    ----------
    assessment : OutcomesAssessment
        The figures and the recommendation.
    model : mapping
        ``name``, ``version``, ``alias`` (and anything else worth keeping) of the model checked.
    cohort : mapping
        :meth:`Cohort.describe() <riskkit.monitoring.outcomes.Cohort.describe>`.

    Returns
    -------
    dict
        JSON-serialisable: the assessment's ``to_dict()`` with ``model``, ``cohort``,
        ``created_at`` and ``riskkit_version``.
    """
    from riskkit.json_values import finite_json

    return {
        "kind": "riskkit.outcomes",
        "model": dict(model),
        "cohort": finite_json(dict(cohort)),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "riskkit_version": __version__,
        **assessment.to_dict(),
    }


# --- formatting ---------------------------------------------------------------------------------


def _number(value: Any, language: str, decimals: int, text: Mapping[str, str]) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return text["not_available"]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, float):
        return str(value)
    out = format_number(abs(value), language, decimals)
    return f"{_MINUS}{out}" if value < 0 and out.strip("0.,") else out


def _signed(value: Any, language: str, decimals: int, text: Mapping[str, str]) -> str:
    if value is None:
        return text["not_available"]
    out = _number(value, language, decimals, text)
    return out if out.startswith(_MINUS) or not out.strip("0.,") else f"+{out}"


def _decimals(metric: str) -> int:
    return 3 if metric in _THREE_DECIMALS else 2


def _interval(
    estimate: Mapping[str, Any], language: str, decimals: int, text: Mapping[str, str]
) -> str:
    value = _number(estimate.get("value"), language, decimals, text)
    if estimate.get("low") is None or estimate.get("high") is None:
        return value
    return text["interval"].format(
        value=value,
        low=_number(estimate["low"], language, decimals, text),
        high=_number(estimate["high"], language, decimals, text),
    )


class _Names:
    """Attribute and group names: registry labels in the page's language when known."""

    def __init__(self, language: str) -> None:
        from riskkit.features.registry import default_registry

        self._language = language
        self._registry = default_registry()

    def attribute(self, name: str) -> str:
        parts = []
        for part in str(name).split(_INTERSECTION):
            parts.append(
                self._registry[part].label(self._language) if part in self._registry else part
            )
        return _INTERSECTION.join(parts)

    def group(self, attribute: str, group: str) -> str:
        attributes = str(attribute).split(_INTERSECTION)
        values = str(group).split(_INTERSECTION)
        if len(attributes) != len(values):
            return str(group)
        out = []
        for name, value in zip(attributes, values, strict=True):
            labels = self._registry[name].category_labels if name in self._registry else {}
            out.append(labels[value][self._language] if value in labels else value)
        return _INTERSECTION.join(out)


def finding_text(finding: Mapping[str, Any], language: str = "en") -> str:
    """One finding (:meth:`Finding.to_dict() <riskkit.monitoring.outcomes.Finding.to_dict>`)
    in words.

    Parameters
    ----------
    finding : mapping
        ``code``, ``action`` and ``values``.
    language : {"es", "pt", "en"}

    Returns
    -------
    str

    Raises
    ------
    RiskkitError
        When the language or the finding's code is unknown.
    """
    text = messages("outcomes", language)
    code = str(finding["code"])
    key = f"note_{code}" if finding.get("action") is None else f"reason_{code}"
    if key not in text:
        raise RiskkitError(f"unknown outcomes finding {code!r}; this riskkit cannot word it")
    names = _Names(language)
    values = dict(finding.get("values", {}))
    fields: dict[str, str] = {}
    for name, value in values.items():
        if name == "attribute":
            fields[name] = names.attribute(str(value))
        elif name == "group":
            fields[name] = names.group(str(values.get("attribute", "")), str(value))
        else:
            fields[name] = _number(value, language, 3, text)
    return text[key].format(**fields)


def headline(document: Mapping[str, Any]) -> str:
    """One line for the terminal: model, cohort, key figures and the recommendation."""
    text = messages("outcomes", "en")
    model = document["model"]
    figures = {m["name"]: m for m in document["metrics"]}

    def figure(name: str) -> str:
        value = figures[name]["cohort"]["value"]
        card = figures[name]["card"]["value"]
        shown = _number(value, "en", _decimals(name), text)
        return f"{shown} (card {_number(card, 'en', _decimals(name), text)})"

    return (
        f"{model['name']} v{model['version']} on {document['n']} people: "
        f"AUC {figure('auc')}, ECE {figure('ece')}, slope {figure('calibration_slope')} "
        f"-> {document['recommendation']['action']}"
    )


# --- the page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MetricRow:
    label: str
    card: str
    cohort: str
    difference: str


@dataclass(frozen=True)
class _GroupRow:
    attribute: str
    group: str
    n: str
    too_small: bool
    cells: tuple[str, ...]


def render_outcomes_html(document: Mapping[str, Any], *, language: str = "en") -> str:
    """The outcomes check as a self-contained HTML page.

    Parameters
    ----------
    document : mapping
        :func:`outcomes_document`'s output (e.g. read back from ``outcomes.json``).
    language : {"es", "pt", "en"}
        Language of the page and of its decimal separator.

    Returns
    -------
    str
        HTML with inline CSS, no scripts and no external resources; every text is escaped.

    Raises
    ------
    RiskkitError
        When the language is unknown.
    """
    text = messages("outcomes", language)
    names = _Names(language)
    model = document["model"]
    cohort = document["cohort"]
    recommendation = document["recommendation"]
    action = str(recommendation["action"])
    findings = recommendation["findings"]
    metrics = [
        _MetricRow(
            label=text[f"metric_{m['name']}"],
            card=_interval(m["card"], language, _decimals(m["name"]), text),
            cohort=_interval(m["cohort"], language, _decimals(m["name"]), text),
            difference=_signed(m["difference"], language, _decimals(m["name"]), text),
        )
        for m in document["metrics"]
    ]
    groups = [
        _GroupRow(
            attribute=names.attribute(g["attribute"]),
            group=names.group(g["attribute"], g["group"]),
            n=str(g["n"]),
            too_small=bool(g.get("too_small")),
            cells=tuple(
                _interval(g["metrics"][name], language, _decimals(name), text)
                if name in g.get("metrics", {})
                else text["not_available"]
                for name in GROUP_COLUMNS
            ),
        )
        for g in document.get("groups", [])
    ]
    thresholds = document["thresholds"]
    low, high = thresholds["slope_range"]
    created = str(document.get("created_at", ""))[:10]
    return render(
        "outcomes.html",
        language=language,
        text=text,
        title=f"{text['title']}: {model['name']} v{model['version']}",
        subtitle=text["subtitle"].format(
            model=model["name"], version=model["version"], n=document["n"]
        ),
        action=action,
        action_label=text[f"action_{action}"],
        explanation=text[f"explain_{action}"],
        reasons=[finding_text(f, language) for f in findings if f.get("action") is not None],
        notes=[finding_text(f, language) for f in findings if f.get("action") is None],
        cohort_file=str(cohort.get("source", "")),
        cohort_sha256=str(cohort.get("sha256", "")),
        cohort_records=text["cohort_records_value"].format(
            read=cohort.get("read"), valid=cohort.get("valid"), rejected=cohort.get("rejected")
        ),
        has_rejects=bool(cohort.get("rejected")),
        base_rate=text["cohort_base_rate_value"].format(
            cohort=_number(document.get("base_rate"), language, 3, text),
            card=_number(document.get("card_base_rate"), language, 3, text),
        ),
        metrics=metrics,
        group_headers=[text[f"metric_{name}"] for name in GROUP_COLUMNS],
        groups=groups,
        auc_drop=_number(float(thresholds["auc_drop"]), language, 3, text),
        slope_range=text["range"].format(
            low=_number(float(low), language, 2, text), high=_number(float(high), language, 2, text)
        ),
        max_ece=_number(float(thresholds["max_ece"]), language, 3, text),
        generated=text["generated"].format(
            date=created, version=document.get("riskkit_version", __version__)
        ),
    )


def write_outcomes(
    document: Mapping[str, Any], out_dir: str | Path, *, language: str = "en"
) -> dict[str, Path]:
    """Write ``outcomes.json`` and ``outcomes.html`` into ``out_dir`` (created if needed).

    Returns
    -------
    dict of str to Path
        ``{"json": …, "html": …}``.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    html = render_outcomes_html(document, language=language)
    files = {"json": folder / JSON_FILE, "html": folder / "outcomes.html"}
    files["json"].write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    files["html"].write_text(html, encoding="utf-8")
    return files

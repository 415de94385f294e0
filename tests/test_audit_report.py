"""The audit's JSON and HTML, and the message catalogues they use."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from riskkit.errors import RiskkitError
from riskkit.fairness import AuditReport, audit_predictions
from riskkit.reports.audit_report import audit_json, render_audit_html, write_audit
from riskkit.reports.i18n import SUPPORTED_LANGUAGES, domains, messages
from riskkit.reports.rendering import render

SCRIPT = "<script>alert(1)</script>"


def _population() -> tuple[np.ndarray, np.ndarray, dict[str, list[object]]]:
    """A: 100 people with FPR 0.2; B: 50 with FPR 0.5; 12 in a group named like a script; 1
    without a race."""
    y_true: list[int] = []
    selected: list[int] = []
    race: list[object] = []
    # (name, negatives, false alarms, positives, missed)
    for name, neg, fa, pos, missed in [
        ("A", 60, 12, 40, 10),
        ("B", 20, 10, 30, 3),
        (SCRIPT, 6, 1, 6, 2),
    ]:
        y_true += [0] * neg + [1] * pos
        selected += [1] * fa + [0] * (neg - fa) + [0] * missed + [1] * (pos - missed)
        race += [name] * (neg + pos)
    # One person without a recorded race.
    y_true.append(0)
    selected.append(0)
    race.append(None)
    sex: list[object] = ["f" if i % 2 else "m" for i in range(len(y_true))]
    return np.array(y_true), np.where(np.array(selected) == 1, 0.7, 0.3), {"race": race, "sex": sex}


@pytest.fixture(scope="module")
def report() -> AuditReport:
    y_true, y_score, features = _population()
    return audit_predictions(
        y_true,
        y_score,
        sensitive_features=features,
        threshold=0.5,
        n_resamples=50,
        purpose="punitive",
    )


def _visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip_with_schema_keys(report: AuditReport) -> None:
    data = report.to_dict()
    text = json.dumps(data, allow_nan=False)  # raises if any NaN was left in
    assert json.loads(text) == data
    assert data["schema_version"] == "2"
    for key in ("score", "threshold", "n", "overall", "groups", "disparities", "summary", "flags"):
        assert key in data
    assert data["n"] == 163
    assert data["lead_metric"] == "fpr"  # a punitive use leads with false positives
    group = data["groups"][0]
    assert set(group) >= {"attribute", "group", "n", "too_small", "fpr", "fnr", "auc"}
    for metric in ("fpr", "fnr", "selection_rate", "auc"):
        assert set(group[metric]) == {"value", "lo", "hi"}
    disparity = data["disparities"][0]
    assert {"attribute", "group", "reference", "metric", "difference", "ratio", "flagged"} <= set(
        disparity
    )
    assert set(disparity["ratio"]) == {"value", "lo", "hi"}
    assert all(flag["flagged"] for flag in data["flags"])
    intersection = [g for g in data["groups"] if g["attribute"] == "race × sex"]
    assert intersection and all(" × " in g["group"] for g in intersection)


def test_json_writes_nan_as_null() -> None:
    # The only negatives are in group "x": "y" has no FPR, and its gap is undefined.
    report = audit_predictions(
        [0, 0, 1, 1, 1],
        [0.9, 0.1, 0.8, 0.7, 0.2],
        sensitive_features={"g": ["x", "x", "x", "y", "y"]},
        threshold=0.5,
        minimum_group_size=1,
        n_resamples=20,
    )
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    y = next(g for g in data["groups"] if g["group"] == "y")
    assert y["fpr"] == {"value": None, "lo": None, "hi": None}
    gap = next(d for d in data["disparities"] if d["group"] == "y" and d["metric"] == "fpr")
    assert gap["difference"]["value"] is None and gap["ratio"]["value"] is None


def test_write_audit_writes_json_with_metadata_and_html(
    report: AuditReport, tmp_path: Path
) -> None:
    metadata = {
        "model": {"name": "recidivism", "version": 3},
        "data_file": tmp_path / "records.csv",
        "created_at": "2025-01-31",
    }
    files = write_audit(report, tmp_path / "out", language="es", metadata=metadata)
    assert set(files) == {"json", "html"}
    data = json.loads(files["json"].read_text(encoding="utf-8"))
    assert data["metadata"]["model"] == {"name": "recidivism", "version": 3}
    assert data["metadata"]["data_file"] == str(tmp_path / "records.csv")
    assert data["metadata"]["riskkit_version"]
    assert "generated_at" not in data["metadata"]  # the caller's date is kept, not doubled
    assert data["groups"] == report.to_dict()["groups"]
    html = files["html"].read_text(encoding="utf-8")
    assert "Auditoría de equidad" in html
    assert "recidivism" in html and "2025-01-31" in html


def test_metadata_that_cannot_be_json_is_refused(report: AuditReport) -> None:
    with pytest.raises(RiskkitError, match=r"audit\.metadata\.model is a object"):
        audit_json(report, {"model": object()})


# --- HTML ---------------------------------------------------------------------------------------


def test_html_summary_groups_and_intervals_in_english(report: AuditReport) -> None:
    html = render_audit_html(report, language="en")
    text = _visible_text(html)
    assert '<html lang="en">' in html
    assert '<meta name="viewport"' in html
    assert "It covers 163 people" in text
    # The largest false-alarm gap, in words: B (50.0%) against A (20.0%), 30 points higher.
    assert (
        "By race, the largest gap in false alarms: among people who did not reoffend, 50.0% of "
        "group B were labelled high risk, against 20.0% of group A (the reference group): "
        "30.0 percentage points higher." in text
    )
    assert re.search(r"0\.20 \(0\.\d\d–0\.\d\d\)", text)  # A's FPR with its interval
    assert "too small to judge (n = 12)" in text
    assert "(missing)" in text
    assert "false alarms — people labelled high risk who did not reoffend — are the main harm" in (
        text
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["Resumen", "Cómo leer este informe", "demasiado pequeño para juzgar (n = 12)"]),
        ("pt", ["Resumo", "Como ler este relatório", "pequeno demais para avaliar (n = 12)"]),
        ("en", ["Summary", "How to read this report", "too small to judge (n = 12)"]),
    ],
)
def test_html_is_localised(report: AuditReport, language: str, expected: list[str]) -> None:
    html = render_audit_html(report, language=language)
    assert f'<html lang="{language}">' in html
    for piece in expected:
        assert piece in html
    if language != "en":
        assert "How to read this report" not in html
        assert "0,20 (0," in html  # decimal comma


def test_html_escapes_group_names(report: AuditReport) -> None:
    html = render_audit_html(report, language="en", title=f"Audit {SCRIPT}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_html_is_self_contained(report: AuditReport) -> None:
    html = render_audit_html(report, language="pt")
    for forbidden in ("http://", "https://", "<link", "<script", "<img", "@import"):
        assert forbidden not in html
    assert "<style>" in html


def test_html_from_json_matches_html_from_report(report: AuditReport) -> None:
    stored: dict[str, Any] = json.loads(json.dumps(report.to_dict()))
    assert render_audit_html(stored, language="es") == render_audit_html(report, language="es")


def test_html_refuses_unknown_schema(report: AuditReport) -> None:
    data = {**report.to_dict(), "schema_version": "99"}
    with pytest.raises(RiskkitError, match=r"schema version '99'.*reads version '2'"):
        render_audit_html(data)


def test_unknown_language_names_the_supported_ones(report: AuditReport) -> None:
    with pytest.raises(RiskkitError, match=r"unknown report language 'fr'.*es, pt, en"):
        render_audit_html(report, language="fr")


# --- catalogues and rendering -------------------------------------------------------------------


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_domain_has_the_same_keys_and_fields_in_every_language() -> None:
    assert "audit" in domains()
    for domain in domains():
        catalogues = {lang: messages(domain, lang) for lang in SUPPORTED_LANGUAGES}
        english = catalogues["en"]
        for language, catalogue in catalogues.items():
            assert set(catalogue) == set(english), (domain, language)
            for key, text in catalogue.items():
                assert _fields(text) == _fields(english[key]), (domain, language, key)
                assert text.strip(), (domain, language, key)


def test_unknown_domain_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"unknown message domain 'nope'; the domains are"):
        messages("nope", "es")
    with pytest.raises(RiskkitError, match=r"invalid message domain '\.\./x'"):
        messages("../x", "es")


def test_messages_returns_a_copy() -> None:
    first = messages("audit", "en")
    first["title"] = "changed"
    assert messages("audit", "en")["title"] == "Fairness audit"


def test_render_autoescapes() -> None:
    html = render("audit.html", **_minimal_context(title=SCRIPT))
    assert "&lt;script&gt;" in html and "<script" not in html


def _minimal_context(title: str) -> dict[str, object]:
    return {
        "language": "en",
        "text": messages("audit", "en"),
        "title": title,
        "meta": [],
        "summary": [],
        "overall": [],
        "overall_n": 0,
        "metric_labels": [],
        "gap_labels": [],
        "sections": [],
        "notes": [],
        "signoffs": [],
        "footer": "",
    }

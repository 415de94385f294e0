"""The audit's JSON, HTML and PDF, the audit plots, and the message catalogues they use.

Rendering draws matplotlib plots, so every page is rendered once per module (fixtures below)
and the tests read it; the populations are small and the bootstrap uses few resamples.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure

from riskkit.errors import RiskkitError
from riskkit.fairness import AuditReport, audit_predictions
from riskkit.fairness.mitigation import (
    CONSTRAINTS,
    METHODS,
    MITIGATION_SCHEMA_VERSION,
    REQUIREMENTS,
    compare_mitigations,
)
from riskkit.fairness.signoff import SignOff
from riskkit.fairness.sweep import threshold_sweep
from riskkit.reports import audit_report, fairness_plots
from riskkit.reports.audit_report import (
    audit_json,
    render_audit_html,
    render_audit_pdf,
    write_audit,
    write_audit_pages,
)
from riskkit.reports.fairness_plots import (
    plot_calibration_by_group,
    plot_error_rates,
    plot_mitigation_tradeoff,
    plot_threshold_sweep,
)
from riskkit.reports.i18n import SUPPORTED_LANGUAGES, domains, messages
from tests.test_pdf import page_texts  # the small PDF text extractor of the PDF tests

SCRIPT = "<script>alert(1)</script>"
PNG_IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"')
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 4), (31, 95, 139)).save(buffer, format="PNG")
    return buffer.getvalue()


_TINY_PNG = _tiny_png()
SIGNOFF = SignOff(
    auditor="Ana Souza",
    decision="approve",
    comment="Revisado con el equipo de la Dirección.",
    signed_at="2025-02-03T10:15:00+00:00",
    audit_sha256="ab" * 32,
)


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
def race_report() -> AuditReport:
    """The same people by race only: fewer plots to draw, for the page tests."""
    y_true, y_score, features = _population()
    return audit_predictions(
        y_true,
        y_score,
        sensitive_features={"race": features["race"]},
        threshold=0.5,
        n_resamples=50,
        purpose="punitive",
    )


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


def _registry_population(n: int = 240) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Registry attributes (race_us, sex) with their codes; Hispanic is too small to judge."""
    rng = np.random.default_rng(7)
    race = np.array(["african_american"] * 110 + ["caucasian"] * 110 + ["hispanic"] * (n - 220))
    sex = np.where(np.arange(n) % 3 == 0, "female", "male")
    base = np.where(race == "african_american", 0.5, 0.3)
    y_true = (rng.random(n) < base).astype(int)
    score = np.clip(0.35 * y_true + 0.25 + rng.normal(0, 0.15, n), 0.01, 0.99)
    # Shuffle so that both halves (training and test of the mitigations) hold every group.
    order = rng.permutation(n)
    return y_true[order], score[order], {"race_us": race[order], "sex": sex[order]}


@pytest.fixture(scope="module")
def registry_data() -> dict[str, Any]:
    """An assistive-use audit of registry attributes, with a threshold sweep and mitigations,
    as ``audit.json`` holds it."""
    y_true, score, features = _registry_population()
    report = audit_predictions(
        y_true,
        score,
        sensitive_features=features,
        threshold=0.5,
        n_resamples=30,
        purpose="assistive",
    )
    data = audit_json(
        report,
        {
            "model": {"name": "recidivism", "version": 3, "alias": "champion"},
            "data": "records.csv",
            "records": {"read": 250, "audited": 240, "rejected": 10},
            "outcome": "reoffence_24m",
            "created_at": "2025-01-31T14:05:00+00:00",
        },
    )
    data["threshold_sweep"] = threshold_sweep(
        y_true, score, sensitive_features={"race_us": features["race_us"]}, thresholds=[0.3, 0.5]
    ).to_dict()
    # The mitigations need both outcomes in every group: the too-small group is left out.
    kept = features["race_us"] != "hispanic"
    outcome, kept_score, race = y_true[kept], score[kept], features["race_us"][kept]
    half = len(outcome) // 2
    data["mitigations"] = compare_mitigations(
        kept_score[:half, None],
        outcome[:half],
        kept_score[half:, None],
        outcome[half:],
        sensitive_train={"race_us": race[:half]},
        sensitive_test={"race_us": race[half:]},
        threshold=0.5,
    ).to_dict()
    stored: dict[str, Any] = json.loads(json.dumps(data, allow_nan=False))
    return stored


@contextlib.contextmanager
def _placeholder_plots() -> Iterator[None]:
    """Every plot of the report drawn as one tiny PNG: the plots cost most of the rendering
    time, and the tests that use this read the words around them. The Spanish registry page,
    the small English page and the files of write_audit draw the real plots."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audit_report, "_png", lambda figure: _TINY_PNG)
        for name in (
            "plot_error_rates",
            "plot_calibration_by_group",
            "plot_threshold_sweep",
            "plot_mitigation_tradeoff",
        ):
            patch.setattr(fairness_plots, name, lambda *args, **kwargs: None)
        yield


@pytest.fixture(scope="module")
def registry_pages(registry_data: dict[str, Any]) -> dict[str, str]:
    """The registry audit's HTML in each language; the Spanish page, with real plots, carries a
    sign-off."""
    pages = {"es": render_audit_html(registry_data, language="es", signoffs=[SIGNOFF])}
    with _placeholder_plots():
        for language in ("pt", "en"):
            pages[language] = render_audit_html(registry_data, language=language)
    return pages


@pytest.fixture(scope="module")
def plain_page(race_report: AuditReport) -> str:
    """The small audit's English page, without sweep, mitigations or sign-off."""
    return render_audit_html(race_report, language="en", title=f"Audit {SCRIPT}")


@pytest.fixture(scope="module")
def registry_pdf(registry_data: dict[str, Any]) -> list[str]:
    """The text of each page of the registry audit's Spanish PDF, signed."""
    with _placeholder_plots():
        pdf = render_audit_pdf(registry_data, language="es", signoffs=[SIGNOFF])
    assert pdf.startswith(b"%PDF")
    return page_texts(pdf)


def _visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}">')
    return html[start : html.index("</section>", start)]


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


def test_write_audit_writes_json_html_and_pdf_and_rerendering_keeps_the_json(
    race_report: AuditReport, tmp_path: Path
) -> None:
    metadata = {
        "model": {"name": "recidivism", "version": 3, "alias": "champion"},
        "data_file": tmp_path / "records.csv",
        "created_at": "2025-01-31",
    }
    files = write_audit(race_report, tmp_path / "out", language="es", metadata=metadata)
    assert set(files) == {"json", "html", "pdf"}
    data = json.loads(files["json"].read_text(encoding="utf-8"))
    assert data["metadata"]["model"] == {"name": "recidivism", "version": 3, "alias": "champion"}
    assert data["metadata"]["data_file"] == str(tmp_path / "records.csv")
    assert data["metadata"]["riskkit_version"]
    assert "generated_at" not in data["metadata"]  # the caller's date is kept, not doubled
    assert data["groups"] == race_report.to_dict()["groups"]
    html = files["html"].read_text(encoding="utf-8")
    assert "Auditoría de equidad" in html
    # Metadata reads as a sentence would, not as "name: recidivism, version: 3".
    assert "recidivism v3 (champion)" in html and "name: recidivism" not in html
    assert "2025-01-31" in html
    pdf = files["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF")
    unsigned = page_texts(pdf)
    assert "Auditoría de equidad" in unsigned[0] and "recidivism v3 (champion)" in unsigned[0]
    # Blank sign-off lines: labels with nothing written on them.
    assert "Auditor/a" in unsigned[-1] and "☐ aprobada" in unsigned[-1]
    assert "SHA-256 de audit.json:" not in unsigned[-1]

    # Signing re-renders the pages from audit.json, which is never rewritten (it is hashed).
    before = files["json"].read_bytes()
    with _placeholder_plots():
        pages = write_audit_pages(data, tmp_path / "out", language="pt", signoffs=[SIGNOFF])
    assert set(pages) == {"html", "pdf"}
    assert files["json"].read_bytes() == before
    signed = pages["html"].read_text(encoding="utf-8")
    assert "Auditoria de equidade" in signed and "Ana Souza" in signed and "aprovada" in signed
    assert "Ana Souza" in page_texts(pages["pdf"].read_bytes())[-1]


def test_metadata_that_cannot_be_json_is_refused(report: AuditReport) -> None:
    with pytest.raises(RiskkitError, match=r"audit\.metadata\.model is a object"):
        audit_json(report, {"model": object()})


# --- HTML: the small audit ----------------------------------------------------------------------


def test_html_summary_groups_and_intervals_in_english(plain_page: str) -> None:
    text = _visible_text(plain_page)
    assert '<html lang="en">' in plain_page
    assert '<meta name="viewport"' in plain_page
    assert "People audited 163" in text
    # The largest false-alarm gap, in words, with its interval and whether it is flagged.
    assert re.search(
        r"race \(reference group: A\) — false alarms: 50\.0% of B against 20\.0%, 30\.0 points "
        r"higher \(plausible range \+\d+\.\d to \+\d+\.\d\), (not )?flagged",
        text,
    )
    assert re.search(r"0\.20 \(0\.\d\d–0\.\d\d\)", text)  # A's FPR with its interval
    assert "too small to judge (n = 12)" in text
    assert "(missing)" in text
    assert "false alarms are the main harm, and this report leads with them" in text


def test_html_escapes_group_names_and_title(plain_page: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in plain_page
    assert "<title>Audit &lt;script&gt;" in plain_page
    assert "<script" not in plain_page


def test_html_is_self_contained_with_inline_plots(plain_page: str) -> None:
    for forbidden in ("http://", "https://", "<link", "<script", "@import", "<iframe"):
        assert forbidden not in plain_page
    assert "<style>" in plain_page
    images = PNG_IMAGE.findall(plain_page)
    # Error rates and calibration by race.
    assert len(images) == plain_page.count("<img") == 2
    for encoded, alt in images:
        assert base64.b64decode(encoded).startswith(b"\x89PNG\r\n\x1a\n")
        assert alt.strip() and not PLACEHOLDER.search(alt)


def test_sections_without_sweep_or_mitigations_are_absent(plain_page: str) -> None:
    assert 'id="sweep"' not in plain_page and 'id="mitigations"' not in plain_page
    assert "Other thresholds" not in plain_page


def test_blank_signoff_block(plain_page: str) -> None:
    signoff = _section(plain_page, "signoff")
    assert signoff.count("______________________________") == 4
    assert "☐ approved" in signoff and "SHA-256" not in _visible_text(signoff).replace(
        "SHA-256 fingerprint", ""
    )


def test_html_from_json_matches_html_from_report(race_report: AuditReport) -> None:
    stored: dict[str, Any] = json.loads(json.dumps(race_report.to_dict()))
    from_json = render_audit_html(stored, language="es")
    assert from_json == render_audit_html(race_report, language="es")


def test_html_refuses_unknown_schema(report: AuditReport) -> None:
    data = {**report.to_dict(), "schema_version": "99"}
    with pytest.raises(RiskkitError, match=r"schema version '99'.*reads version '2'"):
        render_audit_html(data)


def test_sweep_and_mitigations_of_unknown_schema_are_refused(report: AuditReport) -> None:
    data = {**report.to_dict(), "threshold_sweep": {"schema_version": "7"}}
    with pytest.raises(RiskkitError, match=r"'threshold_sweep' has schema version '7'.*'1'"):
        render_audit_pdf(data)
    data = {**report.to_dict(), "mitigations": ["none"]}
    with pytest.raises(RiskkitError, match=r"'mitigations' is a list; it must be the object"):
        render_audit_html(data)


def test_unknown_language_names_the_supported_ones(report: AuditReport) -> None:
    with pytest.raises(RiskkitError, match=r"unknown report language 'fr'.*es, pt, en"):
        render_audit_html(report, language="fr")
    with pytest.raises(RiskkitError, match=r"unknown report language 'fr'.*es, pt, en"):
        render_audit_pdf(report, language="fr")


# --- HTML: registry attributes, sweep and mitigations, in three languages -----------------------

EXPECTED = {
    "es": {
        "title": "Auditoría de equidad",
        "metric": "Falsas alarmas (TFP)",
        "attribute": "Raza (EE. UU.)",
        "group": "afroestadounidense × mujer",
        "requirement": "Hay que conocer el atributo sensible en el momento de cada decisión",
        "caveat": "cada mitigación elige su propio punto de operación más exacto",
        "model": "recidivism v3 (champion)",
        "outcome": "Reincidencia en 24 meses",
        "decimal": "0,",
    },
    "pt": {
        "title": "Auditoria de equidade",
        "metric": "Não detectados (TFN)",
        "attribute": "Raça (EUA)",
        "group": "afro-americana × mulher",
        "requirement": "É preciso conhecer o atributo sensível no momento de cada decisão",
        "caveat": "cada mitigação escolhe o seu próprio ponto de operação mais acurado",
        "model": "recidivism v3 (champion)",
        "outcome": "Reincidência em 24 meses",
        "decimal": "0,",
    },
    "en": {
        "title": "Fairness audit",
        "metric": "False alarms (FPR)",
        "attribute": "Race (US)",
        "group": "African American × female",
        "requirement": "The sensitive attribute must be known when each decision is made",
        "caveat": "each mitigation chooses its own most accurate operating point",
        "model": "recidivism v3 (champion)",
        "outcome": "Re-offence within 24 months",
        "decimal": "0.",
    },
}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_html_is_localised_with_registry_labels(
    registry_pages: dict[str, str], language: str
) -> None:
    html = registry_pages[language]
    text = _visible_text(html)
    expected = EXPECTED[language]
    assert f'<html lang="{language}">' in html
    assert f"<h1>{expected['title']}</h1>" in html
    for key in ("metric", "attribute", "group", "requirement", "caveat", "model", "outcome"):
        assert expected[key] in text, key
    assert re.search(re.escape(expected["decimal"]) + r"\d\d \(", text)
    # Registry codes are shown by their labels, never raw.
    for code in ("african_american", "caucasian", "race_us", "reoffence_24m"):
        assert code not in text, code
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)
    if language != "en":
        assert "How to read this report" not in html and "Summary" not in text


def test_assistive_use_leads_with_missed_cases(registry_pages: dict[str, str]) -> None:
    text = _visible_text(registry_pages["en"])
    headline = text[text.index("Race (US) (reference group:") :]
    assert headline.index("missed cases:") < headline.index("false alarms:")
    assert "missed cases are the main harm" in text


def test_registry_page_has_every_plot_and_section(registry_pages: dict[str, str]) -> None:
    for html in registry_pages.values():
        images = PNG_IMAGE.findall(html)
        # Error rates (race, sex, race × sex), calibration (race, sex), the sweep (race) and
        # the mitigation trade-off.
        assert len(images) == html.count("<img") == 7
        assert all(base64.b64decode(png).startswith(b"\x89PNG") for png, _ in images)
        assert 'id="sweep"' in html and 'id="mitigations"' in html
        mitigations = _visible_text(_section(html, "mitigations"))
        assert len(re.findall(r"0[.,]\d\d", mitigations)) >= 12  # 3 methods × 4 figures


def test_gaps_table_shows_ratio_and_flag_mark(registry_pages: dict[str, str]) -> None:
    text = _visible_text(registry_pages["en"])
    assert re.search(r"[+−]0\.\d\d \(.*?\) ratio \d\.\d\d", text)
    assert "⚑: flagged" in text
    assert "Ratio observed / predicted (interval)" in text  # the calibration check


def test_filled_signoff_block(registry_pages: dict[str, str]) -> None:
    signoff = _section(registry_pages["es"], "signoff")
    text = _visible_text(signoff)
    assert "Ana Souza" in text and "aprobada" in text and "Revisado con el equipo" in text
    assert "2025-02-03 10:15 UTC" in text
    assert f"SHA-256 de audit.json: {'ab' * 32}" in text
    assert "______" not in signoff


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_opens_with_a_one_page_summary(registry_pdf: list[str]) -> None:
    first = registry_pdf[0]
    assert first.startswith("Auditoría de equidad")
    for piece in ("recidivism v3 (champion)", "Raza (EE. UU.)", "Mayores brechas", "Página 1 de"):
        assert piece in first, piece
    # The summary fits on the first page; the tables start on the next one (after its running
    # header).
    assert registry_pdf[1].split("\n")[1] == "Todas las personas"


def test_pdf_is_translated_and_signed(registry_pdf: list[str]) -> None:
    everything = "\n".join(registry_pdf)
    for code in ("african_american", "race_us", "reoffence_24m"):
        assert code not in everything
    assert not PLACEHOLDER.search(everything)
    for piece in ("Otros umbrales", "Reducir las brechas: qué haría falta", "Cómo leer este"):
        assert piece in everything
    last = registry_pdf[-1]
    assert "Ana Souza" in last and "aprobada" in last and "ab" * 32 in last


# --- plots --------------------------------------------------------------------------------------


def test_error_rate_plot_draws_both_rates_with_intervals(registry_data: dict[str, Any]) -> None:
    figure = plot_error_rates(
        registry_data,
        "race_us",
        {"fpr": "falsas alarmas"},
        labels={"african_american": "afroestadounidense"},
    )
    # Figures drawn with the object API belong to no pyplot state: nothing to close.
    assert isinstance(figure, Figure)
    lead, other = figure.axes
    # An assistive use puts the false negative rate first.
    assert lead.get_title() == "missed (FNR)" and other.get_title() == "falsas alarmas"
    assert len(lead.containers) == 3  # one error bar per group
    labels = [t.get_text() for t in lead.get_yticklabels()]
    ticks = dict(zip(lead.get_yticks(), labels, strict=True))
    assert ticks[max(ticks)] == "afroestadounidense (reference)"  # the first group, at the top
    assert "hispanic (too small to judge)" in ticks.values()
    with pytest.raises(RiskkitError, match=r"attribute 'nope' has no groups.*'race_us'"):
        plot_error_rates(registry_data, "nope")


def test_calibration_plot_by_band_for_a_score_that_is_not_a_probability() -> None:
    deciles = np.tile(np.arange(1, 11), 12)
    outcome = (deciles + np.tile([0, 3], 60) > 7).astype(int)
    report = audit_predictions(
        outcome,
        deciles,
        sensitive_features={"g": np.repeat(["a", "b"], 60)},
        threshold=5,
        n_resamples=10,
    )
    data = report.to_dict()
    (axes,) = plot_calibration_by_group(data, "g").axes
    assert [t.get_text() for t in axes.get_xticklabels()] == [str(d) for d in range(1, 11)]
    assert len(axes.containers) == 3  # everyone, a and b
    assert axes.get_xlabel() == "score band"
    with pytest.raises(RiskkitError, match=r"no calibration rows for attribute 'nope'"):
        plot_calibration_by_group(data, "nope")


def test_sweep_and_tradeoff_plots_read_the_stored_dicts(registry_data: dict[str, Any]) -> None:
    sweep = plot_threshold_sweep(
        registry_data["threshold_sweep"], attribute="race_us", threshold=0.5
    )
    tradeoff = plot_mitigation_tradeoff(
        registry_data["mitigations"], text={"none": "sin mitigación"}
    )
    assert [len(axes.lines) for axes in sweep.axes] == [2, 7]  # 3 groups × (FPR, FNR) + line
    assert "sin mitigación" in [t.get_text() for t in tradeoff.axes[0].texts]
    with pytest.raises(RiskkitError, match=r"attribute 'nope' is not in this sweep"):
        plot_threshold_sweep(registry_data["threshold_sweep"], attribute="nope")


# --- catalogues ---------------------------------------------------------------------------------


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


def test_the_three_audit_catalogues_have_the_same_keys() -> None:
    keys = {language: set(messages("audit", language)) for language in SUPPORTED_LANGUAGES}
    assert keys["es"] == keys["en"], keys["es"] ^ keys["en"]
    assert keys["pt"] == keys["en"], keys["pt"] ^ keys["en"]
    # Every code the mitigation comparison writes has its words.
    english = messages("audit", "en")
    for method in METHODS:
        assert f"method_{method}" in english and f"plot_tradeoff_{method}" in english
    for code in {c for codes in REQUIREMENTS.values() for c in codes}:
        assert f"requirement_{code}" in english
    for constraint in CONSTRAINTS:
        assert f"constraint_{constraint}" in english
    assert audit_report.MITIGATION_SCHEMA_VERSION == MITIGATION_SCHEMA_VERSION


# Texts that are rightly the same in another language (formats, names, "no").
SAME_AS_ENGLISH = {
    "es": {"groups_of", "model_value", "band_n", "holds_calibration_no", "holds_error_rates_no"},
    "pt": {"groups_of", "model_value", "band_n"},
}


@pytest.mark.parametrize("language", ["es", "pt"])
def test_spanish_and_portuguese_are_translations(language: str) -> None:
    english = messages("audit", "en")
    catalogue = messages("audit", language)
    copied = [
        key
        for key, text in english.items()
        if re.search(r"[A-Za-z]{2}", re.sub(r"\{[a-z_]+\}", "", text))
        and catalogue[key] == text
        and key not in SAME_AS_ENGLISH[language]
    ]
    assert copied == []


def test_unknown_domain_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"unknown message domain 'nope'; the domains are"):
        messages("nope", "es")
    with pytest.raises(RiskkitError, match=r"invalid message domain '\.\./x'"):
        messages("../x", "es")


def test_messages_returns_a_copy() -> None:
    first = messages("audit", "en")
    first["title"] = "changed"
    assert messages("audit", "en")["title"] == "Fairness audit"


def test_rendering_imports_matplotlib_and_fpdf_only_when_drawing() -> None:
    # Read from the modules' top-level statements: importing them (the command line does)
    # must not load matplotlib or fpdf2, which only drawing and printing need.
    import ast
    import inspect

    for module in (audit_report, fairness_plots):
        tree = ast.parse(inspect.getsource(module))
        top_level: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.Import):
                top_level += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                top_level.append(node.module)
        assert not [m for m in top_level if m.split(".")[0] in ("matplotlib", "fpdf")], module

"""Case, caseload and facility reports: HTML and PDF in es, pt and en, from real scores."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from riskkit.config import PipelineConfig, load_pipeline
from riskkit.data.sources import load_records
from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.estimators.needs import NeedsModel
from riskkit.features.registry import default_registry
from riskkit.reports.case_report import (
    build_case_content,
    render_case_html,
    render_case_pdf,
)
from riskkit.reports.caseload_report import (
    CaseloadEntry,
    facility_summary,
    render_caseload_html,
    render_caseload_pdf,
    render_facility_html,
    render_facility_pdf,
)
from riskkit.reports.i18n import SUPPORTED_LANGUAGES, messages
from riskkit.scoring.batch import score_file
from riskkit.scoring.catalogue import NEED_DOMAINS, Catalogue, load_catalogue
from riskkit.scoring.interventions import programme_demand
from riskkit.scoring.results import ScoreResult
from riskkit.scoring.score import ScoredCases, apply_override, score_cases
from riskkit.tracking import LoadedModel, ModelBundle
from riskkit.training.pipeline import build_model

ROOT = Path(__file__).resolve().parent.parent
WHEN = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
TITLES = {
    "es": "Informe de evaluación de riesgo",
    "pt": "Relatório de avaliação de risco",
    "en": "Risk assessment report",
}
UNITS = {"es": "puntos porcentuales", "pt": "pontos percentuais", "en": "percentage points"}


@dataclasses.dataclass(frozen=True)
class Setting:
    model: LoadedModel
    config: PipelineConfig
    cases: pd.DataFrame
    needs: NeedsModel
    catalogue: Catalogue
    scored: ScoredCases  # with needs model and catalogue, 12 people
    results: list[ScoreResult]  # the same, one full result each
    folder: Path


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Setting:
    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"n_estimators": 80})}
    )
    folder = tmp_path_factory.mktemp("case_report")
    population = generate_population(3000, seed=21)
    population.to_csv(folder / "train.csv", index=False)
    generate_population(12, seed=22).to_csv(folder / "cases.csv", index=False)
    train = load_records(config, folder / "train.csv").validation.valid
    features = config.features.use
    model = build_model(config).fit(train[features], train[config.target.column].astype(int))
    loaded = LoadedModel(
        name="recidivism", version=3, alias="champion", stored=ModelBundle(model, config)
    )
    labels = population[[c for c in population.columns if c.startswith("need_")]]
    assert len(labels) == len(train)  # every synthetic record is valid
    needs = NeedsModel(n_estimators=30, n_jobs=1).fit(train[features], labels.set_axis(train.index))
    catalogue = load_catalogue(ROOT / "catalogues" / "example.toml")
    cases = load_records(config, folder / "cases.csv", purpose="score").validation.valid
    scored = score_cases(loaded, cases, needs_model=needs, catalogue=catalogue, scored_at=WHEN)
    return Setting(loaded, config, cases, needs, catalogue, scored, list(scored), folder)


def _with_recourse(setting: Setting) -> ScoreResult:
    found = [r for r in setting.results if r.recourse is not None and r.recourse.found]
    assert found, "the fixture should hold someone whom a change moves to a lower band"
    return found[0]


def _visible(html: str) -> str:
    """The page's text, without tags (attributes such as aria-label are dropped)."""
    return re.sub(r"<[^>]+>", " ", html)


# --- the case report ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_language_renders_translated(setting: Setting, language: str) -> None:
    result = _with_recourse(setting)
    html = render_case_html(result, config=setting.config, language=language)
    assert TITLES[language] in html and f'<html lang="{language}">' in html
    registry = default_registry()
    top = result.contributions[0]
    label = registry[top.feature].label(language)
    assert re.search(re.escape(label) + r" \([^)]*\): [+−]\d+[.,]\d " + UNITS[language], html)
    assert not PLACEHOLDER.search(html), PLACEHOLDER.findall(html)
    text = _visible(html)
    # no registry code where a label exists: feature names, need domains, category codes
    codes = [name for name in registry if "_" in name] + [d for d in NEED_DOMAINS if "_" in d]
    assert [c for c in codes if re.search(rf"\b{c}\b", text)] == []
    for c in result.contributions:
        feature = registry[c.feature]
        shown = feature.category_labels.get(str(c.value))
        if shown is not None and str(c.value) not in shown[language]:
            assert f"<td>{c.value}</td>" not in html
    assert "<script" not in html and "http" not in html.replace(
        "http-equiv", ""
    )  # self-contained: no script, no link to fetch
    # the notice of what the score is not, and how to contest it
    catalogue = messages("case", language)
    for key in ("notice_not_decision", "notice_arrests", "notice_population", "contest_logged"):
        assert str(escape(catalogue[key])) in html


def test_same_input_gives_the_same_report(setting: Setting) -> None:
    result = _with_recourse(setting)
    first = render_case_html(result, config=setting.config, language="es")
    assert render_case_html(result, config=setting.config, language="es") == first
    again = score_cases(
        setting.model,
        setting.cases,
        needs_model=setting.needs,
        catalogue=setting.catalogue,
        scored_at=WHEN,
    )
    same = next(r for r in again if r.person_id == result.person_id)
    assert render_case_html(same, config=setting.config, language="es") == first
    # only the time of scoring differs between two runs
    later = dataclasses.replace(same, scored_at="2026-02-01T08:00:00+00:00")
    changed = render_case_html(later, config=setting.config, language="es")
    assert changed != first
    assert changed.replace("2026-02-01 08:00 UTC", "2026-01-15 09:30 UTC") == first


def test_override_shows_both_bands_and_the_reason(setting: Setting) -> None:
    result = setting.results[0]
    names = setting.config.band_names()
    other = next(n for n in names if n != result.band)
    overridden = apply_override(
        result, other, "Apoyo familiar confirmado por el equipo.", band_names=names
    )
    labels = {b.name: b.labels["es"] for b in setting.config.bands}
    html = render_case_html(overridden, config=setting.config, language="es")
    assert (
        f"el modelo indicaba {labels[result.band]} y el nivel que se usa es {labels[other]}" in html
    )
    assert "Motivo registrado: Apoyo familiar confirmado por el equipo." in html
    assert f"<strong>{labels[other]}</strong>" in html  # the band used heads the report
    # the plan was made for the model's band: the report says to review it
    assert "revise la supervisión y las medidas" in html
    plain = render_case_html(result, config=setting.config, language="es")
    assert "el modelo indicaba" not in plain and "Motivo registrado" not in plain


def test_interval_is_shown_when_present_and_absent_otherwise(setting: Setting) -> None:
    result = setting.results[0]
    assert result.interval is None
    with_interval = dataclasses.replace(result, interval=(0.31, 0.44, 0.9))
    html = render_case_html(with_interval, config=setting.config, language="es")
    assert "Intervalo del 90 %: entre 31 % y 44 %." in html
    assert "si el modelo se hubiera entrenado con otra muestra" in html
    english = render_case_html(with_interval, config=setting.config, language="en")
    assert "90% interval: between 31% and 44%." in english
    plain = render_case_html(result, config=setting.config, language="es")
    assert "Intervalo del" not in plain and "otra muestra" not in plain
    # the population average is always there
    assert "frente a un promedio de" in plain


def test_needs_and_case_plan_sections_present_or_absent(setting: Setting) -> None:
    result = setting.results[0]
    assert result.needs is not None and result.case_plan is not None
    html = render_case_html(result, config=setting.config, language="pt")
    assert "<svg" in html and "Perfil de necessidades" in html
    assert html.count('role="img"') == len(result.needs.needs)
    plan = result.case_plan
    assert plan.supervision.label("pt") in html
    for measure in plan.measures:
        assert measure.label("pt") in html
    for programme in plan.programmes:
        assert programme.label("pt") in html
    text = messages("case", "pt")
    assert text["needs_absent"] not in html and text["plan_absent"] not in html

    bare = dataclasses.replace(result, needs=None, case_plan=None)
    html = render_case_html(bare, config=setting.config, language="pt")
    assert "<svg" not in html
    assert text["needs_absent"] in html and text["plan_absent"] in html


def test_recourse_in_words_with_its_caution(setting: Setting) -> None:
    result = _with_recourse(setting)
    assert result.recourse is not None
    change = result.recourse.changes[0]
    label = default_registry()[change.feature].label("es")
    html = render_case_html(result, config=setting.config, language="es")
    assert label[0].lower() + label[1:] in html
    assert re.search(r"el modelo situaría a la persona en el nivel \w+ \(de \d+ % a \d+ %\)", html)
    assert "no una obligación" in html
    english = render_case_html(result, config=setting.config, language="en")
    assert re.search(
        r"the model would place the person in the \w+ band \(from \d+% to \d+%\)", english
    )

    lowest = next(
        r for r in setting.results if r.recourse is not None and r.recourse.reason is not None
    )
    assert lowest.recourse is not None
    reason = messages("case", "es")[f"recourse_reason_{lowest.recourse.reason}"]
    assert reason in render_case_html(lowest, config=setting.config, language="es")
    missing = dataclasses.replace(result, recourse=None)
    unavailable = messages("case", "es")["recourse_unavailable"]
    assert unavailable in render_case_html(missing, config=setting.config, language="es")


def test_content_is_shared_and_unknown_languages_are_refused(setting: Setting) -> None:
    result = setting.results[0]
    content = build_case_content(result, config=setting.config, language="en")
    raising = [c for c in result.contributions if c.points > 0]
    assert len(content.raising) == min(5, len(raising))
    assert len(content.changeable) + len(content.static) == len(result.contributions)
    assert all(line.changeable for line in content.changeable)
    with pytest.raises(RiskkitError, match="unknown report language 'fr'"):
        render_case_html(result, config=setting.config, language="fr")


def _png_page(pdf: bytes, folder: Path) -> Path:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; cannot turn the PDF into PNG")
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source), str(folder / "page")],
        check=True,
        capture_output=True,
    )
    pages = sorted(folder.glob("page*.png"))
    assert len(pages) == 1
    return pages[0]


def _ink(png: Path) -> float:
    """The share of pixels that are not white."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return 1 - sum(histogram[245:]) / sum(histogram)


def test_pdf_is_deterministic_and_its_first_page_is_not_blank(
    setting: Setting, tmp_path: Path
) -> None:
    result = _with_recourse(setting)
    pdf = render_case_pdf(result, config=setting.config, language="es")
    assert pdf.startswith(b"%PDF")
    assert render_case_pdf(result, config=setting.config, language="es") == pdf
    assert _ink(_png_page(pdf, tmp_path)) > 0.02


@pytest.mark.parametrize("language", ["pt", "en"])
def test_pdf_renders_in_every_language(setting: Setting, language: str) -> None:
    bare = dataclasses.replace(setting.results[1], needs=None, case_plan=None, recourse=None)
    assert render_case_pdf(bare, config=setting.config, language=language).startswith(b"%PDF")


# --- caseload and facility ----------------------------------------------------------------------


def test_caseload_is_sorted_by_band_then_probability(setting: Setting) -> None:
    names = setting.config.band_names()
    results = list(setting.results)
    lowest = next(i for i, r in enumerate(results) if r.band == names[0])
    results[lowest] = apply_override(
        results[lowest], names[-1], "Amenaza reciente.", band_names=names
    )
    html = render_caseload_html(results, config=setting.config, language="es")
    shown = re.findall(r"<td>(SYN-\d+)</td>", html)
    expected = sorted(
        results, key=lambda r: (-names.index(r.final_band), -r.probability, r.person_id)
    )
    assert shown == [r.person_id for r in expected]
    assert shown.index(results[lowest].person_id) < sum(r.final_band == names[-1] for r in results)
    assert "nivel del modelo: bajo" in html
    assert not PLACEHOLDER.search(html)
    # the columns of ScoredCases give the same page as the full results
    assert render_caseload_html(setting.scored, config=setting.config, language="es") == (
        render_caseload_html(setting.results, config=setting.config, language="es")
    )
    pdf = render_caseload_pdf(results, config=setting.config, language="en")
    assert pdf.startswith(b"%PDF")


def test_facility_counts_add_up(setting: Setting) -> None:
    results = setting.results
    summary = facility_summary(results, config=setting.config, catalogue=setting.catalogue)
    n = len(results)
    assert summary.people == n
    assert sum(summary.bands.values()) == n and sum(summary.final_bands.values()) == n
    assert summary.with_needs_profile == n and summary.with_case_plan == n
    for levels in summary.needs.values():
        assert sum(levels.values()) == n
    assert sum(summary.top_needs.values()) == n
    plans = [r.case_plan for r in results if r.case_plan is not None]
    assert summary.programme_demand == programme_demand(plans, catalogue=setting.catalogue)
    assert [p.id for p in summary.programmes] == [p.id for p in setting.catalogue.programmes]
    assert {p.id: p.people for p in summary.programmes} == {
        k: v for k, v in summary.programme_demand.items() if not k.startswith("unmet:")
    }
    data = json.loads(json.dumps(summary.to_dict()))
    assert data["people"] == n and data["kind"] == "riskkit.facility_summary"
    # from the columns (needs profiles in one call) the same counts
    assert (
        facility_summary(
            setting.scored, config=setting.config, catalogue=setting.catalogue
        ).to_dict()
        == summary.to_dict()
    )
    # without needs model or catalogue: the band columns only
    bare = score_cases(setting.model, setting.cases, scored_at=WHEN)
    columns = facility_summary(bare, config=setting.config)
    assert columns.bands == summary.bands and columns.with_needs_profile == 0
    html = render_facility_html(summary, config=setting.config, language="es")
    for programme in setting.catalogue.programmes:
        assert programme.label.es in html
    assert "Demanda de programas" in html and not PLACEHOLDER.search(html)
    absent = render_facility_html(columns, config=setting.config, language="en")
    assert messages("caseload", "en")["needs_absent"] in absent
    assert render_facility_pdf(summary, config=setting.config, language="pt").startswith(b"%PDF")


def test_caseload_takes_entries(setting: Setting) -> None:
    entries = [CaseloadEntry.from_result(r, report=f"{r.person_id}.html") for r in setting.results]
    html = render_caseload_html(entries, config=setting.config, language="pt")
    assert f'<a href="{entries[0].person_id}.html">' in html
    with pytest.raises(RiskkitError, match="caseload reports take"):
        render_caseload_html(["x"], config=setting.config)  # type: ignore[list-item]


# --- batch scoring ------------------------------------------------------------------------------


def test_batch_writes_caseload_facility_and_pdfs(setting: Setting, tmp_path: Path) -> None:
    source = tmp_path / "three.csv"
    pd.read_csv(setting.folder / "cases.csv").head(3).to_csv(source, index=False)
    lines: list[str] = []
    say: Callable[[str], None] = lines.append
    summary = score_file(
        setting.model,
        source,
        tmp_path / "out",
        language="en",
        pdf=True,
        needs_model=setting.needs,
        catalogue=setting.catalogue,
        progress=say,
    )
    out = tmp_path / "out"
    data = summary.to_dict()
    assert data["caseload"] == str(out / "caseload.html")
    assert data["facility"] == str(out / "facility.html")
    assert data["facility_json"] == str(out / "facility.json")
    assert data["caseload_pdf"] == str(out / "caseload.pdf") and data["pdf_reports"] == 3
    index = pd.read_csv(out / "scores.csv")
    for row in index.itertuples():
        assert (out / str(row.pdf)).read_bytes().startswith(b"%PDF")
        assert (out / str(row.html)).is_file()
    facility = json.loads((out / "facility.json").read_text(encoding="utf-8"))
    assert facility["people"] == 3 and sum(facility["final_bands"].values()) == 3
    assert "Caseload by risk band" in (out / "caseload.html").read_text(encoding="utf-8")
    assert (out / "facility.pdf").read_bytes().startswith(b"%PDF")

    plain = score_file(setting.model, source, tmp_path / "plain")
    assert plain.caseload_path is not None and plain.caseload_path.is_file()
    assert plain.facility_json_path is not None and plain.facility_json_path.is_file()
    assert plain.caseload_pdf_path is None and not list((tmp_path / "plain").glob("*.pdf"))
    facility = json.loads(plain.facility_json_path.read_text(encoding="utf-8"))
    assert facility["with_case_plan"] == 0 and facility["programme_demand"] == {}


def test_reports_import_matplotlib_and_fpdf_only_when_drawing() -> None:
    import ast
    import inspect

    from riskkit.reports import case_report, caseload_report

    for module in (case_report, caseload_report):
        tree = ast.parse(inspect.getsource(module))
        top_level: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.Import):
                top_level += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                top_level.append(node.module)
        assert not [m for m in top_level if m.split(".")[0] in ("matplotlib", "fpdf")], module

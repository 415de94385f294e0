"""Case plans from a jurisdiction catalogue: supervision by risk band, alternative measures
(least restrictive first), programmes for the top needs, unmet needs and programme demand."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from riskkit.errors import RiskkitError
from riskkit.estimators.needs import DOMAINS, LEVELS, DomainNeed, NeedsProfile
from riskkit.features.registry import LANGUAGES, NeedDomain
from riskkit.scoring import catalogue as catalogue_module
from riskkit.scoring.catalogue import (
    Catalogue,
    CatalogueError,
    CatalogueText,
    MeasureEntry,
    ProgrammeEntry,
    ResponsivityEntry,
    SupervisionEntry,
    load_catalogue,
    parse_catalogue,
)
from riskkit.scoring.interventions import (
    DOMAIN_LABELS,
    LEVEL_LABELS,
    MAX_PROGRAMMES_ZERO,
    NO_MATCHING_NEEDS,
    NO_NEEDS_PROFILE,
    PLAN_SCHEMA_VERSION,
    UNMET_BELOW_MINIMUM_LEVEL,
    UNMET_NO_PROGRAMME,
    CasePlan,
    programme_demand,
    recommend_interventions,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalogues" / "example.toml"


@pytest.fixture(scope="module")
def example() -> Catalogue:
    return load_catalogue(EXAMPLE)


def profile(*needs: tuple[str, str]) -> NeedsProfile:
    """A needs profile ranked in the order given: (domain, level) pairs."""
    probabilities = {"high": 0.8, "moderate": 0.45, "low": 0.1}
    items: list[DomainNeed] = []
    for i, (domain, level) in enumerate(needs):
        items.append(DomainNeed(domain, probabilities[level] - i * 0.01, level))
    return NeedsProfile(tuple(items))


def pipeline_bands() -> list[str]:
    with (ROOT / "pipelines" / "recidivism.toml").open("rb") as handle:
        return [b["name"] for b in tomllib.load(handle)["bands"]]


def example_data() -> dict[str, Any]:
    """The example catalogue's tables, to edit."""
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def write_variant(tmp_path: Path, old: str, new: str, name: str = "bad.toml") -> Path:
    """The example catalogue with one piece of text replaced."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# -- the example catalogue --------------------------------------------------------------------
def test_example_loads_and_covers_the_pipeline_bands(example: Catalogue) -> None:
    bands = pipeline_bands()
    assert bands == ["low", "medium", "high"]
    example.check_bands(bands)  # no error
    load_catalogue(EXAMPLE, band_names=bands)
    assert example.source == str(EXAMPLE)
    assert example.jurisdiction.id == "example"
    assert "not the law of any country" in example.jurisdiction.legal_basis.en


def test_example_has_the_issue_programmes_and_measures(example: Catalogue) -> None:
    programmes = {p.id: p for p in example.programmes}
    for wanted in (
        "education",
        "employment_support",
        "housing_support",
        "substance_use_treatment",
        "mental_health_care",
        "family_support",
        "cognitive_behavioural",
    ):
        assert wanted in programmes
    assert set(programmes["cognitive_behavioural"].domains) == {
        "procriminal_attitudes",
        "antisocial_pattern",
        "companions",
    }
    measures = {m.id for m in example.measures}
    assert {"conditional_release", "early_release", "community_service"} <= measures
    assert {"electronic_monitoring", "suspended_sentence", "house_arrest"} <= measures
    intensity = [s.contacts_per_month for s in example.supervision]
    assert intensity == sorted(intensity)  # intensity proportional to risk


def test_catalogue_constants_match_the_needs_model() -> None:
    assert catalogue_module.LEVELS == LEVELS
    assert catalogue_module.NEED_DOMAINS == DOMAINS
    assert set(DOMAIN_LABELS) == {d.value for d in NeedDomain}
    assert set(LEVEL_LABELS) == set(LEVELS)


def test_every_label_exists_in_es_pt_en(example: Catalogue) -> None:
    entries: list[SupervisionEntry | MeasureEntry | ProgrammeEntry] = [
        *example.supervision,
        *example.measures,
        *example.programmes,
    ]
    texts: list[CatalogueText | ResponsivityEntry] = [
        example.jurisdiction.name,
        example.jurisdiction.legal_basis,
    ]
    for entry in entries:
        texts += [entry.label, entry.description]
        assert entry.label.es != entry.label.en  # translated, not copied
    for programme in example.programmes:
        texts += programme.responsivity
    for text in texts:
        labels = text.labels()
        for language in LANGUAGES:
            assert labels[language].strip()
    for labels in [*DOMAIN_LABELS.values(), *LEVEL_LABELS.values()]:
        for language in LANGUAGES:
            assert labels[language].strip()


def test_modules_import_without_heavy_packages() -> None:
    code = (
        "import sys\n"
        "import riskkit.scoring.interventions\n"
        "print(','.join(m for m in ('pandas', 'numpy', 'lightgbm', 'sklearn', 'mlflow') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# -- supervision and measures -----------------------------------------------------------------
@pytest.mark.parametrize("band", ["low", "medium", "high"])
def test_measures_least_restrictive_first_and_only_those_allowed(
    example: Catalogue, band: str
) -> None:
    plan = recommend_interventions(band, None, example)
    assert plan.supervision.band == band
    ranks = [m.restrictiveness for m in plan.measures]
    assert ranks == sorted(ranks)
    allowed = {m.id for m in example.measures if band in m.bands}
    assert [m.id for m in plan.measures] and {m.id for m in plan.measures} == allowed
    assert plan.measures_reason is None


def test_supervision_and_measures_follow_the_band(example: Catalogue) -> None:
    low = recommend_interventions("low", None, example)
    high = recommend_interventions("high", None, example)
    assert low.supervision.intensity == "minimal"
    assert high.supervision.intensity == "intensive"
    assert low.supervision.contacts_per_month < high.supervision.contacts_per_month
    assert low.measures[0].id == "suspended_sentence"
    assert "electronic_monitoring" not in {m.id for m in low.measures}
    assert "house_arrest" in {m.id for m in high.measures}


def test_unknown_band_is_refused(example: Catalogue) -> None:
    with pytest.raises(RiskkitError, match=r"band 'very_high' has no \[\[supervision\]\] entry"):
        recommend_interventions("very_high", None, example)


def test_a_band_without_measures_says_so() -> None:
    data = example_data()
    data["measures"] = [m for m in data["measures"] if "high" not in m["bands"]]
    plan = recommend_interventions("high", None, parse_catalogue(data))
    assert plan.measures == ()
    assert plan.measures_reason == "no_measure_for_band"


# -- programmes -------------------------------------------------------------------------------
def test_programmes_follow_the_top_needs(example: Catalogue) -> None:
    needs = profile(
        ("substance_use", "high"),
        ("housing", "high"),
        ("family_marital", "moderate"),
        ("mental_health", "moderate"),
        ("companions", "low"),
    )
    plan = recommend_interventions("medium", needs, example)
    assert [p.id for p in plan.programmes] == [
        "substance_use_treatment",
        "housing_support",
        "family_support",
    ]
    assert [p.need.domain for p in plan.programmes] == [
        "substance_use",
        "housing",
        "family_marital",
    ]
    assert [p.need.rank for p in plan.programmes] == [1, 2, 3]
    assert plan.programmes_reason is None
    # the fourth need has a programme but the plan holds three: deferred, not unmet
    assert [n.domain for n in plan.deferred_needs] == ["mental_health"]
    assert plan.unmet_needs == ()
    wider = recommend_interventions("medium", needs, example, max_programmes=4)
    assert [p.id for p in wider.programmes][-1] == "mental_health_care"
    assert wider.deferred_needs == ()


def test_programmes_respect_minimum_levels(example: Catalogue) -> None:
    # education needs a high education/employment need; a moderate one gets employment support
    moderate = recommend_interventions(
        "medium", profile(("education_employment", "moderate")), example
    )
    high = recommend_interventions("medium", profile(("education_employment", "high")), example)
    assert [p.id for p in moderate.programmes] == ["employment_support"]
    assert [p.id for p in high.programmes] == ["education"]
    # a low need warrants no programme, and is no unmet need either
    low = recommend_interventions(
        "medium", profile(("housing", "low"), ("substance_use", "low")), example
    )
    assert low.programmes == ()
    assert low.programmes_reason == NO_MATCHING_NEEDS
    assert low.unmet_needs == ()


def test_one_programme_covers_several_top_needs(example: Catalogue) -> None:
    needs = profile(
        ("procriminal_attitudes", "high"),
        ("housing", "high"),
        ("companions", "moderate"),
        ("substance_use", "moderate"),
        ("antisocial_pattern", "moderate"),
    )
    plan = recommend_interventions("high", needs, example)
    assert [p.id for p in plan.programmes] == [
        "cognitive_behavioural",
        "housing_support",
        "substance_use_treatment",
    ]
    cbt = plan.programmes[0]
    assert cbt.need.domain == "procriminal_attitudes"
    assert [n.domain for n in cbt.needs] == [
        "procriminal_attitudes",
        "companions",
        "antisocial_pattern",
    ]
    assert cbt.responsivity and {r.factor for r in cbt.responsivity} >= {"literacy", "gender"}


def test_unmet_needs_are_listed(example: Catalogue) -> None:
    needs = profile(
        ("criminal_history", "high"),  # supervision only: neither matched nor unmet
        ("leisure_recreation", "high"),  # no programme in the example
        ("housing", "moderate"),
        ("family_marital", "low"),
    )
    plan = recommend_interventions("medium", needs, example)
    assert [p.id for p in plan.programmes] == ["housing_support"]
    assert [(n.domain, n.level, n.rank, n.reason) for n in plan.unmet_needs] == [
        ("leisure_recreation", "high", 2, UNMET_NO_PROGRAMME)
    ]
    assert plan.unmet_needs[0].label("es") == "Ocio y tiempo libre"


def test_unmet_below_minimum_level(tmp_path: Path) -> None:
    path = write_variant(
        tmp_path,
        'domains = ["housing"]\nmin_level = "moderate"',
        'domains = ["housing"]\nmin_level = "high"',
    )
    plan = recommend_interventions("medium", profile(("housing", "moderate")), load_catalogue(path))
    assert plan.programmes == ()
    assert plan.programmes_reason == NO_MATCHING_NEEDS
    assert [(n.domain, n.reason) for n in plan.unmet_needs] == [
        ("housing", UNMET_BELOW_MINIMUM_LEVEL)
    ]


def test_no_needs_profile_means_no_programmes_with_the_reason(example: Catalogue) -> None:
    plan = recommend_interventions("high", None, example)
    assert plan.programmes == () and plan.unmet_needs == () and plan.deferred_needs == ()
    assert plan.programmes_reason == NO_NEEDS_PROFILE == "no_needs_profile"
    assert plan.to_dict()["programmes_reason"] == "no_needs_profile"


def test_max_programmes(example: Catalogue) -> None:
    needs = profile(("housing", "high"), ("substance_use", "high"))
    zero = recommend_interventions("medium", needs, example, max_programmes=0)
    assert zero.programmes == ()
    assert zero.programmes_reason == MAX_PROGRAMMES_ZERO
    assert [n.domain for n in zero.deferred_needs] == ["housing", "substance_use"]
    one = recommend_interventions("medium", needs, example, max_programmes=1)
    assert [p.id for p in one.programmes] == ["housing_support"]
    for bad in (-1, 1.5, True):
        with pytest.raises(RiskkitError, match=r"max_programmes="):
            recommend_interventions("medium", needs, example, max_programmes=bad)  # type: ignore[arg-type]


def test_needs_must_be_a_profile(example: Catalogue) -> None:
    with pytest.raises(RiskkitError, match=r"pass a NeedsProfile"):
        recommend_interventions("low", {"housing": "high"}, example)  # type: ignore[arg-type]


# -- output -----------------------------------------------------------------------------------
def test_to_dict_is_json_safe_and_versioned(example: Catalogue) -> None:
    needs = profile(("procriminal_attitudes", "high"), ("leisure_recreation", "moderate"))
    plan = recommend_interventions("medium", needs, example)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["kind"] == "riskkit.case_plan"
    assert data["schema_version"] == PLAN_SCHEMA_VERSION == 1
    assert data["jurisdiction"] == {"id": "example", "version": "2026.1"}
    assert data["band"] == "medium"
    assert data["supervision"]["intensity"] == "standard"
    assert [m["restrictiveness"] for m in data["measures"]] == sorted(
        m["restrictiveness"] for m in data["measures"]
    )
    programme = data["programmes"][0]
    assert programme["id"] == "cognitive_behavioural"
    assert programme["needs"][0]["domain"] == "procriminal_attitudes"
    assert set(programme["label"]) == {"es", "pt", "en"}
    assert data["unmet_needs"][0]["reason"] == "no_programme"


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_plan_labels_in_each_language(example: Catalogue, language: str) -> None:
    needs = profile(("substance_use", "high"), ("leisure_recreation", "high"))
    plan = recommend_interventions("high", needs, example)
    labels = plan.labels(language)
    assert labels["supervision"] == plan.supervision.label(language)
    assert set(labels["measures"]) == {m.id for m in plan.measures}
    assert (
        labels["programmes"]["substance_use_treatment"]
        == example.programme("substance_use_treatment").label.model_dump()[language]
    )
    assert set(labels["needs"]) == {"substance_use", "leisure_recreation"}
    assert all(text.strip() for text in labels["measures"].values())
    programme = plan.programmes[0]
    assert programme.description(language) and programme.responsivity[0].text(language)


def test_unknown_language_is_refused(example: Catalogue) -> None:
    plan = recommend_interventions("low", None, example)
    with pytest.raises(RiskkitError, match=r"unknown language 'fr'"):
        plan.labels("fr")


def test_programme_demand(example: Catalogue) -> None:
    plans: list[CasePlan] = [
        recommend_interventions(
            "high", profile(("substance_use", "high"), ("leisure_recreation", "high")), example
        ),
        recommend_interventions(
            "medium",
            profile(("companions", "high"), ("substance_use", "moderate"), ("housing", "moderate")),
            example,
        ),
        recommend_interventions("low", None, example),
        recommend_interventions("medium", profile(("leisure_recreation", "moderate")), example),
    ]
    demand = programme_demand(plans)
    assert demand == {
        "substance_use_treatment": 2,
        "housing_support": 1,
        "cognitive_behavioural": 1,
        "unmet:leisure_recreation": 2,
    }
    full = programme_demand(plans, catalogue=example)
    assert list(full)[: len(example.programmes)] == [p.id for p in example.programmes]
    assert full["education"] == 0 and full["substance_use_treatment"] == 2
    assert programme_demand([]) == {}
    with pytest.raises(RiskkitError, match=r"takes CasePlan objects"):
        programme_demand([{"programmes": []}])  # type: ignore[list-item]


# -- bad catalogues ---------------------------------------------------------------------------
def test_unknown_domain_names_the_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'domains = ["housing"]', 'domains = ["housng"]')
    with pytest.raises(
        RiskkitError,
        match=r"key 'programmes\.2\.domains' \(programme 'housing_support'\): unknown need domain 'housng' \(did you mean 'housing'\?\); allowed: criminal_history",
    ) as info:
        load_catalogue(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, CatalogueError)


def test_unknown_band_names_the_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'bands = ["high"]', 'bands = ["hihg"]')
    with pytest.raises(
        RiskkitError,
        match=r"key 'measures\.6\.bands' \(measure 'house_arrest'\): unknown band 'hihg' \(did you mean 'high'\?\); allowed: low, medium, high",
    ):
        load_catalogue(path)


def test_duplicate_id_names_the_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'id = "family_support"', 'id = "housing_support"')
    with pytest.raises(
        RiskkitError, match=r"key 'programmes\.id': duplicate id 'housing_support' \(entries 2, 5\)"
    ):
        load_catalogue(path)


def test_missing_band_names_the_band(example: Catalogue) -> None:
    with pytest.raises(
        RiskkitError, match=r"key 'supervision': no entry for band 'very_high' of the pipeline"
    ):
        example.check_bands(["low", "medium", "high", "very_high"])
    data = example_data()
    data["supervision"] = [s for s in data["supervision"] if s["band"] != "medium"]
    for measure in data["measures"]:
        measure["bands"] = [b for b in measure["bands"] if b != "medium"]
    without_medium = parse_catalogue(data, source="no_medium.toml")
    with pytest.raises(
        CatalogueError,
        match=r"invalid jurisdiction catalogue no_medium.toml:\n  - key 'supervision': no entry "
        r"for band 'medium' of the pipeline \(pipeline bands: low, medium, high; catalogue "
        r"bands: low, high\)\. Add a \[\[supervision\]\] table with band = 'medium'",
    ):
        without_medium.check_bands(pipeline_bands())
    with pytest.raises(CatalogueError, match=r"no entry for band 'medium'"):
        parse_catalogue(data, band_names=pipeline_bands())


def test_bad_level_and_keys_name_the_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'min_level = "high"', 'min_level = "severe"')
    with pytest.raises(
        RiskkitError,
        match=r"key 'programmes\.0\.min_level': 'severe' is not a need level; allowed: low, moderate, high",
    ):
        load_catalogue(path)
    path = write_variant(tmp_path, "capacity = 120", "places = 120", name="key.toml")
    with pytest.raises(
        RiskkitError,
        match=r"unknown key 'programmes\.0\.places'; allowed keys here: id, domains, min_level, capacity",
    ):
        load_catalogue(path)
    path = write_variant(tmp_path, 'label.pt = "Apoio ao emprego"\n', "", name="pt.toml")
    with pytest.raises(RiskkitError, match=r"missing required key 'programmes\.1\.label\.pt'"):
        load_catalogue(path)


def test_all_problems_at_once(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'domains = ["housing"]', 'domains = ["housng"]')
    text = path.read_text(encoding="utf-8")
    text = text.replace('bands = ["high"]', 'bands = ["hihg"]')
    text = text.replace('id = "family_support"', 'id = "housing_support"')
    text = text.replace('id = "early_release"', 'id = "Early release"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"invalid jurisdiction catalogue") as info:
        load_catalogue(path)
    problems = "\n".join(info.value.problems)
    assert len(info.value.problems) == 4, problems
    for part in ("housng", "hihg", "duplicate id 'housing_support'", "'Early release' must be"):
        assert part in problems
    assert str(info.value).startswith(f"invalid jurisdiction catalogue {path}:")


def test_programme_for_a_supervision_only_domain_is_refused(tmp_path: Path) -> None:
    path = write_variant(tmp_path, 'domains = ["family_marital"]', 'domains = ["criminal_history"]')
    with pytest.raises(
        RiskkitError, match=r"'criminal_history' is listed in needs\.supervision_only"
    ):
        load_catalogue(path)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"the file does not exist"):
        load_catalogue(tmp_path / "nowhere.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("[jurisdiction\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"not valid TOML"):
        load_catalogue(bad)


def test_parse_catalogue_from_data(example: Catalogue) -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert parse_catalogue(data, source="inline") == parse_catalogue(data, source="inline")
    data["supervision"] = []
    with pytest.raises(
        CatalogueError, match=r"invalid jurisdiction catalogue inline:\n.*key 'supervision'"
    ):
        parse_catalogue(data, source="inline")

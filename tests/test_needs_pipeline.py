"""Needs pipelines: configuration, training, registration, loading and the model card.

One small synthetic population (2,500 people, 30 trees per domain) and one MLflow store serve the
whole module; the NIJ test needs the real data (``RISKKIT_DATA_DIR``) and skips without it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from riskkit.cli import app
from riskkit.config import PipelineConfig, load_pipeline
from riskkit.errors import ConfigError, RiskkitError
from tests.conftest import SMALL_PIPELINE

ROOT = Path(__file__).resolve().parent.parent
NEEDS_TOML = (ROOT / "pipelines" / "needs.toml").read_text(encoding="utf-8")
NIJ_NEEDS_TOML = (ROOT / "pipelines" / "nij_needs.toml").read_text(encoding="utf-8")
DOMAINS = (
    "criminal_history",
    "education_employment",
    "family_marital",
    "leisure_recreation",
    "companions",
    "substance_use",
    "procriminal_attitudes",
    "antisocial_pattern",
    "housing",
    "mental_health",
)
runner = CliRunner()


def small_needs(text: str = NEEDS_TOML) -> str:
    """The shipped synthetic needs pipeline on 2,500 people with 30 trees per domain."""
    return text.replace("rows = 20000", "rows = 2500").replace(
        "n_estimators = 150", "n_estimators = 30"
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- configuration --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["needs.toml", "nij_needs.toml"])
def test_needs_pipelines_load_without_target_or_bands(name: str) -> None:
    config = load_pipeline(ROOT / "pipelines" / name)
    assert config.model.kind == "needs"
    assert config.needs is not None
    assert config.target_config is None
    assert config.bands == []
    assert config.split.method in ("random", "column")
    with pytest.raises(RiskkitError, match=r"has no \[target\]: it is a needs pipeline"):
        _ = config.target


def test_needs_pipeline_survives_a_json_round_trip() -> None:
    config = load_pipeline(ROOT / "pipelines" / "nij_needs.toml")
    assert PipelineConfig.model_validate_json(config.model_dump_json()) == config
    risk = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    assert '"target"' in risk.model_dump_json()
    assert PipelineConfig.model_validate_json(risk.model_dump_json()) == risk


def test_risk_pipeline_without_target_is_refused(tmp_path: Path) -> None:
    text = SMALL_PIPELINE.replace('[target]\ncolumn = "rearrest_24m"\n', "")
    path = write(tmp_path, "p.toml", text)
    with pytest.raises(
        ConfigError,
        match=r"missing required key 'target': a risk pipeline \(\[model\] kind = "
        r"'additive_boosted'\) predicts one outcome",
    ) as info:
        load_pipeline(path)
    assert str(path) in str(info.value)


def test_risk_pipeline_without_bands_is_refused(tmp_path: Path) -> None:
    text = SMALL_PIPELINE[: SMALL_PIPELINE.index("[[bands]]")] + (
        '[tracking]\nexperiment = "tests"\nmodel_name = "small"\n'
    )
    with pytest.raises(ConfigError, match=r"missing required key 'bands': a risk pipeline"):
        load_pipeline(write(tmp_path, "p.toml", text))


def test_needs_pipeline_refuses_target_bands_and_risk_sections(tmp_path: Path) -> None:
    text = (
        NEEDS_TOML.replace("[split]", '[target]\ncolumn = "rearrest_24m"\n\n[split]')
        + '\n[[bands]]\nname = "all"\nmax_probability = 1.0\n'
        + "\n[calibration]\nmethod = 'platt'\n"
    )
    with pytest.raises(ConfigError, match=r"a needs pipeline has no single target") as info:
        load_pipeline(write(tmp_path, "p.toml", text))
    problems = info.value.problems
    assert any(
        re.search(r"key 'target': a needs pipeline has no single target .*'rearrest_24m'", p)
        for p in problems
    ), problems
    assert any(re.search(r"key 'bands': .*found 1 \[\[bands\]\]", p) for p in problems)
    assert any(re.search(r"key 'calibration': not read by a needs pipeline", p) for p in problems)


def test_needs_kind_requires_a_needs_section(tmp_path: Path) -> None:
    start, end = NEEDS_TOML.index("\n[needs]\n"), NEEDS_TOML.index("\n[sensitive]\n")
    text = NEEDS_TOML[:start] + NEEDS_TOML[end:]
    with pytest.raises(ConfigError, match=r"missing required key 'needs'.*'columns' or"):
        load_pipeline(write(tmp_path, "p.toml", text))


def test_needs_section_is_refused_in_a_risk_pipeline(tmp_path: Path) -> None:
    text = SMALL_PIPELINE + '\n[needs]\nlabels = "columns"\n'
    with pytest.raises(ConfigError, match=r"key 'needs': only read when \[model\] kind = 'needs'"):
        load_pipeline(write(tmp_path, "p.toml", text))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'labels = "columns"',
            'labels = "assessments"',
            r"key 'needs.labels': .*'columns' or 'nij_proxies'.*found 'assessments'",
        ),
        (
            "min_auc = 0.6",
            'min_auc = 0.6\ndomains = ["housing", "housng"]',
            r"key 'needs.domains': .*unknown need domain\(s\) \['housng'\]; allowed domains: "
            r"criminal_history",
        ),
        (
            "level_thresholds = [0.3, 0.6]",
            "level_thresholds = [0.6, 0.3]",
            r"key 'needs.level_thresholds': .*0 < low < high < 1.*found \[0.6, 0.3\]",
        ),
        (
            "min_auc = 0.6",
            'min_auc = 0.6\nexclude_features = { housing = ["housng"] }',
            r"key 'needs.exclude_features.housing': unknown feature 'housng'",
        ),
        (
            'method = "random"',
            'method = "stratified"',
            r"key 'split.method': 'stratified' .*found 'stratified'.*allowed: random, time",
        ),
    ],
)
def test_needs_settings_errors_name_key_value_and_allowed(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in NEEDS_TOML
    with pytest.raises(ConfigError, match=message):
        load_pipeline(write(tmp_path, "p.toml", NEEDS_TOML.replace(old, new)))


def test_nij_proxies_refuse_supervision_variables_as_inputs(tmp_path: Path) -> None:
    text = NIJ_NEEDS_TOML.replace(
        '    "nij_condition_other",\n]',
        '    "nij_condition_other",\n    "nij_percent_days_employed",\n]',
    )
    with pytest.raises(
        ConfigError,
        match=r"\['nij_percent_days_employed'\] are recorded during parole supervision.*only as "
        r"labels, never as inputs",
    ):
        load_pipeline(write(tmp_path, "p.toml", text))


def test_nij_proxies_refuse_domains_without_a_proxy(tmp_path: Path) -> None:
    text = NIJ_NEEDS_TOML.replace(
        "min_auc = 0.6", 'min_auc = 0.6\ndomains = ["housing", "family_marital"]'
    )
    with pytest.raises(
        ConfigError, match=r"key 'needs.domains': \['family_marital'\] have no NIJ proxy"
    ):
        load_pipeline(write(tmp_path, "p.toml", text))


# -- training, registration and loading ----------------------------------------------------
@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder with the small needs pipeline, its own MLflow store, as working directory."""
    folder = tmp_path_factory.mktemp("needs")
    write(folder, "needs.toml", small_needs())
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(folder)
        yield folder


@pytest.fixture(scope="module")
def trained(workspace: Path) -> dict[str, Any]:
    """The small needs pipeline trained once through the command line (``--json``)."""
    result = runner.invoke(app, ["train", "needs.toml", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_training_registers_a_champion_and_writes_the_card(
    trained: dict[str, Any], workspace: Path
) -> None:
    assert trained["kind"] == "needs"
    assert trained["version"] == 1
    assert trained["promoted"] is True
    assert trained["alias"] == "champion"
    assert list(trained["domains"]) == list(DOMAINS)
    out = workspace / "models" / "needs" / "v1"
    card = (out / "model_card.md").read_text(encoding="utf-8")
    page = (out / "model_card.html").read_text(encoding="utf-8")
    assert "SIMULATED LABELS" in card and "simulated assessments" in card
    assert "SIMULATED LABELS" in page
    for domain, figures in trained["domains"].items():
        assert f"### {domain}" in card
        assert f"| {domain} |" in card
        assert f"{figures['auc']:.3f} ({figures['auc_low']:.3f}–{figures['auc_high']:.3f})" in card
        assert figures["auc_low"] <= figures["auc"] <= figures["auc_high"]
        assert domain in page
    assert "| moderate | 0.30 to below 0.60 |" in card
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["metrics"] == trained["metrics"]
    assert {d["domain"] for d in saved["domains"]} == set(DOMAINS)
    assert saved["label_groups"], "labels are counted by sensitive group"


def test_the_run_logs_per_domain_metrics_data_hash_and_versions(trained: dict[str, Any]) -> None:
    from mlflow.tracking import MlflowClient

    run = MlflowClient().get_run(trained["run_id"])
    assert run.data.metrics["housing_test_auc"] == pytest.approx(
        trained["domains"]["housing"]["auc"]
    )
    assert run.data.params["model.seed"] == "7"
    assert run.data.tags["model_kind"] == "needs"
    assert len(run.data.tags["data_sha256"]) == 64
    assert "version_lightgbm" in run.data.tags
    artifacts = {a.path for a in MlflowClient().list_artifacts(trained["run_id"])}
    assert {"model_card.md", "model_card.html", "metrics.json"} <= artifacts


def test_loaded_model_gives_the_same_profiles_as_the_fitted_one(
    trained: dict[str, Any], workspace: Path
) -> None:
    from riskkit.tracking import load_model
    from riskkit.training.needs import build_needs_model, load_needs_data

    config = load_pipeline(workspace / "needs.toml")
    data = load_needs_data(config)
    fitted = build_needs_model(config).fit(
        data.records.loc[data.train_index, config.features.use],
        data.labels.loc[data.train_index],
    )
    X = data.records.loc[data.test_index[:50], config.features.use]
    loaded = load_model("needs@champion")
    assert loaded.kind == "needs"
    assert [p.to_dict() for p in loaded.needs_model.profiles(X)] == [
        p.to_dict() for p in fitted.profiles(X)
    ]
    with pytest.raises(RiskkitError, match=r"is a needs model .*not a risk score"):
        _ = loaded.bundle


def test_pyfunc_gives_a_probability_and_a_level_per_domain(
    trained: dict[str, Any], workspace: Path
) -> None:
    import mlflow.pyfunc

    from riskkit.tracking import load_model, pyfunc_input
    from riskkit.training.needs import load_needs_data

    model = load_model("needs@champion").needs_model
    config = load_pipeline(workspace / "needs.toml")
    data = load_needs_data(config)
    X = data.records.loc[data.test_index[:20], config.features.use]
    output = mlflow.pyfunc.load_model("models:/needs@champion").predict(pyfunc_input(X))
    assert list(output.columns) == [
        column for d in DOMAINS for column in (f"probability_{d}", f"level_{d}")
    ]
    expected = model.predict_proba(X)
    for domain in DOMAINS:
        np.testing.assert_allclose(
            output[f"probability_{domain}"].to_numpy(), expected[domain].to_numpy(), atol=1e-12
        )
        assert set(output[f"level_{domain}"]) <= {"low", "moderate", "high"}


def test_same_seed_gives_identical_metrics(trained: dict[str, Any], workspace: Path) -> None:
    from riskkit.training.pipeline import train

    again = train(load_pipeline(workspace / "needs.toml"))
    assert again.version > trained["version"]
    assert again.metrics == trained["metrics"]
    assert again.promoted  # equal to the champion in every domain


def test_a_domain_below_min_auc_blocks_promotion(trained: dict[str, Any], workspace: Path) -> None:
    from mlflow.tracking import MlflowClient

    from riskkit.training.pipeline import train

    auc = trained["domains"]
    bar = round((auc["leisure_recreation"]["auc"] + auc["housing"]["auc"]) / 2, 2)
    text = small_needs().replace(
        "min_auc = 0.6", f'min_auc = {bar}\ndomains = ["housing", "leisure_recreation"]'
    )
    result = train(load_pipeline(write(workspace, "strict.toml", text)))
    assert result.promoted is False
    assert result.alias is None
    assert "leisure_recreation: test AUC" in result.promotion
    assert f"below needs.min_auc {bar:.3f}" in result.promotion
    assert "housing:" not in result.promotion
    client = MlflowClient()
    assert client.get_model_version("needs", str(result.version)).tags["promotion"] == (
        result.promotion
    )
    assert int(client.get_model_version_by_alias("needs", "champion").version) < result.version
    saved = json.loads((result.output_dir / "metrics.json").read_text(encoding="utf-8"))
    assert saved["promotion"]["reasons"] == [result.promotion.removeprefix("not promoted: ")]
    card = result.files["card"].read_text(encoding="utf-8")
    assert "| FAILED |" in card
    assert "left out by the pipeline ([needs] domains)" in card


def test_cli_prints_one_line_per_domain(trained: dict[str, Any], workspace: Path) -> None:
    text = (
        small_needs()
        .replace("n_estimators = 30", "n_estimators = 5")
        .replace("min_auc = 0.6", 'min_auc = 0.5\ndomains = ["housing"]')
    )
    write(workspace, "one.toml", text)
    result = runner.invoke(app, ["train", "one.toml"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"needs v\d+ \(.*\); card: models/needs/v\d+/model_card.md", result.stdout)
    assert re.search(r"housing\s+test AUC 0\.\d{3} \(0\.\d{3}-0\.\d{3}\), Brier", result.stdout)


# -- NIJ Georgia (real data) ---------------------------------------------------------------
def test_nij_card_says_proxy_for_every_domain(data_root: Path, workspace: Path) -> None:
    from riskkit.data.need_proxies import PROXY_DEFINITIONS
    from riskkit.training.needs import NIJ_DOMAINS_WITHOUT_PROXY
    from riskkit.training.pipeline import train

    text = NIJ_NEEDS_TOML.replace("n_estimators = 300", "n_estimators = 20")
    result = train(load_pipeline(write(workspace, "nij_needs.toml", text)))
    card = result.files["card"].read_text(encoding="utf-8")
    assert "PROXY LABELS: NOT NEEDS ASSESSMENTS" in card
    for domain, definition in PROXY_DEFINITIONS.items():
        assert f"### {domain} (PROXY label)" in card
        assert definition in card
        assert f"| {domain} (PROXY) |" in card
    for domain in NIJ_DOMAINS_WITHOUT_PROXY:
        assert re.search(rf"\| {domain} \| no proxy: ", card), domain
    assert "used only as labels, never as inputs" in card
    assert "companions is trained on men only" in card
    assert "`gang_affiliation` (source of this domain's proxy label" in card
    assert result.n_train == 18028 and result.n_test == 7807

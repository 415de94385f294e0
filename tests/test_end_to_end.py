"""The thin end-to-end path on a small synthetic population: synth -> validate -> train ->
score -> audit, through the command line, against an isolated MLflow store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskkit.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a quick pipeline and small synthetic populations."""
    folder = tmp_path_factory.mktemp("e2e")
    text = (ROOT / "pipelines" / "recidivism.toml").read_text(encoding="utf-8")
    text = text.replace("n_estimators = 400", "n_estimators = 120")
    (folder / "pipeline.toml").write_text(text, encoding="utf-8")
    for name, rows, seed in (("train.csv", 4000, 1), ("cohort.csv", 1500, 2), ("cases.csv", 6, 3)):
        result = runner.invoke(
            app,
            [
                "data",
                "synth",
                "--rows",
                str(rows),
                "--seed",
                str(seed),
                "--out",
                str(folder / name),
            ],
        )
        assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def trained(workspace: Path) -> dict[str, object]:
    """Train once for the module (MLflow store inside the workspace)."""
    uri = f"sqlite:///{workspace / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(workspace)
        result = runner.invoke(
            app, ["train", "pipeline.toml", "--data", "train.csv", "--json"], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


@pytest.fixture
def in_workspace(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{workspace / 'mlflow.db'}")
    monkeypatch.chdir(workspace)
    return workspace


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    paths = []
    for name in ("a.csv", "b.csv"):
        result = runner.invoke(
            app, ["data", "synth", "--rows", "300", "--seed", "5", "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        paths.append(tmp_path / name)
    runner.invoke(
        app, ["data", "synth", "--rows", "300", "--seed", "6", "--out", str(tmp_path / "c.csv")]
    )
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != (tmp_path / "c.csv").read_bytes()


def test_synthetic_records_validate(workspace: Path) -> None:
    result = runner.invoke(
        app,
        [
            "data",
            "validate",
            str(workspace / "train.csv"),
            "--pipeline",
            str(workspace / "pipeline.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4000 record(s) read: 4000 valid, 0 rejected" in result.output


def test_validate_lists_problems_and_exits_non_zero(workspace: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(workspace / "cases.csv", dtype=str)
    frame.loc[1, "age"] = "seventy"
    frame.loc[3, "housing"] = "castle"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    result = runner.invoke(
        app,
        [
            "data",
            "validate",
            str(bad),
            "--pipeline",
            str(workspace / "pipeline.toml"),
            "--purpose",
            "score",
            "--rejects",
            str(tmp_path / "rejects.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "row 2, column 'age', value 'seventy': expected a whole number" in result.output
    assert "row 4, column 'housing', value 'castle': unknown category" in result.output
    assert "6 record(s) read: 4 valid, 2 rejected" in result.output
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    assert rejects["row"].tolist() == [2, 4]


def test_train_registers_champion_and_writes_card(
    trained: dict[str, object], workspace: Path
) -> None:
    assert trained["model"] == "recidivism"
    assert trained["version"] == 1
    assert trained["alias"] == "champion"
    metrics = trained["metrics"]
    assert isinstance(metrics, dict)
    assert 0.6 < metrics["test_auc"] < 0.9
    assert 0.0 < metrics["test_brier"] < 0.25
    out = workspace / "models" / "recidivism" / "v1"
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert saved["metrics"]["test_auc"] == metrics["test_auc"]
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "# Model card: recidivism v1" in card
    assert "Sensitive attributes (audit only, never inputs): sex, ethnicity, nationality" in card


def test_registered_model_loads_and_passes_integrity_check(
    trained: dict[str, object], in_workspace: Path
) -> None:
    from riskkit.tracking import load_model

    model = load_model("recidivism@champion")
    assert (model.name, model.version, model.alias) == ("recidivism", 1, "champion")
    assert list(model.bundle.estimator.feature_names_in_) == model.bundle.config.features.use


def test_unknown_model_names_what_exists(trained: dict[str, object], in_workspace: Path) -> None:
    result = runner.invoke(
        app, ["score", "--model", "recidivsm@champion", "--input", "cases.csv", "--out", "s"]
    )
    assert result.exit_code == 1
    assert "no registered model 'recidivsm'" in result.output
    assert "registered models: recidivism" in result.output
    result = runner.invoke(
        app, ["score", "--model", "recidivism@staging", "--input", "cases.csv", "--out", "s"]
    )
    assert "model 'recidivism' has no alias 'staging'" in result.output
    assert "champion->v1" in result.output


def test_score_writes_json_and_html_per_person(
    trained: dict[str, object], in_workspace: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "score",
            "--model",
            "recidivism@champion",
            "--input",
            "cases.csv",
            "--out",
            "scores",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["input"], summary["scored"], summary["rejected"]) == (6, 6, 0)
    cases = pd.read_csv(in_workspace / "cases.csv", dtype=str)
    for person_id in cases["person_id"]:
        data = json.loads(
            (in_workspace / "scores" / f"{person_id}.json").read_text(encoding="utf-8")
        )
        assert data["person_id"] == person_id
        assert data["model"] == {"name": "recidivism", "version": 1, "alias": "champion"}
        points = sum(c["points"] for c in data["contributions"])
        assert points == pytest.approx(
            data["probability"] - data["reference_probability"], abs=1e-12
        )
        assert data["band"] in ("low", "medium", "high")
        # The registered model carries its bootstrap refits: every score has its interval.
        interval = data["interval"]
        assert interval["method"] == "bootstrap" and interval["level"] == 0.9
        assert 0 <= interval["low"] <= interval["high"] <= 1
        html = (in_workspace / "scores" / f"{person_id}.html").read_text(encoding="utf-8")
        assert "Informe de evaluación de riesgo" in html
        assert person_id in html
        assert "puntos porcentuales" in html


def test_score_rejects_invalid_rows_with_reasons(
    trained: dict[str, object], in_workspace: Path
) -> None:
    cases = pd.read_csv(in_workspace / "cases.csv", dtype=str)
    cases.loc[2, "prior_convictions"] = "-3"
    cases.to_csv(in_workspace / "cases_bad.csv", index=False)
    result = runner.invoke(
        app,
        [
            "score",
            "--model",
            "recidivism",
            "--input",
            "cases_bad.csv",
            "--out",
            "scores_bad",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "5 scored, 1 rejected, 6 read" in result.output
    rejects = pd.read_csv(in_workspace / "scores_bad" / "rejects.csv")
    assert rejects["person_id"].tolist() == [cases.loc[2, "person_id"]]
    assert (
        "prior_convictions: outside the allowed range 0 to 60 (found '-3')" in rejects["reasons"][0]
    )
    scored = pd.read_csv(in_workspace / "scores_bad" / "scores.csv")
    assert len(scored) == 5
    html = (in_workspace / "scores_bad" / f"{scored['person_id'][0]}.html").read_text(
        encoding="utf-8"
    )
    assert "Risk assessment report" in html


def test_audit_writes_group_metrics(trained: dict[str, object], in_workspace: Path) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            "--model",
            "recidivism@champion",
            "--data",
            "cohort.csv",
            "--sensitive",
            "sex,ethnicity",
            "--out",
            "audit",
            "--lang",
            "es",
        ],
    )
    assert result.exit_code == 0, result.output
    audit = json.loads((in_workspace / "audit" / "audit.json").read_text(encoding="utf-8"))
    groups = {(g["attribute"], g["group"]): g for g in audit["groups"]}
    cohort = pd.read_csv(in_workspace / "cohort.csv", dtype=str)
    for sex, count in cohort["sex"].value_counts().items():
        assert groups[("sex", sex)]["n"] == count
    assert {g for a, g in groups if a == "ethnicity"} >= set(cohort["ethnicity"].unique())
    assert (in_workspace / "audit" / "audit.html").is_file()
    # The default threshold selects exactly the highest band: a probability on the medium
    # band's (inclusive) upper edge is not flagged.
    edge = 0.4  # pipelines/recidivism.toml: medium ends at 0.4
    assert audit["threshold"] == float(np.nextafter(edge, 1.0))


def test_audit_refuses_model_inputs_as_sensitive(
    trained: dict[str, object], in_workspace: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "audit",
            "--model",
            "recidivism",
            "--data",
            "cohort.csv",
            "--sensitive",
            "age",
            "--out",
            "a2",
        ],
    )
    assert result.exit_code == 1
    assert "['age'] are inputs of model recidivism@champion" in result.output


def test_pyfunc_returns_contributions(trained: dict[str, object], in_workspace: Path) -> None:
    import mlflow.pyfunc

    from riskkit.tracking import load_model, pyfunc_input

    model = load_model("recidivism@champion")
    features = model.bundle.config.features.use
    cases = pd.read_csv(in_workspace / "cases.csv")
    from riskkit.data.schema import RecordSchema
    from riskkit.data.validation import check_records

    typed = check_records(cases, RecordSchema.for_pipeline(model.bundle.config, purpose="score"))
    output = mlflow.pyfunc.load_model("models:/recidivism@champion").predict(
        pyfunc_input(typed[features])
    )
    expected = model.bundle.estimator.predict_proba(typed[features])[:, 1]
    np.testing.assert_allclose(output["probability"].to_numpy(), expected, rtol=0, atol=1e-12)
    points = output[[f"contribution_{f}" for f in features]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(
        points, expected - model.bundle.estimator.reference_probability_, atol=1e-12
    )


def test_card_ships_plots_scorecard_and_interpretability_cost(
    trained: dict[str, object], workspace: Path
) -> None:
    out = workspace / "models" / "recidivism" / "v1"
    for name in (
        "model_card.html",
        "calibration.png",
        "shape_functions.png",
        "shape_functions.csv",
        "shape_functions.json",
        "scorecard.es.html",
        "scorecard.pt.html",
        "scorecard.en.html",
    ):
        assert (out / name).is_file(), name
    saved = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(saved["comparison"]) == {"additive", "scorecard", "logistic", "lightgbm"}
    assert (
        saved["intervals"]["auc"]["low"]
        < saved["intervals"]["auc"]["value"]
        < saved["intervals"]["auc"]["high"]
    )
    assert saved["calibration"]["method"] in ("platt", "isotonic")
    card = (out / "model_card.md").read_text(encoding="utf-8")
    assert "## What interpretability costs" in card
    assert "### By group (test split)" in card
    assert "![calibration plot](calibration.png)" in card


def test_retraining_is_deterministic_and_a_worse_model_is_not_promoted(
    trained: dict[str, object], in_workspace: Path
) -> None:
    from mlflow.tracking import MlflowClient

    again = runner.invoke(
        app, ["train", "pipeline.toml", "--data", "train.csv", "--json"], catch_exceptions=False
    )
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert second["version"] == 2
    assert second["metrics"] == trained["metrics"]  # same config, data and seed
    assert second["promoted"] is True

    text = (in_workspace / "pipeline.toml").read_text(encoding="utf-8")
    start, end = text.index("use = ["), text.index("]", text.index("use = ["))
    worse = text[:start] + 'use = ["sentence_months", "pretrial_months"]' + text[end + 1 :]
    (in_workspace / "worse.toml").write_text(worse, encoding="utf-8")
    result = runner.invoke(
        app, ["train", "worse.toml", "--data", "train.csv", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    third = json.loads(result.stdout.strip().splitlines()[-1])
    assert third["version"] == 3
    assert third["promoted"] is False
    assert third["alias"] is None
    assert (
        "below the champion's (v2)" in third["promotion"]
        or "below promotion.min_auc" in third["promotion"]
    )
    client = MlflowClient()
    assert int(client.get_model_version_by_alias("recidivism", "champion").version) == 2
    assert client.get_model_version("recidivism", "3").tags["promotion"] == third["promotion"]
    saved = json.loads(
        (in_workspace / "models" / "recidivism" / "v3" / "metrics.json").read_text(encoding="utf-8")
    )
    assert saved["promotion"]["promoted"] is False
    assert saved["promotion"]["reasons"]


def test_group_metrics_include_calibration_with_intervals(
    trained: dict[str, object], workspace: Path
) -> None:
    saved = json.loads(
        (workspace / "models" / "recidivism" / "v1" / "metrics.json").read_text(encoding="utf-8")
    )
    judged = [g for g in saved["groups"] if not g["too_small"] and " × " not in g["attribute"]]
    assert {g["attribute"] for g in judged} == {"sex", "ethnicity", "nationality"}
    for group in judged:
        for name in ("log_loss", "ece", "calibration_slope", "calibration_intercept"):
            entry = group["metrics"][name]
            assert entry["low"] <= entry["high"], (group["group"], name)
        assert 0 <= group["metrics"]["ece"]["value"] < 0.5
    card = (workspace / "models" / "recidivism" / "v1" / "model_card.md").read_text(
        encoding="utf-8"
    )
    assert "| attribute | group | n | base rate | AUC | Brier | ECE | slope | FPR | FNR |" in card


def test_scores_go_to_the_log_which_verifies_exports_and_replays(
    trained: dict[str, object], in_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    url = f"sqlite:///{in_workspace / 'log_test.db'}"
    monkeypatch.delenv("RISKKIT_LOG_KEY", raising=False)
    refused = runner.invoke(
        app,
        ["score", "--model", "recidivism", "--input", "cases.csv", "--out", "l0", "--log", url],
    )
    assert refused.exit_code == 1, refused.output
    assert "set RISKKIT_LOG_KEY" in refused.output
    monkeypatch.setenv("RISKKIT_LOG_KEY", "ab" * 32)
    scored = runner.invoke(
        app,
        [
            "score",
            "--model",
            "recidivism",
            "--input",
            "cases.csv",
            "--out",
            "l1",
            "--log",
            url,
            "--user",
            "ana",
            "--html",
            "--json",
        ],
    )
    assert scored.exit_code == 0, scored.output
    summary = json.loads(scored.stdout.strip().splitlines()[-1])
    verified = runner.invoke(app, ["log", "verify", "--log", url])
    assert verified.exit_code == 0 and f"{summary['scored']} entries" in verified.output
    replayed = runner.invoke(app, ["log", "replay", "2", "--log", url])
    assert replayed.exit_code == 0 and "matches" in replayed.output
    exported = runner.invoke(app, ["log", "export", "--log", url, "--out", "log.csv"])
    assert exported.exit_code == 0
    log = pd.read_csv(in_workspace / "log.csv")
    assert len(log) == summary["scored"] and set(log["user"]) == {"ana"}
    people = pd.read_csv(in_workspace / "cases.csv", dtype=str)["person_id"]
    assert not set(log["person"]) & set(people)  # pseudonymised
    groups = [json.loads(text) for text in log["groups"]]
    assert all(set(g) == {"sex", "ethnicity", "nationality"} for g in groups)  # for auditors
    assert not {"sex", "ethnicity", "nationality"} & set(json.loads(log["inputs"].iloc[0]))
    db = sqlite3.connect(in_workspace / "log_test.db")
    changed = db.execute("update score_log set probability = 0.999 where id = 2").rowcount
    db.commit()
    db.close()
    assert changed == 1
    broken = runner.invoke(app, ["log", "verify", "--log", url])
    assert broken.exit_code == 1 and "broken at entry 2" in broken.output

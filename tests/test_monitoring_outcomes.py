"""The outcomes check (``riskkit monitor outcomes``) and recalibration (``riskkit recalibrate``):
a small model trained through the command line in a temporary MLflow store, then checked on a
fresh cohort of the same population (keep), on one whose base rate moved (recalibrate), and on
one whose outcomes carry no signal (retrain); recalibration registers a new version through the
promotion gates."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from riskkit.config import MonitoringConfig
from riskkit.monitoring.outcomes import Finding, recommend
from riskkit.monitoring.outcomes_cli import monitor_outcomes, recalibrate_command
from riskkit.training.evaluation import Estimate

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
monitor = typer.Typer()
monitor.command("outcomes")(monitor_outcomes)
app.add_typer(monitor, name="monitor")
app.command("recalibrate")(recalibrate_command)

#: Log-odds added to the model's probability for the base-rate-shifted cohorts.
SHIFT = 0.7


def _ece(y: np.ndarray, p: np.ndarray) -> float:
    from riskkit.metrics.calibration import expected_calibration_error

    return float(expected_calibration_error(y, p))


def _shift_outcomes(frame: pd.DataFrame, probability: np.ndarray, seed: int) -> pd.DataFrame:
    """Turn a share of 0 outcomes into 1, person by person, so that the outcome's log-odds rise
    by SHIFT while the ranking holds: a 0 becomes 1 with probability (q - p) / (1 - p), where
    p is the model's probability and q the shifted one."""
    rng = np.random.default_rng(seed)
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    q = 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + SHIFT)))
    y = frame["rearrest_24m"].to_numpy().astype(int)
    flip = (y == 0) & (rng.random(len(y)) < (q - p) / (1 - p))
    return frame.assign(rearrest_24m=np.where(flip, 1, y))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small recidivism model (v1, champion) in its own MLflow store, and four cohorts."""
    from riskkit.cli import app as riskkit_app
    from riskkit.data.synthetic import generate_population

    folder = tmp_path_factory.mktemp("outcomes")
    text = (ROOT / "pipelines" / "recidivism.toml").read_text(encoding="utf-8")
    text = text.replace("n_estimators = 400", "n_estimators = 200")
    text += "\n[uncertainty]\nn_bootstrap = 0\n"
    (folder / "pipeline.toml").write_text(text, encoding="utf-8")
    generate_population(8000, seed=1).to_csv(folder / "train.csv", index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
        patch.chdir(folder)
        result = runner.invoke(
            riskkit_app,
            ["train", "pipeline.toml", "--data", "train.csv", "--json"],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        from riskkit.data.sources import load_records
        from riskkit.tracking import load_model

        model = load_model("recidivism/1").bundle
        cohorts = {"fresh": 2, "shifted": 3, "shuffled": 4, "shifted_later": 5}
        for name, seed in cohorts.items():
            frame = generate_population(4000, seed=seed)
            if name.startswith("shifted"):
                frame.to_csv(folder / "tmp.csv", index=False)
                records = load_records(model.config, folder / "tmp.csv").validation.valid
                assert len(records) == len(frame)
                p = model.estimator.predict_proba(records[model.config.features.use])[:, 1]
                frame = _shift_outcomes(frame, p, seed)
            elif name == "shuffled":
                outcomes = frame["rearrest_24m"].to_numpy()
                frame["rearrest_24m"] = np.random.default_rng(seed).permutation(outcomes)
            frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "train_summary.json").write_text(result.stdout.strip().splitlines()[-1])
    return folder


@pytest.fixture
def in_workspace(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{workspace / 'mlflow.db'}")
    monkeypatch.chdir(workspace)
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{workspace / 'mlflow.db'}")
    return workspace


def _outcomes(model: str, data: str, out: str, *extra: str) -> dict[str, object]:
    result = runner.invoke(
        app,
        [
            "monitor",
            "outcomes",
            "--model",
            model,
            "--data",
            data,
            "--out",
            out,
            "--json",
            "--resamples",
            "100",
            *extra,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def _document(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / "outcomes.json").read_text(encoding="utf-8"))
    return data


# --- the recommendation on its own ---------------------------------------------------------------


def _overall(auc: float, slope: float, ece: float) -> dict[str, Estimate]:
    return {
        "auc": Estimate(auc, auc - 0.02, auc + 0.02),
        "calibration_slope": Estimate(slope, slope - 0.1, slope + 0.1),
        "ece": Estimate(ece, ece / 2, ece * 2),
    }


def test_recommend_keeps_a_model_within_every_threshold() -> None:
    decision = recommend(_overall(0.70, 1.05, 0.02), {"test_auc": 0.71}, MonitoringConfig())
    assert decision.action == "keep"
    assert [f.code for f in decision.reasons] == ["within_limits"]
    assert decision.notes == ()


def test_recommend_recalibrates_when_slope_or_ece_is_out_of_bounds() -> None:
    thresholds = MonitoringConfig(slope_range=(0.9, 1.1), max_ece=0.04)
    decision = recommend(_overall(0.70, 1.15, 0.02), {"test_auc": 0.71}, thresholds)
    assert decision.action == "recalibrate"
    assert decision.reasons == (
        Finding("slope_outside", "recalibrate", {"slope": 1.15, "low": 0.9, "high": 1.1}),
    )
    decision = recommend(_overall(0.70, 1.0, 0.06), {"test_auc": 0.71}, thresholds)
    assert [f.code for f in decision.reasons] == ["ece_above"]


def test_recommend_retrains_when_the_auc_drops_whatever_the_calibration() -> None:
    decision = recommend(_overall(0.60, 0.5, 0.2), {"test_auc": 0.70}, MonitoringConfig())
    assert decision.action == "retrain"
    assert [f.code for f in decision.reasons] == ["auc_drop", "slope_outside", "ece_above"]
    drop = decision.reasons[0].values
    assert drop["drop"] == pytest.approx(0.10)
    assert drop["limit"] == 0.03


def test_recommend_notes_a_drop_within_noise_and_a_missing_card_figure() -> None:
    overall = _overall(0.66, 1.0, 0.02)
    overall["auc"] = Estimate(0.66, 0.62, 0.71)
    decision = recommend(overall, {"test_auc": 0.70}, MonitoringConfig())
    assert decision.action == "retrain"
    assert [f.code for f in decision.notes] == ["auc_drop_uncertain"]
    decision = recommend(_overall(0.5, 1.0, 0.02), {}, MonitoringConfig())
    assert decision.action == "keep"
    assert [f.code for f in decision.notes] == ["no_card_auc"]


def test_recommend_notes_a_group_whose_rate_the_model_misses() -> None:
    def group(name: str, value: float, low: float, high: float) -> dict[str, object]:
        gap = {"value": value, "low": low, "high": high}
        return {"attribute": "ethnicity", "group": name, "n": 400, "too_small": False,
                "metrics": {"calibration_in_the_large": gap, "ece": {"value": 0.2}}}  # fmt: skip

    groups = [
        group("afrodescendant", -0.10, -0.14, -0.06),  # under-predicted, surely
        group("indigenous", 0.05, -0.03, 0.13),  # may be chance
        group("white", 0.01, -0.01, 0.03),  # sure, but small
        group("mestizo", -0.03, -0.04, -0.02),  # off, but as much as everybody
        {"attribute": "ethnicity", "group": "other", "n": 10, "too_small": True, "metrics": {}},
    ]
    decision = recommend(
        _overall(0.70, 1.0, 0.02),
        {"test_auc": 0.70},
        MonitoringConfig(),
        groups=groups,
        overall_gap=-0.02,
    )
    assert decision.action == "keep"
    assert decision.notes == (
        Finding(
            "group_calibration_gap",
            None,
            {"attribute": "ethnicity", "group": "afrodescendant", "n": 400, "gap": -0.10,
             "low": -0.14, "high": -0.06, "overall": -0.02, "difference": pytest.approx(-0.08),
             "limit": 0.05},
        ),
    )  # fmt: skip
    from riskkit.reports.outcomes_report import finding_text

    assert finding_text(decision.notes[0].to_dict(), "es").startswith(
        "Pertenencia étnica: afrodescendiente (400 personas): la probabilidad media menos la "
        "tasa observada es −0,100 (intervalo del 95 %: −0,140 a −0,060), frente a −0,020 para "
        "todos: una diferencia de más de ±0,050."
    )


# --- the outcomes check on a registered model ---------------------------------------------------


@pytest.mark.slow
def test_fresh_cohort_of_the_same_population_is_kept(in_workspace: Path) -> None:
    summary = _outcomes("recidivism/1", "fresh.csv", "out/fresh")
    assert summary["recommendation"] == "keep"
    document = _document(in_workspace / "out" / "fresh")
    trained = json.loads((in_workspace / "train_summary.json").read_text())
    metrics = {m["name"]: m for m in document["metrics"]}  # type: ignore[attr-defined]
    # the card's figures are the registered version's run metrics
    assert metrics["auc"]["card"]["value"] == pytest.approx(trained["metrics"]["test_auc"])
    assert metrics["ece"]["card"]["value"] == pytest.approx(trained["metrics"]["test_ece"])
    auc = metrics["auc"]["cohort"]
    assert auc["low"] < auc["value"] < auc["high"]
    assert abs(auc["value"] - metrics["auc"]["card"]["value"]) < 0.03
    assert metrics["ece"]["cohort"]["value"] < 0.05
    assert document["n"] == 4000
    assert document["cohort"]["rejected"] == 0  # type: ignore[index]
    groups = {(g["attribute"], g["group"]) for g in document["groups"]}  # type: ignore[attr-defined]
    assert {("sex", "female"), ("sex", "male"), ("ethnicity", "indigenous")} <= groups
    female = next(g for g in document["groups"] if g["group"] == "female")  # type: ignore[attr-defined]
    assert {"auc", "brier", "ece", "calibration_slope"} <= set(female["metrics"])
    html = (in_workspace / "out" / "fresh" / "outcomes.html").read_text(encoding="utf-8")
    assert "Keep the model" in html and "Metrics against the card" in html


@pytest.mark.slow
def test_cohort_whose_base_rate_moved_needs_recalibration(in_workspace: Path) -> None:
    summary = _outcomes("recidivism/1", "shifted.csv", "out/shifted", "--lang", "es")
    assert summary["recommendation"] == "recalibrate"
    document = _document(in_workspace / "out" / "shifted")
    reasons = [f for f in document["recommendation"]["findings"] if f["action"]]  # type: ignore[index]
    assert [f["code"] for f in reasons] == ["ece_above"]
    # every group is under-predicted as much as everybody: no group is singled out for it
    noted = {
        (f["values"]["attribute"], f["values"]["group"])
        for f in document["recommendation"]["findings"]  # type: ignore[index]
        if f["code"] == "group_calibration_gap"
    }
    assert ("sex", "male") not in noted and ("nationality", "national") not in noted
    metrics = summary["metrics"]
    assert isinstance(metrics, dict)
    assert metrics["ece"]["cohort"]["value"] > 0.05
    # the ranking held: within the allowed drop of the card's AUC
    assert metrics["auc"]["cohort"]["value"] > metrics["auc"]["card"]["value"] - 0.03
    assert document["base_rate"] > document["card_base_rate"] + 0.08  # type: ignore[operator]
    html = (in_workspace / "out" / "shifted" / "outcomes.html").read_text(encoding="utf-8")
    assert "Recalibrar" in html and "error de calibración esperado" in html


@pytest.mark.slow
def test_cohort_without_signal_needs_retraining(in_workspace: Path) -> None:
    summary = _outcomes("recidivism/1", "shuffled.csv", "out/shuffled", "--lang", "pt")
    assert summary["recommendation"] == "retrain"
    document = _document(in_workspace / "out" / "shuffled")
    codes = [f["code"] for f in document["recommendation"]["findings"]]  # type: ignore[index]
    assert codes[0] == "auc_drop"
    metrics = summary["metrics"]
    assert isinstance(metrics, dict)
    assert abs(metrics["auc"]["cohort"]["value"] - 0.5) < 0.04
    html = (in_workspace / "out" / "shuffled" / "outcomes.html").read_text(encoding="utf-8")
    assert "Retreinar" in html


@pytest.mark.slow
def test_invalid_rows_go_to_rejects_and_are_counted(in_workspace: Path) -> None:
    frame = pd.read_csv(in_workspace / "fresh.csv", dtype=str).head(600)
    frame.loc[3, "age"] = "seventy"
    frame.loc[7, "rearrest_24m"] = "maybe"
    frame.to_csv(in_workspace / "dirty.csv", index=False)
    summary = _outcomes("recidivism/1", "dirty.csv", "out/dirty")
    assert summary["rejected"] == 2 and summary["n"] == 598
    rejects = pd.read_csv(in_workspace / "out" / "dirty" / "rejects.csv")
    assert rejects["row"].tolist() == [4, 8]
    document = _document(in_workspace / "out" / "dirty")
    assert document["cohort"]["read"] == 600  # type: ignore[index]


@pytest.mark.slow
def test_outcomes_errors_name_the_problem(in_workspace: Path) -> None:
    result = runner.invoke(
        app, ["monitor", "outcomes", "--model", "nosuch@champion", "--data", "fresh.csv"]
    )
    assert result.exit_code == 1
    assert "no registered model 'nosuch'" in result.output
    frame = pd.read_csv(in_workspace / "fresh.csv").head(50).assign(rearrest_24m=0)
    frame.to_csv(in_workspace / "one_class.csv", index=False)
    result = runner.invoke(
        app, ["monitor", "outcomes", "--model", "recidivism/1", "--data", "one_class.csv"]
    )
    assert result.exit_code == 1
    assert "at least 2 valid records of each outcome; found 50 zeros and 0 ones" in result.output


@pytest.mark.slow
def test_a_cohort_needs_no_split_column(workspace: Path) -> None:
    from riskkit.config import SplitConfig, load_pipeline
    from riskkit.monitoring.outcomes import load_cohort

    config = load_pipeline(workspace / "pipeline.toml")
    config = config.model_copy(
        update={"split": SplitConfig(method="column", column="in_training_part")}
    )
    cohort = load_cohort(config, workspace / "fresh.csv")
    assert (cohort.n_read, cohort.n_valid, cohort.n_rejected) == (4000, 4000, 0)
    assert list(cohort.X.columns) == config.features.use
    assert cohort.sensitive is not None and list(cohort.sensitive.columns) == [
        "sex",
        "ethnicity",
        "nationality",
    ]
    digest = hashlib.sha256((workspace / "fresh.csv").read_bytes()).hexdigest()
    assert (cohort.sha256, cohort.n_bytes) == (digest, (workspace / "fresh.csv").stat().st_size)


# --- recalibration ----------------------------------------------------------------------------


@pytest.mark.slow
def test_recalibration_registers_a_better_calibrated_version_through_the_gates(
    in_workspace: Path,
) -> None:
    from mlflow.tracking import MlflowClient

    from riskkit.data.sources import load_records
    from riskkit.tracking import load_model

    result = runner.invoke(
        app,
        [
            "recalibrate",
            "--model",
            "recidivism@champion",
            "--data",
            "shifted.csv",
            "--json",
            "--reason",
            "re-arrests recorded since the 2025 reform",
            "--resamples",
            "100",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["version"] == 2 and summary["recalibrated_from"] == 1
    assert summary["promoted"] is True and summary["alias"] == "champion"
    assert summary["after"]["ece"] < summary["before"]["ece"] / 2

    # the new version's ECE on that cohort is lower, with the same ranking
    old, new = load_model("recidivism/1").bundle, load_model("recidivism@champion")
    assert new.version == 2
    records = load_records(old.config, in_workspace / "shifted.csv").validation.valid
    X, y = records[old.config.features.use], records["rearrest_24m"].to_numpy().astype(int)
    p_old = old.estimator.predict_proba(X)[:, 1]
    p_new = new.bundle.estimator.predict_proba(X)[:, 1]
    assert _ece(y, p_new) < _ece(y, p_old) - 0.05
    assert np.mean(p_new) == pytest.approx(np.mean(y), abs=0.01)
    assert (new.bundle.estimator.contributions(X.head(3)).columns == list(X.columns)).all()

    # why, recorded on the run and on the version
    client = MlflowClient()
    version = client.get_model_version("recidivism", "2")
    run = client.get_run(version.run_id).data
    reason = "re-arrests recorded since the 2025 reform"
    digest = hashlib.sha256((in_workspace / "shifted.csv").read_bytes()).hexdigest()
    assert run.params["recalibration.reason"] == reason
    assert run.params["recalibration.data_sha256"] == digest
    assert run.params["recalibration.data_bytes"] == str(
        (in_workspace / "shifted.csv").stat().st_size
    )
    assert run.params["recalibration.n_records"] == "4000"
    assert run.tags["recalibrated_from"] == "recidivism/1" and run.tags["data_sha256"] == digest
    assert run.metrics["before_ece"] > run.metrics["after_ece"]
    assert run.metrics["test_ece"] == run.metrics["after_ece"]
    assert version.tags["recalibration_reason"] == reason
    assert version.tags["promotion"] == "promoted to champion: every promotion gate passed"
    saved = json.loads(
        (in_workspace / "models" / "recidivism" / "v2" / "recalibration.json").read_text()
    )
    assert saved["reason"] == reason and saved["cohort"]["sha256"] == digest
    assert client.get_run(version.run_id).info.run_name == "recidivism-recalibrate-v1"

    # the new version's card: the recalibration, then version 1's card with its images
    folder = in_workspace / "models" / "recidivism" / "v2"
    card = (folder / "model_card.md").read_text(encoding="utf-8")
    assert card.startswith("# Model card: recidivism v2\n")
    assert f"Reason given: {reason}" in card and digest in card
    before, after = saved["before"]["ece"]["value"], saved["after"]["ece"]["value"]
    assert f"| expected calibration error | {before:.3f} (" in card
    assert f"| {after:.3f} (" in card.split("| expected calibration error |")[1].splitlines()[0]
    parent = (in_workspace / "models" / "recidivism" / "v1" / "model_card.md").read_text()
    assert "## The card of version 1\n" in card
    assert "\n## Model card: recidivism v1\n" in card and "\n### Intended use\n" in card
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", card)
    assert len(images) == len(re.findall(r"!\[", parent)) >= 1
    assert all(image.startswith("../v1/") and (folder / image).is_file() for image in images)
    from riskkit.tracking import version_file_text

    served = version_file_text("recidivism", 2, "model_card.html")
    assert served is not None and "recidivism v2" in served and "<h2>Recalibration</h2>" in served

    # a later cohort with the same shift: the recalibrated champion is kept
    summary = _outcomes("recidivism@champion", "shifted_later.csv", "out/later")
    assert summary["recommendation"] == "keep"

    # outcomes without signal: a new map cannot restore the ranking, so the gates refuse it
    result = runner.invoke(
        app,
        [
            "recalibrate",
            "--model",
            "recidivism/1",
            "--data",
            "shuffled.csv",
            "--json",
            "--reason",
            "outcomes of the pilot region",
            "--resamples",
            "100",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    refused = json.loads(result.stdout.strip().splitlines()[-1])
    assert refused["version"] == 3 and refused["promoted"] is False and refused["alias"] is None
    assert "below promotion.min_auc" in refused["promotion"]
    assert load_model("recidivism@champion").version == 2
    version = client.get_model_version("recidivism", "3")
    assert version.tags["recalibration_reason"] == "outcomes of the pilot region"
    assert version.tags["promotion"].startswith("not promoted: test AUC")


def test_recalibrate_an_instrument_score_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    decile = rng.integers(1, 11, 3000)
    outcome = (rng.random(3000) < 0.1 + 0.06 * decile).astype(int)
    frame = pd.DataFrame(
        {"decile_score": decile.astype(object), "two_year_recid": outcome.astype(object)}
    )
    frame.loc[5, "decile_score"] = ""
    frame.loc[9, "two_year_recid"] = "unknown"
    frame.to_csv(tmp_path / "compas.csv", index=False)
    out = tmp_path / "maps" / "decile.json"
    result = runner.invoke(
        app,
        [
            "recalibrate",
            "--data",
            str(tmp_path / "compas.csv"),
            "--score-column",
            "decile_score",
            "--label",
            "two_year_recid",
            "--out",
            str(out),
            "--json",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == ["score", "people", "observed", "probability"]
    assert len(lines) == 1 + 10 + 1  # header, one row per decile, the JSON line
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["format"] == "riskkit.score_calibration/1"
    assert saved["n"] == 2998 and saved["rejected"] == 2
    table = saved["table"]
    assert [row["low"] for row in table] == list(range(1, 11))
    probabilities = [row["probability"] for row in table]
    assert probabilities == sorted(probabilities)
    for row in table:
        assert row["probability"] == pytest.approx(0.1 + 0.06 * row["low"], abs=0.05)
    assert saved["metrics"]["cv_ece"] < 0.03
    assert (
        saved["data"]["sha256"]
        == hashlib.sha256((tmp_path / "compas.csv").read_bytes()).hexdigest()
    )
    rejects = pd.read_csv(tmp_path / "maps" / "rejects.csv")
    assert sorted(rejects["reason"]) == [
        "decile_score: missing or not a number",
        "two_year_recid: not 0/1",
    ]


def test_recalibrate_refuses_unclear_requests(tmp_path: Path) -> None:
    result = runner.invoke(app, ["recalibrate", "--data", "x.csv"])
    assert result.exit_code == 2 and "name what to recalibrate" in result.output
    result = runner.invoke(
        app, ["recalibrate", "--data", "x.csv", "--model", "m@champion", "--method", "beta"]
    )
    assert result.exit_code == 2 and "--method must be auto, platt or isotonic" in result.output
    result = runner.invoke(
        app, ["recalibrate", "--data", "x.csv", "--score-column", "s", "--out", "m.json"]
    )
    assert result.exit_code == 2 and "--score-column needs --label" in result.output


# --- NIJ Georgia ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_nij_outcomes_on_the_official_test_cohort(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Train on NIJ's training cohort (the card's figures on a held-out quarter of it), check
    outcomes on NIJ's own test cohort: same state and period, so the model is kept."""
    from riskkit.cli import app as riskkit_app
    from riskkit.data.adapters import load_nij

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    frame = load_nij(data_root)
    frame[frame["Training_Sample"] == 1].to_parquet(tmp_path / "train.parquet", index=False)
    test = frame[frame["Training_Sample"] == 0].drop(columns=["Training_Sample"])
    test.to_parquet(tmp_path / "test.parquet", index=False)
    text = (ROOT / "pipelines" / "nij_year1.toml").read_text(encoding="utf-8")
    text = text.replace("n_estimators = 400", "n_estimators = 200")
    # the card's figures come from a held-out part of the training cohort, so the official
    # test cohort is new to the model
    split = '[split]\nmethod = "column"\ncolumn = "Training_Sample"\n'
    assert split in text
    text = text.replace(split, '[split]\nmethod = "stratified"\nseed = 1\n')
    text += "\n[uncertainty]\nn_bootstrap = 0\n"
    (tmp_path / "nij.toml").write_text(text, encoding="utf-8")
    result = runner.invoke(
        riskkit_app, ["train", "nij.toml", "--data", "train.parquet"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    summary = _outcomes("nij_year1@champion", "test.parquet", "out", "--resamples", "50")
    metrics = summary["metrics"]
    assert isinstance(metrics, dict)
    assert summary["n"] == len(test) and summary["rejected"] == 0
    auc = metrics["auc"]
    # measured: 0.698 on the test cohort, 0.688 on the card (200 trees)
    assert 0.67 < auc["cohort"]["value"] < 0.76
    assert abs(auc["cohort"]["value"] - auc["card"]["value"]) < 0.03
    assert summary["recommendation"] == "keep", metrics
    document = _document(tmp_path / "out")
    races = {g["group"] for g in document["groups"] if g["attribute"] == "race_us"}  # type: ignore[attr-defined]
    assert races == {"african_american", "caucasian"}


def test_recalibration_card_nests_the_parent_card() -> None:
    from riskkit.reports.model_card import render_recalibration_card

    estimate = {"value": 0.05, "low": 0.04, "high": 0.06}
    document = {
        "model": "m",
        "version": 4,
        "recalibrated_from": {"version": 3, "reference": "m@champion"},
        "reason": "new cohort",
        "cohort": {
            "source": "c.csv",
            "sha256": "ab",
            "bytes": 9,
            "read": 10,
            "valid": 9,
            "rejected": 1,
            "base_rate": 0.3,
        },
        "method": "platt",
        "folds": 5,
        "cv_log_loss": {"platt": 0.5, "isotonic": 0.51},
        "before": {"ece": estimate},
        "after": {"ece": {"value": 0.01, "low": None, "high": None}},
        "promotion": {"summary": "not promoted: reasons", "reasons": ["test AUC 0.6 below"]},
        "run_id": "r",
        "tracking_uri": "sqlite:///x.db",
    }
    parent = "# Card\n## Use\n![plot](calibration.png)\n![web](https://x/y.png)\n```\n# kept\n```"
    card = render_recalibration_card(document, parent)
    assert "| expected calibration error | 0.050 (0.040–0.060) | 0.010 |" in card
    assert "| AUC | n/a | n/a |" in card
    assert "- test AUC 0.6 below" in card
    nested = card.split("## The card of version 3\n", 1)[1]
    assert nested.strip().splitlines() == [
        "## Card",
        "### Use",
        "![plot](../v3/calibration.png)",
        "![web](https://x/y.png)",
        "```",
        "# kept",
        "```",
    ]
    alone = render_recalibration_card(document, None)
    assert "Version 3 has no card in its run's files." in alone


def test_json_values_are_finite_and_plain() -> None:
    from riskkit.json_values import finite_json

    nested = {
        "a": [np.float64("nan"), np.float32(0.5), float("inf"), np.int64(3)],
        "b": (1, "x", None, -float("inf")),
    }
    plain = finite_json(nested)
    assert plain == {"a": [None, 0.5, None, 3], "b": [1, "x", None, None]}
    assert type(plain["a"][1]) is float and type(plain["a"][3]) is int
    json.dumps(plain, allow_nan=False)  # valid JSON: raises on NaN/Infinity

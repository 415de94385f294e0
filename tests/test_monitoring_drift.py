"""Drift monitoring: the PSI and the chi-square test by hand, the reference profile stored with a
model, a drifted and an undrifted synthetic cohort, ``riskkit monitor drift`` end to end against
a model trained in a temporary MLflow store, and NIJ Georgia's training against its test cohort."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskkit.config import MonitoringConfig, PipelineConfig, load_pipeline
from riskkit.data.sources import load_records
from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.monitoring.cli import default_out_dir, monitor_app
from riskkit.monitoring.drift import (
    PSI_FLOOR,
    chi_square_p_value,
    compare_distribution,
    drift_level,
    drift_report,
    population_stability_index,
)
from riskkit.monitoring.profile import (
    REFERENCE_FILE,
    DistributionProfile,
    ReferenceProfile,
    build_reference_profile,
    profile_values,
)
from riskkit.reports.drift_report import DriftMeta, describe_drift, render_drift_html

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
THRESHOLDS = MonitoringConfig()


# -- the population stability index and the test, by hand ----------------------------------------
def test_psi_of_identical_shares_is_zero() -> None:
    assert population_stability_index([10, 20, 70], [10, 20, 70]) == 0.0
    # shares, not counts, are compared
    assert population_stability_index([10, 20, 70], [100, 200, 700]) == pytest.approx(0.0)


def test_psi_by_hand() -> None:
    # shares 0.5/0.5 against 0.25/0.75: (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5)
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert population_stability_index([50, 50], [25, 75]) == pytest.approx(expected)
    assert expected == pytest.approx(0.2747, abs=1e-4)
    # symmetric in its two arguments
    assert population_stability_index([25, 75], [50, 50]) == pytest.approx(expected)


def test_psi_floors_an_empty_bin() -> None:
    # training 100/0, new 99/1: the empty training bin counts as a share of 0.0001
    e, a = (1.0, PSI_FLOOR), (0.99, 0.01)
    expected = sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a, strict=True))
    assert population_stability_index([100, 0], [99, 1]) == pytest.approx(expected)
    assert expected == pytest.approx(0.0457, abs=1e-4)
    # a bin empty on both sides adds nothing
    assert population_stability_index([50, 50, 0], [50, 50, 0]) == 0.0
    assert math.isfinite(population_stability_index([100, 0], [0, 100]))


def test_psi_refuses_bad_counts() -> None:
    with pytest.raises(ValueError, match=r"expected counts have 2 bins but actual counts 3"):
        population_stability_index([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"actual counts are all zero"):
        population_stability_index([1, 2], [0, 0])
    with pytest.raises(ValueError, match=r"expected counts must be non-negative"):
        population_stability_index([-1, 2], [1, 2])


def test_chi_square_p_value() -> None:
    from scipy.stats import chi2_contingency

    assert chi_square_p_value([50, 50], [50, 50]) == pytest.approx(1.0)
    by_scipy = chi2_contingency(np.array([[50, 50], [25, 75]])).pvalue
    assert chi_square_p_value([50, 50], [25, 75]) == pytest.approx(by_scipy)
    assert chi_square_p_value([50, 50], [25, 75]) < 0.01
    # bins empty on both sides are left out; one bin alone is nothing to test
    assert chi_square_p_value([50, 50, 0], [25, 75, 0]) == pytest.approx(by_scipy)
    assert chi_square_p_value([10, 0], [30, 0]) == 1.0


def test_levels_and_what_matters() -> None:
    assert drift_level(0.09, THRESHOLDS) == "stable"
    assert drift_level(0.1, THRESHOLDS) == "moderate"
    assert drift_level(0.25, THRESHOLDS) == "major"
    profile = DistributionProfile("x", "categorical", (), ("a", "b"), (500, 500), 0)
    # the same shift (PSI 0.27) on 1,000 new records matters; on 8 records the test cannot
    # tell it from chance
    large = compare_distribution(profile, (250, 750, 0), THRESHOLDS)
    small = compare_distribution(profile, (2, 6, 0), THRESHOLDS)
    assert large.psi == pytest.approx(small.psi)
    assert (large.level, large.matters) == ("major", True)
    assert (small.level, small.matters) == ("major", False)
    assert large.gained is not None and large.gained.label == "b"
    assert large.lost is not None and large.lost.label == "a"


# -- the reference profile ----------------------------------------------------------------------
def test_numeric_profile_bins_and_counts() -> None:
    values = pd.Series([*range(1, 101), np.nan, np.nan])
    profile = profile_values("x", values, bins=4)
    assert profile.kind == "numeric"
    # each edge is an observed value (no bin falls between two whole numbers)
    assert profile.edges == (25.0, 50.0, 75.0)
    # a bin holds lower < x <= upper
    assert profile.counts == (25, 25, 25, 25)
    assert profile.missing == 2
    assert profile.mean == pytest.approx(50.5)
    # values outside the training range still fall in the open end bins
    assert profile.count(pd.Series([-5.0, 25.0, 25.5, 1000.0, np.nan])) == (2, 1, 0, 1, 1)


def test_repeated_values_give_fewer_bins() -> None:
    values = pd.Series([0] * 80 + [1] * 15 + [5] * 5, dtype="float64")
    profile = profile_values("x", values)
    # the largest value is never an edge: the top bin is not empty in training
    assert profile.edges == (0.0, 1.0)
    assert profile.counts == (80, 15, 5)


def test_categorical_and_binary_profiles() -> None:
    housing = pd.Series(
        pd.Categorical(["stable", "homeless", None, "stable"], ["stable", "temporary", "homeless"])
    )
    profile = profile_values("housing", housing)
    assert profile.categories == ("stable", "temporary", "homeless")
    assert profile.bin_counts == (2, 0, 1, 1)
    flag = profile_values("flag", pd.Series([0.0, 1.0, 1.0, np.nan]), categories=("0", "1"))
    assert flag.bin_counts == (1, 2, 1)


def _records(config: PipelineConfig, frame: pd.DataFrame, folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    valid: pd.DataFrame = load_records(config, path, purpose="score").validation.valid
    return valid


def test_reference_profile_of_the_recidivism_pipeline(tmp_path: Path) -> None:
    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    records = _records(config, generate_population(1000, seed=4), tmp_path, "train")
    probability = np.linspace(0.01, 0.9, len(records))
    profile = build_reference_profile(config, records[config.features.use], probability)
    assert profile.n == 1000
    assert [f.name for f in profile.features] == config.features.use
    for feature in profile.features:
        assert feature.n == 1000
    assert profile.feature("housing").categories == ("stable", "temporary", "homeless")
    assert profile.feature("prison_work").categories == ("0", "1")
    assert profile.feature("age").kind == "numeric"
    assert profile.score is not None and len(profile.score.counts) == 10
    assert profile.bands is not None and sum(profile.bands.counts) == 1000
    text = json.dumps(profile.to_dict())
    assert ReferenceProfile.from_dict(json.loads(text)) == profile
    # no person's row is in it: no id, no outcome
    assert "SYN-" not in text and "rearrest" not in text


def test_profile_format_is_checked() -> None:
    with pytest.raises(ValueError, match=r"reference profile format 99 is not readable"):
        ReferenceProfile.from_dict({"format": 99, "n": 1, "features": []})


# -- a drifted and an undrifted synthetic cohort ------------------------------------------------
def drifted_population(rows: int, seed: int) -> pd.DataFrame:
    """A synthetic cohort 8 years younger, with half of the stably housed people homeless."""
    frame = generate_population(rows, seed=seed)
    rng = np.random.default_rng(seed)
    frame["age"] = np.maximum(frame["age"] - 8, 18)
    frame["age_first_arrest"] = np.minimum(frame["age_first_arrest"], frame["age"])
    stable = frame.index[frame["housing"] == "stable"]
    frame.loc[rng.choice(stable, size=len(stable) // 2, replace=False), "housing"] = "homeless"
    return frame


def test_drift_is_flagged_on_the_drifted_cohort_only(tmp_path: Path) -> None:
    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    train = _records(config, generate_population(4000, seed=1), tmp_path, "train")
    profile = build_reference_profile(config, train[config.features.use])
    same = _records(config, generate_population(1500, seed=2), tmp_path, "same")
    moved = _records(config, drifted_population(1500, seed=3), tmp_path, "moved")

    undrifted = drift_report(profile, same, config.monitoring)
    assert not undrifted.drifted
    assert undrifted.mattering == ()
    assert max(f.psi for f in undrifted.features) < config.monitoring.psi_moderate

    drifted = drift_report(profile, moved, config.monitoring)
    assert drifted.drifted
    assert {"age", "housing"} <= {f.name for f in drifted.mattering}
    age = next(f for f in drifted.features if f.name == "age")
    assert age.level == "major" and age.p_value < 1e-10
    assert age.actual_mean is not None and age.expected_mean is not None
    assert age.actual_mean < age.expected_mean - 5
    housing = next(f for f in drifted.features if f.name == "housing")
    assert housing.gained is not None and housing.gained.label == "homeless"
    assert housing.lost is not None and housing.lost.label == "stable"
    # features left alone stay stable
    assert next(f for f in drifted.features if f.name == "offence_type").level == "stable"

    words = describe_drift(drifted, language="en")
    assert words.headline.startswith("Drift that matters in ")
    age_text = dict(words.features)["age"]
    assert age_text.startswith("Age moved a lot (PSI ")
    assert "Its values are lower than in training" in age_text
    assert "“up to " in age_text and "grew most" in age_text
    assert "“homeless” grew most" in dict(words.features)["housing"]
    calm = describe_drift(undrifted, language="en")
    assert calm.headline.startswith("No drift that matters in the 17 features")
    assert calm.features == ()


def test_bins_read_as_words() -> None:
    from riskkit.reports.drift_report import bin_text
    from riskkit.reports.i18n import messages

    def words(profile: DistributionProfile, language: str) -> list[str]:
        drift = compare_distribution(profile, profile.bin_counts, THRESHOLDS)
        text = messages("drift", language)
        return [bin_text(drift, b.label, language, text) for b in drift.bins]

    priors = DistributionProfile("prior_convictions", "numeric", (0.0, 1.0, 3.0), (), (5,) * 4, 1)
    assert words(priors, "en") == ["0", "1", "2 to 3", "4 or more", "missing"]
    assert words(priors, "es") == ["0", "1", "de 2 a 3", "4 o más", "sin dato"]
    score = DistributionProfile("score", "numeric", (0.125, 0.5), (), (5,) * 3, 0)
    assert words(score, "en")[:3] == ["up to 12.5%", "over 12.5% up to 50.0%", "over 50.0%"]
    assert words(score, "pt")[1] == "mais de 12,5 % até 50,0 %"
    work = DistributionProfile("prison_work", "categorical", (), ("0", "1"), (5, 5), 0)
    assert words(work, "es")[:2] == ["no", "sí"]
    housing = DistributionProfile(
        "housing", "categorical", (), ("stable", "temporary", "homeless"), (5, 5, 5), 0
    )
    assert words(housing, "es")[2] == "en situación de calle"


def test_drift_report_refuses_records_without_the_features() -> None:
    profile = ReferenceProfile(
        n=2, features=(DistributionProfile("age", "numeric", (30.0,), (), (1, 1), 0),)
    )
    with pytest.raises(ValueError, match=r"lack the model's features \['age'\]"):
        drift_report(profile, pd.DataFrame({"x": [1.0]}), THRESHOLDS)
    with pytest.raises(ValueError, match=r"no valid record"):
        drift_report(profile, pd.DataFrame({"age": []}), THRESHOLDS)


# -- the bundle file ----------------------------------------------------------------------------
def test_reference_profile_travels_in_the_bundle(tmp_path: Path) -> None:
    from riskkit.estimators.additive import AdditiveBoostedClassifier
    from riskkit.tracking import ModelBundle, load_bundle, save_bundle

    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    records = _records(config, generate_population(600, seed=5), tmp_path, "train")
    X = records[config.features.use]
    y = records[config.target.column].astype(int).to_numpy()
    model = AdditiveBoostedClassifier(n_estimators=5).fit(X, y)
    profile = build_reference_profile(config, X, model.predict_proba(X)[:, 1])
    hashes = save_bundle(ModelBundle(model, config, reference=profile), tmp_path / "bundle")
    assert REFERENCE_FILE in hashes
    assert load_bundle(tmp_path / "bundle", hashes).reference == profile
    # an older bundle has no profile
    old = save_bundle(ModelBundle(model, config), tmp_path / "old")
    assert REFERENCE_FILE not in old
    assert load_bundle(tmp_path / "old", old).reference is None
    # the profile is under the bundle's integrity check
    stored = tmp_path / "bundle" / REFERENCE_FILE
    stored.write_text(stored.read_text(encoding="utf-8").replace('"n": 600', '"n": 601'), "utf-8")
    with pytest.raises(RiskkitError, match=r"integrity check failed for .*reference\.json"):
        load_bundle(tmp_path / "bundle", hashes)


# -- riskkit monitor drift, end to end -----------------------------------------------------------
@pytest.fixture(scope="module")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small recidivism model (30 trees, no bootstrap intervals) trained through the pipeline
    into a temporary MLflow store, and the cohorts to compare."""
    from riskkit.training.pipeline import train

    folder = tmp_path_factory.mktemp("drift")
    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    config = config.model_copy(
        update={
            "model": config.model.model_copy(update={"n_estimators": 30}),
            "uncertainty": config.uncertainty.model_copy(update={"n_bootstrap": 0}),
        }
    )
    generate_population(3000, seed=1).to_csv(folder / "train.csv", index=False)
    generate_population(1200, seed=2).to_csv(folder / "same.csv", index=False)
    moved = drifted_population(1200, seed=3)
    moved["age"] = moved["age"].astype(object)
    moved.loc[4, "age"] = "seventy"
    moved.to_csv(folder / "moved.csv", index=False)
    import mlflow

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(folder)
        # an earlier test may have set MLflow's URI in-process, which wins over the variable
        mlflow.set_tracking_uri(uri)
        try:
            train(
                config, data=folder / "train.csv", models_dir=folder / "models", show_progress=False
            )
        finally:
            mlflow.set_tracking_uri(None)
    yield folder


@pytest.fixture
def store(trained_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import mlflow

    uri = f"sqlite:///{trained_store / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    monkeypatch.chdir(trained_store)
    return trained_store


def _drift(*args: str) -> dict[str, object]:
    result = runner.invoke(
        monitor_app, ["drift", "--model", "recidivism@champion", *args, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


@pytest.mark.slow
def test_trained_model_carries_its_reference_profile(store: Path) -> None:
    from riskkit.tracking import load_model

    reference = load_model("recidivism@champion").bundle.reference
    assert reference is not None
    assert reference.n == 2250  # the training part: 75% of 3,000
    assert reference.score is not None and reference.bands is not None
    assert sum(reference.bands.counts) == 2250


@pytest.mark.slow
def test_monitor_drift_end_to_end(store: Path) -> None:
    calm = _drift("--data", "same.csv", "--out", "calm", "--lang", "en")
    assert calm["drifted"] is False
    assert calm["features_that_matter"] == []
    assert calm["records"] == {"read": 1200, "valid": 1200, "rejected": 0}
    assert not (store / "calm" / "rejects.csv").exists()

    moved = _drift("--data", "moved.csv", "--out", "moved", "--lang", "en")
    assert moved["drifted"] is True
    flagged = moved["features_that_matter"]
    assert isinstance(flagged, list) and {"age", "housing"} <= set(flagged)
    # the invalid row is listed with its reason and counted, not dropped silently
    assert moved["records"] == {"read": 1200, "valid": 1199, "rejected": 1}
    rejects = pd.read_csv(store / "moved" / "rejects.csv")
    assert rejects["row"].tolist() == [5]
    assert "expected a whole number" in rejects["reasons"].iloc[0]

    document = json.loads((store / "moved" / "drift.json").read_text(encoding="utf-8"))
    assert document["model"] == "recidivism@champion (v1)"
    assert document["drifted"] is True
    assert document["thresholds"] == {"psi_moderate": 0.1, "psi_major": 0.25, "p_value": 0.01}
    age = next(f for f in document["features"] if f["name"] == "age")
    assert age["psi"] >= 0.25 and age["matters"] is True
    assert document["score"]["name"] == "score"
    assert any(line.startswith("Age moved a lot") for line in document["sentences"])
    assert any(line.startswith("The score ") for line in document["sentences"])
    assert len(document["bands"]) == 3

    html = (store / "moved" / "drift.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert "Drift report" in html and "Age moved a lot" in html
    assert "homeless" in html


@pytest.mark.slow
def test_monitor_drift_in_spanish(store: Path) -> None:
    summary = _drift("--data", "moved.csv", "--out", "es")
    assert summary["drifted"] is True
    html = (store / "es" / "drift.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html
    assert "Informe de deriva" in html
    assert "Edad cambió mucho (PSI 0," in html  # the decimal comma
    assert "Qué significa" in html
    document = json.loads((store / "es" / "drift.json").read_text(encoding="utf-8"))
    assert document["language"] == "es"
    assert document["headline"].startswith("Deriva relevante en ")


@pytest.mark.slow
def test_monitor_drift_default_folder_and_plain_output(store: Path) -> None:
    result = runner.invoke(
        monitor_app, ["drift", "--model", "recidivism", "--data", "same.csv", "--lang", "pt"]
    )
    assert result.exit_code == 0, result.output
    folder = default_out_dir("recidivism")
    assert folder.parts[:2] == ("monitoring", "recidivism")
    assert folder.name.startswith("drift-")
    assert (store / folder / "drift.html").is_file()
    assert "drift that matters: none" in result.stdout


@pytest.mark.slow
def test_monitor_drift_errors(store: Path) -> None:
    result = runner.invoke(
        monitor_app,
        ["drift", "--model", "recidivism@champion", "--data", "same.csv", "--lang", "fr"],
    )
    assert result.exit_code == 1
    assert "unknown report language 'fr'" in result.output
    result = runner.invoke(monitor_app, ["drift", "--model", "nope", "--data", "same.csv"])
    assert result.exit_code == 1
    assert "no registered model 'nope'" in result.output


@pytest.mark.slow
def test_model_without_reference_profile_asks_for_retraining(store: Path) -> None:
    from riskkit.monitoring.cli import run_drift
    from riskkit.tracking import ModelBundle, load_model, log_and_register

    current = load_model("recidivism@champion").bundle
    config = current.config.model_copy(
        update={"tracking": current.config.tracking.model_copy(update={"model_name": "old"})}
    )
    log_and_register(ModelBundle(current.estimator, config), params={}, metrics={}, tags={})
    with pytest.raises(
        RiskkitError, match=r"old@champion \(v1\) has no reference profile.*Retrain"
    ):
        run_drift("old@champion", store / "same.csv", out=store / "old")


# -- NIJ Georgia: the training cohort against the test cohort -----------------------------------
@pytest.mark.slow
def test_nij_training_against_test_cohort(data_root: Path) -> None:
    """NIJ's test cohort against its training part (a model with 60 trees, not MLflow): the
    reconstructed file lacks seven features for 2,599 training people and for none in the test
    cohort (pipelines/nij_year1.toml), and drift shows exactly those; the score does not move."""
    from riskkit.training.pipeline import build_model
    from riskkit.training.split import load_and_split

    config = load_pipeline(ROOT / "pipelines" / "nij_year1.toml")
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"n_estimators": 60})}
    )
    split = load_and_split(config)
    assert (len(split.X_train), len(split.X_test)) == (18028, 7807)
    model = build_model(config).fit(split.X_train, split.y_train)
    profile = build_reference_profile(
        config, split.X_train, model.predict_proba(split.X_train)[:, 1]
    )
    report = drift_report(
        profile,
        split.X_test,
        config.monitoring,
        probability=model.predict_proba(split.X_test)[:, 1],
    )
    lacking = {
        "nij_prior_convictions_domestic_violence",
        "nij_prior_convictions_gun",
        "nij_prior_revocations_parole",
        "nij_prior_revocations_probation",
        "nij_condition_mental_health_substance",
        "nij_condition_cognitive_education",
        "nij_condition_other",
    }
    assert {f.name for f in report.mattering} == lacking
    for feature in report.mattering:
        assert feature.lost is not None and feature.lost.label is None  # "missing" shrank
        assert feature.lost.actual_share == 0.0
    assert report.score is not None
    assert report.score.level == "stable" and not report.score.matters
    meta = DriftMeta("nij_year1", "test cohort", "2026-01-01", 7807, 0, {})
    html = render_drift_html(report, meta, language="en")
    assert "Drift that matters in 7 of 29 features" in html

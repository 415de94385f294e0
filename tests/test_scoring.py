"""score_cases: columns for many people, a full ScoreResult per person on demand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit.data.sources import load_records
from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.estimators.needs import NeedsModel
from riskkit.scoring.catalogue import load_catalogue
from riskkit.scoring.score import ScoredCases, apply_override, score_cases
from riskkit.tracking import LoadedModel, ModelBundle
from tests.conftest import small_scoring_setting

ROOT = Path(__file__).resolve().parent.parent
WHEN = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedModel, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("scoring")
    loaded, cases = small_scoring_setting(folder, trees=80, train_rows=3000, case_rows=400, seed=21)
    return loaded, cases


def test_columns_agree_with_the_model_and_sum_exactly(
    setting: tuple[LoadedModel, pd.DataFrame],
) -> None:
    model, cases = setting
    scored = score_cases(model, cases, scored_at=WHEN)
    assert isinstance(scored, ScoredCases) and len(scored) == len(cases)
    estimator = model.bundle.estimator
    X = cases[list(estimator.feature_names_in_)]
    np.testing.assert_array_equal(scored.probability, estimator.predict_proba(X)[:, 1])
    np.testing.assert_allclose(
        scored.contributions.sum(axis=1),
        scored.probability - scored.reference_probability,
        atol=1e-12,
    )
    counts = scored.band_counts(model.bundle.config.band_names())
    assert sum(counts.values()) == len(cases)
    thresholds = model.bundle.config.band_thresholds()
    low = scored.probability <= thresholds[0]
    assert set(scored.bands[low]) <= {"low"} and counts["low"] == int(low.sum())


def test_one_result_per_person_on_demand(setting: tuple[LoadedModel, pd.DataFrame]) -> None:
    model, cases = setting
    scored = score_cases(model, cases, scored_at=WHEN)
    result = scored[5]
    assert result.person_id == str(cases[model.bundle.config.data.id_column].iloc[5])
    assert result.probability == scored.probability[5]
    assert sum(c.points for c in result.contributions) == pytest.approx(
        result.probability - result.reference_probability, abs=1e-12
    )
    effects = [abs(c.points) for c in result.contributions]
    assert effects == sorted(effects, reverse=True)
    assert result.model.version == 3 and result.scored_at == "2026-01-15T09:30:00+00:00"
    assert result.scorecard_points is not None and result.scorecard_points >= 0
    assert scored[-1].person_id == str(cases[model.bundle.config.data.id_column].iloc[-1])
    assert len(scored[:3]) == 3 and len(list(scored)) == len(cases)
    with pytest.raises(IndexError, match="out of range"):
        scored[len(cases)]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["schema_version"] == "2" and data["final_band"] == data["band"]
    assert data["override"] is None and data["needs"] is None and data["case_plan"] is None


def test_same_input_same_result(setting: tuple[LoadedModel, pd.DataFrame]) -> None:
    model, cases = setting
    first = [r.to_dict() for r in score_cases(model, cases, scored_at=WHEN)[:20]]
    second = [r.to_dict() for r in score_cases(model, cases, scored_at=WHEN)[:20]]
    assert first == second


def test_frame_lists_the_top_factors(setting: tuple[LoadedModel, pd.DataFrame]) -> None:
    model, cases = setting
    scored = score_cases(model, cases)
    frame = scored.to_frame(top=2)
    assert list(frame.columns) == [
        "person_id",
        "probability",
        "band",
        "points",
        "factor_1",
        "points_1",
        "factor_2",
        "points_2",
    ]
    assert frame["factor_1"].iloc[0] == scored[0].contributions[0].feature
    assert frame["points_1"].iloc[0] == scored[0].contributions[0].points
    assert frame["points"].iloc[0] == scored[0].scorecard_points
    # The totals come from the scoring pass's log-odds; the printed scorecard agrees.
    assert scored.scorecard is not None
    np.testing.assert_array_equal(
        frame["points"].to_numpy(), scored.scorecard.total_points(scored.values)
    )


def test_override_keeps_both_bands(setting: tuple[LoadedModel, pd.DataFrame]) -> None:
    model, cases = setting
    result = score_cases(model, cases)[0]
    names = model.bundle.config.band_names()
    other = next(n for n in names if n != result.band)
    changed = apply_override(result, other, "  Family support confirmed.  ", band_names=names)
    assert changed.band == result.band and changed.final_band == other
    data = changed.to_dict()
    assert data["override"] == {"band": other, "reason": "Family support confirmed."}
    with pytest.raises(RiskkitError, match="not one of the pipeline's bands"):
        apply_override(result, "extreme", "why", band_names=names)
    with pytest.raises(RiskkitError, match="an override needs a reason"):
        apply_override(result, other, "   ", band_names=names)


def test_needs_profile_and_case_plan(setting: tuple[LoadedModel, pd.DataFrame]) -> None:
    model, cases = setting
    config = model.bundle.config
    population = generate_population(2000, seed=23)
    features = config.features.use
    labels = population[[c for c in population.columns if c.startswith("need_")]]
    train = load_records(config, _written(population)).validation.valid
    needs = NeedsModel(n_estimators=30, n_jobs=1).fit(train[features], labels.set_axis(train.index))
    catalogue = load_catalogue(ROOT / "catalogues" / "example.toml")
    scored = score_cases(model, cases, needs_model=needs, catalogue=catalogue)
    result = scored[0]
    assert result.needs is not None and result.case_plan is not None
    assert result.case_plan.band == result.band
    assert result.case_plan.supervision.band == result.band
    data = json.loads(json.dumps(result.to_dict()))
    assert data["needs"]["needs"][0]["rank"] == 1
    assert data["case_plan"]["band"] == result.band


def test_records_without_the_inputs_are_refused(
    setting: tuple[LoadedModel, pd.DataFrame],
) -> None:
    model, cases = setting
    with pytest.raises(RiskkitError, match=r"lack the model's input\(s\) \['age'\]"):
        score_cases(model, cases.drop(columns=["age"]))


def _written(frame: pd.DataFrame) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "needs.csv"
    frame.to_csv(path, index=False)
    return path


def test_each_result_carries_its_recourse(setting: tuple[LoadedModel, pd.DataFrame]) -> None:
    model, cases = setting
    scored = score_cases(model, cases)
    names = model.bundle.config.band_names()
    lowest = next(i for i, band in enumerate(scored.bands) if band == names[0])
    assert scored[lowest].recourse is not None
    assert scored[lowest].recourse.reason == "already_lowest_band"
    higher = next(i for i, band in enumerate(scored.bands) if band != names[0])
    recourse = scored[higher].recourse
    assert recourse is not None and recourse.current_band == scored.bands[higher]
    data = json.loads(json.dumps(scored[higher].to_dict()))
    assert data["recourse"]["current_band"] == scored.bands[higher]


def test_interval_from_the_bootstrap_refits(
    setting: tuple[LoadedModel, pd.DataFrame], tmp_path: Path
) -> None:
    from riskkit.estimators.uncertainty import BootstrapIntervals
    from riskkit.tracking import read_bundle, save_bundle
    from riskkit.training.pipeline import build_estimator

    model, cases = setting
    config = model.bundle.config
    train = load_records(config, _written(generate_population(2000, seed=24))).validation.valid
    intervals = BootstrapIntervals(n_bootstrap=8, level=0.9, random_state=0).fit(
        build_estimator(config), train[config.features.use], train[config.target.column].astype(int)
    )
    bundle = ModelBundle(model.bundle.estimator, config, intervals)
    hashes = save_bundle(bundle, tmp_path / "bundle")
    assert "intervals.json" in hashes
    stored = read_bundle(tmp_path / "bundle", hashes)
    loaded = LoadedModel(name="recidivism", version=4, alias=None, stored=stored)
    result = score_cases(loaded, cases)[0]
    assert result.interval is not None
    low, high, level = result.interval
    assert 0.0 <= low <= high <= 1.0 and level == 0.9
    data = result.to_dict()["interval"]
    assert data == {"low": low, "high": high, "level": 0.9, "method": "bootstrap"}
    # Without the refits there is no interval, and the JSON says so.
    assert score_cases(model, cases)[0].to_dict()["interval"] is None


@pytest.mark.parametrize("chunk_rows", [2, 1000])
def test_a_file_in_chunks_loses_nobody(
    setting: tuple[LoadedModel, pd.DataFrame], tmp_path: Path, chunk_rows: int
) -> None:
    from riskkit.scoring.batch import score_file

    model, _ = setting
    people = generate_population(7, seed=31).astype(object)
    people.loc[3, "age"] = "old"  # not a number: rejected
    people.loc[5, "person_id"] = people.loc[1, "person_id"]  # a repeated id: both rejected
    people.to_csv(tmp_path / "cases.csv", index=False)
    summary = score_file(
        model, tmp_path / "cases.csv", tmp_path / "out", html=False, chunk_rows=chunk_rows
    )
    assert (summary.n_input, summary.n_scored, summary.n_rejected) == (7, 4, 3)
    index = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert len(index) == 4 and index["person_id"].is_unique
    rejects = pd.read_csv(tmp_path / "out" / "rejects.csv")
    assert sorted(rejects["row"]) == [2, 4, 6]
    assert sum(summary.bands.values()) == 4

"""Recourse: the smallest changes to changeable factors that lower a person's band.

Every proposed change is checked against the model itself: applied to the record and
re-scored, it must land in a lower band, and it must only touch changeable, non-protected
factors within their allowed ranges. Minimality is checked by brute force over every allowed
value, not only the bin representatives the search uses.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from riskkit.config import load_pipeline
from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.calibration import CalibratedAdditiveClassifier
from riskkit.explain.recourse import (
    LOWEST_BAND_OPTIONS,
    REASONS,
    Recourse,
    RecourseChange,
    find_recourse,
)
from riskkit.features.registry import Feature, FeatureRegistry, Labels, default_registry

ROOT = Path(__file__).resolve().parents[1]
CONFIG = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
USE = list(CONFIG.features.use)
THRESHOLDS = CONFIG.band_thresholds()
NAMES = CONFIG.band_names()
REGISTRY = default_registry()

Model = AdditiveBoostedClassifier | CalibratedAdditiveClassifier


def additive(**overrides: Any) -> AdditiveBoostedClassifier:
    """A small, fast additive model with the registry's monotone constraints."""
    params: dict[str, Any] = {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "n_jobs": 1,
        "random_state": 3,
    }
    params.update(overrides)
    return AdditiveBoostedClassifier(**params)


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return generate_population(5000, seed=41)


@pytest.fixture(scope="module")
def models(population: pd.DataFrame) -> dict[str, Model]:
    X, y = population[USE], population["rearrest_24m"]
    monotone = {n: REGISTRY[n].monotone for n in USE}
    return {
        "additive": additive(monotone_constraints=monotone).fit(X, y),
        "isotonic": CalibratedAdditiveClassifier(
            additive(monotone_constraints=monotone), method="isotonic", cv=3
        ).fit(X, y),
    }


def band_of(probability: float, thresholds: Sequence[float] = THRESHOLDS) -> int:
    index = int(np.searchsorted(np.asarray(thresholds), probability, side="left"))
    return min(index, len(thresholds) - 1)


def probabilities(model: Model, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(X)[:, 1])


def apply(record: pd.DataFrame, changes: Sequence[RecourseChange]) -> pd.DataFrame:
    """The one-row record with the changes applied (dtypes kept)."""
    changed = record.copy()
    for change in changes:
        changed.loc[changed.index[0], change.feature] = change.new_value
    return changed


def people_in(model: Model, population: pd.DataFrame, band: int, n: int) -> list[int]:
    p = probabilities(model, population[USE])
    index = [i for i in range(len(population)) if band_of(p[i]) == band]
    return index[:n]


def allowed_values(name: str) -> list[Any]:
    """Every value the registry allows (the brute force searches all of them)."""
    feature = REGISTRY[name]
    if feature.kind == "categorical":
        return list(feature.categories)
    if feature.kind == "binary":
        return [0, 1]
    assert feature.minimum is not None and feature.maximum is not None
    return list(range(int(feature.minimum), int(feature.maximum) + 1))


def effort_of(name: str, current: Any, new: Any) -> float:
    feature = REGISTRY[name]
    if feature.kind in ("categorical", "binary"):
        return 1.0
    assert feature.minimum is not None and feature.maximum is not None
    return abs(float(new) - float(current)) / (feature.maximum - feature.minimum)


def brute_force(model: Model, record: pd.DataFrame, k: int, target: int) -> tuple[bool, float]:
    """Whether some change to ``k`` changeable factors (any allowed values) reaches band
    ``target`` or lower, and the least effort that does (inf when none)."""
    changeable = [
        n
        for n in USE
        if REGISTRY[n].changeable and not REGISTRY[n].protected and pd.notna(record[n].iloc[0])
    ]
    options = {n: [v for v in allowed_values(n) if v != record[n].iloc[0]] for n in changeable}
    rows: list[dict[str, Any]] = []
    efforts: list[float] = []
    for group in itertools.combinations(changeable, k):
        for chosen in itertools.product(*(options[n] for n in group)):
            rows.append(dict(zip(group, chosen, strict=True)))
            efforts.append(
                sum(effort_of(n, record[n].iloc[0], v) for n, v in zip(group, chosen, strict=True))
            )
    grid = record.loc[record.index.repeat(len(rows))].reset_index(drop=True)
    for name in changeable:
        column = [row.get(name, record[name].iloc[0]) for row in rows]
        if REGISTRY[name].kind == "categorical":
            grid[name] = pd.Categorical(column, categories=list(REGISTRY[name].categories))
        else:
            grid[name] = np.asarray(column, dtype="float64")
    p = probabilities(model, grid)
    reached = np.searchsorted(np.asarray(THRESHOLDS), p, side="left") <= target
    if not reached.any():
        return False, np.inf
    return True, float(np.min(np.asarray(efforts)[reached]))


# -- what recourse proposes ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["additive", "isotonic"])
@pytest.mark.parametrize("band", [2, 1])
def test_changes_touch_only_changeable_factors_and_really_lower_the_band(
    models: dict[str, Model], population: pd.DataFrame, kind: str, band: int
) -> None:
    model = models[kind]
    people = people_in(model, population, band, 25)
    assert len(people) >= 20
    found = 0
    for i in people:
        record = population.iloc[[i]]
        result = find_recourse(model, record, band_thresholds=THRESHOLDS, band_names=NAMES)
        current = float(probabilities(model, record[USE])[0])
        assert result.current_probability == pytest.approx(current, abs=1e-12)
        assert result.current_band == NAMES[band]
        assert result.target_band == NAMES[band - 1]
        if not result.found:
            assert result.reason == "not_reachable_within_allowed_ranges"
            assert result.changes == ()
            continue
        found += 1
        assert result.reason is None
        assert 1 <= len(result.changes) <= 2
        assert len({c.feature for c in result.changes}) == len(result.changes)
        for change in result.changes:
            feature = REGISTRY[change.feature]
            assert feature.changeable and not feature.protected
            assert change.feature in USE
            assert change.current_value == record[change.feature].iloc[0]
            assert change.new_value != change.current_value
            if feature.kind == "categorical":
                assert change.new_value in feature.categories
            elif feature.kind == "binary":
                assert change.new_value in (0, 1)
            else:
                assert isinstance(change.new_value, int)
                assert feature.minimum is not None and feature.maximum is not None
                assert feature.minimum <= change.new_value <= feature.maximum
        changed = apply(record, result.changes)
        # static factors, protected attributes and everything else are left as they were
        untouched = [c for c in population.columns if c not in {x.feature for x in result.changes}]
        pd.testing.assert_frame_equal(changed[untouched], record[untouched])
        new = float(probabilities(model, changed[USE])[0])
        assert band_of(new) < band
        assert result.new_band == NAMES[band_of(new)]
        assert result.new_probability is not None
        assert abs(new - result.new_probability) <= 1e-9
        assert sum(c.contribution_change_points for c in result.changes) == pytest.approx(
            new - current, abs=1e-12
        )
        assert all(c.contribution_change_points < 0 for c in result.changes)
        for option in result.lowest_band_options:
            lowest = float(probabilities(model, apply(record, option.changes)[USE])[0])
            assert band_of(lowest) == 0
            assert abs(lowest - option.new_probability) <= 1e-9
            assert option.new_band == NAMES[0]
        assert len(result.lowest_band_options) <= LOWEST_BAND_OPTIONS
        if band == 1:
            assert result.lowest_band_options == ()
    assert found >= 10


def test_people_two_bands_up_get_options_for_the_lowest_band(
    models: dict[str, Model], population: pd.DataFrame
) -> None:
    model = models["additive"]
    # bands close enough together that the lowest one is within two changes of the highest
    thresholds = [0.35, 0.4, 1.0]
    p = probabilities(model, population[USE])
    checked = 0
    for i in np.flatnonzero((p > 0.4) & (p < 0.45))[:20]:
        record = population.iloc[[i]]
        result = find_recourse(model, record, band_thresholds=thresholds, band_names=NAMES)
        if not result.lowest_band_options:
            continue
        checked += 1
        options = result.lowest_band_options
        assert len(options) <= LOWEST_BAND_OPTIONS
        for option in options:
            new = float(probabilities(model, apply(record, option.changes)[USE])[0])
            assert band_of(new, thresholds) == 0
            assert abs(new - option.new_probability) <= 1e-9
            assert option.new_band == NAMES[0]
            assert all(REGISTRY[c.feature].changeable for c in option.changes)
        sizes = {len(o.changes) for o in options}
        assert len(sizes) == 1 and sizes.pop() >= len(result.changes)
        efforts = [o.effort for o in options]
        assert efforts == sorted(efforts)
        assert len({tuple((c.feature, c.new_value) for c in o.changes) for o in options}) == len(
            options
        )
    assert checked >= 5


def test_the_smallest_change_is_minimal_by_brute_force(
    models: dict[str, Model], population: pd.DataFrame
) -> None:
    """No single change reaches the target when two are proposed, and the effort proposed is
    the least effort of any allowed value (not only the bin representatives)."""
    model = models["additive"]
    by_size: dict[int, list[tuple[pd.DataFrame, Recourse]]] = {1: [], 2: []}
    for i in people_in(model, population, 2, 80):
        record = population.iloc[[i]]
        result = find_recourse(model, record, band_thresholds=THRESHOLDS, band_names=NAMES)
        if result.found and len(by_size[len(result.changes)]) < 2:
            by_size[len(result.changes)].append((record, result))
    assert len(by_size[1]) == 2 and len(by_size[2]) == 2
    for size, cases in by_size.items():
        for record, result in cases:
            target = NAMES.index(str(result.target_band))
            single, single_effort = brute_force(model, record, 1, target)
            if size == 2:
                assert not single
                pair, pair_effort = brute_force(model, record, 2, target)
                assert pair
                assert result.effort == pytest.approx(pair_effort, abs=1e-9)
            else:
                assert single
                assert result.effort == pytest.approx(single_effort, abs=1e-9)


def test_max_changes_limits_the_search(models: dict[str, Model], population: pd.DataFrame) -> None:
    model = models["additive"]
    for i in people_in(model, population, 2, 80):
        record = population.iloc[[i]]
        result = find_recourse(model, record, band_thresholds=THRESHOLDS, band_names=NAMES)
        if result.found and len(result.changes) == 2:
            one = find_recourse(
                model, record, band_thresholds=THRESHOLDS, band_names=NAMES, max_changes=1
            )
            assert not one.found
            assert one.reason == "not_reachable_within_allowed_ranges"
            three = find_recourse(
                model, record, band_thresholds=THRESHOLDS, band_names=NAMES, max_changes=3
            )
            assert three.changes == result.changes
            return
    pytest.fail("no person needed two changes")


def test_missing_changeable_values_are_left_out_and_listed(
    models: dict[str, Model], population: pd.DataFrame
) -> None:
    model = models["additive"]
    missing = population.index[population["gang_affiliation"].isna()]
    assert len(missing) > 0
    record = population.loc[[missing[0]]].copy()
    # raise the risk with static factors so the person is in the highest band
    record["prior_convictions"] = 20
    record["age_first_arrest"] = 12
    record["disciplinary_reports"] = 10
    result = find_recourse(model, record, band_thresholds=THRESHOLDS, band_names=NAMES)
    assert result.current_band == NAMES[-1]
    assert result.missing_changeable == ("gang_affiliation",)
    assert all(c.feature != "gang_affiliation" for c in result.changes)
    assert result.to_dict()["missing_changeable"] == ["gang_affiliation"]


# -- when there is none ---------------------------------------------------------------------------
def test_a_person_in_the_lowest_band_has_nothing_to_reach(
    models: dict[str, Model], population: pd.DataFrame
) -> None:
    model = models["isotonic"]
    record = population.iloc[[people_in(model, population, 0, 1)[0]]]
    result = find_recourse(model, record, band_thresholds=THRESHOLDS, band_names=NAMES)
    assert result == Recourse(
        current_band=NAMES[0],
        target_band=None,
        current_probability=result.current_probability,
        new_probability=None,
        changes=(),
        found=False,
        reason="already_lowest_band",
    )


def test_a_model_of_static_and_protected_inputs_offers_no_recourse(
    population: pd.DataFrame,
) -> None:
    static = ["age", "age_first_arrest", "prior_convictions", "offence_type", "sex"]
    assert not any(REGISTRY[n].changeable and not REGISTRY[n].protected for n in static)
    model = additive(n_estimators=30).fit(population[static], population["rearrest_24m"])
    p = probabilities(model, population[static])
    record = population.iloc[[int(np.argmax(p))]]
    result = find_recourse(
        model, record, band_thresholds=[float(np.median(p)), 1.0], band_names=["low", "high"]
    )
    assert (result.found, result.reason, result.changes) == (False, "no_changeable_inputs", ())
    assert (result.current_band, result.target_band) == ("high", "low")


def test_an_unreachable_band_is_reported_as_such(
    models: dict[str, Model], population: pd.DataFrame
) -> None:
    model = models["additive"]
    thresholds = [0.001, 0.5, 1.0]
    p = probabilities(model, population[USE])
    record = population.iloc[[int(np.flatnonzero((p > 0.3) & (p <= 0.5))[0])]]
    result = find_recourse(
        model, record, band_thresholds=thresholds, band_names=NAMES, max_changes=3
    )
    assert (result.found, result.reason, result.changes) == (
        False,
        "not_reachable_within_allowed_ranges",
        (),
    )
    assert (result.current_band, result.target_band) == ("medium", "low")
    assert result.new_probability is None and result.new_band is None
    assert set(REASONS) == {
        "already_lowest_band",
        "no_changeable_inputs",
        "not_reachable_within_allowed_ranges",
    }


# -- inputs, output, determinism, speed ----------------------------------------------------------
def test_same_input_same_output_whatever_the_record_form(
    models: dict[str, Model], population: pd.DataFrame
) -> None:
    model = models["isotonic"]
    i = people_in(model, population, 2, 1)[0]
    frame = population.iloc[[i]]
    first = find_recourse(model, frame, band_thresholds=THRESHOLDS, band_names=NAMES)
    assert first.found
    again = find_recourse(model, frame.copy(), band_thresholds=THRESHOLDS, band_names=NAMES)
    as_series = find_recourse(
        model, population.iloc[i], band_thresholds=THRESHOLDS, band_names=NAMES
    )
    plain: dict[str, Any] = {}
    for name in USE:
        value = population[name].iloc[i]
        plain[name] = None if pd.isna(value) else value if isinstance(value, str) else value.item()
    as_dict = find_recourse(model, plain, band_thresholds=THRESHOLDS, band_names=NAMES)
    assert first == again == as_series == as_dict
    text = json.dumps(first.to_dict(), sort_keys=True)
    assert json.loads(text) == first.to_dict()
    assert set(first.to_dict()) >= {
        "current_band",
        "target_band",
        "current_probability",
        "new_probability",
        "changes",
        "found",
        "reason",
    }
    assert json.loads(text)["changes"][0].keys() == {
        "feature",
        "current_value",
        "new_value",
        "contribution_change_points",
    }


def test_a_continuous_feature_gets_a_round_value_inside_its_range() -> None:
    rng = np.random.default_rng(8)
    n = 3000
    X = pd.DataFrame(
        {
            "share_employed": rng.uniform(0.0, 1.0, n),
            "priors": rng.integers(0, 10, n),
        }
    )
    logit = 1.0 - 2.5 * X["share_employed"] + 0.2 * X["priors"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    labels = Labels(es="x", pt="x", en="x")
    registry = FeatureRegistry(
        [
            Feature("share_employed", "numeric", labels, changeable=True, minimum=0.0, maximum=1.0),
            Feature("priors", "integer", labels, changeable=False, minimum=0, maximum=60),
        ]
    )
    model = additive(monotone_constraints={"share_employed": -1, "priors": 1}).fit(X, y)
    p = probabilities(model, X)
    thresholds, names = [0.4, 0.6, 1.0], ["low", "medium", "high"]
    checked = 0
    for i in np.flatnonzero(p > 0.6)[:20]:
        record = X.iloc[[i]]
        result = find_recourse(
            model, record, band_thresholds=thresholds, band_names=names, registry=registry
        )
        if not result.found:
            continue
        (change,) = result.changes
        assert change.feature == "share_employed"
        assert isinstance(change.new_value, float)
        assert 0.0 <= change.new_value <= 1.0
        assert round(change.new_value, 6) == change.new_value
        assert isinstance(change.current_value, float)
        assert result.effort == pytest.approx(abs(change.new_value - change.current_value))
        new = float(probabilities(model, apply(record, result.changes))[0])
        assert band_of(new, thresholds) < 2
        checked += 1
    assert checked >= 10


def test_one_person_takes_milliseconds(models: dict[str, Model], population: pd.DataFrame) -> None:
    model = models["isotonic"]
    records = [population.iloc[[i]] for i in people_in(model, population, 2, 20)]
    times = []
    for record in records:
        start = time.process_time()
        find_recourse(model, record, band_thresholds=THRESHOLDS, band_names=NAMES)
        times.append(time.process_time() - start)
    # measured at ~5 ms; the bound only catches a return to one prediction per candidate
    assert float(np.median(times)) < 0.05


# -- errors ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def record(models: dict[str, Model], population: pd.DataFrame) -> pd.DataFrame:
    return population.iloc[[people_in(models["additive"], population, 2, 1)[0]]]


def test_a_model_with_interactions_is_refused(population: pd.DataFrame) -> None:
    features = ["age", "housing", "prison_work"]
    model = additive(n_estimators=20, interactions=[("age", "housing")]).fit(
        population[features], population["rearrest_24m"]
    )
    with pytest.raises(RiskkitError, match=r"without pairwise interactions.*\('age', 'housing'\)"):
        find_recourse(model, population.iloc[[0]], band_thresholds=THRESHOLDS, band_names=NAMES)


def test_models_it_cannot_use_are_refused(record: pd.DataFrame) -> None:
    with pytest.raises(RiskkitError, match="AdditiveBoostedClassifier is not fitted"):
        find_recourse(additive(), record, band_thresholds=THRESHOLDS, band_names=NAMES)
    with pytest.raises(RiskkitError, match="CalibratedAdditiveClassifier is not fitted"):
        find_recourse(
            CalibratedAdditiveClassifier(), record, band_thresholds=THRESHOLDS, band_names=NAMES
        )
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(RiskkitError, match="got LogisticRegression"):
        find_recourse(
            LogisticRegression(),
            record,
            band_thresholds=THRESHOLDS,
            band_names=NAMES,
        )


@pytest.mark.parametrize(
    ("thresholds", "names", "message"),
    [
        ([0.2, 1.0], ["low", "medium", "high"], "2 thresholds and 3 names"),
        ([], [], "0 thresholds and 0 names"),
        ([0.4, 0.2, 1.0], ["low", "medium", "high"], r"must increase and end at 1.0, got \[0.4"),
        ([0.2, 0.4, 0.9], ["low", "medium", "high"], "must increase and end at 1.0"),
        ([0.2, 0.4, 1.0], ["low", "low", "high"], "band_names repeat"),
    ],
)
def test_bad_bands_are_refused(
    models: dict[str, Model],
    record: pd.DataFrame,
    thresholds: list[float],
    names: list[str],
    message: str,
) -> None:
    with pytest.raises(RiskkitError, match=message):
        find_recourse(models["additive"], record, band_thresholds=thresholds, band_names=names)


@pytest.mark.parametrize(
    ("max_changes", "message"),
    [
        (0, "from 1 to 3, got 0"),
        (4, "from 1 to 3, got 4"),
        ("2", "an integer"),
        (True, "an integer"),
    ],
)
def test_max_changes_out_of_range_is_refused(
    models: dict[str, Model], record: pd.DataFrame, max_changes: Any, message: str
) -> None:
    with pytest.raises(RiskkitError, match=message):
        find_recourse(
            models["additive"],
            record,
            band_thresholds=THRESHOLDS,
            band_names=NAMES,
            max_changes=max_changes,
        )


def bad_records(population: pd.DataFrame) -> Iterator[tuple[Any, str]]:
    yield population.iloc[[0, 1]], "one person, got a DataFrame with 2 rows"
    yield (
        population.iloc[[0]].drop(columns=["housing", "age"]),
        r"lacks the model's input\(s\) \['age', 'housing'\]",
    )
    bad = population.iloc[[0]].astype({"family_visits_month": object})
    bad.loc[bad.index[0], "family_visits_month"] = "many"
    yield bad, "feature 'family_visits_month' must be a number, got 'many'"
    yield [1, 2, 3], "got list"


def test_bad_records_are_refused(models: dict[str, Model], population: pd.DataFrame) -> None:
    for bad, message in bad_records(population):
        with pytest.raises(RiskkitError, match=message):
            find_recourse(models["additive"], bad, band_thresholds=THRESHOLDS, band_names=NAMES)


def test_a_health_condition_is_never_proposed() -> None:
    from riskkit.explain.recourse import NEVER_PROPOSED

    assert "mental_health_condition" in NEVER_PROPOSED
    population = generate_population(3000, seed=41)
    features = ["age", "mental_health_condition", "housing", "substance_use"]
    X = population[features]
    y = population["rearrest_24m"].astype(int)
    model = AdditiveBoostedClassifier(n_estimators=60, n_jobs=1).fit(X, y)
    probability = model.predict_proba(X)[:, 1]
    cut = float(np.quantile(probability, 0.6))
    proposed: set[str] = set()
    for i in np.flatnonzero(probability > cut)[:25]:
        result = find_recourse(
            model, X.iloc[[i]], band_thresholds=[cut, 1.0], band_names=["low", "high"]
        )
        proposed |= {change.feature for change in result.changes}
    assert proposed and "mental_health_condition" not in proposed

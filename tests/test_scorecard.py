"""The points scorecard: integer points read off the additive model, the points-to-probability
table, its accuracy loss, persistence without pickle, and the printable page in es/pt/en."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskkit.data.synthetic import generate_population
from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.scorecard import PointsScorecard
from riskkit.features.registry import default_registry
from riskkit.metrics import auc
from riskkit.reports.scorecard_report import (
    _integer_label,
    _range_label,
    render_scorecard_html,
)

FEATURES = [
    "age",
    "age_first_arrest",
    "prior_convictions",
    "offence_type",
    "gang_affiliation",
    "disciplinary_reports",
    "prison_work",
    "employment_prospect",
    "housing",
    "substance_use",
]
PARAMS = {"n_estimators": 300, "random_state": 7, "n_jobs": 1}
LN2 = math.log(2.0)


# --- scikit-learn contract ----------------------------------------------------------------------


# min_child_samples=1: LightGBM counts people (rows), not weights, in a leaf, so with a larger
# minimum a weight of 2 is not the same as a repeated row and check_sample_weight_equivalence
# would fail by design; with 1 every check passes and none needs to be marked as expected.
@parametrize_with_checks([PointsScorecard(n_estimators=10, min_child_samples=1, n_jobs=1)])
def test_sklearn_contract(estimator: PointsScorecard, check: object) -> None:
    check(estimator)  # type: ignore[operator]


# --- data and models ----------------------------------------------------------------------------


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Features typed as the validator types them: numbers as float, categories as Categorical."""
    return pd.DataFrame(
        {
            name: frame[name]
            if isinstance(frame[name].dtype, pd.CategoricalDtype)
            else frame[name].to_numpy(dtype="float64", na_value=np.nan)
            for name in FEATURES
        },
        index=frame.index,
    )


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    population = generate_population(20000, seed=1)
    X = _typed(population)
    y = population["rearrest_24m"].to_numpy()
    return X.iloc[:15000], y[:15000], X.iloc[15000:], y[15000:]


@pytest.fixture(scope="module")
def monotone() -> dict[str, int]:
    registry = default_registry()
    return {n: int(registry[n].monotone) for n in FEATURES if registry[n].monotone}


@pytest.fixture(scope="module")
def card(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray], monotone: dict[str, int]
) -> PointsScorecard:
    X, y, _, _ = data
    return PointsScorecard(monotone_constraints=monotone, **PARAMS).fit(X, y)


# --- points -------------------------------------------------------------------------------------


def test_points_are_non_negative_integers_with_a_zero_per_feature(card: PointsScorecard) -> None:
    assert list(card.points_) == FEATURES
    for name, table in card.points_.items():
        assert table["points"].dtype == np.int64, name
        assert table["points"].min() == 0, name
        assert table["bin"].iloc[-1] == "(missing)"
    # the scale is not degenerate: strong factors spread over many points
    assert card.points_["prior_convictions"]["points"].max() >= 10


def test_points_round_the_additive_shape_on_the_fixed_scale(card: PointsScorecard) -> None:
    shapes = card.additive_.shape_functions_
    assert shapes is not None and card.additive_.intercept_ is not None
    assert card.log_odds_per_point_ == pytest.approx(LN2 / 20)
    offset = card.additive_.intercept_
    for name, shape in shapes.items():
        values = np.array([*shape.values, shape.missing_value])
        offset += values.min()
        expected = np.rint((values - values.min()) * 20 / LN2)
        np.testing.assert_array_equal(card.points_[name]["points"].to_numpy(), expected)
        np.testing.assert_array_equal(card.points_[name]["log_odds"].to_numpy(), values)
    assert card.offset_ == pytest.approx(offset, abs=1e-12)


def test_monotone_registry_features_have_monotone_points(
    card: PointsScorecard, monotone: dict[str, int]
) -> None:
    assert {"age", "prior_convictions", "gang_affiliation", "prison_work"} <= set(monotone)
    for name, direction in monotone.items():
        points = card.points_[name]["points"].to_numpy()[:-1]  # bins, without the missing row
        steps = np.diff(points) * direction
        assert np.all(steps >= 0), (name, points)
    assert card.points_["prior_convictions"]["points"].iloc[:-1].is_monotonic_increasing
    assert card.points_["age"]["points"].iloc[0] > card.points_["age"]["points"].iloc[-2]


def test_person_points_follow_the_shape_lookup_including_missing_and_unknown(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, _ = data
    probe = X.copy()
    probe.loc[probe.index[::5], "prior_convictions"] = np.nan
    probe.loc[probe.index[::7], "housing"] = np.nan
    probe["offence_type"] = probe["offence_type"].astype(object)  # plain text: looked up by name
    probe.loc[probe.index[::11], "offence_type"] = "not a category"
    probe.loc[probe.index[3], "age"] = 250.0  # beyond every threshold
    points = card.points(probe)
    assert list(points.columns) == FEATURES and points.index.equals(probe.index)
    assert (points.dtypes == np.int64).all()
    shapes = card.additive_.shape_functions_
    assert shapes is not None
    unknown = probe["offence_type"] == "not a category"
    known = probe.assign(offence_type=probe["offence_type"].where(~unknown, None))
    for name, shape in shapes.items():
        values = np.array([*shape.values, shape.missing_value])
        expected = np.rint((shape.lookup(known[name]) - values.min()) * 20 / LN2)
        np.testing.assert_array_equal(points[name].to_numpy(), expected, err_msg=name)
    # an unknown category scores as missing, like the additive model treats it
    missing_points = card.points_["offence_type"]["points"].iloc[-1]
    assert unknown.sum() > 100
    assert (points.loc[unknown, "offence_type"] == missing_points).all()
    np.testing.assert_allclose(
        card.decision_function(probe),
        card.additive_.decision_function(known),
        atol=len(FEATURES) * 0.5 * LN2 / 20,
    )
    np.testing.assert_array_equal(card.total_points(probe), points.sum(axis=1).to_numpy())


def test_total_points_through_the_table_give_predict_proba(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, _ = data
    table = card.probability_table_
    largest = sum(int(t["points"].max()) for t in card.points_.values())
    assert table["total_points"].tolist() == list(range(largest + 1))
    assert table["probability"].is_monotonic_increasing
    lookup = dict(zip(table["total_points"], table["probability"], strict=True))
    totals = card.total_points(X)
    proba = card.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 1], [lookup[t] for t in totals])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    by_formula = 1 / (1 + np.exp(-(card.offset_ + totals * LN2 / 20)))
    np.testing.assert_allclose(proba[:, 1], by_formula, rtol=0, atol=1e-12)
    np.testing.assert_allclose(card.decision_function(X), card.offset_ + totals * LN2 / 20)
    assert set(np.unique(card.predict(X))) <= {0, 1}
    np.testing.assert_array_equal(card.predict(X), (proba[:, 1] > 0.5).astype(int))


def test_every_pdo_points_double_the_odds(card: PointsScorecard) -> None:
    p = card.probability_table_["probability"].to_numpy()
    odds = p / (1 - p)
    np.testing.assert_allclose(odds[20:] / odds[:-20], 2.0, rtol=1e-9)


def test_rounding_is_the_only_loss(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, _ = data
    gap = np.abs(card.decision_function(X) - card.additive_.decision_function(X))
    # each feature rounds by at most half a point
    assert gap.max() <= len(FEATURES) * 0.5 * LN2 / 20 + 1e-12
    assert gap.max() > 0  # rounding did happen (so the check above could fail)


def test_accuracy_loss_against_the_additive_model_is_small(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, y = data
    loss = card.accuracy_loss(X, y)
    assert set(loss) == {
        "auc_scorecard",
        "auc_additive",
        "auc_loss",
        "brier_scorecard",
        "brier_additive",
        "brier_loss",
        "max_abs_log_odds_difference",
        "mean_abs_probability_difference",
    }
    assert loss["auc_additive"] == pytest.approx(
        auc(y, card.additive_.predict_proba(X)[:, 1]), abs=1e-12
    )
    assert loss["auc_scorecard"] == pytest.approx(auc(y, card.predict_proba(X)[:, 1]), abs=1e-12)
    assert loss["auc_loss"] == pytest.approx(loss["auc_additive"] - loss["auc_scorecard"])
    assert loss["brier_loss"] == pytest.approx(loss["brier_scorecard"] - loss["brier_additive"])
    assert loss["auc_scorecard"] > 0.62  # the synthetic outcome is predictable
    assert abs(loss["auc_loss"]) < 0.01
    assert abs(loss["brier_loss"]) < 0.002
    assert 0 < loss["mean_abs_probability_difference"] < 0.02


def test_accuracy_loss_refuses_unknown_labels(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, y = data
    with pytest.raises(ValueError, match=r"y holds labels \[2\] that are not the scorecard's"):
        card.accuracy_loss(X, np.where(y == 1, 2, 0))


def test_points_table_merges_equal_neighbours_without_changing_any_score(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, _ = data
    merged = card.points_table()
    full = card.points_table(merge_equal=False)
    assert len(merged) < len(full)
    people = X.iloc[:500]
    points = card.points(people)
    for name in ("age", "age_first_arrest", "prior_convictions", "disciplinary_reports"):
        rows = merged[(merged["feature"] == name) & ~merged["missing"]]
        assert (rows["points"].diff().dropna() != 0).all(), name
        assert rows["lower"].iloc[0] == -np.inf and rows["upper"].iloc[-1] == np.inf
        x = people[name].to_numpy()
        inside = (x[:, None] > rows["lower"].to_numpy()) & (x[:, None] <= rows["upper"].to_numpy())
        assert (inside.sum(axis=1) == 1).all()
        np.testing.assert_array_equal(
            rows["points"].to_numpy()[inside.argmax(axis=1)], points[name].to_numpy()
        )


# --- from_additive and state --------------------------------------------------------------------


def test_from_additive_gives_the_same_points_as_fit(
    card: PointsScorecard,
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray],
    monotone: dict[str, int],
) -> None:
    X, y, X_test, _ = data
    additive = AdditiveBoostedClassifier(monotone_constraints=monotone, **PARAMS).fit(X, y)
    derived = PointsScorecard.from_additive(additive, points_to_double_odds=20)
    assert derived.additive_ is additive
    assert derived.get_params() == card.get_params()
    for name in FEATURES:
        pd.testing.assert_frame_equal(derived.points_[name], card.points_[name])
    assert derived.offset_ == card.offset_
    pd.testing.assert_frame_equal(derived.probability_table_, card.probability_table_)
    np.testing.assert_array_equal(derived.predict_proba(X_test), card.predict_proba(X_test))
    # a finer scale from the same model, without refitting
    fine = PointsScorecard.from_additive(additive, points_to_double_odds=40)
    assert fine.points_["prior_convictions"]["points"].max() == pytest.approx(
        2 * card.points_["prior_convictions"]["points"].max(), abs=1
    )


def test_from_additive_refuses_pairs_and_unfitted_models(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    X, y, _, _ = data
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        PointsScorecard.from_additive(AdditiveBoostedClassifier())
    paired = AdditiveBoostedClassifier(
        n_estimators=5, interactions=[("age", "prior_convictions")], n_jobs=1
    ).fit(X.iloc[:2000], y[:2000])
    with pytest.raises(RiskkitError, match=r"pairwise interactions has no one-dimensional shape"):
        PointsScorecard.from_additive(paired)
    with pytest.raises(TypeError, match=r"takes a fitted AdditiveBoostedClassifier; got str"):
        PointsScorecard.from_additive("model")  # type: ignore[arg-type]


def test_state_round_trips_through_json(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, y = data
    text = json.dumps(card.get_state())
    restored = PointsScorecard.from_state(json.loads(text))
    assert restored.get_params() == card.get_params()
    assert restored.classes_.tolist() == [0, 1]
    assert list(restored.feature_names_in_) == FEATURES
    for name in FEATURES:
        pd.testing.assert_frame_equal(restored.points_[name], card.points_[name])
    pd.testing.assert_frame_equal(restored.probability_table_, card.probability_table_)
    np.testing.assert_array_equal(restored.predict_proba(X), card.predict_proba(X))
    assert restored.accuracy_loss(X, y) == card.accuracy_loss(X, y)


def test_stored_points_are_kept_as_written(card: PointsScorecard) -> None:
    state = json.loads(json.dumps(card.get_state()))
    state["points"]["housing"] = [0, 1, 2, 3]
    restored = PointsScorecard.from_state(state)
    assert restored.points_["housing"]["points"].tolist() == [0, 1, 2, 3]
    probe = pd.DataFrame(
        {name: [None] for name in FEATURES}
        | {"housing": pd.Categorical(["homeless"], categories=["stable", "temporary", "homeless"])}
    )
    probe = probe.astype({n: "float64" for n in FEATURES if n not in card.additive_.categories_})
    assert restored.points(probe)["housing"].iloc[0] == 2


def test_bad_states_are_refused(card: PointsScorecard) -> None:
    state = json.loads(json.dumps(card.get_state()))
    with pytest.raises(
        RiskkitError, match=r"unknown scorecard format 'riskkit.points_scorecard/9'"
    ):
        PointsScorecard.from_state({**state, "format": "riskkit.points_scorecard/9"})
    extra = {**state, "points": {**state["points"], "shoe_size": [0, 1]}}
    with pytest.raises(RiskkitError, match=r"has points for .*'shoe_size'.* but its model has"):
        PointsScorecard.from_state(extra)
    short = {**state, "points": {**state["points"], "housing": [0, 1]}}
    with pytest.raises(RiskkitError, match=r"feature 'housing' has 4 rows .* but 2 points"):
        PointsScorecard.from_state(short)


# --- input checks -------------------------------------------------------------------------------


@pytest.mark.parametrize("pdo", [0, -5, float("nan"), float("inf"), "20"])
def test_invalid_scale_is_refused(
    pdo: object, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    X, y, _, _ = data
    with pytest.raises(ValueError, match=r"points_to_double_odds must be a positive number"):
        PointsScorecard(points_to_double_odds=pdo, n_estimators=2).fit(X, y)  # type: ignore[arg-type]


def test_records_lacking_a_feature_are_named(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    _, _, X, _ = data
    with pytest.raises(RiskkitError, match=r"lack the scorecard's feature\(s\) \['housing'\]"):
        card.predict_proba(X.drop(columns="housing"))
    with pytest.raises(RiskkitError, match=r"feature 'age' has dtype .* expects numbers"):
        card.points(X.assign(age=X["age"].astype(str)))
    with pytest.raises(RiskkitError, match=r"categorical feature\(s\) \['offence_type'"):
        card.points(X.to_numpy())


def test_extra_columns_are_ignored_and_text_features_refused_at_fit(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    X, y, X_test, _ = data
    wider = X_test.assign(person_id="x")[["person_id", *FEATURES[::-1]]]
    np.testing.assert_array_equal(card.total_points(wider), card.total_points(X_test))
    with pytest.raises(RiskkitError, match=r"feature 'housing' has dtype .*validate records"):
        PointsScorecard(n_estimators=2).fit(X.assign(housing=X["housing"].astype(str)), y)


def test_single_class_is_refused(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    X, _, _, _ = data
    with pytest.raises(ValueError, match=r"needs both outcomes in y; found 1 class only"):
        PointsScorecard(n_estimators=2).fit(X, np.zeros(len(X), dtype=int))


def test_arrays_get_positional_feature_names() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 2))
    X[::9, 1] = np.nan
    y = (X[:, 0] + rng.normal(size=400) > 0).astype(int)
    card = PointsScorecard(n_estimators=30, min_child_samples=10, n_jobs=1).fit(X, y)
    assert list(card.points_) == ["x0", "x1"]
    assert card.points_["x0"]["points"].iloc[-2] > card.points_["x0"]["points"].iloc[0]
    with pytest.raises(ValueError, match=r"X has 3 features, but PointsScorecard is expecting 2"):
        card.predict(np.zeros((2, 3)))


# --- the printable page -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["Condenas previas", "en situación de calle", "Total de puntos", "sin dato"]),
        ("pt", ["Condenações anteriores", "em situação de rua", "Total de pontos", "sem dado"]),
        ("en", ["Prior convictions", "homeless", "Total points", "Employment at release"]),
    ],
)
def test_page_in_each_language(card: PointsScorecard, language: str, expected: list[str]) -> None:
    html = render_scorecard_html(card, language=language)
    assert f'<html lang="{language}">' in html
    for phrase in expected:
        assert phrase in html, phrase
    assert "@page { size: A4" in html
    assert "<script" not in html and "http" not in html  # self-contained
    scoring = [n for n, t in card.points_.items() if t["points"].max() > 0]
    assert len(scoring) >= 8
    assert html.count('<table class="factor">') == len(scoring)
    # the probability grid: row 10, column +3 is the probability of 13 points, as a percentage
    p = card.probability_table_["probability"].to_numpy()
    separator = "," if language in ("es", "pt") else "."
    cells = re.search(r"<tr><th>10</th>(.*?)</tr>", html)
    assert cells is not None
    values = re.findall(r"<td>(.*?)</td>", cells.group(1))
    assert values[3] == f"{100 * p[13]:.1f}".replace(".", separator)


def test_page_shows_points_and_readable_ranges(card: PointsScorecard) -> None:
    html = render_scorecard_html(card, language="es")
    age = card.points_table()
    age = age[(age["feature"] == "age") & ~age["missing"]]
    last = math.floor(age["lower"].iloc[-1]) + 1
    assert re.search(rf"<td>{last} o más</td><td class=\"num\">{age['points'].iloc[-1]}</td>", html)
    # prior convictions start at zero: LightGBM's split at 1e-35 reads as the value 0
    assert re.search(r"<td>0</td><td class=\"num\">0</td>", html)
    assert "1e-35" not in html and "1,0e" not in html
    # gang affiliation is binary and may be missing in the records: no / yes / missing
    gang = html[html.index("Vinculación a pandilla") :]
    assert gang.index("<td>no</td>") < gang.index("<td>sí</td>") < gang.index("<td>sin dato</td>")
    # age cannot be missing in a validated record, so no missing row for it
    age_table = html[
        html.index("<th>Edad</th>") : html.index("</table>", html.index("<th>Edad</th>"))
    ]
    assert "sin dato" not in age_table
    assert "Cada 20 puntos" in html or "cada 20 puntos" in html


def test_page_escapes_and_keeps_raw_names_when_asked(
    card: PointsScorecard, data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]
) -> None:
    html = render_scorecard_html(card, language="en", title="<script>alert(1)</script>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    raw = render_scorecard_html(card, language="en", feature_labels=False)
    assert "<th>prior_convictions</th>" in raw and "Prior convictions" not in raw
    X, y, _, _ = data
    odd = pd.DataFrame(
        {
            "a<b>": X["prior_convictions"].to_numpy(),
            "kind & type": pd.Categorical(
                np.where(X["housing"] == "homeless", "<i>x</i>", "plain"),
                categories=["plain", "<i>x</i>"],
            ),
        }
    )
    strange = PointsScorecard(n_estimators=30, n_jobs=1).fit(odd, y)
    page = render_scorecard_html(strange, language="pt")
    assert "a&lt;b&gt;" in page and "kind &amp; type" in page and "&lt;i&gt;x&lt;/i&gt;" in page
    assert "<i>" not in page and "<b>" not in page
    assert "sem dado" in page  # features outside the registry keep their missing row
    assert "mais de" in page or "até" in page  # unknown numbers read as plain ranges


def test_page_steps_through_large_totals(card: PointsScorecard) -> None:
    fine = PointsScorecard.from_additive(card.additive_, points_to_double_odds=400)
    assert len(fine.probability_table_) > 300
    html = render_scorecard_html(fine, language="en")
    assert "The table moves in steps of" in html
    rows = re.findall(r"<tr><th>(\d+)</th>", html)
    assert 1 < len(rows) <= 30
    coarse = render_scorecard_html(card, language="en")
    assert "steps of" not in coarse


def test_page_mentions_factors_worth_no_points(
    data: tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray],
) -> None:
    X, y, _, _ = data
    noise = X[["prior_convictions"]].assign(
        prison_work=np.zeros(len(X))  # constant: the model cannot split on it
    )
    card = PointsScorecard(n_estimators=30, n_jobs=1).fit(noise, y)
    html = render_scorecard_html(card, language="es")
    assert html.count('<table class="factor">') == 1
    assert "(0 puntos con cualquier valor): Trabajo en prisión." in html


def test_page_refuses_unknown_languages_and_unfitted_cards(card: PointsScorecard) -> None:
    with pytest.raises(RiskkitError, match=r"unknown report language 'fr'"):
        render_scorecard_html(card, language="fr")
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        render_scorecard_html(PointsScorecard())


def test_range_labels() -> None:
    registry = default_registry()
    es = {
        "at_most": "{value} o menos",
        "at_least": "{value} o más",
        "between": "{low} a {high}",
        "up_to": "hasta {value}",
        "above": "más de {value}",
        "above_up_to": "más de {low} y hasta {high}",
        "any_value": "cualquier valor",
        "yes": "sí",
        "no": "no",
    }
    priors, age, gang = registry["prior_convictions"], registry["age"], registry["gang_affiliation"]
    assert _integer_label(-np.inf, 1e-35, priors, es, "es") == "0"
    assert _integer_label(1e-35, 1.5, priors, es, "es") == "1"
    assert _integer_label(1.5, 6.5, priors, es, "es") == "2 a 6"
    assert _integer_label(6.5, np.inf, priors, es, "es") == "7 o más"
    assert _integer_label(-np.inf, 19.5, age, es, "es") == "19 o menos"
    assert _integer_label(-np.inf, np.inf, age, es, "es") == "cualquier valor"
    assert _integer_label(19.2, 19.7, age, es, "es") is None  # no whole number inside
    assert _integer_label(-np.inf, 1e-35, gang, es, "es") == "no"
    assert _integer_label(1e-35, np.inf, gang, es, "es") == "sí"
    assert _range_label(2.5, 7.25, es, "es") == "más de 2,5 y hasta 7,25"
    assert _range_label(-np.inf, 1e-35, es, "es") == "hasta 0"
    assert _range_label(1234.5678, np.inf, es, "es") == "más de 1235"


def test_calibrated_table_prints_the_calibrated_models_probabilities() -> None:
    from riskkit.estimators.calibration import CalibratedAdditiveClassifier

    population = generate_population(4000, seed=2)
    columns = ["age", "prior_convictions", "disciplinary_reports"]
    X, y = population[columns], population["rearrest_24m"].astype(int)
    model = CalibratedAdditiveClassifier(
        AdditiveBoostedClassifier(n_estimators=60, n_jobs=1), method="isotonic", cv=3
    ).fit(X, y)
    card = PointsScorecard.from_additive(model.estimator_)
    uncalibrated = card.predict_proba(X)[:, 1]
    card.calibrate_table(model.calibrator_, model.method_)
    calibrated = card.predict_proba(X)[:, 1]
    # The card now agrees with the calibrated model up to the rounding of points.
    assert (
        np.abs(calibrated - model.predict_proba(X)[:, 1]).mean()
        < np.abs(uncalibrated - model.predict_proba(X)[:, 1]).mean()
    )
    assert card.calibration_ == "isotonic"
    reloaded = PointsScorecard.from_state(json.loads(json.dumps(card.get_state())))
    np.testing.assert_array_equal(reloaded.predict_proba(X)[:, 1], calibrated)
    assert reloaded.calibration_ == "isotonic"
    with pytest.raises(RiskkitError, match="never decrease as points increase"):
        card.calibrate_table(lambda z: -z, "reversed")

"""The synthetic population: registry conformance, determinism, argument checks and the causal
structure stated in ``riskkit.data.synthetic`` (and ``docs/synthetic.md``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskkit.data import synthetic
from riskkit.data.synthetic import (
    REOFFENCE_COEFFICIENTS,
    REOFFENCE_INTERCEPT,
    SyntheticPopulation,
    SyntheticSettings,
    generate_population,
    simulate_population,
)
from riskkit.errors import RiskkitError
from riskkit.features.declarations import common
from riskkit.features.declarations import synthetic as synthetic_declarations
from riskkit.features.registry import default_registry

ROWS = 100_000
SEED = 20_240_601
DOCS = Path(__file__).resolve().parents[1] / "docs" / "synthetic.md"


@pytest.fixture(scope="module")
def population() -> SyntheticPopulation:
    return simulate_population(ROWS, seed=SEED)


@pytest.fixture(scope="module")
def fair_population() -> SyntheticPopulation:
    """The same people as ``population`` with both bias knobs off."""
    settings = SyntheticSettings(policing_ratio=1.0, measurement_error=0.0)
    return simulate_population(ROWS, seed=SEED, settings=settings)


def _logistic_fit(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Maximum-likelihood logistic regression (Newton's method) with an intercept first.

    Returns the coefficients and their standard errors (inverse Fisher information), which
    scikit-learn does not give.
    """
    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(25):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        information = design.T @ (design * (p * (1.0 - p))[:, None])
        step = np.linalg.solve(information, design.T @ (y - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = 1.0 / (1.0 + np.exp(-design @ beta))
    information = design.T @ (design * (p * (1.0 - p))[:, None])
    return beta, np.sqrt(np.diag(np.linalg.inv(information)))


def _group_dummies(frame: pd.DataFrame) -> pd.DataFrame:
    dummies = {
        f"ethnicity_{e}": (frame["ethnicity"] == e).to_numpy(dtype=float)
        for e in synthetic.ETHNICITIES[1:]
    }
    dummies["foreign"] = (frame["nationality"] == "foreign").to_numpy(dtype=float)
    return pd.DataFrame(dummies)


# --- registry conformance ----------------------------------------------------------------------


def test_columns_are_the_registry_names(population: SyntheticPopulation) -> None:
    frame = population.frame
    features = [f.name for f in common.FEATURES + synthetic_declarations.FEATURES]
    outcomes = [o.name for o in synthetic_declarations.OUTCOMES]
    assert list(frame.columns) == ["person_id", *features, *outcomes]
    assert len(frame) == ROWS


def test_values_respect_the_registry(population: SyntheticPopulation) -> None:
    frame = population.frame
    registry = default_registry()
    for name in synthetic.FEATURE_COLUMNS:
        feature = registry[name]
        column = frame[name]
        if feature.kind == "integer":
            assert column.dtype == np.int64, name
            assert feature.minimum is not None
            assert feature.maximum is not None
            assert column.min() >= feature.minimum, name
            assert column.max() <= feature.maximum, name
        elif feature.kind == "binary":
            expected = "Int8" if feature.nullable else np.int8
            assert column.dtype == expected, name
            assert set(column.dropna().unique()) == {0, 1}, name
        else:
            assert isinstance(column.dtype, pd.CategoricalDtype), name
            assert list(column.cat.categories) == list(feature.categories), name
            assert not column.cat.ordered, name
        if not feature.nullable:
            assert not column.isna().any(), name
    for name in synthetic.OUTCOME_COLUMNS:
        registry.outcome(name)
        assert frame[name].dtype == np.int8, name
        assert set(frame[name].unique()) == {0, 1}, name


def test_only_gang_affiliation_has_missing_values(population: SyntheticPopulation) -> None:
    frame = population.frame
    missing = frame.isna().mean()
    assert set(missing[missing > 0].index) == {"gang_affiliation"}
    assert 0.02 < missing["gang_affiliation"] < 0.04  # gang_missing_share = 0.03
    none_missing = generate_population(5_000, SEED, SyntheticSettings(gang_missing_share=0.0))
    assert not none_missing["gang_affiliation"].isna().any()


def test_ids_are_unique_formatted_strings(population: SyntheticPopulation) -> None:
    ids = population.frame["person_id"]
    assert pd.api.types.is_string_dtype(ids.dtype)
    assert ids.is_unique
    assert ids.iloc[0] == "SYN-0000001"
    assert ids.iloc[-1] == f"SYN-{ROWS:07d}"
    assert ids.str.fullmatch(r"SYN-\d{7}").all()


def test_timeline_is_consistent(population: SyntheticPopulation) -> None:
    frame = population.frame
    assert (frame["age_first_arrest"] <= frame["age"]).all()
    served_years = -(-frame["sentence_months"] // 12)
    assert (frame["age_first_arrest"] <= frame["age"] - served_years).all()
    assert (frame["pretrial_months"] <= frame["sentence_months"]).all()
    assert frame["age"].min() >= synthetic.AGE_MIN


def test_population_looks_like_a_latin_american_release_cohort(
    population: SyntheticPopulation,
) -> None:
    frame = population.frame
    assert 0.90 < (frame["sex"] == "male").mean() < 0.94
    assert 0.05 < (frame["nationality"] == "foreign").mean() < 0.08
    assert 0.08 < (frame["ethnicity"] == "indigenous").mean() < 0.12
    assert 0.25 < (frame["pretrial_months"] > 12).mean() < 0.40  # long pretrial is common
    assert 30 < frame["age"].mean() < 36


# --- determinism and arguments --------------------------------------------------------------


def test_same_seed_gives_an_identical_frame() -> None:
    pd.testing.assert_frame_equal(generate_population(2_000, 7), generate_population(2_000, 7))


def test_other_seed_gives_another_frame() -> None:
    first, second = generate_population(2_000, 7), generate_population(2_000, 8)
    assert not first.equals(second)
    assert (first["age"] != second["age"]).mean() > 0.5


def test_generate_population_returns_the_simulated_frame() -> None:
    pd.testing.assert_frame_equal(
        generate_population(1_000, 3), simulate_population(1_000, 3).frame
    )


def test_one_row_works() -> None:
    frame = generate_population(1)
    assert len(frame) == 1
    assert frame["person_id"].iloc[0] == "SYN-0000001"


def test_knobs_change_only_the_columns_they_distort(
    population: SyntheticPopulation, fair_population: SyntheticPopulation
) -> None:
    biased, fair = population.frame, fair_population.frame
    changed = [c for c in biased.columns if not biased[c].equals(fair[c])]
    assert changed == ["prior_convictions", "rearrest_24m"]
    others = biased["ethnicity"] != "afrodescendant"
    assert biased.loc[others, "rearrest_24m"].equals(fair.loc[others, "rearrest_24m"])
    well_measured = biased["ethnicity"] != "indigenous"
    assert biased.loc[well_measured, "prior_convictions"].equals(
        fair.loc[well_measured, "prior_convictions"]
    )


@pytest.mark.parametrize("rows", [0, -5])
def test_rows_below_one_is_refused(rows: int) -> None:
    with pytest.raises(RiskkitError, match=rf"rows={rows} .*at least 1"):
        generate_population(rows)


def test_fractional_rows_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"rows=2\.5 .*whole number"):
        generate_population(2.5)  # type: ignore[arg-type]


def test_negative_seed_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"seed=-1 .*whole number >= 0"):
        generate_population(10, seed=-1)


def test_settings_of_the_wrong_type_are_refused() -> None:
    with pytest.raises(RiskkitError, match=r"settings=.*not SyntheticSettings"):
        generate_population(10, settings={"policing_ratio": 2.0})  # type: ignore[arg-type]


@pytest.mark.parametrize("knob", ["over_policed_group", "mismeasured_group"])
def test_unknown_group_is_refused(knob: str) -> None:
    with pytest.raises(RiskkitError, match=rf"{knob}='black' .*use one of mestizo, indigenous"):
        SyntheticSettings(**{knob: "black"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "knob",
    ["policing_ratio", "measurement_error", "detection_rate", "false_arrest_rate"],
)
def test_negative_knob_is_refused(knob: str) -> None:
    with pytest.raises(RiskkitError, match=rf"{knob}=-0\.5 is not allowed; use a number"):
        SyntheticSettings(**{knob: -0.5})  # type: ignore[arg-type]


def test_zero_policing_ratio_is_refused() -> None:
    with pytest.raises(RiskkitError, match=r"policing_ratio=0 .*use a positive ratio"):
        SyntheticSettings(policing_ratio=0)


def test_detection_probability_above_one_is_refused() -> None:
    with pytest.raises(
        RiskkitError, match=r"policing_ratio=2\.0 with detection_rate=0\.6 .*lower detection_rate"
    ):
        SyntheticSettings(policing_ratio=2.0)
    SyntheticSettings(policing_ratio=2.0, detection_rate=0.5)  # the fix the message names


def test_settings_are_frozen() -> None:
    with pytest.raises(
        dataclasses.FrozenInstanceError, match=r"cannot assign to field 'policing_ratio'"
    ):
        SyntheticSettings().policing_ratio = 2.0  # type: ignore[misc]


# --- causal structure ---------------------------------------------------------------------


def test_true_logit_is_the_stated_equation(population: SyntheticPopulation) -> None:
    terms = population.terms
    assert list(terms.columns) == list(REOFFENCE_COEFFICIENTS)
    expected = REOFFENCE_INTERCEPT + terms[list(REOFFENCE_COEFFICIENTS)].to_numpy() @ np.array(
        list(REOFFENCE_COEFFICIENTS.values())
    )
    np.testing.assert_allclose(population.true_logit, expected, atol=1e-12)
    frame, latent = population.frame, population.latent
    np.testing.assert_allclose(
        terms["log1p_prior_convictions"], np.log1p(latent["prior_convictions_true"])
    )
    np.testing.assert_allclose(terms["age_decades"], (frame["age"] - 35) / 10)
    np.testing.assert_array_equal(terms["latent_housing"], latent["housing"])


def test_base_rate_and_discrimination_are_realistic(population: SyntheticPopulation) -> None:
    reoffence = population.frame["reoffence_24m"]
    assert 0.35 <= reoffence.mean() <= 0.45
    auc = roc_auc_score(reoffence, population.true_logit)
    assert 0.72 <= auc <= 0.78


def test_fitted_coefficients_match_the_stated_ones(population: SyntheticPopulation) -> None:
    names = list(REOFFENCE_COEFFICIENTS)
    beta, se = _logistic_fit(
        population.terms[names].to_numpy(), population.frame["reoffence_24m"].to_numpy(float)
    )
    assert abs(beta[0] - REOFFENCE_INTERCEPT) < 4 * se[0]
    for name, estimate, error in zip(names, beta[1:], se[1:], strict=True):
        assert abs(estimate - REOFFENCE_COEFFICIENTS[name]) < max(4 * error, 0.03), name


def test_reoffence_rises_with_prior_convictions(population: SyntheticPopulation) -> None:
    frame = population.frame
    bands = pd.cut(frame["prior_convictions"], [-1, 0, 2, 5, 60], labels=False)
    rates = frame.groupby(bands)["reoffence_24m"].mean().to_numpy()
    assert np.all(np.diff(rates) > 0.03)
    assert rates[-1] - rates[0] > 0.2


def test_ethnicity_and_nationality_have_no_direct_effect(
    population: SyntheticPopulation,
) -> None:
    frame = population.frame
    names = list(REOFFENCE_COEFFICIENTS)
    groups = _group_dummies(frame)
    x = np.column_stack([population.terms[names].to_numpy(), groups.to_numpy()])
    beta, se = _logistic_fit(x, frame["reoffence_24m"].to_numpy(float))
    z_scores = beta[1 + len(names) :] / se[1 + len(names) :]
    assert np.all(np.abs(z_scores) < 4), dict(zip(groups.columns, z_scores, strict=True))
    # and their (mediated) differences in the true outcome are small
    rates = frame.groupby("ethnicity", observed=True)["reoffence_24m"].mean()
    assert rates.max() - rates.min() < 0.04


def test_group_effects_flow_through_the_stated_mediators(
    population: SyntheticPopulation,
) -> None:
    frame, latent = population.frame, population.latent
    by_group = latent.groupby(frame["ethnicity"].to_numpy())
    shift = by_group["education_employment"].mean()
    assert shift["indigenous"] - shift["mestizo"] == pytest.approx(0.40, abs=0.05)
    assert shift["afrodescendant"] - shift["mestizo"] == pytest.approx(0.30, abs=0.05)
    # no shift in a domain without a stated path
    attitudes = by_group["procriminal_attitudes"].mean()
    assert attitudes.max() - attitudes.min() < 0.05


def test_foreign_nationals_get_fewer_visits_without_more_family_need(
    population: SyntheticPopulation,
) -> None:
    frame = population.frame
    foreign = frame["nationality"] == "foreign"
    visits = frame.groupby(foreign)["family_visits_month"].mean()
    assert visits[True] < 0.4 * visits[False]
    need = frame.groupby(foreign)["need_family_marital"].mean()
    assert abs(need[True] - need[False]) < 0.03


# --- recording bias -----------------------------------------------------------------------


def _recording_rates(frame: pd.DataFrame, group: str) -> dict[str, float]:
    in_group = frame["ethnicity"] == group
    reoffended = frame["reoffence_24m"] == 1
    rearrest = frame["rearrest_24m"]
    return {
        "detection_ratio": rearrest[in_group & reoffended].mean()
        / rearrest[~in_group & reoffended].mean(),
        "false_arrest_ratio": rearrest[in_group & ~reoffended].mean()
        / rearrest[~in_group & ~reoffended].mean(),
        "recorded_ratio": rearrest[in_group].mean() / rearrest[~in_group].mean(),
        "true_ratio": frame.loc[in_group, "reoffence_24m"].mean()
        / frame.loc[~in_group, "reoffence_24m"].mean(),
    }


def test_over_policing_inflates_the_groups_records(population: SyntheticPopulation) -> None:
    rates = _recording_rates(population.frame, "afrodescendant")
    assert rates["detection_ratio"] == pytest.approx(1.5, abs=0.06)
    assert rates["false_arrest_ratio"] == pytest.approx(1.5, abs=0.3)
    assert rates["recorded_ratio"] > 1.35
    assert rates["true_ratio"] < 1.08
    frame = population.frame
    settings = SyntheticSettings()
    reoffended = frame["reoffence_24m"] == 1
    afro = frame["ethnicity"] == "afrodescendant"
    assert frame.loc[reoffended & ~afro, "rearrest_24m"].mean() == pytest.approx(
        settings.detection_rate, abs=0.02
    )
    assert frame.loc[reoffended & afro, "rearrest_24m"].mean() == pytest.approx(
        settings.detection_rate * settings.policing_ratio, abs=0.02
    )


def test_without_over_policing_the_disparity_disappears(
    fair_population: SyntheticPopulation,
) -> None:
    frame = fair_population.frame
    rates = _recording_rates(frame, "afrodescendant")
    assert rates["detection_ratio"] == pytest.approx(1.0, abs=0.04)
    assert rates["false_arrest_ratio"] == pytest.approx(1.0, abs=0.2)
    assert rates["recorded_ratio"] == pytest.approx(rates["true_ratio"], abs=0.05)


# --- measurement error --------------------------------------------------------------------


def test_measurement_error_over_records_the_groups_prior_convictions(
    population: SyntheticPopulation, fair_population: SyntheticPopulation
) -> None:
    true = fair_population.latent["prior_convictions_true"]
    assert (fair_population.frame["prior_convictions"] == true).all()
    frame = population.frame
    indigenous = frame["ethnicity"] == "indigenous"
    recorded = frame.loc[indigenous, "prior_convictions"]
    assert (recorded >= true[indigenous]).all()
    error = SyntheticSettings().measurement_error
    expected_mean = ((1 + error) * true[indigenous] + error).clip(upper=60).mean()
    assert recorded.mean() == pytest.approx(expected_mean, rel=0.05)
    assert recorded.var() > 1.2 * true[indigenous].var()
    assert (frame.loc[~indigenous, "prior_convictions"] == true[~indigenous]).all()


# --- needs and their proxies --------------------------------------------------------------


def test_need_labels_agree_with_their_proxies(population: SyntheticPopulation) -> None:
    frame = population.frame

    def need_rate(need: str, column: str, value: object) -> float:
        return float(frame.loc[frame[column] == value, need].mean())

    problematic = need_rate("need_substance_use", "substance_use", "problematic")
    assert problematic > 0.8
    assert problematic > 5 * need_rate("need_substance_use", "substance_use", "none")
    assert need_rate("need_housing", "housing", "homeless") > 0.8
    assert need_rate("need_housing", "housing", "stable") < 0.2
    assert need_rate("need_mental_health", "mental_health_condition", 1) > 0.6
    assert need_rate("need_mental_health", "mental_health_condition", 0) < 0.15
    assert need_rate("need_education_employment", "employment_prospect", "none") > 3 * need_rate(
        "need_education_employment", "employment_prospect", "formal"
    )
    assert need_rate("need_companions", "gang_affiliation", 1) > 2 * need_rate(
        "need_companions", "gang_affiliation", 0
    )


def test_need_prevalences_are_plausible(population: SyntheticPopulation) -> None:
    prevalence = population.frame[list(synthetic.NEED_COLUMNS)].mean()
    assert prevalence.between(0.15, 0.5).all(), prevalence.to_dict()


# --- documentation -----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["module docstring", "docs/synthetic.md"])
def test_documented_coefficients_are_the_constants(where: str) -> None:
    text = (synthetic.__doc__ or "") if where == "module docstring" else DOCS.read_text("utf-8")
    for name, coefficient in REOFFENCE_COEFFICIENTS.items():
        match = re.search(rf"^\W*{name}\W.*?([+-]\d\.\d\d)\W*$", text, flags=re.MULTILINE)
        assert match is not None, f"{name} is not documented in {where}"
        assert float(match.group(1)) == coefficient, name
    assert f"{REOFFENCE_INTERCEPT:.2f}" in text

"""The fairness audit on a constructed population whose group error rates are known exactly."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference

from riskkit.errors import RiskkitError
from riskkit.fairness import MISSING_GROUP, AuditReport, audit_predictions

THRESHOLD = 0.5


def _block(negatives: int, false_alarms: int, positives: int, missed: int) -> tuple[list[int], ...]:
    """Outcomes and decisions of a group with the given counts."""
    y_true = [0] * negatives + [1] * positives
    selected = (
        [1] * false_alarms
        + [0] * (negatives - false_alarms)
        + [0] * missed
        + [1] * (positives - missed)
    )
    return y_true, selected


def known_population() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """155 people in three race groups.

    A: 100 people, FPR 12/60 = 0.2, FNR 10/40 = 0.25, selection rate 42/100.
    B: 50 people, FPR 10/20 = 0.5, FNR 3/30 = 0.1, selection rate 37/50.
    C: 5 people, all without the outcome, FPR 1/5 = 0.2 (too small, and one class only).
    Sex alternates f/m, with 5 values missing (as None and as NaN).
    """
    blocks = {"A": _block(60, 12, 40, 10), "B": _block(20, 10, 30, 3), "C": _block(5, 1, 0, 0)}
    y_true = np.concatenate([b[0] for b in blocks.values()])
    selected = np.concatenate([b[1] for b in blocks.values()]).astype(bool)
    y_score = np.where(selected, 0.7, 0.3)
    race = np.concatenate([[name] * len(b[0]) for name, b in blocks.items()])
    sex: list[object] = ["f" if i % 2 else "m" for i in range(len(y_true))]
    for i in (0, 62, 124):
        sex[i] = None
    for i in (31, 93):
        sex[i] = np.nan
    return y_true, y_score, pd.DataFrame({"race": race, "sex": sex})


@pytest.fixture(scope="module")
def report() -> AuditReport:
    y_true, y_score, features = known_population()
    return audit_predictions(
        y_true, y_score, sensitive_features=features, threshold=THRESHOLD, n_resamples=100
    )


def test_group_error_rates_are_exact(report: AuditReport) -> None:
    a, b = report.group("race", "A"), report.group("race", "B")
    assert (a.n, b.n) == (100, 50)
    assert a.metrics["fpr"].value == pytest.approx(0.2)
    assert a.metrics["fnr"].value == pytest.approx(0.25)
    assert a.metrics["selection_rate"].value == pytest.approx(0.42)
    assert a.metrics["base_rate"].value == pytest.approx(0.4)
    assert a.metrics["precision"].value == pytest.approx(30 / 42)
    assert b.metrics["fpr"].value == pytest.approx(0.5)
    assert b.metrics["fnr"].value == pytest.approx(0.1)
    assert b.metrics["selection_rate"].value == pytest.approx(0.74)
    # Scores 0.7 / 0.3: mean score and calibration in the large follow from the counts.
    assert a.metrics["mean_score"].value == pytest.approx(0.42 * 0.7 + 0.58 * 0.3)
    assert a.metrics["calibration_in_the_large"].value == pytest.approx(
        0.42 * 0.7 + 0.58 * 0.3 - 0.4
    )
    assert report.n == 155
    assert report.overall.metrics["fpr"].value == pytest.approx(23 / 85)


def test_small_group_is_reported_not_dropped(report: AuditReport) -> None:
    c = report.group("race", "C")
    assert c.n == 5
    assert c.too_small is True
    assert c.metrics["fpr"].value == pytest.approx(0.2)
    # One outcome class only: undefined metrics are NaN, not errors or warnings.
    assert math.isnan(c.metrics["auc"].value)
    assert math.isnan(c.metrics["fnr"].value)
    assert not report.group("race", "A").too_small
    race = next(s for s in report.summary if s.attribute == "race")
    assert race.groups_too_small == ("C",)
    assert race.groups_compared == ("A", "B")


def test_missing_attribute_values_form_their_own_group(report: AuditReport) -> None:
    missing = report.group("sex", MISSING_GROUP)
    assert missing.n == 5
    assert missing.too_small
    sizes = {g.group: g.n for g in report.groups if g.attribute == "sex"}
    assert sum(sizes.values()) == 155
    assert list(sizes)[-1] == MISSING_GROUP


def test_intersection_covers_everybody(report: AuditReport) -> None:
    assert report.intersection == "race × sex"
    cells = {g.group: g.n for g in report.groups if g.attribute == "race × sex"}
    assert sum(cells.values()) == 155
    assert "A × f" in cells
    assert f"C × {MISSING_GROUP}" not in cells  # nobody in C lacks a sex value: no empty cell
    assert cells[f"B × {MISSING_GROUP}"] == 1  # person 124


def test_disparities_against_the_largest_group(report: AuditReport) -> None:
    race = next(s for s in report.summary if s.attribute == "race")
    assert race.reference_group == "A"
    assert race.reference_chosen_by == "largest"
    assert report.group("race", "A").is_reference
    fpr_b = next(
        d
        for d in report.disparities
        if d.attribute == "race" and d.group == "B" and d.metric == "fpr"
    )
    assert fpr_b.reference == "A"
    assert fpr_b.difference == pytest.approx(0.3)
    assert fpr_b.ratio == pytest.approx(2.5)
    assert fpr_b.difference_low <= 0.3 <= fpr_b.difference_high
    assert race.largest_gaps["fpr"] is not None
    assert race.largest_gaps["fpr"].group == "B"  # C's gap is ignored: too small
    fnr_c = next(
        d
        for d in report.disparities
        if d.attribute == "race" and d.group == "C" and d.metric == "fnr"
    )
    assert fnr_c.too_small and math.isnan(fnr_c.difference)


def test_fairlearn_summaries_over_groups_large_enough(report: AuditReport) -> None:
    race = next(s for s in report.summary if s.attribute == "race")
    # Selection rates 0.42 and 0.74; FPR gap 0.3 and TPR gap 0.15, so equalized odds 0.3.
    assert race.demographic_parity_difference.value == pytest.approx(0.32)
    assert race.equalized_odds_difference.value == pytest.approx(0.3)
    # TPR 0.75 (A) and 0.9 (B)
    assert race.equal_opportunity_difference.value == pytest.approx(0.15)
    y_true, y_score, features = known_population()
    keep = (features["race"] != "C").to_numpy()
    assert race.demographic_parity_difference.value == pytest.approx(
        demographic_parity_difference(
            y_true[keep], y_score[keep] >= THRESHOLD, sensitive_features=features["race"][keep]
        )
    )
    for summary in (
        race.demographic_parity_difference,
        race.equalized_odds_difference,
        race.equal_opportunity_difference,
    ):
        assert summary.low <= summary.value <= summary.high


def test_flags_need_a_ratio_outside_range_and_a_simultaneous_test(report: AuditReport) -> None:
    # On the small population, B's FPR of 0.5 against A's 0.2 (ratio 2.5) rests on 20 and 60
    # people: its 95% interval excludes 0, but not once corrected for the attribute's five
    # comparisons, so it is not flagged.
    fpr_b = next(
        d for d in report.disparities if (d.attribute, d.group, d.metric) == ("race", "B", "fpr")
    )
    assert fpr_b.ratio == pytest.approx(2.5)
    assert fpr_b.ratio_low <= 2.5 <= fpr_b.ratio_high
    assert fpr_b.ratio_outside_range
    assert not fpr_b.flagged
    # Too small groups are never flagged, whatever their ratio.
    assert not any(d.flagged for d in report.disparities if d.group == "C")
    # Five times the people, the same rates: now the gap is flagged, FPR first (punitive use).
    y_true, y_score, features = known_population()
    larger = audit_predictions(
        np.tile(y_true, 5),
        np.tile(y_score, 5),
        sensitive_features=pd.concat([features] * 5, ignore_index=True),
        threshold=THRESHOLD,
        n_resamples=300,
        purpose="punitive",
    )
    flags = larger.flags
    assert (flags[0].attribute, flags[0].group, flags[0].metric) == ("race", "B", "fpr")
    assert all(f.ratio_outside_range and not f.too_small for f in flags)
    as_json = larger.to_dict()["flags"]
    assert as_json[0]["metric"] == "fpr" and as_json[0]["flagged"] is True
    # A ratio inside [0.8, 1.25] is never flagged, however certain: selection rates of A
    # (0.42) and B (0.74) give 1.76, outside; FNR 0.1 against 0.25 gives 0.4, outside too.
    inside = [d for d in larger.disparities if not d.ratio_outside_range]
    assert not any(d.flagged for d in inside)


def test_impossibility_judgements(report: AuditReport) -> None:
    race = next(s for s in report.summary if s.attribute == "race")
    # Base rates 0.4 (A) and 0.6 (B) differ clearly; no error-rate gap is flagged on so few
    # people (see the flag test), so error rates count as equal here.
    assert race.base_rates_differ is True
    assert race.error_rates_equal is True


def test_a_calibrated_score_cannot_equalise_error_rates_when_base_rates_differ() -> None:
    # Each group's score equals its base rate: perfectly calibrated within groups, and so the
    # threshold 0.5 selects nobody in A (FPR 0) and everybody in B (FPR 1).
    y_true = np.array([1] * 200 + [0] * 800 + [1] * 600 + [0] * 400)
    y_score = np.array([0.2] * 1000 + [0.6] * 1000)
    group = np.array(["A"] * 1000 + ["B"] * 1000)
    report = audit_predictions(
        y_true, y_score, sensitive_features={"group": group}, threshold=0.5, n_resamples=200
    )
    summary = report.summary[0]
    assert summary.base_rates_differ is True
    assert summary.calibrated_within_groups is True
    assert summary.error_rates_equal is False


def test_given_reference_group() -> None:
    y_true, y_score, features = known_population()
    report = audit_predictions(
        y_true,
        y_score,
        sensitive_features=features,
        threshold=THRESHOLD,
        reference_groups={"race": "B"},
        intervals=False,
    )
    race = next(s for s in report.summary if s.attribute == "race")
    assert (race.reference_group, race.reference_chosen_by) == ("B", "given")
    fpr_a = next(
        d
        for d in report.disparities
        if d.attribute == "race" and d.group == "A" and d.metric == "fpr"
    )
    assert fpr_a.difference == pytest.approx(-0.3)
    with pytest.raises(RiskkitError, match=r"reference group 'Z' of attribute 'race' is not"):
        audit_predictions(
            y_true,
            y_score,
            sensitive_features=features,
            threshold=THRESHOLD,
            reference_groups={"race": "Z"},
        )
    with pytest.raises(RiskkitError, match=r"unknown attribute\(s\) \['age'\]"):
        audit_predictions(
            y_true,
            y_score,
            sensitive_features=features,
            threshold=THRESHOLD,
            reference_groups={"age": "young"},
        )


def test_intervals_contain_estimates_and_are_reproducible(report: AuditReport) -> None:
    checked = 0
    for group in (report.overall, *report.groups):
        if group.too_small:
            continue
        for name, metric in group.metrics.items():
            if math.isnan(metric.value):
                continue
            assert metric.low <= metric.value <= metric.high, (group.group, name)
            checked += 1
    assert checked > 50
    y_true, y_score, features = known_population()
    again = audit_predictions(
        y_true, y_score, sensitive_features=features, threshold=THRESHOLD, n_resamples=100
    )
    assert again.to_dict() == report.to_dict()
    other = audit_predictions(
        y_true, y_score, sensitive_features=features, threshold=THRESHOLD, n_resamples=100, seed=1
    )
    assert other.group("race", "B").metrics["fpr"] != report.group("race", "B").metrics["fpr"]


def test_a_group_interval_does_not_depend_on_other_attributes(report: AuditReport) -> None:
    y_true, y_score, features = known_population()
    race_only = audit_predictions(
        y_true,
        y_score,
        sensitive_features=features["race"],
        threshold=THRESHOLD,
        n_resamples=100,
    )
    assert race_only.group("race", "B") == report.group("race", "B")
    assert race_only.intersection is None


def test_without_intervals_bounds_are_nan() -> None:
    y_true, y_score, features = known_population()
    report = audit_predictions(
        y_true, y_score, sensitive_features=features, threshold=THRESHOLD, intervals=False
    )
    fpr = report.group("race", "A").metrics["fpr"]
    assert fpr.value == pytest.approx(0.2)
    assert math.isnan(fpr.low) and math.isnan(fpr.high)
    assert report.bootstrap is None


def test_sensitive_features_are_keyword_only() -> None:
    y_true, y_score, features = known_population()
    with pytest.raises(TypeError, match=r"positional argument"):
        audit_predictions(y_true, y_score, features, threshold=THRESHOLD)  # type: ignore[misc]


def test_mismatched_lengths_name_both_lengths() -> None:
    y_true, y_score, features = known_population()
    with pytest.raises(RiskkitError, match=r"'race' has 10 values but y_true and y_score have 155"):
        audit_predictions(
            y_true, y_score, sensitive_features={"race": features["race"][:10]}, threshold=0.5
        )
    with pytest.raises(RiskkitError, match=r"y_true has 155 values but y_score has 154"):
        audit_predictions(y_true, y_score[:-1], sensitive_features=features, threshold=0.5)


def test_invalid_inputs_are_explained() -> None:
    with pytest.raises(RiskkitError, match=r"only 0 and 1"):
        audit_predictions([0, 2], [0.1, 0.2], sensitive_features={"sex": ["f", "m"]}, threshold=0.5)
    with pytest.raises(RiskkitError, match=r"sensitive_features must be a pandas DataFrame"):
        audit_predictions(
            [0, 1],
            [0.1, 0.2],
            sensitive_features=np.array(["f", "m"]),  # type: ignore[arg-type]
            threshold=0.5,
        )
    with pytest.raises(RiskkitError, match=r"score_is_probability=True but the scores range"):
        audit_predictions(
            [0, 1],
            [1.0, 7.0],
            sensitive_features={"sex": ["f", "m"]},
            threshold=5,
            score_is_probability=True,
        )


def test_non_probability_scores_skip_probability_metrics() -> None:
    y_true, y_score, features = known_population()
    deciles = np.where(y_score > 0.5, 8, 3)
    report = audit_predictions(
        y_true,
        deciles,
        sensitive_features=features,
        threshold=5,
        score_name="decile_score",
        intervals=False,
    )
    assert not report.score_is_probability
    assert "brier" not in report.metrics
    assert "calibration_in_the_large" not in report.overall.metrics
    assert report.group("race", "B").metrics["fpr"].value == pytest.approx(0.5)


def test_to_frame_is_tidy(report: AuditReport) -> None:
    frame = report.to_frame()
    assert list(frame.columns) == [
        "attribute",
        "group",
        "n",
        "too_small",
        "is_reference",
        "metric",
        "value",
        "low",
        "high",
    ]
    assert len(frame) == len(report.groups) * len(report.metrics)
    row = frame[
        (frame["attribute"] == "race") & (frame["group"] == "B") & (frame["metric"] == "fnr")
    ]
    assert row["value"].item() == pytest.approx(0.1)
    assert bool(frame.loc[frame["group"] == "C", "too_small"].all())


@pytest.mark.skipif(
    not os.environ.get("RISKKIT_DATA_DIR"),
    reason="RISKKIT_DATA_DIR is not set: the COMPAS check needs ../shared/data",
)
def test_compas_deciles_reproduce_propublica_error_rates() -> None:
    # ProPublica (2016): on all 7,214 rows, decile_score >= 5 gives FPR 44.85% / FNR 27.99% for
    # African-American defendants and FPR 23.45% / FNR 47.72% for Caucasian defendants.
    path = Path(os.environ["RISKKIT_DATA_DIR"]) / "compas" / "compas-scores-two-years.csv"
    records = pd.read_csv(path, usecols=["two_year_recid", "decile_score", "race"])
    assert len(records) == 7214
    report = audit_predictions(
        records["two_year_recid"].to_numpy(),
        records["decile_score"].to_numpy(),
        sensitive_features=records[["race"]],
        threshold=5,
        score_name="decile_score",
        intervals=False,
    )
    black = report.group("race", "African-American").metrics
    white = report.group("race", "Caucasian").metrics
    assert black["fpr"].value == pytest.approx(0.4485, abs=5e-5)
    assert black["fnr"].value == pytest.approx(0.2799, abs=5e-5)
    assert white["fpr"].value == pytest.approx(0.2345, abs=5e-5)
    assert white["fnr"].value == pytest.approx(0.4772, abs=5e-5)
    assert not report.score_is_probability


@pytest.mark.parametrize("policing_ratio", [1.5, 1.0])
def test_over_policing_is_flagged_on_the_observed_label_only_when_on(
    policing_ratio: float,
) -> None:
    # A score that never sees ethnicity, fitted on recorded re-arrests, audited against them.
    # Over-policing records more re-arrests for one group than its risk factors explain, so
    # the score under-predicts that group's recorded outcomes: the calibration check flags it.
    # Without over-policing (and with measurement error off, to isolate the knob) nothing is
    # flagged.
    from sklearn.linear_model import LogisticRegression

    from riskkit.data.synthetic import SyntheticSettings, generate_population

    settings = SyntheticSettings(policing_ratio=policing_ratio, measurement_error=0.0)
    population = generate_population(40_000, seed=5, settings=settings)
    columns = ["age", "prior_convictions", "sentence_months", "disciplinary_reports"]
    X = population[columns].astype(float).to_numpy()
    y = population["rearrest_24m"].astype(int).to_numpy()
    train = np.arange(len(y)) < 20_000
    model = LogisticRegression(max_iter=500).fit(X[train], y[train])
    report = audit_predictions(
        y[~train],
        model.predict_proba(X[~train])[:, 1],
        sensitive_features=population.loc[~train, ["ethnicity"]],
        threshold=0.3,
        n_resamples=300,
    )
    flagged = {(f.group, f.metric) for f in report.flags}
    if policing_ratio > 1:
        assert ("afrodescendant", "observed_vs_predicted") in flagged
        check = next(f for f in report.flags if f.group == "afrodescendant")
        assert check.value > check.reference_value  # recorded more often than predicted
        assert report.summary[0].calibrated_within_groups is False
    else:
        assert flagged == set()
        assert report.summary[0].calibrated_within_groups is True


def test_intersection_reference_combines_the_given_references() -> None:
    y_true, y_score, features = known_population()
    report = audit_predictions(
        np.tile(y_true, 3),
        np.tile(y_score, 3),
        sensitive_features=pd.concat([features] * 3, ignore_index=True),
        threshold=THRESHOLD,
        reference_groups={"race": "B", "sex": "f"},
        intervals=False,
    )
    intersection = next(s for s in report.summary if s.attribute == "race × sex")
    assert intersection.reference_group == "B × f"
    assert intersection.reference_chosen_by == "given"
    # With only one attribute's reference given, the intersection keeps the largest group.
    partial = audit_predictions(
        y_true,
        y_score,
        sensitive_features=features,
        threshold=THRESHOLD,
        reference_groups={"race": "B"},
        intervals=False,
    )
    largest = next(s for s in partial.summary if s.attribute == "race × sex")
    assert largest.reference_chosen_by == "largest"


def test_group_metrics_equal_fairlearn_metricframe() -> None:
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
    )
    from sklearn.metrics import roc_auc_score

    from riskkit.metrics import calibration_error

    rng = np.random.default_rng(11)
    n = 3000
    y_score = rng.random(n)
    y_true = (rng.random(n) < y_score).astype(int)
    features = pd.DataFrame(
        {"a": rng.choice(["x", "y", "z"], size=n), "b": rng.choice(["u", "v"], size=n)}
    )
    report = audit_predictions(
        y_true, y_score, sensitive_features=features, threshold=0.4, n_resamples=100
    )
    frame = MetricFrame(
        metrics={
            "fpr": false_positive_rate,
            "fnr": false_negative_rate,
            "selection_rate": selection_rate,
        },
        y_true=y_true,
        y_pred=(y_score >= 0.4).astype(int),
        sensitive_features=features,
    )
    for (a, b), row in frame.by_group.iterrows():
        group = report.group("a × b", f"{a} × {b}")
        for metric in ("fpr", "fnr", "selection_rate"):
            assert group.metrics[metric].value == pytest.approx(row[metric], abs=1e-12)
        mask = ((features["a"] == a) & (features["b"] == b)).to_numpy()
        assert group.metrics["auc"].value == pytest.approx(
            roc_auc_score(y_true[mask], y_score[mask]), abs=1e-12
        )
        assert group.metrics["ece"].value == pytest.approx(
            calibration_error(y_true[mask], y_score[mask]), abs=1e-12
        )
        assert group.metrics["ece"].low <= group.metrics["ece"].high

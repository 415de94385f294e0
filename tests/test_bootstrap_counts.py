"""The count-based bootstrap: agreement with resampling rows, the rounding path, the new ECE,
and the edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import numpy.typing as npt
import pytest
from sklearn.calibration import calibration_curve

from riskkit.errors import RiskkitError
from riskkit.metrics import (
    METRICS,
    auc,
    bootstrap_draws,
    bootstrap_interval,
    brier,
    calibration_error,
    percentile_interval,
)
from riskkit.metrics import classification as cm

RATES = frozenset({"selection_rate", "fpr", "fnr", "precision"})
THRESHOLD = 0.5


def _second(name: str, y_score: np.ndarray, threshold: float) -> np.ndarray:
    """What metric ``name`` takes as its second argument: the decision or the score."""
    return y_score >= threshold if name in RATES else y_score


def _row_reference(
    y_true: np.ndarray,
    y_score: np.ndarray,
    names: list[str],
    threshold: float,
    n_resamples: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """The plain bootstrap: draw row indices and compute each metric on the rows, with the
    row-wise implementations behind the point estimates (vectorised over resamples)."""
    rng = np.random.default_rng(seed)
    n = len(y_true)
    draws = {name: np.empty(n_resamples) for name in names}
    distinct, level = np.unique(y_score, return_inverse=True)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        index = rng.integers(0, n, size=(stop - start, n))
        yt, ys = y_true[index].astype(bool), y_score[index]
        for name in names:
            if name == "auc":  # the ranks in the full sample serve every resample
                values = cm._auc_from_levels(level[index], yt, len(distinct))
            else:
                values = cm._BATCH[name](yt, ys >= threshold, ys)
            draws[name][start:stop] = values
    return draws


def _probabilities(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Continuous probabilities of a somewhat miscalibrated model, and outcomes drawn from them."""
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-(1.2 * rng.normal(size=n) - 0.3)))
    y = (rng.random(n) < 0.9 * p + 0.05).astype(int)
    return y, p


def test_bootstrap_is_centred_on_the_estimate_and_covers_it() -> None:
    y, p = _probabilities(5_000, seed=11)  # 5,000 distinct scores: the rounding path
    draws = bootstrap_draws(y, p, threshold=THRESHOLD, n_resamples=1_000, seed=1)
    assert set(draws) == set(METRICS)
    for name, function in METRICS.items():
        estimate = function(y, _second(name, p, THRESHOLD))
        spread = draws[name].std()
        # The ECE sums absolute gaps, so resampling noise biases it upwards (by about half its
        # standard error here); every other metric is centred.
        allowed = 1.0 if name == "ece" else 0.25
        assert abs(draws[name].mean() - estimate) < allowed * spread, name
        low, high = percentile_interval(draws[name])
        assert low <= estimate <= high, name


@pytest.mark.parametrize(
    ("scores", "threshold"),
    [("tied_probabilities", 0.5), ("deciles", 5.0)],
)
def test_counts_agree_in_distribution_with_resampling_rows(scores: str, threshold: float) -> None:
    rng = np.random.default_rng(3)
    n = 120
    y = rng.integers(0, 2, n)
    if scores == "tied_probabilities":
        y_score = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 1)
        names = list(METRICS)
    else:
        y_score = np.clip(np.round(1 + 3 * y + 6 * rng.random(n)), 1, 10)
        names = [m for m in METRICS if m != "ece"]
    counts = bootstrap_draws(
        y, y_score, threshold=threshold, metrics=names, n_resamples=2_000, seed=5
    )
    rows = _row_reference(y, y_score, names, threshold, n_resamples=2_000, seed=6)
    for name in names:
        a, b = counts[name], rows[name]
        spread = b.std()
        assert spread > 0, name
        assert abs(a.mean() - b.mean()) < 0.15 * spread, name
        assert a.std() == pytest.approx(spread, rel=0.1), name


def _recorder(name: str, seen: list[float]) -> cm.Metric:
    """Metric ``name`` as a custom callable (the decision taken at THRESHOLD) that records its
    values in ``seen``."""

    def record(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
        value = METRICS[name](y_true, _second(name, np.asarray(y_score), THRESHOLD))
        seen.append(value)
        return value

    return record


def test_each_draw_is_the_metric_on_the_resampled_rows() -> None:
    # A custom callable sees the resamples of the named metrics, so the count-based values can
    # be checked draw by draw against the metric functions on the rows (AUC with ties included).
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 300)
    y_score = np.round(rng.random(300), 2)
    draws = bootstrap_draws(y, y_score, threshold=THRESHOLD, n_resamples=150, seed=4)
    for name in METRICS:
        seen: list[float] = []
        bootstrap_interval(_recorder(name, seen), y, y_score, n_resamples=150, seed=4)
        np.testing.assert_allclose(seen, draws[name], rtol=0, atol=1e-12, err_msg=name)


def test_rounded_scores_give_the_intervals_of_resampling_rows() -> None:
    y, p = _probabilities(100_000, seed=2)
    cells = cm._cells(y.astype(bool), p, THRESHOLD)
    assert cells.n_levels < 2_100  # the grid, not one level per distinct score
    counts = bootstrap_draws(
        y, p, threshold=THRESHOLD, metrics=["auc", "brier"], n_resamples=1_000, seed=0
    )
    rows = _row_reference(y, p, ["auc", "brier"], THRESHOLD, n_resamples=200, seed=1)
    for name, function in (("auc", auc), ("brier", brier)):
        fast, slow = percentile_interval(counts[name]), percentile_interval(rows[name])
        assert fast == pytest.approx(slow, abs=0.002), name
        # Within-level pairs are counted by their share ranked right, not as ties: no bias.
        assert counts[name].mean() == pytest.approx(function(y, p), abs=2e-4), name


def test_bunched_scores_keep_their_ranking() -> None:
    # 95% of the scores within 0.002 of each other, where the outcome still depends on them:
    # rounding to a fixed number of decimals would tie them all.
    rng = np.random.default_rng(12)
    n = 20_000
    p = np.where(rng.random(n) < 0.95, 0.3 + 0.002 * rng.random(n), rng.random(n))
    y = (rng.random(n) < np.clip(100 * (p - 0.3) + 0.3, 0, 1)).astype(int)
    counts = bootstrap_draws(y, p, threshold=0.5, metrics=["auc"], n_resamples=1_000, seed=0)
    rows = _row_reference(y, p, ["auc"], 0.5, n_resamples=1_000, seed=1)
    spread = rows["auc"].std()
    assert abs(counts["auc"].mean() - rows["auc"].mean()) < 0.15 * spread
    assert counts["auc"].std() == pytest.approx(spread, rel=0.1)


def test_rates_stay_exact_when_scores_are_rounded() -> None:
    # Scores within one grid step of the threshold: a level must not mix the two decisions.
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 4_000)
    p = 0.5 + (rng.random(4_000) - 0.5) * 2e-3
    draws = bootstrap_draws(
        y, p, threshold=0.5, metrics=["selection_rate"], n_resamples=200, seed=0
    )
    reference = _row_reference(y, p, ["selection_rate"], 0.5, n_resamples=200, seed=0)
    assert draws["selection_rate"].mean() == pytest.approx(
        reference["selection_rate"].mean(), abs=0.003
    )
    assert abs(draws["selection_rate"].mean() - float(np.mean(p >= 0.5))) < 0.003


def test_calibration_error_by_hand() -> None:
    y = [0, 1, 0, 1, 1, 1]
    p = [0.1, 0.1, 0.25, 0.3, 0.8, 0.9]
    # Bins [0, 0.1], (0.2, 0.3], (0.7, 0.8], (0.8, 0.9] (an edge falls in the lower bin):
    # gaps |0.1 - 0.5|, |0.275 - 0.5|, |0.8 - 1|, |0.9 - 1| with weights 2, 2, 1, 1 of 6.
    assert calibration_error(y, p) == pytest.approx((2 * 0.4 + 2 * 0.225 + 0.2 + 0.1) / 6)
    assert calibration_error([0, 1], [0.0, 1.0]) == 0.0
    assert METRICS["ece"] is calibration_error


def test_calibration_error_matches_sklearn_uniform_bins() -> None:
    y, p = _probabilities(2_000, seed=7)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    sizes = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], p), minlength=10)
    sizes = sizes[sizes > 0]
    expected = float(np.sum(sizes * np.abs(observed - predicted)) / len(p))
    assert calibration_error(y, p) == pytest.approx(expected, abs=1e-12)


def test_calibration_error_refuses_scores_outside_the_unit_interval() -> None:
    with pytest.raises(RiskkitError, match=r"ece needs probabilities in \[0, 1\]; found 1 score"):
        calibration_error([0, 1], [0.5, 3.0])
    with pytest.raises(RiskkitError, match=r"leave 'ece' out for scores on another scale"):
        bootstrap_draws([0, 1], [1.0, 7.0], threshold=5, metrics=["ece"], n_resamples=5)
    assert math.isnan(calibration_error([], []))


def test_empty_input_gives_undefined_draws() -> None:
    draws = bootstrap_draws([], [], threshold=THRESHOLD, n_resamples=7, seed=0)
    assert set(draws) == set(METRICS)
    for values in draws.values():
        assert values.shape == (7,)
        assert np.isnan(values).all()


def test_a_group_with_one_class_has_undefined_auc_and_error_rates() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        positives = bootstrap_draws(
            [1, 1, 1, 1], [0.2, 0.6, 0.7, 0.9], threshold=0.5, n_resamples=50, seed=0
        )
        negatives = bootstrap_draws(
            [0, 0, 0], [0.1, 0.2, 0.3], threshold=0.5, n_resamples=50, seed=0
        )
    assert np.isnan(positives["auc"]).all()
    assert np.isnan(positives["fpr"]).all()
    assert np.isfinite(positives["fnr"]).all()
    assert (positives["base_rate"] == 1.0).all()
    assert np.isnan(negatives["auc"]).all()
    assert np.isnan(negatives["fnr"]).all()
    assert (negatives["fpr"] == 0.0).all()
    assert np.isnan(negatives["precision"]).all()  # nobody is selected


def test_a_single_resample() -> None:
    y, p = _probabilities(500, seed=3)
    draws = bootstrap_draws(y, p, threshold=THRESHOLD, n_resamples=1, seed=0)
    assert all(values.shape == (1,) and np.isfinite(values).all() for values in draws.values())
    low, high = bootstrap_interval("auc", y, p, n_resamples=1, seed=0)
    assert low == high


def test_seeds_and_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    y, p = _probabilities(3_000, seed=5)
    first = bootstrap_draws(y, p, threshold=THRESHOLD, n_resamples=100, seed=9)
    again = bootstrap_draws(y, p, threshold=THRESHOLD, n_resamples=100, seed=9)
    other = bootstrap_draws(y, p, threshold=THRESHOLD, n_resamples=100, seed=10)
    from_generator = bootstrap_draws(
        y, p, threshold=THRESHOLD, n_resamples=100, seed=np.random.default_rng(9)
    )
    for name in METRICS:
        assert np.array_equal(first[name], again[name]), name
        assert np.array_equal(first[name], from_generator[name]), name
        assert not np.array_equal(first[name], other[name]), name
    # Drawing the resamples a few at a time gives the same resamples (the sums may differ in
    # the last bit, as the matrix products are blocked differently).
    monkeypatch.setattr(cm, "_CHUNK_CELLS", 5_000)
    chunked = bootstrap_draws(y, p, threshold=THRESHOLD, n_resamples=100, seed=9)
    for name in METRICS:
        np.testing.assert_allclose(chunked[name], first[name], rtol=0, atol=1e-12, err_msg=name)


def test_named_interval_runs_on_the_counts() -> None:
    y, p = _probabilities(1_000, seed=6)
    decisions = (p >= THRESHOLD).astype(int)
    for name in ("ece", "auc", "fpr"):
        other = decisions if name in RATES else p
        interval = bootstrap_interval(name, y, other, n_resamples=300, seed=2)
        assert interval == bootstrap_interval(METRICS[name], y, other, n_resamples=300, seed=2)
        assert interval[0] <= METRICS[name](y, other) <= interval[1], name


def test_custom_metrics_on_continuous_or_unsortable_values() -> None:
    # Beyond 2,000 distinct scores a custom metric gets plain row resamples.
    y, p = _probabilities(3_000, seed=9)
    custom = bootstrap_interval(lambda t, s: auc(t, s), y, p, n_resamples=200, seed=0)
    named = bootstrap_interval("auc", y, p, n_resamples=200, seed=0)
    assert custom != named
    assert custom == pytest.approx(named, abs=0.01)
    labels = np.array([0.5, "a", None, 2], dtype=object)  # np.unique cannot sort these
    low, high = bootstrap_interval(
        lambda t, s: float(np.mean(np.asarray(t, dtype=float))),
        [0, 1, 1, 0],
        labels,
        n_resamples=50,
        seed=0,
    )
    assert 0.0 <= low <= high <= 1.0


def test_invalid_settings_are_explained() -> None:
    with pytest.raises(RiskkitError, match=r"n_resamples must be at least 1; found 0"):
        bootstrap_draws([0, 1], [0.1, 0.9], threshold=0.5, n_resamples=0)
    with pytest.raises(RiskkitError, match=r"unknown metric\(s\) \['tpr'\]"):
        bootstrap_draws([0, 1], [0.1, 0.9], threshold=0.5, metrics=["tpr"])

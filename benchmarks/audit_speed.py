"""How fast the fairness audit runs on a large scored population.

Generates ``--rows`` people (1,000,000 by default): probabilities from a logistic model of a few
random inputs, outcomes drawn from those probabilities, and two sensitive attributes with 4 and
2 groups (so 4 + 2 + 8 = 14 groups and everybody are audited). Then it times, on the same data:

- the reference: one ``fairlearn.metrics.MetricFrame`` call with selection rate, false positive
  rate and false negative rate by the intersection of both attributes, without bootstrap;
- ``bootstrap_draws`` alone on the audit's 15 groups (each attribute's groups, their
  intersections, everybody), with the audit's metrics: the bootstrap's own cost;
- ``audit_predictions(..., intervals=False)``: the audit's point estimates and summaries;
- ``audit_predictions(..., n_resamples=--resamples)``: the full audit with bootstrap intervals.

It prints seconds (best of ``--repeat``) and the ratio to the reference for each step, and
whether the full audit meets the 60-second target.

Run: ``.venv/bin/python benchmarks/audit_speed.py [--rows 1000000] [--resamples 1000] [--repeat 1]``
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)

from riskkit.fairness.audit import GROUP_METRICS, audit_predictions
from riskkit.metrics import bootstrap_draws

TARGET_SECONDS = 60.0
THRESHOLD = 0.5


def best_time(work: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def population(
    rows: int, seed: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], pd.DataFrame]:
    """Outcomes, probabilities and two sensitive attributes (4 and 2 groups) of ``rows`` people."""
    rng = np.random.default_rng(seed)
    race = rng.choice(np.array(["A", "B", "C", "D"]), size=rows, p=[0.45, 0.3, 0.15, 0.1])
    sex = rng.choice(np.array(["female", "male"]), size=rows, p=[0.2, 0.8])
    inputs = rng.normal(size=(rows, 4))
    weights = np.array([0.9, -0.6, 0.4, 0.2])
    group_shift = pd.Series(race).map({"A": 0.0, "B": 0.25, "C": -0.15, "D": 0.1}).to_numpy()
    logit = inputs @ weights + group_shift + np.where(sex == "male", 0.2, -0.2) - 0.3
    probability = 1.0 / (1.0 + np.exp(-logit))
    outcome = (rng.random(rows) < probability).astype(np.int64)
    return outcome, probability, pd.DataFrame({"race": race, "sex": sex})


def group_masks(frame: pd.DataFrame) -> list[npt.NDArray[np.bool_]]:
    """Everybody, each group of each attribute, and each non-empty intersection of groups."""
    masks = [np.ones(len(frame), dtype=np.bool_)]
    for column in frame.columns:
        values = frame[column].to_numpy()
        masks.extend(values == group for group in np.unique(values))
    for _, index in frame.groupby(list(frame.columns)).indices.items():
        mask = np.zeros(len(frame), dtype=np.bool_)
        mask[index] = True
        masks.append(mask)
    return masks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per step (best kept)")
    args = parser.parse_args()

    y, p, frame = population(args.rows)
    decision = p >= THRESHOLD
    # Warm up imports and caches outside the timings.
    audit_predictions(y[:2_000], p[:2_000], sensitive_features=frame[:2_000], threshold=THRESHOLD)

    def metric_frame() -> object:
        return MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "fpr": false_positive_rate,
                "fnr": false_negative_rate,
            },
            y_true=y,
            y_pred=decision,
            sensitive_features=frame,
        ).by_group

    masks = group_masks(frame)
    outcome = y.astype(np.bool_)

    def bootstrap_only() -> object:
        return [
            bootstrap_draws(
                outcome[mask],
                p[mask],
                threshold=THRESHOLD,
                metrics=GROUP_METRICS,
                n_resamples=args.resamples,
                seed=[0, i],
            )
            for i, mask in enumerate(masks)
        ]

    def audit_points() -> object:
        return audit_predictions(
            y, p, sensitive_features=frame, threshold=THRESHOLD, intervals=False
        )

    def audit_full() -> object:
        return audit_predictions(
            y, p, sensitive_features=frame, threshold=THRESHOLD, n_resamples=args.resamples
        )

    print(
        f"fairness audit speed - {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPU(s), "
        f"{args.rows:,} rows, {len(masks) - 1} groups + everybody, best of {args.repeat}"
    )
    print("reference: one fairlearn MetricFrame (selection rate, FPR, FNR; no bootstrap)")
    steps = [
        ("MetricFrame (reference)", metric_frame),
        (f"bootstrap_draws only, {len(masks)} groups", bootstrap_only),
        ("audit, no intervals", audit_points),
        (f"audit, {args.resamples:,} resamples", audit_full),
    ]
    seconds = {name: best_time(work, args.repeat) for name, work in steps}
    reference = seconds[steps[0][0]]
    header = f"{'step':<32}  {'seconds':>8}  {'x ref':>7}"
    print(header)
    print("-" * len(header))
    for name, _ in steps:
        print(f"{name:<32}  {seconds[name]:>8.2f}  {seconds[name] / reference:>7.1f}")
    full = seconds[steps[-1][0]]
    bootstrap = full - seconds[steps[2][0]]
    print(f"full audit minus audit without intervals: {bootstrap:.2f} s")
    verdict = "PASS" if full < TARGET_SECONDS else "FAIL"
    print(f"{verdict}: audit of {args.rows:,} rows in {full:.2f} s (target {TARGET_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()

"""How fast the synthetic population is generated.

Times ``generate_population`` at 100,000 and 1,000,000 rows (or the ``--rows`` given) and prints,
for each size: seconds (best of ``--repeat``), rows per second, peak memory traced by
``tracemalloc`` (in a separate, untimed run), and the ratio to a reference measured in the same
run: the time numpy takes to draw as many raw uniforms as the frame has cells,
``rng.random((rows, n_columns))``. It also prints how the time scales from 100k to 1M rows and
whether 1M rows meet the 30-second target.

Run: ``.venv/bin/python benchmarks/synthetic_speed.py [--rows 100000 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from riskkit.data.synthetic import COLUMNS, generate_population

TARGET_SECONDS_1M = 30.0


@dataclass(frozen=True)
class Measurement:
    rows: int
    seconds: float
    peak_mib: float
    reference_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def ratio(self) -> float:
        return self.seconds / self.reference_seconds


def best_time(work: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mib(work: Callable[[], object]) -> float:
    """Peak memory allocated while ``work`` runs (numpy and pandas report to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def measure(rows: int, repeat: int) -> Measurement:
    def generate() -> object:
        return generate_population(rows, seed=0)

    def reference() -> object:
        return np.random.default_rng(0).random((rows, len(COLUMNS)))

    return Measurement(
        rows=rows,
        seconds=best_time(generate, repeat),
        peak_mib=peak_mib(generate),
        reference_seconds=best_time(reference, repeat),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (best kept)")
    args = parser.parse_args()

    generate_population(1_000)  # warm up imports and caches outside the timings
    print(
        f"synthetic population speed - {platform.python_implementation()} "
        f"{platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPU(s), "
        f"{len(COLUMNS)} columns, best of {args.repeat}"
    )
    print(
        f"reference: np.random.default_rng(0).random((rows, {len(COLUMNS)})) "
        "(raw uniforms, as many as the frame's cells)"
    )
    header = (
        f"{'rows':>10}  {'seconds':>8}  {'rows/s':>11}  {'peak MiB':>9}  {'ref s':>7}  {'x ref':>6}"
    )
    print(header)
    print("-" * len(header))
    results: dict[int, Measurement] = {}
    for rows in args.rows:
        m = measure(rows, args.repeat)
        results[rows] = m
        print(
            f"{m.rows:>10,}  {m.seconds:>8.3f}  {m.rows_per_second:>11,.0f}  "
            f"{m.peak_mib:>9.1f}  {m.reference_seconds:>7.3f}  {m.ratio:>6.1f}"
        )
    if 100_000 in results and 1_000_000 in results:
        scaling = results[1_000_000].seconds / results[100_000].seconds
        print(f"time(1M) / time(100k) = {scaling:.1f} (10.0 = linear)")
    if 1_000_000 in results:
        seconds = results[1_000_000].seconds
        verdict = "meets" if seconds < TARGET_SECONDS_1M else "MISSES"
        print(f"1,000,000 rows in {seconds:.2f} s: {verdict} the {TARGET_SECONDS_1M:.0f} s target")


if __name__ == "__main__":
    main()

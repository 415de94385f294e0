"""How long ``riskkit --help`` takes, against a bare Python start-up measured in the same run.

Target: the command line answers in under 1 second (heavy packages are imported lazily).

    .venv/bin/python benchmarks/cli_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def best_of(command: list[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` runs (one warm-up run first)."""
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    python = sys.executable
    rows = [
        ("python -c pass (reference)", [python, "-c", "pass"]),
        ("import pandas (for scale)", [python, "-c", "import pandas"]),
        ("riskkit --help", [python, "-m", "riskkit.cli", "--help"]),
        ("riskkit data --help", [python, "-m", "riskkit.cli", "data", "--help"]),
    ]
    reference = None
    print(f"{'command':<30} {'median s':>9} {'x ref':>7}")
    results = {}
    for label, command in rows:
        seconds = best_of(command, args.repeat)
        reference = reference or seconds
        results[label] = seconds
        print(f"{label:<30} {seconds:>9.3f} {seconds / reference:>7.1f}")
    verdict = "meets" if results["riskkit --help"] < 1.0 else "MISSES"
    print(f"riskkit --help in {results['riskkit --help']:.3f} s: {verdict} the 1 s target")


if __name__ == "__main__":
    main()

"""Concurrent writers into one SQLite score log: every append lands, the chain verifies.

    python benchmarks/log_concurrency.py [--writers 8] [--appends 500]

Prints the entries written, the wall time, appends per second and the time ``verify`` takes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path

from riskkit.audit_log import ScoreLog
from riskkit.scoring.results import FactorContribution, ModelIdentity, ScoreResult

KEY = b"benchmark-key-0123456789abcdef!!"


def _result(person: str, probability: float) -> ScoreResult:
    return ScoreResult(
        person_id=person,
        probability=probability,
        band="high" if probability > 0.5 else "low",
        reference_probability=0.35,
        outcome="rearrest_24m",
        contributions=(
            FactorContribution("prior_convictions", 3, 0.05, False),
            FactorContribution("age", 31, 0.02, False),
        ),
        model=ModelIdentity(name="recidivism", version=3, alias="champion"),
        scored_at="2026-01-15T09:30:00+00:00",
    )


def _write(url: str, writer: int, count: int) -> None:
    log = ScoreLog(url, pseudonym_key=KEY)
    for i in range(count):
        person = f"W{writer}-{i}"
        log.append_score(
            _result(person, (i % 100) / 100),
            user=f"writer{writer}",
            role="case_worker",
            record={"id": person, "age": 31, "prior_convictions": 3},
        )
    log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--appends", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'scores.db'}"
        ScoreLog(url, pseudonym_key=KEY).close()
        context = multiprocessing.get_context("spawn")
        processes = [
            context.Process(target=_write, args=(url, w, args.appends)) for w in range(args.writers)
        ]
        started = time.perf_counter()
        for process in processes:
            process.start()
        for process in processes:
            process.join()
        elapsed = time.perf_counter() - started
        failed = [p.exitcode for p in processes if p.exitcode != 0]
        log = ScoreLog(url, pseudonym_key=KEY)
        started = time.perf_counter()
        check = log.verify()
        verify_s = time.perf_counter() - started
        total = args.writers * args.appends
        print("| writers x appends | entries | wall s | appends/s | verify s | chain |")
        print("|---|---|---|---|---|---|")
        print(
            f"| {args.writers} x {args.appends} | {len(log)} / {total} | {elapsed:.1f} | "
            f"{len(log) / elapsed:.0f} | {verify_s:.2f} | {'ok' if check.ok else check} |"
        )
        log.close()
        if failed or not check.ok or len(log) != total:
            raise SystemExit(f"FAILED: exit codes {failed}, {check}")


if __name__ == "__main__":
    main()

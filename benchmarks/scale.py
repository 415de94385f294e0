"""How each step grows with the number of people: generation, validation, training, scoring
with contributions, and the fairness audit, at several sizes.

Each (size, step) runs in a fresh child process, so its peak memory is its own: the child
generates (or reads) the synthetic population, runs the step once and reports the step's wall
time and the process's peak RSS (``ru_maxrss``). The table gives time, rows/s, peak memory and the
ratio of each step's time to its time at the smallest size, next to the ratio of the sizes: a time
ratio at or below the size ratio means linear growth or better.

Run: ``.venv/bin/python benchmarks/scale.py [--sizes 100000 1000000 5000000] [--json]``.
The defaults take a while (training the additive model on 5,000,000 people is minutes on
2 cores); ``--sizes 100000 1000000`` gives a quick reading. Spark scoring (``riskkit score
--engine spark``) is not in this table yet.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("generate", "validate", "train", "score", "audit")
#: Trees for the training step (the pipeline's own 400 would make 5M rows take long).
TREES = 200


def _run_step(step: str, rows: int, folder: Path) -> dict[str, float]:
    """One step in this process (the child): its wall time and the peak RSS."""
    import pandas as pd

    from riskkit.config import load_pipeline
    from riskkit.data.mapping import map_columns
    from riskkit.data.schema import RecordSchema
    from riskkit.data.synthetic import generate_population
    from riskkit.data.validation import validate_records

    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"n_estimators": TREES})}
    )
    people = folder / f"people_{rows}.parquet"
    if step == "generate":
        started = time.perf_counter()
        frame = generate_population(rows, seed=7)
        seconds = time.perf_counter() - started
        frame.to_parquet(people, index=False)
        return _measure(seconds)
    frame = pd.read_parquet(people)
    schema = RecordSchema.for_pipeline(config, purpose="train")
    if step == "validate":
        started = time.perf_counter()
        validate_records(map_columns(frame, config), schema)
        return _measure(time.perf_counter() - started)
    valid = validate_records(map_columns(frame, config), schema).valid
    del frame
    X, y = valid[config.features.use], valid[config.target.column].astype(int)
    from riskkit.training.pipeline import build_model

    if step == "train":
        started = time.perf_counter()
        build_model(config).fit(X, y)
        return _measure(time.perf_counter() - started)
    model = build_model(config).fit(X.iloc[:100_000], y.iloc[:100_000])
    from riskkit.tracking import LoadedModel, ModelBundle

    loaded = LoadedModel(
        name="recidivism", version=1, alias=None, stored=ModelBundle(model, config)
    )
    from riskkit.scoring.score import score_cases

    if step == "score":
        started = time.perf_counter()
        score_cases(loaded, valid)
        return _measure(time.perf_counter() - started)
    scored = score_cases(loaded, valid)
    from riskkit.fairness.audit import audit_predictions

    started = time.perf_counter()
    audit_predictions(
        y,
        scored.probability,
        sensitive_features=valid[list(config.sensitive.attributes)],
        threshold=config.band_thresholds()[-2],
        n_resamples=200,
    )
    return _measure(time.perf_counter() - started)


def _measure(seconds: float) -> dict[str, float]:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": peak_kb / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--child", nargs=3, metavar=("STEP", "ROWS", "FOLDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        step, rows, folder = args.child
        print(json.dumps(_run_step(step, int(rows), Path(folder))))
        return 0
    sizes = sorted(args.sizes)
    results: dict[str, dict[int, dict[str, float]]] = {step: {} for step in STEPS}
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            for step in STEPS:
                print(f"{step} on {rows:,} rows ...", file=sys.stderr, flush=True)
                done = subprocess.run(
                    [sys.executable, __file__, "--child", step, str(rows), folder],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results[step][rows] = json.loads(done.stdout.strip().splitlines()[-1])
    if args.json:
        print(json.dumps({s: {str(n): v for n, v in r.items()} for s, r in results.items()}))
        return 0
    smallest = sizes[0]
    print(
        f"riskkit scale: python {platform.python_version()}, {TREES} trees; "
        "each step in its own process"
    )
    print("| step | rows | seconds | rows/s | peak MB | time ratio | size ratio |")
    print("|---|---|---|---|---|---|---|")
    for step in STEPS:
        for rows in sizes:
            found = results[step][rows]
            ratio = found["seconds"] / results[step][smallest]["seconds"]
            print(
                f"| {step} | {rows:,} | {found['seconds']:.2f} | {rows / found['seconds']:,.0f} "
                f"| {found['peak_mb']:,.0f} | {ratio:.1f} | {rows / smallest:.0f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

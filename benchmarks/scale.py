"""How each step grows with the number of people: generation, validation, training, scoring
with contributions, and the fairness audit, at several sizes.

Each (size, step) runs in a fresh child process, so its peak memory is its own: the child
generates (or reads) the synthetic population, runs the step once and reports the step's wall
time and the process's peak RSS (``ru_maxrss``). The table gives time, rows/s, peak memory and the
ratio of each step's time to its time at the smallest size, next to the ratio of the sizes: a time
ratio at or below the size ratio means linear growth or better.

Two more rows compare the engines of ``riskkit score`` end to end, from a Parquet input to a
Parquet output of the same columns (probability, band, points, top three factors), rejects
included:

* ``score file``: the local engine (read, map, validate, score, write), in one process;
* ``score spark``: ``riskkit score --engine spark`` (:func:`riskkit.scoring.spark.score_with_spark`)
  in Spark local mode on every core (``local[*]``), reading the same records split in four files,
  as the first job of a new Spark session (what one run of the command costs, less the JVM's
  start-up of ~5 s, which is not counted): it includes the JVM's warming up and the start of the
  Python workers, which import riskkit;
* ``score spark again``: the same job run again in the same session, which shows how Spark's
  own work grows with the rows.

The Spark rows' peak memory is that of the whole process tree (driver, JVM and Python workers),
sampled every 0.2 s.

Run: ``.venv/bin/python benchmarks/scale.py [--sizes 100000 1000000 5000000] [--json]``.
The defaults take a while (training the additive model on 5,000,000 people is minutes on
2 cores); ``--sizes 100000 1000000`` gives a quick reading. Spark runs up to
``--spark-max-rows`` (1,000,000 by default) and needs the ``spark`` extra and Java; without
them its rows say why they are missing.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STEPS = (
    "generate",
    "validate",
    "train",
    "score",
    "audit",
    "score file",
    "score spark",
    "score spark again",
)
#: Files the Spark step reads the records from (so its two cores each get work).
SPARK_PARTS = 4
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
    if step in ("score file", "score spark"):
        return _score_end_to_end(step, rows, folder, config, people)
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
    loaded = _model_on_first_rows(config, people)
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


def _model_on_first_rows(config: Any, people: Path, rows: int = 100_000) -> Any:
    """The scoring steps' model: fitted on the file's first ``rows`` people only, so that
    every size scores with the same model and the fit does not count in the step's memory."""
    import pyarrow.parquet as pq

    from riskkit.data.mapping import map_columns
    from riskkit.data.schema import RecordSchema
    from riskkit.data.validation import validate_records
    from riskkit.tracking import LoadedModel, ModelBundle
    from riskkit.training.pipeline import build_model

    first = next(pq.ParquetFile(people).iter_batches(batch_size=rows)).to_pandas()
    schema = RecordSchema.for_pipeline(config, purpose="train")
    valid = validate_records(map_columns(first, config), schema).valid
    model = build_model(config).fit(
        valid[config.features.use], valid[config.target.column].astype(int)
    )
    return LoadedModel(name="recidivism", version=1, alias=None, stored=ModelBundle(model, config))


def _score_end_to_end(
    step: str, rows: int, folder: Path, config: Any, people: Path
) -> dict[str, float]:
    """``riskkit score`` from a Parquet input to Parquet scores (and rejects), on the local
    engine or on Spark, with the same model."""
    loaded = _model_on_first_rows(config, people)
    out = folder / f"out_{step.replace(' ', '_')}_{rows}"
    if step == "score file":
        from riskkit.data.sources import load_records
        from riskkit.scoring.score import score_cases

        out.mkdir()
        started = time.perf_counter()
        records = load_records(config, people, purpose="score")
        scored = score_cases(loaded, records.validation.valid)
        scored.to_frame(top=3).to_parquet(out / "scores.parquet", index=False)
        records.validation.rejects.to_csv(out / "rejects.csv", index=False)
        return _measure(time.perf_counter() - started)
    return _score_on_spark(rows, folder, loaded, people, out)


def _score_on_spark(
    rows: int, folder: Path, loaded: Any, people: Path, out: Path
) -> dict[str, float]:
    import os

    import mlflow
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    from riskkit.scoring.spark import score_with_spark
    from riskkit.tracking import log_and_register

    parts = folder / f"parts_{rows}"
    parts.mkdir(exist_ok=True)
    table = pq.read_table(people)
    size = -(-table.num_rows // SPARK_PARTS)
    for k in range(SPARK_PARTS):
        pq.write_table(table.slice(k * size, size), parts / f"part-{k:05d}.parquet")
    del table
    uri = f"sqlite:///{folder / f'mlflow_{rows}.db'}"
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["PYSPARK_PYTHON"] = sys.executable
    mlflow.set_tracking_uri(uri)
    version = log_and_register(loaded.bundle, params={}, metrics={}, tags={})
    session = (
        SparkSession.builder.master("local[*]")
        .appName("riskkit-scale")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    runs = []
    for _ in range(2):
        with TreeMemory() as memory:
            started = time.perf_counter()
            score_with_spark(f"{version.name}@{version.alias}", parts, out, spark=session)
            runs.append({"seconds": time.perf_counter() - started, "peak_mb": memory.peak_mb})
    session.stop()
    return {**runs[0], "again": runs[1]}


class TreeMemory:
    """The peak total resident memory of this process and all its descendants (Spark's JVM
    and its Python workers), sampled every 0.2 s on a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while True:
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue  # ended between the listing and the reading
            self.peak_mb = max(self.peak_mb, total / 2**20)
            if self._stop.wait(self.every):
                return


def _measure(seconds: float) -> dict[str, float]:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": peak_kb / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument(
        "--spark-max-rows",
        type=int,
        default=1_000_000,
        help="largest size scored on Spark too (default 1,000,000); 0 leaves Spark out",
    )
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
    from riskkit.scoring.spark import spark_unavailable

    spark_missing = spark_unavailable()
    results: dict[str, dict[int, dict[str, float]]] = {step: {} for step in STEPS}
    left_out: dict[str, dict[int, str]] = {step: {} for step in STEPS}
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            for step in STEPS:
                if step == "score spark again":
                    continue  # measured by the "score spark" child
                if step == "score spark" and (spark_missing or rows > args.spark_max_rows):
                    left_out["score spark again"][rows] = spark_missing or "above --spark-max-rows"
                    left_out[step][rows] = spark_missing or "above --spark-max-rows"
                    continue
                print(f"{step} on {rows:,} rows ...", file=sys.stderr, flush=True)
                done = subprocess.run(
                    [sys.executable, __file__, "--child", step, str(rows), folder],
                    check=False,
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    print(done.stderr, file=sys.stderr)
                    raise SystemExit(f"{step} on {rows:,} rows failed (exit {done.returncode})")
                found = json.loads(done.stdout.strip().splitlines()[-1])
                if "again" in found:
                    results["score spark again"][rows] = found.pop("again")
                results[step][rows] = found
    if args.json:
        print(
            json.dumps(
                {
                    step: {str(n): found for n, found in by_size.items()}
                    | {str(n): {"left_out": why} for n, why in left_out[step].items()}
                    for step, by_size in results.items()
                }
            )
        )
        return 0
    print(
        f"riskkit scale: python {platform.python_version()}, {TREES} trees; "
        "each step in its own process"
    )
    print("| step | rows | seconds | rows/s | peak MB | time ratio | size ratio |")
    print("|---|---|---|---|---|---|---|")
    for step in STEPS:
        measured = sorted(results[step])
        for rows in sizes:
            if rows in left_out[step]:
                print(f"| {step} | {rows:,} | not run: {left_out[step][rows]} | | | | |")
                continue
            found, first = results[step][rows], measured[0]
            ratio = found["seconds"] / results[step][first]["seconds"]
            print(
                f"| {step} | {rows:,} | {found['seconds']:.2f} | {rows / found['seconds']:,.0f} "
                f"| {found['peak_mb']:,.0f} | {ratio:.1f} | {rows / first:.0f} |"
            )
    local, spark = results["score file"], results["score spark"]
    again = results["score spark again"]
    for rows in sorted(set(local) & set(spark)):
        print(
            f"{rows:,} rows, Parquet to Parquet: local engine {local[rows]['seconds']:.1f} s; "
            f"Spark local {spark[rows]['seconds']:.1f} s in a new session "
            f"({spark[rows]['seconds'] / local[rows]['seconds']:.2f}x the local engine), "
            f"{again[rows]['seconds']:.1f} s again "
            f"({again[rows]['seconds'] / local[rows]['seconds']:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

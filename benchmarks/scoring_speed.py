"""How fast scoring with exact contributions is, against LightGBM's own and InterpretML's EBM.

Fits the synthetic pipeline's model (``pipelines/recidivism.toml``: the calibrated additive model)
on 20,000 synthetic people, then in the same run:

* ``score_cases`` on ``--rows`` people (1,000,000 by default; the synthetic rows repeated):
  probability, band and exact contributions in probability points for everyone (no per-person
  JSON or HTML is written);
* LightGBM's ``booster.predict(pred_contrib=True)`` on the same model and rows (on the first
  ``--peer-rows``, 100,000 by default, since it is about 30 times slower; rows/s are comparable);
* InterpretML's EBM computing its per-term contributions (``eval_terms``) on the same rows, when
  the benchmark-only extra ``interpret-core`` is installed (``make bench`` installs it);
* one person's JSON result and HTML report, after the model is loaded (median of 20).

Targets (issue "scored reports"): at least 1,000,000 rows/s, at least 25x LightGBM's
``pred_contrib``, no slower than EBM's ``eval_terms``, peak memory under 2 GB for 1,000,000
rows; one person's JSON in under 20 ms and HTML in under 200 ms.

Run: ``.venv/bin/python benchmarks/scoring_speed.py [--rows N] [--json]``. With ``--json`` the
last line is ``{"rows", "rows_per_s", "pred_contrib_rows_per_s", "ratio", "ebm_rows_per_s",
"peak_rss_mb"}`` (``ebm_rows_per_s`` is null without interpret-core).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from riskkit.config import load_pipeline
from riskkit.data.sources import load_records
from riskkit.data.synthetic import generate_population
from riskkit.reports.case_report import render_case_html
from riskkit.scoring.score import score_cases
from riskkit.tracking import LoadedModel, ModelBundle
from riskkit.training.pipeline import build_model

ROOT = Path(__file__).resolve().parent.parent
TARGET_ROWS_PER_S = 1_000_000
TARGET_RATIO = 25.0
TARGET_RSS_MB = 2048.0
TARGET_JSON_MS = 20.0
TARGET_HTML_MS = 200.0


def best_seconds(work: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs of ``work``."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="people scored")
    parser.add_argument("--peer-rows", type=int, default=100_000, help="rows for the peers")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args(argv)
    say: Callable[[str], None] = (lambda line: print(line, file=sys.stderr)) if args.json else print

    config = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
    folder = Path(tempfile.mkdtemp(prefix="riskkit-scoring-bench-"))
    generate_population(20_000, seed=1).to_csv(folder / "train.csv", index=False)
    records = load_records(config, folder / "train.csv").validation.valid
    say(f"fitting the pipeline's model on {len(records):,} people")
    model = build_model(config).fit(
        records[config.features.use], records[config.target.column].astype(int)
    )
    loaded = LoadedModel(
        name="recidivism", version=1, alias=None, stored=ModelBundle(model, config)
    )
    repeats = -(-args.rows // len(records))
    people = pd.concat([records] * repeats, ignore_index=True).iloc[: args.rows]
    X = people[config.features.use]

    say(f"score_cases on {len(people):,} people")
    seconds = best_seconds(lambda: score_cases(loaded, people), args.repeat)
    rows_per_s = len(people) / seconds
    rss = peak_rss_mb()

    additive = model.estimator_
    peer = X.iloc[: args.peer_rows]
    frame = additive._as_frame(peer, fitting=False)
    say(f"LightGBM pred_contrib on {len(peer):,} rows")
    contrib_seconds = best_seconds(lambda: additive.booster_.predict(frame, pred_contrib=True), 1)
    contrib_rows_per_s = len(peer) / contrib_seconds

    ebm_rows_per_s: float | None = None
    try:
        from interpret.glassbox import ExplainableBoostingClassifier
    except ImportError:
        say("EBM: interpret-core is not installed (make bench installs it); skipped")
    else:
        say("fitting InterpretML's EBM (main effects) for eval_terms")
        ebm = ExplainableBoostingClassifier(interactions=0, n_jobs=1, random_state=0)
        sample = records.sample(n=min(len(records), 10_000), random_state=0)
        ebm.fit(sample[config.features.use], sample[config.target.column].astype(int))
        say(f"EBM eval_terms on {len(X):,} rows")
        ebm_seconds = best_seconds(lambda: ebm.eval_terms(X), 1)
        ebm_rows_per_s = len(X) / ebm_seconds

    one = people.iloc[[0]]
    json_times, html_times = [], []
    for _ in range(20):
        start = time.perf_counter()
        result = score_cases(loaded, one)[0]
        json.dumps(result.to_dict())
        json_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        render_case_html(result, config=config, language="es")
        html_times.append(time.perf_counter() - start)
    json_ms = 1000 * statistics.median(json_times)
    html_ms = 1000 * statistics.median(html_times)

    ratio = rows_per_s / contrib_rows_per_s
    say(
        f"\nriskkit scoring benchmark (python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {additive.n_estimators} trees, "
        f"{len(config.features.use)} features)"
    )
    say(f"{'step':<40} {'rows/s':>14} {'x pred_contrib':>15}")
    say(f"{'score_cases (exact contributions)':<40} {rows_per_s:>14,.0f} {ratio:>15.1f}")
    say(f"{'LightGBM pred_contrib':<40} {contrib_rows_per_s:>14,.0f} {1.0:>15.1f}")
    if ebm_rows_per_s is not None:
        say(
            f"{'EBM eval_terms':<40} {ebm_rows_per_s:>14,.0f} "
            f"{ebm_rows_per_s / contrib_rows_per_s:>15.1f}"
        )
    say(f"one person: JSON {json_ms:.1f} ms, HTML {html_ms:.1f} ms; peak RSS {rss:,.0f} MiB")
    checks = [
        (rows_per_s >= TARGET_ROWS_PER_S, f"score_cases {rows_per_s:,.0f} rows/s >= 1,000,000"),
        (ratio >= TARGET_RATIO, f"{ratio:.1f}x LightGBM pred_contrib >= 25x"),
        (rss < TARGET_RSS_MB, f"peak RSS {rss:,.0f} MiB < 2,048 MiB"),
        (json_ms < TARGET_JSON_MS, f"one person's JSON {json_ms:.1f} ms < 20 ms"),
        (html_ms < TARGET_HTML_MS, f"one person's HTML {html_ms:.1f} ms < 200 ms"),
    ]
    if ebm_rows_per_s is not None:
        checks.append(
            (
                rows_per_s >= ebm_rows_per_s,
                f"no slower than EBM eval_terms ({ebm_rows_per_s:,.0f} rows/s)",
            )
        )
    for passed, text in checks:
        say(f"{'PASS' if passed else 'FAIL'}  {text}")
    if args.json:
        print(
            json.dumps(
                {
                    "rows": len(people),
                    "rows_per_s": rows_per_s,
                    "pred_contrib_rows_per_s": contrib_rows_per_s,
                    "ratio": ratio,
                    "ebm_rows_per_s": ebm_rows_per_s,
                    "peak_rss_mb": rss,
                }
            )
        )
    return 0 if all(passed for passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

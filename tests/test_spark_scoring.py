"""Spark batch scoring (``riskkit.scoring.spark``) in Spark local mode: every one of 100,000
synthetic records scored on Spark matches the local engine to 1e-9, with the same rejects.

Needs the ``spark`` extra (pyspark) and a Java runtime; the tests skip, saying which is missing,
otherwise. pyspark 4 warns (FutureWarning) that it "does not yet fully support pandas >= 3.0.0"
each time it converts to pandas; that warning is about pyspark's own pandas API, which riskkit
does not use (the equality test is what shows the Arrow batches are read correctly), so it is
ignored here, narrowly, by its message.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import small_scoring_setting

ROWS = 100_000
PARTS = 4
TOLERANCE = 1e-9
PANDAS_WARNING = "ignore:PySpark does not yet fully support pandas:FutureWarning"
# for the whole module: the session's fixtures are set up and torn down within whichever test
# comes first and last
pytestmark = pytest.mark.filterwarnings(PANDAS_WARNING)


def _require_spark() -> None:
    from riskkit.scoring.spark import spark_unavailable

    missing = spark_unavailable()
    if missing:
        pytest.skip(f"Spark scoring tests skipped: {missing}")


@dataclass(frozen=True)
class Registered:
    folder: Path
    reference: str


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    """A small recidivism model (30 trees) registered as champion in a temporary MLflow store;
    the store stays selected for the module's tests."""
    _require_spark()
    import mlflow

    from riskkit.tracking import log_and_register

    folder = tmp_path_factory.mktemp("spark")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        # the Python workers run this interpreter (the one with riskkit installed)
        patch.setenv("PYSPARK_PYTHON", sys.executable)
        mlflow.set_tracking_uri(uri)
        try:
            model, _cases = small_scoring_setting(
                folder, trees=30, train_rows=3000, case_rows=5, seed=41
            )
            version = log_and_register(model.bundle, params={}, metrics={}, tags={})
            yield Registered(folder, f"{version.name}@{version.alias}")
        finally:
            mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def spark(registered: Registered) -> Iterator[Any]:
    """A Spark session in local mode on two cores, with modest memory."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("riskkit-tests")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@dataclass(frozen=True)
class Cases:
    folder: Path
    whole: Path
    frame: pd.DataFrame


@pytest.fixture(scope="module")
def cases(registered: Registered) -> Cases:
    """100,000 synthetic records in four Parquet files (and the same records as one file for
    the local engine), with invalid ones: an unknown category, an age out of range, a blank id
    and an id repeated across files."""
    from riskkit.data.synthetic import generate_population

    frame = generate_population(ROWS, seed=2027)
    frame["housing"] = frame["housing"].astype(object)
    frame.loc[10, "housing"] = "martian"
    frame.loc[30_020, "age"] = 300
    frame["person_id"] = frame["person_id"].astype(object)
    frame.loc[55_555, "person_id"] = "   "
    frame.loc[ROWS - 5, "person_id"] = frame.loc[3, "person_id"]
    folder = registered.folder / "cases"
    folder.mkdir()
    size = ROWS // PARTS
    for k in range(PARTS):
        frame.iloc[k * size : (k + 1) * size].to_parquet(
            folder / f"part-{k:05d}.parquet", index=False
        )
    whole = registered.folder / "cases.parquet"
    frame.to_parquet(whole, index=False)
    return Cases(folder, whole, frame)


@pytest.mark.slow
def test_spark_scores_match_the_local_engine_on_every_row(
    registered: Registered, spark: Any, cases: Cases, tmp_path: Path
) -> None:
    from riskkit.data.sources import load_records
    from riskkit.scoring.score import score_cases
    from riskkit.scoring.spark import score_with_spark
    from riskkit.tracking import load_model

    started = time.perf_counter()
    summary = score_with_spark(registered.reference, cases.folder, tmp_path / "out", spark=spark)
    spark_seconds = time.perf_counter() - started

    started = time.perf_counter()
    model = load_model(registered.reference)
    loaded = load_records(model.bundle.config, cases.whole, purpose="score")
    scored = score_cases(model, loaded.validation.valid)
    local = scored.to_frame(top=3)
    local_seconds = time.perf_counter() - started
    print(
        f"\n{ROWS:,} records: Spark local[2] {spark_seconds:.1f} s "
        f"({ROWS / spark_seconds:,.0f} rows/s), local engine {local_seconds:.1f} s "
        f"({ROWS / local_seconds:,.0f} rows/s)"
    )

    got = pd.read_parquet(summary.scores_path)
    assert list(got.columns) == list(local.columns)
    assert "points" in got.columns and "factor_3" in got.columns
    assert len(got) == len(local) == ROWS - 5
    got = got.sort_values("person_id", kind="stable").reset_index(drop=True)
    want = local.sort_values("person_id", kind="stable").reset_index(drop=True)
    assert got["person_id"].astype(str).tolist() == want["person_id"].astype(str).tolist()
    for name in want.columns:
        if name.startswith("points_") or name == "probability":
            np.testing.assert_allclose(
                got[name].to_numpy(dtype=float),
                want[name].to_numpy(dtype=float),
                rtol=0,
                atol=TOLERANCE,
                err_msg=name,
            )
        elif name == "points":
            assert got[name].to_numpy().tolist() == want[name].to_numpy().tolist()
        else:
            assert got[name].astype(str).tolist() == want[name].astype(str).tolist(), name

    rejects = pd.read_parquet(summary.rejects_path).sort_values("row").reset_index(drop=True)
    local_rejects = loaded.validation.rejects.reset_index(drop=True)
    assert list(rejects.columns) == list(local_rejects.columns)
    assert rejects["row"].tolist() == local_rejects["row"].tolist() == [4, 11, 30021, 55556, 99996]
    assert rejects["reasons"].tolist() == local_rejects["reasons"].tolist()
    assert "duplicate id (rows 4, 99996 share it)" in rejects["reasons"].iloc[0]

    assert summary.n_input == ROWS
    assert (summary.n_scored, summary.n_rejected) == (ROWS - 5, 5)
    assert summary.bands == scored.band_counts(model.bundle.config.band_names())
    assert summary.to_dict()["engine"] == "spark"


@pytest.mark.slow
def test_registered_pyfunc_through_spark_udf_agrees(
    registered: Registered, spark: Any, cases: Cases
) -> None:
    """``mlflow.pyfunc.spark_udf`` on the registered model gives the same probabilities, bands
    and contributions as the local engine (on 2,000 valid records)."""
    from pyspark.sql import functions as sf

    from riskkit.data.sources import load_records
    from riskkit.scoring.score import score_cases
    from riskkit.scoring.spark import pyfunc_spark_udf
    from riskkit.tracking import load_model, pyfunc_input

    model = load_model(registered.reference)
    features = [str(f) for f in model.bundle.estimator.feature_names_in_]
    valid = load_records(model.bundle.config, cases.whole, purpose="score").validation.valid
    valid = valid.iloc[:2000]
    scored = score_cases(model, valid)
    frame = spark.createDataFrame(pyfunc_input(valid[features]).reset_index(drop=True))
    udf = pyfunc_spark_udf(spark, registered.reference)
    rows = frame.select(udf(sf.struct(*features)).alias("out")).select("out.*").collect()
    out = pd.DataFrame([row.asDict() for row in rows])
    np.testing.assert_allclose(
        out["probability"].to_numpy(), scored.probability, rtol=0, atol=TOLERANCE
    )
    assert out["band"].tolist() == scored.bands.tolist()
    np.testing.assert_allclose(
        out[[f"contribution_{f}" for f in features]].to_numpy(),
        scored.contributions,
        rtol=0,
        atol=TOLERANCE,
    )


@pytest.mark.slow
def test_a_missing_required_column_fails_before_scoring(
    registered: Registered, spark: Any, tmp_path: Path
) -> None:
    from riskkit.data.synthetic import generate_population
    from riskkit.errors import DataValidationError
    from riskkit.scoring.spark import score_with_spark

    folder = tmp_path / "in"
    folder.mkdir()
    generate_population(50, seed=3).drop(columns=["age"]).to_parquet(folder / "part-0.parquet")
    with pytest.raises(DataValidationError, match="column 'age': required column is missing"):
        score_with_spark(registered.reference, folder, tmp_path / "out", spark=spark)
    assert not (tmp_path / "out").exists()


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from riskkit.errors import RiskkitError
    from riskkit.scoring.spark import score_with_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(RiskkitError, match=r"pip install 'riskkit\[spark\]'"):
        score_with_spark("recidivism@champion", tmp_path, tmp_path / "out")


def test_output_inside_the_input_is_refused(tmp_path: Path) -> None:
    _require_spark()
    from riskkit.errors import RiskkitError
    from riskkit.scoring.spark import score_with_spark

    with pytest.raises(RiskkitError, match="is inside the input"):
        score_with_spark("recidivism@champion", tmp_path, tmp_path / "scored")


@pytest.mark.slow
def test_the_command_line_scores_on_spark(
    registered: Registered, spark: Any, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from riskkit.cli import app
    from riskkit.data.synthetic import generate_population

    folder = tmp_path / "in"
    folder.mkdir()
    generate_population(200, seed=5).to_parquet(folder / "part-0.parquet", index=False)
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--engine",
            "spark",
            "--model",
            registered.reference,
            "--input",
            str(folder),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["scored"], summary["rejected"]) == (200, 0)
    scores = pd.read_parquet(tmp_path / "out" / "scores")
    assert len(scores) == 200
    assert scores["probability"].between(0, 1).all()


def test_the_spark_engine_refuses_local_only_options(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from riskkit.cli import app

    result = CliRunner().invoke(
        app,
        [
            "score",
            "--engine",
            "spark",
            "--model",
            "m",
            "--input",
            str(tmp_path),
            "--out",
            str(tmp_path / "o"),
            "--pdf",
        ],
    )
    assert result.exit_code == 2
    assert "work with the local engine" in result.output


def test_what_spark_lacks_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs without Spark: the reason a session cannot start names the fix."""
    from riskkit.scoring import spark as engine

    monkeypatch.setattr(engine.importlib.util, "find_spec", lambda _name: None)
    assert engine.spark_unavailable() == "pyspark is not installed (pip install 'riskkit[spark]')"
    monkeypatch.setattr(engine.importlib.util, "find_spec", lambda _name: object())
    monkeypatch.setattr(engine.shutil, "which", lambda _name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert engine.spark_unavailable() == (
        "no Java runtime (java on PATH or JAVA_HOME); install a Java 17 or 21 runtime"
    )
    monkeypatch.setenv("JAVA_HOME", "/usr/lib/jvm/java-17")
    assert engine.spark_unavailable() is None

"""Shared fixtures: a small pipeline, records that satisfy it, and an isolated MLflow store."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SMALL_PIPELINE = """\
name = "small"
description = "A small pipeline for tests."

[data]
source = "records.csv"
id_column = "id"

[data.columns]
age = "edad"
prior_convictions = "condenas"

[data.values.housing]
"situación de calle" = "homeless"
"estable" = "stable"

[target]
column = "rearrest_24m"

[sensitive]
attributes = ["sex"]

[features]
use = ["age", "prior_convictions", "housing", "prison_work"]

[[bands]]
name = "low"
max_probability = 0.3

[[bands]]
name = "high"
max_probability = 1.0

[tracking]
experiment = "tests"
model_name = "small"
"""

HEADER = "id,edad,condenas,housing,prison_work,rearrest_24m,sex"
GOOD_ROWS = [
    "A1,34,2,estable,1,0,male",
    "A2,22,5,situación de calle,0,1,female",
    "A3,45,0,temporary,1,0,male",
]


@pytest.fixture
def small_pipeline(tmp_path: Path) -> Path:
    """A pipeline TOML whose records map Spanish column names and values onto the registry."""
    path = tmp_path / "small.toml"
    path.write_text(SMALL_PIPELINE, encoding="utf-8")
    return path


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    """Write CSV lines in the given encoding (``utf-8-sig`` adds a byte-order mark)."""
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.fixture(autouse=True)
def _forget_mlflow_uri() -> Iterator[None]:
    """After each test, MLflow's in-process tracking URI (which wins over the
    MLFLOW_TRACKING_URI variable) is cleared and the variable is put back as it was before the
    test (``mlflow.set_tracking_uri`` also sets or unsets the variable itself), so no test
    trains into or reads another test's store."""
    before = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        mlflow.set_tracking_uri(None)
    if before is not None:
        os.environ["MLFLOW_TRACKING_URI"] = before
    else:
        os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty MLflow SQLite store for one test."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    import mlflow

    mlflow.set_tracking_uri(uri)
    return uri


def dedent(text: str) -> str:
    """Dedent helper for inline TOML in tests."""
    return textwrap.dedent(text)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The public datasets folder (``RISKKIT_DATA_DIR``); tests that need it skip without it."""
    if not os.environ.get("RISKKIT_DATA_DIR"):
        pytest.skip(
            "RISKKIT_DATA_DIR is not set: the COMPAS/NIJ tests need ../shared/data "
            "(set it, as .ci/run does)"
        )
    from riskkit.data.adapters import data_dir

    return data_dir()


def small_scoring_setting(
    folder: Path, *, trees: int, train_rows: int, case_rows: int, seed: int
) -> tuple[Any, Any]:
    """A registered-like risk model (the recidivism pipeline with ``trees`` trees, fitted on
    ``train_rows`` synthetic people, not through MLflow) and ``case_rows`` validated new cases."""
    from riskkit.config import load_pipeline
    from riskkit.data.sources import load_records
    from riskkit.data.synthetic import generate_population
    from riskkit.tracking import LoadedModel, ModelBundle
    from riskkit.training.pipeline import build_model

    config = load_pipeline(Path(__file__).resolve().parent.parent / "pipelines" / "recidivism.toml")
    config = config.model_copy(
        update={"model": config.model.model_copy(update={"n_estimators": trees})}
    )
    generate_population(train_rows, seed=seed).to_csv(folder / "train.csv", index=False)
    generate_population(case_rows, seed=seed + 1).to_csv(folder / "cases.csv", index=False)
    train = load_records(config, folder / "train.csv").validation.valid
    model = build_model(config).fit(
        train[config.features.use], train[config.target.column].astype(int)
    )
    loaded = LoadedModel(
        name="recidivism", version=3, alias="champion", stored=ModelBundle(model, config)
    )
    cases = load_records(config, folder / "cases.csv", purpose="score").validation.valid
    return loaded, cases

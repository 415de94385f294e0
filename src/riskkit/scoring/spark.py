"""Scoring a Parquet dataset of any size on Apache Spark, with the local engine's results.

:func:`score_with_spark` reads a folder of Parquet files, maps and validates every record
exactly as ``riskkit score`` does (:func:`riskkit.data.mapping.map_columns`,
:func:`riskkit.data.validation.validate_records`), scores the valid ones with
:func:`riskkit.scoring.score.score_cases` and writes, in the output folder:

* ``scores/``: Parquet, one row per scored person with the columns of
  :meth:`ScoredCases.to_frame <riskkit.scoring.score.ScoredCases.to_frame>` (``person_id``,
  ``probability``, ``band``, ``points`` when the model has a scorecard, then ``factor_k`` and
  ``points_k`` for the ``top`` factors by absolute effect);
* ``rejects/``: Parquet, one row per invalid record with its 1-based ``row`` number, its
  ``reasons`` and its values as given (as text), the columns of the local engine's
  ``rejects.csv``. Always written, empty when every record is valid, so no earlier run's rejects
  are left behind. No record is dropped silently: ``scored + rejected == input``.

Rows are numbered as if the input's files, in the order of their paths, were one file, so a
reject's row number and a duplicate id's "rows ... share it" are those the local engine gives
for the concatenated file. Ids are checked for duplicates across the whole dataset first.

The model runs in a pandas UDF (``mapInPandas``) that runs the local engine's own code on each
Arrow batch, rather than through ``mlflow.pyfunc.spark_udf``: the registered pyfunc gives
probability, band and every contribution, but not the scorecard ``points``, the person id or
the top factors, and it takes already-validated, typed inputs, so the mapping and the
validation (and the rejects) would need a riskkit UDF anyway. The registered version is loaded
once, on the driver, with :func:`riskkit.tracking.load_model` (integrity hashes checked), and
shipped to the executors as its bundle files (JSON and LightGBM text, no pickle); each Python
worker rebuilds it once, checking the hashes again. Executors therefore need riskkit installed,
but no access to the MLflow tracking server or artifact store. :func:`pyfunc_spark_udf` gives
the registered pyfunc through ``spark_udf`` for those who want MLflow's own output.

pyspark is an optional dependency (``pip install riskkit[spark]``), imported only here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from riskkit.errors import DataValidationError, RiskkitError, ValidationProblem

if TYPE_CHECKING:
    import pandas as pd

    from riskkit.config import PipelineConfig
    from riskkit.tracking import LoadedModel

#: Internal column: a record's 1-based row number in the whole input.
_ROW: Final = "__riskkit_row"
_FILE: Final = "__riskkit_file"
_INDEX: Final = "__riskkit_row_index"
_START: Final = "__riskkit_file_start"
_STATUS: Final = "__riskkit_status"
_SCORED: Final = "scored"
_REJECTED: Final = "rejected"
_SCORE_PREFIX: Final = "score__"
_REJECT_PREFIX: Final = "reject__"
#: Columns of the scores and rejects outputs, by kind.
_STRING: Final = "string"
_DOUBLE: Final = "double"
_LONG: Final = "long"
#: Models rebuilt in this Python process (a Spark worker), by their bundle's hashes.
_LOADED: dict[str, WorkerModel] = {}

INSTALL_HINT: Final = "pip install 'riskkit[spark]'"


@dataclass(frozen=True)
class SparkSummary:
    """What a Spark scoring run wrote.

    Attributes
    ----------
    model : str
        The model reference scored with (``NAME@alias`` or ``NAME/version``).
    n_input, n_scored, n_rejected : int
        Records read, scored and rejected (``n_scored + n_rejected == n_input``).
    out_dir, scores_path, rejects_path : str
        The output folder and its ``scores/`` and ``rejects/`` Parquet datasets.
    bands : dict of str to int
        People scored per band, in the pipeline's band order.
    """

    model: str
    n_input: int
    n_scored: int
    n_rejected: int
    out_dir: str
    scores_path: str
    rejects_path: str
    bands: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the keys of the local engine's summary where they agree)."""
        return {
            "engine": "spark",
            "model": self.model,
            "input": self.n_input,
            "scored": self.n_scored,
            "rejected": self.n_rejected,
            "bands": self.bands,
            "out_dir": self.out_dir,
            "scores": self.scores_path,
            "rejects": self.rejects_path,
        }


#: The bundle files a worker needs to score (the uncertainty refits and the drift reference
#: profile are not used by ``ScoredCases.to_frame``).
SHIPPED_FILES: Final = ("model.json", "booster.txt", "pipeline.json")


@dataclass(frozen=True)
class ShippedModel:
    """A loaded risk model as its bundle files, small and picklable, for Spark's executors.

    Attributes
    ----------
    name, version, alias
        The registered version (as :class:`~riskkit.tracking.LoadedModel`).
    files : dict of str to bytes
        The bundle's files that scoring needs (:data:`SHIPPED_FILES`, written by
        :func:`riskkit.tracking.save_bundle`).
    hashes : dict of str to str
        Each file's SHA-256, checked when the model is rebuilt.
    """

    name: str
    version: int
    alias: str | None
    files: dict[str, bytes]
    hashes: dict[str, str]

    @classmethod
    def from_loaded(cls, model: LoadedModel) -> ShippedModel:
        """The bundle files of a loaded risk model.

        Raises
        ------
        RiskkitError
            When ``model`` is a needs model (it gives no risk score to write).
        """
        from riskkit.tracking import save_bundle

        bundle = model.bundle  # a needs model is refused here, naming itself
        with tempfile.TemporaryDirectory() as tmp:
            hashes = save_bundle(bundle, Path(tmp))
            files = {name: (Path(tmp) / name).read_bytes() for name in SHIPPED_FILES}
        kept = {name: hashes[name] for name in SHIPPED_FILES}
        return cls(model.name, model.version, model.alias, files, kept)

    @property
    def key(self) -> str:
        """One digest of every file's hash: the model's identity in a worker's cache."""
        text = "\n".join(f"{name}={digest}" for name, digest in sorted(self.hashes.items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def load(self) -> WorkerModel:
        """The model, rebuilt once per Python process after checking the files' hashes.

        It is rebuilt from its JSON state and LightGBM text as
        :func:`riskkit.tracking.read_bundle` does, without importing :mod:`riskkit.tracking`
        (MLflow's import alone takes seconds in every Python worker).

        Raises
        ------
        RiskkitError
            When a file's SHA-256 differs from the one recorded on the driver.
        """
        import json

        from riskkit.config import PipelineConfig
        from riskkit.estimators.calibration import estimator_from_state

        found = _LOADED.get(self.key)
        if found is None:
            for name, content in self.files.items():
                digest = hashlib.sha256(content).hexdigest()
                if digest != self.hashes.get(name):
                    raise RiskkitError(
                        f"integrity check failed for {name} of model {self.name}/{self.version} "
                        f"on a Spark worker: SHA-256 {digest}, expected {self.hashes.get(name)}"
                    )
            config = PipelineConfig.model_validate_json(self.files["pipeline.json"])
            estimator = estimator_from_state(
                json.loads(self.files["model.json"]), self.files["booster.txt"].decode("utf-8")
            )
            found = WorkerModel(
                self.name, self.version, self.alias, WorkerBundle(estimator, config)
            )
            _LOADED[self.key] = found
        return found


@dataclass(frozen=True)
class WorkerBundle:
    """What :func:`~riskkit.scoring.score.score_cases` reads of a
    :class:`~riskkit.tracking.ModelBundle`: the estimator and its pipeline (no uncertainty
    refits: the scores' table has no interval)."""

    estimator: Any
    config: PipelineConfig
    intervals: None = None


@dataclass(frozen=True)
class WorkerModel:
    """What :func:`~riskkit.scoring.score.score_cases` reads of a
    :class:`~riskkit.tracking.LoadedModel`, on a Spark worker."""

    name: str
    version: int
    alias: str | None
    bundle: WorkerBundle
    kind: str = "risk"

    @property
    def reference(self) -> str:
        """``NAME@alias`` or ``NAME/version``."""
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}/{self.version}"


def spark_unavailable() -> str | None:
    """Why a local Spark session cannot start in this environment, or None when it can.

    Checks, without importing it, that pyspark is installed, and that a Java runtime is there
    (``java`` on the ``PATH`` or ``JAVA_HOME`` set), which Spark's driver needs.
    """
    if importlib.util.find_spec("pyspark") is None:
        return f"pyspark is not installed ({INSTALL_HINT})"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java on PATH or JAVA_HOME); install a Java 17 or 21 runtime"
    return None


def require_pyspark() -> None:
    """Check pyspark can be imported.

    Raises
    ------
    RiskkitError
        Naming ``pip install 'riskkit[spark]'`` when it cannot.
    """
    try:
        import pyspark  # type: ignore[import-not-found, unused-ignore]
        import pyspark.sql  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError as exc:
        raise RiskkitError(
            f"the Spark engine needs pyspark, which is not installed ({exc}); install it with "
            f"`{INSTALL_HINT}` (and a Java 17 or 21 runtime), or score with the local engine"
        ) from None


def score_with_spark(
    model_reference: str,
    input_dir: str | Path,
    out_dir: str | Path,
    *,
    spark: Any = None,
    top: int = 3,
) -> SparkSummary:
    """Score every record of a Parquet dataset on Spark, as the local engine would.

    Parameters
    ----------
    model_reference : str
        A registered risk model, ``NAME@alias`` or ``NAME/version`` (``MLFLOW_TRACKING_URI``
        says where the registry is; only the driver reads it).
    input_dir : str or Path
        A Parquet file or a folder of Parquet files, in the source's own column names (the
        pipeline's ``[data.columns]`` and ``[data.values]`` map them). A URI such as
        ``s3a://bucket/cases`` or ``hdfs:///cases`` is passed to Spark as it is.
    out_dir : str or Path
        Where ``scores/`` and ``rejects/`` are written (both replaced when they exist).
    spark : SparkSession, optional
        The session to run in; by default the active one, or a new one from
        ``SparkSession.builder.getOrCreate()`` (which ``spark-submit`` configures), stopped at
        the end.
    top : int, default 3
        Factors per person, by absolute effect (as ``ScoredCases.to_frame``).

    Returns
    -------
    SparkSummary
        Counts per outcome and band, and where the outputs are.

    Raises
    ------
    RiskkitError
        When pyspark is missing (naming ``pip install 'riskkit[spark]'``), the model is not a
        risk model, the input cannot be read or ``out_dir`` is inside ``input_dir``.
    ModelNotFoundError
        When the model reference names no registered version.
    DataValidationError
        When no record can be scored because of a dataset-level problem (a required column is
        missing, there are no records); invalid single records go to ``rejects/`` instead.
    """
    require_pyspark()
    from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

    from riskkit.tracking import load_model

    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise RiskkitError(f"top must be a whole number of factors, 0 or more; found {top!r}")
    source, target = _location(input_dir), _location(out_dir)
    if _is_inside(target, source):
        raise RiskkitError(
            f"the output folder {target} is inside the input {source}; the scores would be read "
            "back as records next time. Write them somewhere else"
        )
    model = load_model(model_reference)
    shipped = ShippedModel.from_loaded(model)
    session = spark
    created = False
    if session is None:
        session = SparkSession.getActiveSession()
        if session is None:
            missing = None if "PYSPARK_GATEWAY_PORT" in os.environ else spark_unavailable()
            if missing:
                raise RiskkitError(
                    f"cannot start Spark here: {missing}. Or pass a running session (spark=), "
                    "or score with the local engine"
                )
            if "PYSPARK_GATEWAY_PORT" not in os.environ:
                # not under spark-submit: unless told otherwise, the Python workers run this
                # interpreter, which has riskkit (pyspark reads only the environment variable)
                os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            session = SparkSession.builder.appName("riskkit-score").getOrCreate()
            created = True
    try:
        return _run(session, model, shipped, source, target, top)
    finally:
        if created:
            session.stop()


def _run(
    session: Any,
    model: LoadedModel,
    shipped: ShippedModel,
    source: str,
    target: str,
    top: int,
) -> SparkSummary:
    from pyspark import StorageLevel  # type: ignore[import-not-found, unused-ignore]
    from pyspark.errors import AnalysisException  # type: ignore[import-not-found, unused-ignore]
    from pyspark.sql import functions as sf  # type: ignore[import-not-found, unused-ignore]

    config = model.bundle.config
    try:
        raw = session.read.parquet(source)
    except AnalysisException as exc:
        raise RiskkitError(
            f"cannot read Parquet records at {source}: {str(exc).splitlines()[0]} (give a "
            "Parquet file or a folder of Parquet files)"
        ) from None
    columns = [str(name) for name in raw.columns]
    _check_columns(config, columns, source)
    numbered = _numbered(raw, source)
    offsets = _file_offsets(numbered)
    n_input = sum(count for _path, _offset, count in offsets)
    if n_input == 0:
        raise DataValidationError(
            [ValidationProblem(None, None, None, "there are no records")], source=source
        )
    starts = session.createDataFrame(
        [(path, offset) for path, offset, _count in offsets],
        schema=f"{_FILE} string, {_START} long",
    )
    rows = numbered.join(sf.broadcast(starts), on=_FILE).select(
        *[sf.col(_quoted(name)) for name in columns],
        (sf.col(_START) + sf.col(_INDEX) + sf.lit(1)).cast("long").alias(_ROW),
    )
    duplicates = _duplicate_ids(rows, config)
    score_columns = _score_columns(model.bundle.estimator, top)
    reject_columns = _reject_columns(config, columns)
    schema = _output_schema(score_columns, reject_columns)

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return _score_batches(batches, shipped, top, duplicates, score_columns, reject_columns)

    outcome = rows.mapInPandas(score_batches, schema=schema).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = outcome.groupBy(_STATUS, f"{_SCORE_PREFIX}band").count().collect()
        bands = dict.fromkeys(config.band_names(), 0)
        n_scored = n_rejected = 0
        for found in counts:
            if found[_STATUS] == _SCORED:
                n_scored += int(found["count"])
                bands[str(found[f"{_SCORE_PREFIX}band"])] = int(found["count"])
            else:
                n_rejected += int(found["count"])
        if n_scored + n_rejected != n_input:
            raise RiskkitError(
                f"{n_input} records were read but {n_scored} scored and {n_rejected} rejected; "
                "Spark lost or repeated records. Nothing should be used from this run"
            )
        scores_path, rejects_path = f"{target}/scores", f"{target}/rejects"
        for status, prefix, kinds, path in (
            (_SCORED, _SCORE_PREFIX, score_columns, scores_path),
            (_REJECTED, _REJECT_PREFIX, reject_columns, rejects_path),
        ):
            part = outcome.where(sf.col(_STATUS) == status).select(
                *[sf.col(_quoted(prefix + name)).alias(name) for name in kinds]
            )
            part.write.mode("overwrite").parquet(path)
    finally:
        outcome.unpersist()
    return SparkSummary(
        model=model.reference,
        n_input=n_input,
        n_scored=n_scored,
        n_rejected=n_rejected,
        out_dir=target,
        scores_path=scores_path,
        rejects_path=rejects_path,
        bands=bands,
    )


def _location(path: str | Path) -> str:
    """A path as Spark reads it: a URI as given, a path without a scheme made absolute (Spark
    reads it from its default file system: the local one in local mode)."""
    text = str(path)
    return text if "://" in text or text.startswith("file:") else str(Path(text).resolve())


def _is_inside(target: str, source: str) -> bool:
    if "://" in target or "://" in source:
        return target.rstrip("/") == source.rstrip("/") or target.startswith(
            source.rstrip("/") + "/"
        )
    return Path(target) == Path(source) or Path(source) in Path(target).parents


def _quoted(name: str) -> str:
    """A column name Spark reads literally (dots and spaces included)."""
    return "`" + name.replace("`", "``") + "`"


def _check_columns(config: PipelineConfig, columns: list[str], source: str) -> None:
    """Dataset-level problems (a required column missing, a column repeated), found on the
    driver from the schema alone, as the local engine finds them in a file's first chunk."""
    import pandas as pd

    from riskkit.data.mapping import map_columns
    from riskkit.data.schema import RecordSchema
    from riskkit.data.validation import validate_records

    clash = [name for name in columns if name.startswith("__riskkit_")]
    if clash:
        raise RiskkitError(f"the input's columns {clash} clash with riskkit's own; rename them")
    mapped = map_columns(pd.DataFrame(columns=[name.strip() for name in columns]), config)
    schema = RecordSchema.for_pipeline(config, purpose="score")
    problems = [
        problem
        for problem in validate_records(mapped, schema).problems
        if problem.rule != "there are no records"
    ]
    if problems:
        raise DataValidationError(problems, source=source)


def _numbered(raw: Any, source: str) -> Any:
    """The records with the file each comes from and its 0-based position in that file."""
    from pyspark.errors import AnalysisException  # type: ignore[import-not-found, unused-ignore]
    from pyspark.sql import functions as sf  # type: ignore[import-not-found, unused-ignore]

    try:
        return raw.select(
            "*",
            sf.col("_metadata.file_path").alias(_FILE),
            sf.col("_metadata.row_index").alias(_INDEX),
        )
    except AnalysisException as exc:  # pragma: no cover - Spark before 3.5
        raise RiskkitError(
            f"cannot number the records of {source}: {str(exc).splitlines()[0]}. The Spark "
            "engine needs Spark 3.5 or later (Parquet's _metadata.row_index)"
        ) from None


def _file_offsets(numbered: Any) -> list[tuple[str, int, int]]:
    """Each file's path, the number of records before it and its own count, in path order."""
    counts = sorted(
        (str(found[_FILE]), int(found["count"]))
        for found in numbered.groupBy(_FILE).count().collect()
    )
    out: list[tuple[str, int, int]] = []
    start = 0
    for path, count in counts:
        out.append((path, start, count))
        start += count
    return out


def _duplicate_ids(rows: Any, config: PipelineConfig) -> dict[str, str]:
    """Every id the dataset repeats, with the rows that share it (``"2, 6"``): what
    :func:`riskkit.data.sources.iter_loaded_records` finds before validating a file in chunks.
    The ids are read as the local engine reads them (text, stripped, blank as missing)."""
    from pyspark.sql import functions as sf  # type: ignore[import-not-found, unused-ignore]

    id_column = config.data.id_column
    present = [name for name in rows.columns if name.strip() == id_column]
    if not present:
        return {}
    ids = rows.select(sf.col(_quoted(present[0])).alias("id"), sf.col(_ROW).alias("row"))
    texts = ids.mapInPandas(_id_texts, schema="id string, row long").where(sf.col("id").isNotNull())
    shared = (
        texts.groupBy("id")
        .agg(sf.count("*").alias("n"), sf.sort_array(sf.collect_list("row")).alias("rows"))
        .where(sf.col("n") > 1)
        .collect()
    )
    return {str(found["id"]): ", ".join(str(row) for row in found["rows"]) for found in shared}


def _id_texts(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Ids as text, stripped, with blanks and missing values as null."""
    for batch in batches:
        text = batch["id"].astype("string").str.strip()
        text = text.mask(text == "")
        yield batch.assign(id=text.astype(object).where(text.notna(), None))


def _score_columns(estimator: Any, top: int) -> dict[str, str]:
    """The columns of ``ScoredCases.to_frame(top=top)`` for this model, with their types."""
    from riskkit.scoring.score import scorecard_of

    columns = {"person_id": _STRING, "probability": _DOUBLE, "band": _STRING}
    if scorecard_of(estimator) is not None:
        columns["points"] = _LONG
    for k in range(1, min(top, len(estimator.feature_names_in_)) + 1):
        columns[f"factor_{k}"] = _STRING
        columns[f"points_{k}"] = _DOUBLE
    return columns


def _reject_columns(config: PipelineConfig, columns: list[str]) -> dict[str, str]:
    """The columns of the local engine's rejects: ``row``, ``reasons`` and the records' own
    (after mapping), the values as text."""
    import pandas as pd

    from riskkit.data.mapping import map_columns
    from riskkit.data.validation import REASONS_COLUMN, ROW_COLUMN

    mapped = map_columns(pd.DataFrame(columns=[name.strip() for name in columns]), config)
    out = {ROW_COLUMN: _LONG, REASONS_COLUMN: _STRING}
    for name in mapped.columns:
        out.setdefault(str(name), _STRING)
    return out


def _output_schema(score_columns: Mapping[str, str], reject_columns: Mapping[str, str]) -> Any:
    from pyspark.sql import types as st  # type: ignore[import-not-found, unused-ignore]

    kinds = {_STRING: st.StringType(), _DOUBLE: st.DoubleType(), _LONG: st.LongType()}
    fields = [st.StructField(_STATUS, st.StringType(), False)]
    fields += [st.StructField(_SCORE_PREFIX + n, kinds[k]) for n, k in score_columns.items()]
    fields += [st.StructField(_REJECT_PREFIX + n, kinds[k]) for n, k in reject_columns.items()]
    return st.StructType(fields)


def _score_batches(
    batches: Iterator[pd.DataFrame],
    shipped: ShippedModel,
    top: int,
    duplicates: Mapping[str, str],
    score_columns: Mapping[str, str],
    reject_columns: Mapping[str, str],
) -> Iterator[pd.DataFrame]:
    """Map, validate and score Arrow batches on an executor with the local engine's code:
    the scored rows and the rejected ones, each under its prefix, with a status column."""
    import numpy as np

    from riskkit.data.mapping import map_columns
    from riskkit.data.schema import RecordSchema
    from riskkit.data.validation import ROW_COLUMN, validate_records
    from riskkit.scoring.score import score_cases

    model = shipped.load()
    config = model.bundle.config
    schema = RecordSchema.for_pipeline(config, purpose="score")
    for batch in batches:
        if batch.empty:
            continue
        rows = batch[_ROW].to_numpy(dtype=np.int64)
        records = batch.drop(columns=[_ROW])
        records.columns = [str(name).strip() for name in records.columns]
        mapped = map_columns(records, config)
        validation = validate_records(mapped, schema, duplicate_ids=duplicates)
        if validation.file_problems:  # pragma: no cover - checked on the driver first
            raise DataValidationError(validation.problems, source="a Spark batch")
        scored = score_cases(cast("LoadedModel", model), validation.valid).to_frame(top=top)
        if list(scored.columns) != list(score_columns):  # pragma: no cover - a guard
            raise RiskkitError(
                f"the local engine gave columns {list(scored.columns)}, the Spark schema "
                f"expects {list(score_columns)}; riskkit.scoring.spark is out of date"
            )
        rejects = validation.rejects
        rejects[ROW_COLUMN] = rows[rejects[ROW_COLUMN].to_numpy(dtype=np.int64) - 1]
        if len(scored):
            yield _tagged(scored, _SCORED, score_columns, reject_columns)
        if len(rejects):
            yield _tagged(rejects, _REJECTED, score_columns, reject_columns)


def _tagged(
    frame: pd.DataFrame,
    status: str,
    score_columns: Mapping[str, str],
    reject_columns: Mapping[str, str],
) -> pd.DataFrame:
    """``frame`` (scores or rejects) in the output schema, the other kind's columns null."""
    import pandas as pd

    n = len(frame)
    nothing = pd.Series([None] * n, dtype=object)
    columns: dict[str, Any] = {_STATUS: pd.Series([status] * n, dtype=object)}
    for prefix, kinds, own in (
        (_SCORE_PREFIX, score_columns, status == _SCORED),
        (_REJECT_PREFIX, reject_columns, status == _REJECTED),
    ):
        for name, kind in kinds.items():
            if not own or name not in frame.columns:
                columns[prefix + name] = nothing
            elif kind == _STRING:
                columns[prefix + name] = _as_text(frame[name])
            else:
                columns[prefix + name] = frame[name].reset_index(drop=True)
    return pd.DataFrame(columns)


def _as_text(column: pd.Series) -> pd.Series:
    """Values as text, missing ones as None."""
    import pandas as pd

    values = column.astype(object).tolist()
    return pd.Series([None if _missing(value) else str(value) for value in values], dtype=object)


def _missing(value: object) -> bool:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def pyfunc_spark_udf(spark: Any, model_reference: str, *, env_manager: str = "local") -> Any:
    """The registered model's MLflow pyfunc as a Spark UDF (``mlflow.pyfunc.spark_udf``).

    It returns a struct of ``probability``, ``band`` and ``contribution_<feature>`` for every
    feature, read from the model's signature. It takes typed, valid inputs only (categories as
    text, numbers as doubles, named as the model's features): no mapping, no validation, no
    rejects, no scorecard points. :func:`score_with_spark` is the scoring path; this is for
    MLflow-standard consumers, and it agrees with it (the tests compare them).

    Parameters
    ----------
    spark : SparkSession
    model_reference : str
        ``NAME@alias`` or ``NAME/version``.
    env_manager : {"local", "virtualenv", "uv", "conda"}, default "local"
        How the executors get the model's Python environment (see ``docs/spark.md``).

    Returns
    -------
    pyspark UDF
        Call it with the feature columns, e.g. ``df.select(udf(struct(*features)))``.
    """
    require_pyspark()
    import mlflow.pyfunc
    from pyspark.sql import types as st  # type: ignore[import-not-found, unused-ignore]

    from riskkit.tracking import parse_reference

    name, alias, version = parse_reference(model_reference)
    uri = f"models:/{name}@{alias}" if alias else f"models:/{name}/{version}"
    signature = mlflow.models.get_model_info(uri).signature
    if signature is None or signature.outputs is None:
        raise RiskkitError(f"model {model_reference} has no output signature; re-register it")
    kinds = {"double": st.DoubleType(), "string": st.StringType()}
    fields = [
        st.StructField(
            str(spec.name), kinds.get(getattr(spec.type, "name", str(spec.type)), st.StringType())
        )
        for spec in signature.outputs.inputs
    ]
    return mlflow.pyfunc.spark_udf(
        spark, uri, result_type=st.StructType(fields), env_manager=env_manager
    )

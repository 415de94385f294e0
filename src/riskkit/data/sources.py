"""Loading a pipeline's records: from a file, the synthetic population or a public dataset,
mapped onto registry names and validated against the record schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from riskkit.config import ADAPTER_SOURCES, PipelineConfig
from riskkit.data.schema import Purpose, RecordSchema
from riskkit.data.validation import ValidationResult, validate_records

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class LoadedRecords:
    """Records read for a pipeline, with where they came from and how they validated."""

    source: str
    raw: pd.DataFrame
    validation: ValidationResult
    encoding: str | None = None


def read_source(
    config: PipelineConfig, data: str | Path | None = None
) -> tuple[pd.DataFrame, str, str | None]:
    """The source's own records (before mapping): ``data`` when given, else the pipeline's
    ``data.source``. Returns the frame, a description of the source and the text encoding used."""
    from riskkit.data.io import read_records

    if data is not None:
        record_file = read_records(data)
        return record_file.frame, str(record_file.path), record_file.encoding
    source = config.data.source
    if source == "synthetic":
        from riskkit.data.synthetic import generate_population

        frame = generate_population(config.data.rows, seed=config.data.seed)
        return (
            frame,
            f"synthetic population ({config.data.rows} rows, seed {config.data.seed})",
            None,
        )
    if source in ADAPTER_SOURCES:
        from riskkit.data.adapters import ADAPTERS

        return ADAPTERS[source](None), f"built-in dataset {source!r}", None
    record_file = read_records(source)
    return record_file.frame, str(record_file.path), record_file.encoding


def load_records(
    config: PipelineConfig,
    data: str | Path | None = None,
    *,
    purpose: Purpose = "train",
    sensitive: list[str] | None = None,
) -> LoadedRecords:
    """Read, map and validate a pipeline's records.

    Parameters
    ----------
    config : PipelineConfig
        The pipeline.
    data : str or Path, optional
        A records file to use instead of the pipeline's ``data.source``.
    purpose : {"train", "score", "audit"}
        What the records are for (it decides which columns are required).
    sensitive : list of str, optional
        Sensitive attributes to require instead of the pipeline's own (audits).
    """
    from riskkit.data.mapping import map_columns

    if sensitive is not None:
        config = config.model_copy(
            update={"sensitive": config.sensitive.model_copy(update={"attributes": sensitive})}
        )
    frame, description, encoding = read_source(config, data)
    mapped = map_columns(frame, config)
    schema = RecordSchema.for_pipeline(config, purpose=purpose)
    return LoadedRecords(
        source=description,
        raw=frame,
        validation=validate_records(mapped, schema),
        encoding=encoding,
    )


def iter_loaded_records(
    config: PipelineConfig,
    path: str | Path,
    *,
    purpose: Purpose = "score",
    chunk_rows: int = 100_000,
) -> Iterator[LoadedRecords]:
    """Read, map and validate a file ``chunk_rows`` records at a time (any size).

    Row numbers run across chunks as in one file, and an id repeated in a later chunk is
    rejected as a duplicate, so the chunks' valid and rejected rows together are exactly what
    :func:`load_records` would give for the whole file.
    """
    from riskkit.data.io import iter_record_chunks
    from riskkit.data.mapping import map_columns

    schema = RecordSchema.for_pipeline(config, purpose=purpose)
    duplicates = _duplicate_ids(path, config.data.id_column, chunk_rows)
    first_row = 1
    for chunk in iter_record_chunks(path, chunk_rows):
        mapped = map_columns(chunk.frame, config)
        validation = validate_records(mapped, schema, first_row=first_row, duplicate_ids=duplicates)
        first_row += len(chunk.frame)
        yield LoadedRecords(
            source=str(chunk.path), raw=chunk.frame, validation=validation, encoding=chunk.encoding
        )


def _duplicate_ids(path: str | Path, id_column: str, chunk_rows: int) -> dict[str, str]:
    """Every id the file repeats, with the (1-based) rows sharing it: one pass over the id
    column before the chunks are validated, so a duplicate is rejected wherever it falls."""
    import pandas as pd

    from riskkit.data.io import iter_record_chunks

    parts = [
        chunk.frame[id_column].astype("string").str.strip()
        for chunk in iter_record_chunks(path, chunk_rows, columns=[id_column])
        if id_column in chunk.frame.columns
    ]
    if not parts:
        return {}
    ids = pd.concat(parts)
    ids = ids[ids.notna() & (ids != "")]
    repeated = ids[ids.duplicated(keep=False)]
    rows = pd.Series(repeated.index + 1, index=repeated.to_numpy())
    return {
        str(key): ", ".join(str(r) for r in group.tolist()) for key, group in rows.groupby(level=0)
    }

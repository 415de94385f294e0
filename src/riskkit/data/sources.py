"""Loading a pipeline's records: from a file, the synthetic population or a public dataset,
mapped onto registry names and validated against the record schema."""

from __future__ import annotations

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

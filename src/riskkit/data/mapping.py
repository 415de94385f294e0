"""Column mapping: a source's own column names and codes onto registry names and values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from riskkit.config import PipelineConfig

if TYPE_CHECKING:
    import pandas as pd


def map_columns(frame: pd.DataFrame, config: PipelineConfig) -> pd.DataFrame:
    """Rename a source's columns to registry names and recode values, as the pipeline says.

    ``[data.columns]`` maps registry name -> source column; ``[data.values]`` maps registry name
    -> {source value: registry value}. Values a table does not list are left as they are (the
    validation then reports any that are not allowed). Columns the pipeline does not mention are
    kept unchanged.
    """
    renames = {
        source: name
        for name, source in config.data.columns.items()
        if source in frame.columns and source != name
    }
    mapped = frame.rename(columns=renames)
    for name, table in config.data.values.items():
        if name not in mapped.columns:
            continue
        column = mapped[name]
        as_text = column.astype("string").str.strip()
        keys = {str(k): v for k, v in table.items()}
        hit = as_text.isin(list(keys)).fillna(False).astype(bool)
        if hit.any():
            recoded = column.astype(object).copy()
            recoded[hit] = as_text[hit].map(keys)
            mapped[name] = recoded
    return mapped

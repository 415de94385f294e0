"""Reading and writing record files (CSV, Parquet, JSON lines, or one JSON record).

CSV files are read with every column as text, so validation can report the value exactly as it
was written. Encoding: UTF-8 (with or without a byte-order mark) first; a file that is not valid
UTF-8 is read as Latin-1 (ISO-8859-1), the usual encoding of spreadsheets exported in Spanish and
Portuguese, and the reader says so.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from riskkit.errors import DataValidationError, RiskkitError, ValidationProblem

if TYPE_CHECKING:
    import pandas as pd

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".jsonl", ".json", ".ndjson")


@dataclass(frozen=True)
class RecordFile:
    """Records read from a file, with how they were read."""

    frame: pd.DataFrame
    path: Path
    encoding: str | None


def file_format(path: Path) -> str:
    """``csv``, ``parquet`` or ``jsonl`` from the file's suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    raise RiskkitError(
        f"cannot tell the format of {path}: expected one of {', '.join(SUPPORTED_SUFFIXES)} "
        f"(found {suffix or 'no suffix'}); rename the file or convert it"
    )


def read_records(path: str | Path) -> RecordFile:
    """Read a CSV, Parquet or JSON-lines file of records.

    Raises
    ------
    RiskkitError
        When the file is missing or its format unknown.
    DataValidationError
        When the file is empty or cannot be parsed (the problem names the file).
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise RiskkitError(f"no such file: {path} (check the path; it is read from {Path.cwd()})")
    fmt = file_format(path)
    empty = DataValidationError(
        [ValidationProblem(None, None, None, "the file holds no records (no header or no rows)")],
        source=str(path),
    )
    if path.stat().st_size == 0:
        raise empty
    encoding: str | None = None
    try:
        if fmt == "csv":
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
                encoding = "utf-8"
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
                encoding = "latin-1"
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = _read_json_records(path)
    except pd.errors.EmptyDataError:
        raise empty from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(
            [ValidationProblem(None, None, None, f"the {fmt} file cannot be parsed: {exc}")],
            source=str(path),
        ) from None
    if frame.empty:
        raise empty
    frame.columns = [str(c).strip() for c in frame.columns]
    return RecordFile(frame=frame, path=path, encoding=encoding)


def _read_json_records(path: Path) -> pd.DataFrame:
    """JSON lines (one record per line), or, for ``.json``, one record object or an array of
    them."""
    import pandas as pd

    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None  # not one document: read it as JSON lines below
        if isinstance(data, dict):
            return pd.DataFrame.from_records([data])
        if isinstance(data, list):
            if not all(isinstance(item, dict) for item in data):
                raise ValueError("a JSON array of records must hold only objects")
            return pd.DataFrame.from_records(data)
    return pd.read_json(io.StringIO(text), lines=True, dtype=False)


def write_records(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write records to CSV, Parquet or JSON lines (by suffix); parent folders are created.

    The output is deterministic: the same frame gives the same bytes.
    """
    path = Path(path)
    fmt = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    return path

"""Reading and writing record files (CSV, Parquet, JSON lines, or one JSON record).

CSV files are read with every column as text, so validation can report the value exactly as it
was written. Encoding: UTF-8 (with or without a byte-order mark) first; a file that is not valid
UTF-8 is read as Latin-1 (ISO-8859-1), the usual encoding of spreadsheets exported in Spanish and
Portuguese, and the reader says so.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
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


def _text_encoding(path: Path, block: int = 1 << 20) -> str:
    """``utf-8`` when the whole file decodes as UTF-8 (checked block by block, without holding
    it in memory), else ``latin-1``, the same rule as :func:`read_records`."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(block):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "latin-1"
    return "utf-8"


def iter_record_chunks(
    path: str | Path, chunk_rows: int = 100_000, *, columns: list[str] | None = None
) -> Iterator[RecordFile]:
    """Read a CSV, Parquet or JSON-lines file ``chunk_rows`` records at a time.

    Each chunk is read exactly as :func:`read_records` reads a whole file (text columns, the
    same encoding rule, a byte-order mark ignored), and its index continues from the previous
    chunk's, so row numbers refer to the file. A ``.json`` file holding one document (an object
    or an array) is read whole, as one chunk. ``columns`` reads only those columns where the
    format allows it (CSV and Parquet; a missing one is simply absent from the chunks).

    Raises
    ------
    RiskkitError, DataValidationError
        As :func:`read_records`.
    """
    import pandas as pd

    if chunk_rows < 1:
        raise RiskkitError(f"chunk_rows must be at least 1; found {chunk_rows}")
    path = Path(path)
    if not path.is_file():
        raise RiskkitError(f"no such file: {path} (check the path; it is read from {Path.cwd()})")
    fmt = file_format(path)
    if (fmt == "jsonl" and path.suffix.lower() == ".json") or path.stat().st_size == 0:
        yield read_records(path)
        return
    empty = DataValidationError(
        [ValidationProblem(None, None, None, "the file holds no records (no header or no rows)")],
        source=str(path),
    )
    seen_any = False
    try:
        if fmt == "csv":
            encoding = _text_encoding(path)
            chunks = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig" if encoding == "utf-8" else encoding,
                chunksize=chunk_rows,
                usecols=(lambda name: str(name).strip() in columns) if columns else None,
            )
            for frame in chunks:
                frame.columns = [str(c).strip() for c in frame.columns]
                seen_any = seen_any or not frame.empty
                yield RecordFile(frame=frame, path=path, encoding=encoding)
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            start = 0
            parquet = pq.ParquetFile(path)
            wanted = None if columns is None else [c for c in columns if c in parquet.schema.names]
            for batch in parquet.iter_batches(batch_size=chunk_rows, columns=wanted):
                frame = batch.to_pandas()
                frame.index = pd.RangeIndex(start, start + len(frame))
                start += len(frame)
                frame.columns = [str(c).strip() for c in frame.columns]
                seen_any = seen_any or not frame.empty
                yield RecordFile(frame=frame, path=path, encoding=None)
        else:
            with pd.read_json(
                path, lines=True, dtype=False, chunksize=chunk_rows, encoding="utf-8-sig"
            ) as reader:
                for frame in reader:
                    frame.columns = [str(c).strip() for c in frame.columns]
                    seen_any = seen_any or not frame.empty
                    yield RecordFile(frame=frame, path=path, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise empty from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(
            [ValidationProblem(None, None, None, f"the {fmt} file cannot be parsed: {exc}")],
            source=str(path),
        ) from None
    if not seen_any:
        raise empty


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

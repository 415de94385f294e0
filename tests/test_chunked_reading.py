"""Reading a records file in chunks gives exactly what reading it whole gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from riskkit.config import load_pipeline
from riskkit.data.io import iter_record_chunks
from riskkit.data.sources import iter_loaded_records, load_records
from riskkit.errors import DataValidationError, RiskkitError
from tests.conftest import HEADER, write_csv

ROWS = [
    "A1,34,2,estable,1,0,male",
    "A2,22,5,situación de calle,0,1,female",
    "A3,45,0,temporary,1,0,male",
    "A4,abc,1,estable,1,0,male",  # age is not a number
    "A5,29,3,estable,1,1,female",
    "A2,31,1,estable,0,0,male",  # repeats A2 of the second row
    "A7,52,0,castle,1,0,female",  # unknown housing category
]


def _combined(chunks: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    valid = pd.concat([c.validation.valid for c in chunks])
    rejects = pd.concat([c.validation.rejects for c in chunks], ignore_index=True)
    return valid, rejects


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 100])
def test_chunks_add_up_to_the_whole_file(
    small_pipeline: Path, tmp_path: Path, chunk_rows: int
) -> None:
    config = load_pipeline(small_pipeline)
    path = write_csv(tmp_path / "records.csv", [HEADER, *ROWS])
    whole = load_records(config, path, purpose="score").validation
    chunks = list(iter_loaded_records(config, path, purpose="score", chunk_rows=chunk_rows))
    assert len(chunks) == -(-len(ROWS) // chunk_rows)
    valid, rejects = _combined(chunks)
    pd.testing.assert_frame_equal(valid, whole.valid)
    # (an empty chunk of rejects has object columns, so compare values, not dtypes)
    pd.testing.assert_frame_equal(rejects, whole.rejects.reset_index(drop=True), check_dtype=False)
    assert rejects["row"].tolist() == [2, 4, 6, 7]
    assert sum(c.validation.n_input for c in chunks) == len(ROWS)


def test_an_id_repeated_in_a_later_chunk_rejects_both_as_reading_whole_does(
    small_pipeline: Path, tmp_path: Path
) -> None:
    config = load_pipeline(small_pipeline)
    path = write_csv(tmp_path / "records.csv", [HEADER, *ROWS])
    chunks = list(iter_loaded_records(config, path, purpose="score", chunk_rows=2))
    _, rejects = _combined(chunks)
    for row in (2, 6):
        reason = rejects.loc[rejects["row"] == row, "reasons"].item()
        assert "duplicate id (rows 2, 6 share it)" in reason


def test_latin1_parquet_and_json_lines(small_pipeline: Path, tmp_path: Path) -> None:
    config = load_pipeline(small_pipeline)
    latin = write_csv(tmp_path / "latin.csv", [HEADER, *ROWS[:3]], encoding="latin-1")
    chunks = list(iter_record_chunks(latin, chunk_rows=2))
    assert chunks[0].encoding == "latin-1"
    assert chunks[0].frame["housing"].iloc[1] == "situación de calle"
    frame = pd.concat([c.frame for c in iter_record_chunks(latin, chunk_rows=2)])
    frame.to_parquet(tmp_path / "records.parquet")
    frame.to_json(tmp_path / "records.jsonl", orient="records", lines=True, force_ascii=False)
    for name in ("records.parquet", "records.jsonl"):
        parts = list(iter_record_chunks(tmp_path / name, chunk_rows=2))
        assert [len(p.frame) for p in parts] == [2, 1]
        assert parts[1].frame.index.tolist() == [2]
        loaded = list(iter_loaded_records(config, tmp_path / name, chunk_rows=2))
        assert sum(len(c.validation.valid) for c in loaded) == 3


def test_empty_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataValidationError, match="the file holds no records"):
        list(iter_record_chunks(tmp_path / "empty.csv"))
    (tmp_path / "header.csv").write_text(HEADER + "\n")
    with pytest.raises(DataValidationError, match="the file holds no records"):
        list(iter_record_chunks(tmp_path / "header.csv"))
    with pytest.raises(RiskkitError, match="no such file"):
        list(iter_record_chunks(tmp_path / "absent.csv"))
    with pytest.raises(RiskkitError, match="chunk_rows must be at least 1"):
        list(iter_record_chunks(tmp_path / "header.csv", chunk_rows=0))

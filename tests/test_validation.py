"""Record validation: every problem at once, with row, column, value and rule."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from riskkit.config import load_pipeline
from riskkit.data.io import read_records
from riskkit.data.schema import MAX_ID_LENGTH, RecordSchema
from riskkit.data.sources import load_records
from riskkit.data.validation import check_records, validate_records
from riskkit.errors import DataValidationError, ValidationProblem
from tests.conftest import GOOD_ROWS, HEADER, write_csv


def problems_of(pipeline: Path, csv: Path, purpose: str = "train") -> list[ValidationProblem]:
    config = load_pipeline(pipeline)
    return load_records(config, csv, purpose=purpose).validation.problems  # type: ignore[arg-type]


def test_good_records_validate_and_are_typed(small_pipeline: Path, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "records.csv", [HEADER, *GOOD_ROWS])
    result = load_records(load_pipeline(small_pipeline), csv).validation
    assert result.problems == []
    assert len(result.valid) == 3
    assert list(result.valid.index) == [1, 2, 3]
    assert result.valid["age"].tolist() == [34.0, 22.0, 45.0]
    # mapped from the Spanish source value through [data.values.housing]
    assert result.valid["housing"].tolist() == ["stable", "homeless", "temporary"]
    assert list(result.valid["housing"].cat.categories) == ["stable", "temporary", "homeless"]


def test_missing_columns_are_all_reported(small_pipeline: Path, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "r.csv", ["id,housing,rearrest_24m", "A1,stable,0"])
    problems = problems_of(small_pipeline, csv)
    assert [str(p) for p in problems] == [
        "file, column 'edad (age)': required column is missing",
        "file, column 'condenas (prior_convictions)': required column is missing",
        "file, column 'prison_work': required column is missing",
    ]


def test_every_cell_problem_is_reported_with_row_column_value_rule(
    small_pipeline: Path, tmp_path: Path
) -> None:
    csv = write_csv(
        tmp_path / "r.csv",
        [
            HEADER,
            "A1,treinta,2,estable,1,0,male",  # wrong type
            "A2,22,2.5,estable,0,1,female",  # not a whole number
            "A3,130,0,mansion,yes,0,male",  # out of range, unknown category
            "A4,40,-1,temporary,2,0,other",  # below range, bad binary, unknown sensitive value
            "A5,40,1,temporary,0,,male",  # missing target
        ],
    )
    problems = problems_of(small_pipeline, csv)
    assert [str(p) for p in problems] == [
        "row 1, column 'edad (age)', value 'treinta': expected a whole number",
        "row 2, column 'condenas (prior_convictions)', value '2.5': expected a whole number",
        "row 3, column 'edad (age)', value '130': outside the allowed range 14 to 100",
        "row 3, column 'housing', value 'mansion': unknown category; allowed values: "
        "stable, temporary, homeless",
        "row 4, column 'condenas (prior_convictions)', value '-1': outside the allowed range 0 to 60",
        "row 4, column 'prison_work', value '2': expected 0 or 1 (also accepted: true/false, yes/no)",
        "row 4, column 'sex', value 'other': unknown category; allowed values: female, male",
        "row 5, column 'rearrest_24m': a value is required",
    ]


def test_duplicate_ids_name_every_row_that_shares_them(
    small_pipeline: Path, tmp_path: Path
) -> None:
    rows = [HEADER, *GOOD_ROWS, GOOD_ROWS[0]]
    problems = problems_of(small_pipeline, write_csv(tmp_path / "r.csv", rows))
    assert [str(p) for p in problems] == [
        "row 1, column 'id', value 'A1': duplicate id (rows 1, 4 share it); ids must be unique",
        "row 4, column 'id', value 'A1': duplicate id (rows 1, 4 share it); ids must be unique",
    ]


@pytest.mark.parametrize("copies", [1, 100], ids=["few-records", "many-records"])
def test_an_id_longer_than_the_score_log_holds_is_a_problem(
    small_pipeline: Path, tmp_path: Path, copies: int
) -> None:
    """At most MAX_ID_LENGTH characters, in the cell-by-cell check (a few records) and the
    column-wise one (more than ROW_WISE_MAX records) alike."""
    rows = [HEADER]
    for copy in range(copies):
        too_long = "X" * (MAX_ID_LENGTH - 2) + f"{copy:03d}"
        longest = "Y" * (MAX_ID_LENGTH - 3) + f"{copy:03d}"
        ids = (too_long, longest, f"A{copy}")
        rows += [f"{i},{row.split(',', 1)[1]}" for i, row in zip(ids, GOOD_ROWS, strict=True)]
    problems = problems_of(small_pipeline, write_csv(tmp_path / "r.csv", rows))
    assert [(p.row, p.column, p.value) for p in problems] == [
        (1 + 3 * copy, "id", "X" * (MAX_ID_LENGTH - 2) + f"{copy:03d}") for copy in range(copies)
    ]
    assert {p.rule for p in problems} == {
        f"an id of {MAX_ID_LENGTH + 1} characters; ids are at most {MAX_ID_LENGTH} characters "
        "long (use the case number, not a description)"
    }


def test_empty_file_and_header_only_file(small_pipeline: Path, tmp_path: Path) -> None:
    config = load_pipeline(small_pipeline)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataValidationError, match=r"the file holds no records") as info:
        load_records(config, empty)
    assert str(empty) in str(info.value)
    header_only = write_csv(tmp_path / "header.csv", [HEADER])
    with pytest.raises(DataValidationError, match=r"the file holds no records"):
        load_records(config, header_only)


def test_utf8_bom_is_not_part_of_the_first_column(small_pipeline: Path, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "bom.csv", [HEADER, *GOOD_ROWS], encoding="utf-8-sig")
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    record_file = read_records(csv)
    assert record_file.frame.columns[0] == "id"
    assert problems_of(small_pipeline, csv) == []


def test_latin1_accented_text_is_read_and_mapped(small_pipeline: Path, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "latin1.csv", [HEADER, *GOOD_ROWS], encoding="latin-1")
    assert "situación".encode("latin-1") in csv.read_bytes()
    record_file = read_records(csv)
    assert record_file.encoding == "latin-1"
    assert "situación de calle" in record_file.frame["housing"].tolist()
    result = load_records(load_pipeline(small_pipeline), csv).validation
    assert result.problems == []
    assert result.valid.loc[2, "housing"] == "homeless"


def test_invalid_rows_become_rejects_with_reasons(small_pipeline: Path, tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "r.csv", [HEADER, *GOOD_ROWS, "B1,9,0,estable,1,0,male"])
    result = load_records(load_pipeline(small_pipeline), csv).validation
    assert len(result.valid) + len(result.rejects) == result.n_input == 4
    assert result.rejects["row"].tolist() == [4]
    assert result.rejects["reasons"].tolist() == [
        "edad (age): outside the allowed range 14 to 100 (found '9')"
    ]
    assert result.rejects["id"].tolist() == ["B1"]


def test_python_api_raises_one_error_with_every_problem(small_pipeline: Path) -> None:
    config = load_pipeline(small_pipeline)
    schema = RecordSchema.for_pipeline(config)
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "age": ["x", "200"],
            "prior_convictions": ["1", "1"],
            "housing": ["stable", "castle"],
            "prison_work": ["1", "0"],
            "rearrest_24m": ["0", "1"],
        }
    )
    with pytest.raises(DataValidationError, match=r"3 problem\(s\) in records") as info:
        check_records(frame, schema)
    assert [(p.row, p.column, p.value) for p in info.value.problems] == [
        (1, "edad (age)", "x"),
        (2, "edad (age)", "200"),
        (2, "housing", "castle"),
    ]


def test_scoring_does_not_need_the_target_or_sensitive_columns(small_pipeline: Path) -> None:
    config = load_pipeline(small_pipeline)
    frame = pd.DataFrame(
        {
            "id": ["a"],
            "age": [30],
            "prior_convictions": [1],
            "housing": ["stable"],
            "prison_work": [1],
        }
    )
    assert validate_records(frame, RecordSchema.for_pipeline(config, purpose="score")).ok
    train = validate_records(frame, RecordSchema.for_pipeline(config, purpose="train"))
    assert [str(p) for p in train.problems] == [
        "file, column 'rearrest_24m': required column is missing"
    ]


def test_parquet_typed_columns_validate(small_pipeline: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "edad": [30, 12],
            "condenas": [1, 0],
            "housing": ["stable", "stable"],
            "prison_work": [1, 0],
            "rearrest_24m": [0, 1],
        }
    )
    path = tmp_path / "r.parquet"
    frame.to_parquet(path)
    problems = problems_of(small_pipeline, path)
    assert [str(p) for p in problems] == [
        "row 2, column 'edad (age)', value '12': outside the allowed range 14 to 100"
    ]


def test_unknown_file_format_is_explained(small_pipeline: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(
        Exception, match=r"cannot tell the format of .*r\.xlsx: expected one of \.csv"
    ):
        load_records(load_pipeline(small_pipeline), path)


def test_one_json_record_and_json_lines_are_read(small_pipeline: Path, tmp_path: Path) -> None:
    record = {"id": "J1", "edad": 30, "condenas": 1, "housing": "estable", "prison_work": 0}
    single = tmp_path / "one.json"
    single.write_text(json.dumps(record), encoding="utf-8")
    lines = tmp_path / "many.jsonl"
    lines.write_text(
        "\n".join(json.dumps({**record, "id": f"J{i}"}) for i in range(3)), encoding="utf-8"
    )
    config = load_pipeline(small_pipeline)
    one = load_records(config, single, purpose="score").validation
    assert one.problems == []
    assert one.valid["housing"].tolist() == ["stable"]
    many = load_records(config, lines, purpose="score").validation
    assert many.valid["id"].tolist() == ["J0", "J1", "J2"]

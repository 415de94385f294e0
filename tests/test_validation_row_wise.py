"""The cell-by-cell check used for a few records agrees with the column-wise check: the same
problems in the same order and the same typed values, whatever the records hold."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskkit.config import load_pipeline
from riskkit.data.schema import MAX_ID_LENGTH, RecordSchema
from riskkit.data.validation import (
    ROW_WISE_MAX,
    _check_cells,
    _check_cells_row_wise,
    validate_records,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load_pipeline(ROOT / "pipelines" / "recidivism.toml")
SCHEMA = RecordSchema.for_pipeline(CONFIG, purpose="score")


def _cell(spec_name: str) -> st.SearchStrategy[object]:
    spec = next(c for c in SCHEMA.columns if c.name == spec_name)
    junk = st.sampled_from(["", "  ", "abc", "1,5", " 7 ", "nan", "inf", "-3", "1e2", "sí", "No"])
    common = st.one_of(
        st.none(),
        st.just(math.nan),
        st.booleans(),
        st.integers(-5, 250),
        st.floats(allow_nan=False, allow_infinity=True, width=32),
        junk,
    )
    if spec.categories:
        names = st.sampled_from(list(spec.categories))
        styled = names.map(str.upper) | names.map(lambda c: f"  {c.title()} ")
        return st.one_of(names, styled, common)
    if spec.kind == "id":
        # ids at, and one past, the longest allowed (the 201-character ones also repeat)
        lengths = st.sampled_from([MAX_ID_LENGTH, MAX_ID_LENGTH + 1]).map(lambda n: "L" * n)
        return st.one_of(
            st.sampled_from(["P1", "P2", "P3", " P4 "]), st.none(), st.integers(1, 3), lengths
        )
    return common


RECORD = st.fixed_dictionaries(
    {c.name: _cell(c.name) for c in SCHEMA.columns if c.role != "target"},
    optional={c.name: _cell(c.name) for c in SCHEMA.columns if c.role == "target"},
)


def _assert_same(frame: pd.DataFrame) -> None:
    frame = frame.reset_index(drop=True)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    column_problems, column_typed = _check_cells(frame, SCHEMA, None)
    row_problems, row_typed = _check_cells_row_wise(frame, SCHEMA)
    assert dict(row_problems) == dict(column_problems)
    assert list(row_typed) == list(column_typed)
    for name, expected in column_typed.items():
        pd.testing.assert_series_equal(row_typed[name], expected, check_names=False)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RECORD, min_size=1, max_size=6))
def test_row_wise_check_matches_column_wise_on_json_records(
    records: list[dict[str, object]],
) -> None:
    _assert_same(pd.DataFrame.from_records(records))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RECORD, min_size=1, max_size=6))
def test_row_wise_check_matches_column_wise_on_text_records(
    records: list[dict[str, object]],
) -> None:
    as_text = [{k: (None if v is None else str(v)) for k, v in r.items()} for r in records]
    _assert_same(pd.DataFrame.from_records(as_text))


def test_small_inputs_take_the_row_wise_path_and_large_ones_the_column_wise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import riskkit.data.validation as validation

    calls: list[str] = []
    original_rows, original_columns = validation._check_cells_row_wise, validation._check_cells
    monkeypatch.setattr(
        validation,
        "_check_cells_row_wise",
        lambda *a: calls.append("rows") or original_rows(*a),
    )
    monkeypatch.setattr(
        validation, "_check_cells", lambda *a: calls.append("columns") or original_columns(*a)
    )
    record = {c.name: None for c in SCHEMA.columns if c.required}
    validate_records(pd.DataFrame([record]), SCHEMA)
    validate_records(pd.DataFrame([record] * (ROW_WISE_MAX + 1)), SCHEMA)
    assert calls == ["rows", "columns"]


def test_a_repeated_id_that_is_too_long_gets_both_problems_in_the_same_order() -> None:
    record = {c.name: None for c in SCHEMA.columns if c.required}
    long_id = "L" * (MAX_ID_LENGTH + 1)
    frame = pd.DataFrame([{**record, SCHEMA.id_column: long_id}] * 2)
    _assert_same(frame)
    problems = validate_records(frame, SCHEMA).problems
    rules = [p.rule for p in problems if p.row == 1 and p.value == long_id]
    assert rules[0].startswith(f"an id of {MAX_ID_LENGTH + 1} characters")
    assert rules[1] == "duplicate id (rows 1, 2 share it); ids must be unique"

"""Train/test splits: stratified, random, by time and by a column of the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from riskkit.config import SplitConfig
from riskkit.errors import DataValidationError
from riskkit.training.split import split_records


@pytest.fixture
def records() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame(
        {
            "y": (rng.random(n) < 0.3).astype(float),
            "released": pd.date_range("2020-01-01", periods=n, freq="D")[rng.permutation(n)],
            "official": (np.arange(n) % 4 != 0).astype(float),
        },
        index=pd.RangeIndex(1, n + 1),
    )


def test_stratified_keeps_the_rate_and_is_reproducible(records: pd.DataFrame) -> None:
    split = SplitConfig(method="stratified", test_size=0.25, seed=3)
    train, test = split_records(records, "y", split)
    assert len(test) == 100 and len(train) == 300
    assert set(train).isdisjoint(test)
    assert records.loc[test, "y"].mean() == pytest.approx(records["y"].mean(), abs=0.01)
    again = split_records(records, "y", split)
    assert list(again[1]) == list(test)


def test_time_split_tests_on_the_latest_records(records: pd.DataFrame) -> None:
    train, test = split_records(
        records, "y", SplitConfig(method="time", column="released", test_size=0.2)
    )
    assert len(test) == 80
    assert records.loc[train, "released"].max() < records.loc[test, "released"].min()


def test_column_split_follows_the_data(records: pd.DataFrame) -> None:
    train, test = split_records(records, "y", SplitConfig(method="column", column="official"))
    assert (records.loc[train, "official"] == 1).all()
    assert (records.loc[test, "official"] == 0).all()
    assert len(train) + len(test) == len(records)


def test_a_part_without_both_classes_is_an_error(records: pd.DataFrame) -> None:
    records = records.assign(official=(records["y"] == 1).astype(float))
    with pytest.raises(
        DataValidationError,
        match=r"the training part of the column split has .* both parts need both classes",
    ):
        split_records(records, "y", SplitConfig(method="column", column="official"))


def test_methods_that_need_a_column_say_so() -> None:
    with pytest.raises(ValidationError, match=r"split method 'time' needs split.column"):
        SplitConfig(method="time")
    with pytest.raises(
        ValidationError, match=r"split.column is only read by the 'time' and 'column' methods"
    ):
        SplitConfig(method="random", column="x")

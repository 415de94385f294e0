"""Train/test splits as the pipeline's ``[split]`` section describes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from riskkit.config import PipelineConfig, SplitConfig
from riskkit.data.sources import LoadedRecords, load_records
from riskkit.errors import DataValidationError, ValidationProblem


@dataclass(frozen=True)
class SplitData:
    """A pipeline's validated records, split into training and test parts."""

    loaded: LoadedRecords
    records: pd.DataFrame
    train_index: pd.Index
    test_index: pd.Index
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray


def require_both_outcomes(y: np.ndarray, target: str, source: str, *, needed_for: str) -> None:
    """Raise a :class:`DataValidationError` on ``target`` unless the 0/1 outcomes ``y`` hold at
    least two of each value; ``needed_for`` names what needs them ("a model")."""
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        rule = (
            f"{needed_for} needs at least 2 valid records of each outcome; found {counts[0]} "
            f"zeros and {counts[1]} ones among {len(y)} valid records"
        )
        raise DataValidationError([ValidationProblem(None, target, None, rule)], source)


def load_and_split(
    config: PipelineConfig,
    data: str | Path | None = None,
    *,
    say: Callable[[str], None] = lambda _line: None,
) -> SplitData:
    """Read and validate the pipeline's records and split them as ``[split]`` says.

    Raises
    ------
    DataValidationError
        When the records cannot be used at all: a required column is missing, there are no
        records, fewer than two of each outcome, or a part of the split lacks an outcome.
        Invalid rows alone are not an error: they are in ``loaded.validation.rejects``.
    """
    say(f"reading records for pipeline {config.name!r}")
    loaded = load_records(config, data, purpose="train")
    validation = loaded.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=loaded.source)
    say(validation.summary())
    records = validation.valid
    target = config.target.column
    y = records[target].astype("int64").to_numpy()
    require_both_outcomes(y, target, loaded.source, needed_for="a model")
    train_index, test_index = split_records(records, target, config.split)
    return SplitData(
        loaded=loaded,
        records=records,
        train_index=train_index,
        test_index=test_index,
        X_train=records.loc[train_index, config.features.use],
        X_test=records.loc[test_index, config.features.use],
        y_train=records.loc[train_index, target].astype("int64").to_numpy(),
        y_test=records.loc[test_index, target].astype("int64").to_numpy(),
    )


def split_records(
    records: pd.DataFrame, target: str, split: SplitConfig
) -> tuple[pd.Index, pd.Index]:
    """Row labels of the training and test parts of ``records``.

    Parameters
    ----------
    records : DataFrame
        Validated records (the split column, when the method needs one, included).
    target : str
        Outcome column (for stratification).
    split : SplitConfig
        The method and its settings.

    Raises
    ------
    DataValidationError
        When a part would be empty or lack one of the outcome's classes.
    """
    y = records[target].astype("int64").to_numpy()
    train_index, test_index = split_index(records, split, stratify=y)
    for part, index in (("training", train_index), ("test", test_index)):
        counts = np.bincount(records.loc[index, target].astype("int64"), minlength=2)
        if counts.min() < 1:
            rule = (
                f"the {part} part of the {split.method} split has {len(index)} records with "
                f"{counts[0]} zeros and {counts[1]} ones; both parts need both classes"
            )
            raise DataValidationError([ValidationProblem(None, target, None, rule)], "split")
    return train_index, test_index


def split_index(
    records: pd.DataFrame, split: SplitConfig, *, stratify: np.ndarray | None = None
) -> tuple[pd.Index, pd.Index]:
    """Row labels of the training and test parts, with no check of any outcome.

    Parameters
    ----------
    records : DataFrame
        Validated records (the split column, when the method needs one, included).
    split : SplitConfig
        The method and its settings.
    stratify : ndarray, optional
        Labels to stratify by; required by the ``stratified`` method.

    Raises
    ------
    DataValidationError
        When a part would be empty.
    """
    from sklearn.model_selection import train_test_split

    if split.method in ("stratified", "random"):
        if split.method == "stratified" and stratify is None:
            raise DataValidationError(
                [
                    ValidationProblem(
                        None,
                        None,
                        None,
                        "split.method = 'stratified' needs one outcome to stratify by; use "
                        "'random', 'time' or 'column'",
                    )
                ],
                "split",
            )
        train, test = train_test_split(
            records.index,
            test_size=split.test_size,
            random_state=split.seed,
            stratify=stratify if split.method == "stratified" else None,
        )
        train_index, test_index = pd.Index(train), pd.Index(test)
    elif split.method == "time":
        assert split.column is not None
        dates = records[split.column]
        order = np.argsort(dates.to_numpy(), kind="stable")
        n_test = max(1, round(split.test_size * len(records)))
        train_index = records.index[order[:-n_test]]
        test_index = records.index[order[-n_test:]]
    else:
        assert split.column is not None
        flag = records[split.column].astype("int64") == 1
        train_index, test_index = records.index[flag.to_numpy()], records.index[~flag.to_numpy()]
    for part, index in (("training", train_index), ("test", test_index)):
        if len(index) == 0:
            rule = f"the {part} part of the {split.method} split is empty"
            raise DataValidationError([ValidationProblem(None, split.column, None, rule)], "split")
    return train_index, test_index

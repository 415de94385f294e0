"""Train/test splits as the pipeline's ``[split]`` section describes them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskkit.config import SplitConfig
from riskkit.errors import DataValidationError, ValidationProblem


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
    from sklearn.model_selection import train_test_split

    y = records[target].astype("int64").to_numpy()
    if split.method in ("stratified", "random"):
        train, test = train_test_split(
            records.index,
            test_size=split.test_size,
            random_state=split.seed,
            stratify=y if split.method == "stratified" else None,
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
        counts = np.bincount(records.loc[index, target].astype("int64"), minlength=2)
        if counts.min() < 1:
            rule = (
                f"the {part} part of the {split.method} split has {len(index)} records with "
                f"{counts[0]} zeros and {counts[1]} ones; both parts need both classes"
            )
            raise DataValidationError([ValidationProblem(None, target, None, rule)], "split")
    return train_index, test_index

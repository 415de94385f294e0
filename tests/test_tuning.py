"""The bounded hyper-parameter search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from riskkit.config import TuningConfig, load_pipeline
from riskkit.training.pipeline import build_estimator
from riskkit.training.tuning import tune


def test_grid_search_picks_the_lowest_cross_validated_loss(small_pipeline: Path) -> None:
    config = load_pipeline(small_pipeline)
    config = config.model_copy(
        update={
            "tuning": TuningConfig(grid={"n_estimators": [2, 80], "learning_rate": [0.1]}, cv=3)
        }
    )
    rng = np.random.default_rng(0)
    n = 1500
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 70, n).astype(float),
            "prior_convictions": rng.poisson(2, n).astype(float),
            "housing": pd.Categorical(
                rng.choice(["stable", "homeless"], n),
                categories=["stable", "temporary", "homeless"],
            ),
            "prison_work": rng.integers(0, 2, n).astype(float),
        }
    )
    y = (
        (rng.random(n) < 1 / (1 + np.exp(1.5 - 0.5 * X["prior_convictions"])))
        .astype(int)
        .to_numpy()
    )
    result = tune(
        config,
        X,
        y,
        build=lambda overrides: build_estimator(config, overrides),
        show_progress=False,
    )
    assert len(result.candidates) == 2
    losses = {c["n_estimators"]: c["cv_log_loss"] for c in result.candidates}
    assert result.best_params == {
        "n_estimators": min(losses, key=losses.__getitem__),
        "learning_rate": 0.1,
    }
    assert result.best_params["n_estimators"] == 80  # two trees cannot learn the signal


def test_an_empty_grid_keeps_the_settings(small_pipeline: Path) -> None:
    config = load_pipeline(small_pipeline)
    result = tune(config, pd.DataFrame(), np.array([]), build=lambda o: None, show_progress=False)
    assert result.best_params == {} and result.candidates == []


def test_the_grid_is_bounded() -> None:
    with pytest.raises(
        ValidationError,
        match=r"tuning.grid has 27 combinations, more than tuning.max_candidates = 16",
    ):
        TuningConfig(
            grid={
                "n_estimators": [1, 2, 3],
                "learning_rate": [0.1, 0.2, 0.3],
                "reg_lambda": [0, 1, 2],
            }
        )

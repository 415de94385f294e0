"""Scoring validated records with a registered model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riskkit.estimators.bands import assign_bands
from riskkit.features.registry import default_registry
from riskkit.scoring.results import FactorContribution, ModelIdentity, ScoreResult

if TYPE_CHECKING:
    from riskkit.tracking import LoadedModel


def score_cases(model: LoadedModel, records: pd.DataFrame) -> list[ScoreResult]:
    """Score validated records: probability, band and exact per-feature contributions.

    Parameters
    ----------
    model : LoadedModel
        A registered model (see :func:`riskkit.tracking.load_model`).
    records : DataFrame
        Records validated against the model's schema (typed; one row per person, with the
        pipeline's id column).

    Returns
    -------
    list of ScoreResult
        In the order of ``records``.
    """
    estimator, config = model.bundle.estimator, model.bundle.config
    registry = default_registry()
    features = [str(n) for n in estimator.feature_names_in_]
    X = records[features]
    probability = estimator.predict_proba(X)[:, 1]
    points = estimator.contributions(X).to_numpy()
    bands = assign_bands(probability, config.band_thresholds(), config.band_names())
    ids = records[config.data.id_column].astype(str).to_numpy()
    identity = ModelIdentity(name=model.name, version=model.version, alias=model.alias)
    changeable = [registry[f].changeable for f in features]
    scored_at = datetime.now(UTC).isoformat(timespec="seconds")
    values = X.astype(object).where(X.notna(), None).to_numpy()
    order = np.argsort(-np.abs(points), axis=1, kind="stable")
    results = []
    for i in range(len(X)):
        contributions = tuple(
            FactorContribution(
                feature=features[j],
                value=_plain(values[i, j]),
                points=float(points[i, j]),
                changeable=changeable[j],
            )
            for j in order[i]
        )
        results.append(
            ScoreResult(
                person_id=str(ids[i]),
                probability=float(probability[i]),
                band=str(bands[i]),
                reference_probability=float(estimator.reference_probability_),
                outcome=config.target.column,
                contributions=contributions,
                model=identity,
                scored_at=scored_at,
            )
        )
    return results


def _plain(value: object) -> str | float | None:
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return int(number) if number.is_integer() else number
    return str(value)

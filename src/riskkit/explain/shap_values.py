"""Contributions as a ``shap.Explanation``, so shap's plots (waterfall, beeswarm...) work on them.

* Additive model (:class:`~riskkit.estimators.additive.AdditiveBoostedClassifier`, plain or
  calibrated): the values are the model's own contributions, read from its lookup tables; shap
  computes nothing. On the log-odds scale they are the shape values and the expected log-odds
  (equal to shap's TreeExplainer values on the model's booster, since a single-feature tree's
  Shapley values are its shape values); on the probability-points scale they are the model's
  ``contributions`` and the base is the population average probability.
* Reference LightGBM (:class:`~riskkit.estimators.reference.ReferenceLightGBM`) or any binary
  ``lightgbm.LGBMClassifier``: the model is not additive, so the values are shap's
  TreeExplainer values (tree-path-dependent, raw log-odds output). On the probability-points
  scale they are converted with the secant-slope rule of :mod:`riskkit.explain.points`, so each
  row sums to the model's probability minus the reference probability.

On either scale ``values.sum(axis=1) + base_values`` is the model's output for each person:
its probability (probability points) or its log-odds (log-odds). For a calibrated additive
model the log-odds are the additive score *before* calibration (calibration is a non-additive
map applied to their sum).

shap (about 2 s) is imported inside the functions that need it, so importing riskkit stays fast.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.calibration import CalibratedAdditiveClassifier
from riskkit.estimators.reference import ReferenceLightGBM
from riskkit.explain.points import probability_points, variance_weights

Scale = Literal["probability_points", "log_odds"]
SCALES: tuple[str, ...] = ("probability_points", "log_odds")

# Probabilities are kept this far from 0 and 1 before taking log-odds, as the additive model does.
_PROBABILITY_CLIP = 1e-12


def import_shap() -> Any:
    """Import shap, silencing only the deprecation notices its own import raises.

    shap 0.51 builds its colour maps with ``Colormap.set_bad``/``set_over``/``set_under``,
    which matplotlib 3.11 marks as pending deprecation; under warnings-as-errors that would
    make the import fail. Only those three messages, raised from shap's colour module, are
    ignored; every other warning behaves as configured.
    """
    if "shap" in sys.modules:
        return sys.modules["shap"]
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"The set_(bad|over|under) function will be deprecated",
            category=PendingDeprecationWarning,
            module=r"shap\.plots\.colors\._colors",
        )
        import shap
    return shap


def to_explanation(
    model: Any,
    X: Any,
    *,
    scale: Scale = "probability_points",
    feature_labels: Mapping[str, str] | None = None,
    population: Any = None,
) -> Any:
    """Each person's per-feature contributions as a ``shap.Explanation``.

    Parameters
    ----------
    model : AdditiveBoostedClassifier, CalibratedAdditiveClassifier, ReferenceLightGBM or \
lightgbm.LGBMClassifier
        A fitted binary classifier.
    X : DataFrame or array-like of shape (n, p)
        The people to explain, as the model takes them.
    scale : {"probability_points", "log_odds"}, default "probability_points"
        ``probability_points``: values on the 0-1 probability scale, base value the reference
        probability, rows summing to the probability minus it. ``log_odds``: values in
        log-odds, base value the expected log-odds, rows summing to the log-odds minus it.
    feature_labels : mapping of str to str, optional
        Feature name -> label shown in plots (e.g. the registry labels in the report's
        language, ``{n: registry[n].label("es") for n in names}``); must name every feature.
        Feature names are shown when omitted.
    population : DataFrame or array-like, optional
        LightGBM models only (an additive model carries its own reference): the records of the
        population points are measured from, usually the training records. The reference
        probability is then their average predicted probability, and the gap between it and
        the expected log-odds is shared between features in proportion to the variance of
        their shap values there, as for the additive model. Without it the reference is the
        probability at the expected log-odds (shap's base value), and nothing is shared.

    Returns
    -------
    shap.Explanation
        ``values`` (n, p), ``base_values`` (n,), ``data`` (n, p): each person's values as
        displayed (numbers as floats with NaN for missing; when some feature is categorical,
        an object array with categories as strings), ``feature_names``: the labels or names.

    Raises
    ------
    RiskkitError
        For an unknown ``scale``, a model of another type (or not binary), labels that miss a
        feature, or ``population`` given with an additive model.
    """
    if scale not in SCALES:
        raise RiskkitError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    if isinstance(model, AdditiveBoostedClassifier | CalibratedAdditiveClassifier):
        if population is not None:
            raise RiskkitError(
                "population= is only for LightGBM models: an additive model measures its "
                "points from the population it was trained on (reference_probability_); "
                "leave population out"
            )
        names = [str(n) for n in model.feature_names_in_]
        values, base = _additive_values(model, X, scale)
    elif isinstance(model, ReferenceLightGBM) or _is_lightgbm_classifier(model):
        names, values, base = _lightgbm_values(model, X, scale, population)
    else:
        raise RiskkitError(
            f"cannot explain a model of type {type(model).__module__}.{type(model).__qualname__}; "
            "to_explanation supports riskkit's AdditiveBoostedClassifier and "
            "CalibratedAdditiveClassifier (exact table contributions), ReferenceLightGBM and "
            "binary lightgbm.LGBMClassifier models (shap's TreeExplainer)"
        )
    shap = import_shap()
    return shap.Explanation(
        values=values,
        base_values=base,
        data=_display_data(X, names),
        feature_names=_labels(names, feature_labels),
    )


def _additive_values(
    model: AdditiveBoostedClassifier | CalibratedAdditiveClassifier, X: Any, scale: Scale
) -> tuple[np.ndarray, np.ndarray]:
    """Contributions and base values of an additive model, from its lookup tables."""
    if scale == "probability_points":
        values = np.asarray(model.contributions(X), dtype="float64")
        base = np.full(len(values), float(model.reference_probability_))
        return values, base
    inner = model.estimator_ if isinstance(model, CalibratedAdditiveClassifier) else model
    raw = inner.raw_contributions(X)
    return raw[:, :-1].copy(), raw[:, -1].copy()


def _is_lightgbm_classifier(model: Any) -> bool:
    """True for a ``lightgbm.LGBMClassifier`` (without importing lightgbm: a model of that type
    can only exist once lightgbm has been imported)."""
    lightgbm = sys.modules.get("lightgbm")
    return lightgbm is not None and isinstance(model, lightgbm.LGBMClassifier)


def _lightgbm_values(
    model: Any, X: Any, scale: Scale, population: Any
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Feature names, shap values and base values of a (non-additive) LightGBM model."""
    if not hasattr(model, "classes_"):
        raise RiskkitError(
            f"the {type(model).__name__} is not fitted; fit it before explaining its scores"
        )
    if len(model.classes_) != 2:
        raise RiskkitError(
            f"to_explanation explains binary classifiers; this {type(model).__name__} has "
            f"{len(model.classes_)} classes ({list(model.classes_)[:10]})"
        )
    booster, prepare = _booster_and_inputs(model)
    shap = import_shap()
    explainer = shap.TreeExplainer(
        booster, model_output="raw", feature_perturbation="tree_path_dependent"
    )
    names = [str(n) for n in _feature_names(model, booster)]
    values, expected = _shap_log_odds(explainer, prepare(X))
    if scale == "log_odds":
        return names, values, np.full(len(values), expected)
    if population is None:
        reference = float(1.0 / (1.0 + np.exp(-expected)))
        anchor = expected
        weights = np.full(len(names), 1.0 / len(names))
    else:
        population_values, _ = _shap_log_odds(explainer, prepare(population))
        average = float(np.asarray(model.predict_proba(population))[:, 1].mean())
        reference = float(np.clip(average, _PROBABILITY_CLIP, 1 - _PROBABILITY_CLIP))
        anchor = float(np.log(reference) - np.log1p(-reference))
        weights = variance_weights(population_values)
    probability = np.asarray(model.predict_proba(X), dtype="float64")[:, 1]
    raw = np.column_stack([values, np.full(len(values), expected)])
    points = probability_points(
        raw,
        probability,
        anchor_logit=anchor,
        reference_probability=reference,
        weights=weights,
    )
    return names, points, np.full(len(points), reference)


def _booster_and_inputs(model: Any) -> tuple[Any, Any]:
    """The LightGBM booster and the function that turns records into its input."""
    if isinstance(model, ReferenceLightGBM):
        # the model's own input handling: column checks, and categories with its codes
        return model.model_.booster_, model._prepared
    return model.booster_, lambda X: X


def _feature_names(model: Any, booster: Any) -> Sequence[str]:
    if isinstance(model, ReferenceLightGBM):
        columns: list[str] = model.columns_
        return columns
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    booster_names: list[str] = booster.feature_name()
    return booster_names


def _shap_log_odds(explainer: Any, inputs: Any) -> tuple[np.ndarray, float]:
    """shap values (n, p) in log-odds and the expected log-odds."""
    # Calling the explainer (rather than .shap_values) returns one array for a binary LightGBM
    # model without shap's warning about the output format having changed.
    explanation = explainer(inputs)
    values = np.asarray(explanation.values, dtype="float64")
    expected = float(np.asarray(explanation.base_values, dtype="float64").reshape(-1)[0])
    return values, expected


def _display_data(X: Any, names: Sequence[str]) -> np.ndarray:
    """The values shown beside each contribution: numbers as floats (NaN for missing), and,
    when any feature is categorical, an object array with categories as strings."""
    frame = (
        X[list(names)]
        if isinstance(X, pd.DataFrame)
        else pd.DataFrame(np.asarray(X), columns=list(names))
    )
    columns: list[np.ndarray] = []
    categorical = False
    for name in names:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            columns.append(column.to_numpy(dtype="float64", na_value=np.nan))
            continue
        categorical = True
        text = [np.nan if pd.isna(v) else str(v) for v in column.astype(object)]
        columns.append(np.asarray(text, dtype=object))
    if not categorical:
        return np.column_stack(columns) if columns else np.empty((len(frame), 0))
    data = np.empty((len(frame), len(names)), dtype=object)
    for j, values in enumerate(columns):
        data[:, j] = values
    return data


def _labels(names: Sequence[str], feature_labels: Mapping[str, str] | None) -> list[str]:
    if feature_labels is None:
        return list(names)
    missing = [n for n in names if n not in feature_labels]
    if missing:
        raise RiskkitError(
            f"feature_labels has no label for {missing}; give one for every feature of the "
            f"model ({list(names)}), e.g. {{n: default_registry()[n].label('es') for n in names}}"
        )
    return [str(feature_labels[n]) for n in names]

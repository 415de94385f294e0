"""Calibration of the additive model: Platt scaling or isotonic regression on out-of-fold
log-odds, the method chosen by cross-validated log-loss.

Calibration maps the additive model's log-odds through one non-decreasing function, so the
model stays additive in log-odds and its explanations stay exact: contributions are converted
to probability points around the *calibrated* population average (see
:mod:`riskkit.explain.points`), and still sum to the calibrated probability minus that average.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_array, check_is_fitted

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import (
    AdditiveBoostedClassifier,
    ExplainedArrays,
    validate_target,
)
from riskkit.explain.points import probability_points
from riskkit.metrics.calibration import log_loss

CalibrationMethod = Literal["auto", "platt", "isotonic"]
# No one is certain to re-offend or not: isotonic steps are kept inside this band.
PROBABILITY_FLOOR = 1e-4


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


class Calibrator:
    """A fitted non-decreasing map from log-odds to probability (Platt or isotonic)."""

    def __init__(self, method: Literal["platt", "isotonic"], parameters: Mapping[str, Any]):
        self.method = method
        self.parameters = dict(parameters)

    @classmethod
    def fit(
        cls, method: Literal["platt", "isotonic"], logit: np.ndarray, y: np.ndarray
    ) -> Calibrator:
        """Fit the map on log-odds ``logit`` and outcomes ``y``."""
        if method == "platt":
            from sklearn.linear_model import LogisticRegression

            model = LogisticRegression(C=1e6, max_iter=1000).fit(logit.reshape(-1, 1), y)
            return cls(
                "platt",
                {"slope": float(model.coef_[0, 0]), "intercept": float(model.intercept_[0])},
            )
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(
            out_of_bounds="clip", y_min=PROBABILITY_FLOOR, y_max=1 - PROBABILITY_FLOOR
        )
        iso.fit(logit, y)
        return cls(
            "isotonic",
            {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()},
        )

    def __call__(self, logit: np.ndarray) -> np.ndarray:
        if self.method == "platt":
            return _sigmoid(self.parameters["slope"] * logit + self.parameters["intercept"])
        out: np.ndarray = np.interp(logit, self.parameters["x"], self.parameters["y"])
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {"method": self.method, **self.parameters}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibrator:
        """Inverse of :meth:`to_dict`."""
        method = data["method"]
        return cls(method, {k: v for k, v in data.items() if k != "method"})


def anchor_for(calibrator: Calibrator, probability: float, low: float, high: float) -> float:
    """The log-odds where the calibrated probability reaches ``probability`` (bisection; for a
    step function, the step where it is crossed)."""
    lo, hi = low - 50.0, high + 50.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if calibrator(np.array([mid]))[0] < probability:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


class CalibratedAdditiveClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """The additive boosted model with a calibration map fitted on out-of-fold log-odds.

    Parameters
    ----------
    estimator : AdditiveBoostedClassifier, optional
        The (unfitted) additive model; a default one when omitted.
    method : {"auto", "platt", "isotonic"}
        ``auto`` picks the method with the lower cross-validated log-loss.
    cv : int
        Folds for the out-of-fold log-odds.
    random_state : int
        Seed of the folds.
    """

    def __init__(
        self,
        estimator: AdditiveBoostedClassifier | None = None,
        *,
        method: CalibrationMethod = "auto",
        cv: int = 5,
        random_state: int = 0,
    ) -> None:
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> CalibratedAdditiveClassifier:
        """Fit out-of-fold models, choose and fit the calibration, then refit on all of X."""
        from sklearn.model_selection import StratifiedKFold

        if self.method not in ("auto", "platt", "isotonic"):
            raise RiskkitError(
                f"unknown calibration method {self.method!r}; use auto, platt or isotonic"
            )
        base = clone(self.estimator) if self.estimator is not None else AdditiveBoostedClassifier()
        if not isinstance(X, pd.DataFrame):
            X = check_array(X, accept_sparse=False, dtype="float64", ensure_all_finite="allow-nan")
        classes, y_binary = validate_target(y, len(X))
        n_splits = int(min(self.cv, np.bincount(y_binary).min()))
        if n_splits < 2:
            raise RiskkitError(
                "calibration needs at least 2 records of each class for its folds; "
                f"found {np.bincount(y_binary).tolist()}"
            )
        folds = list(
            StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state).split(
                np.zeros(len(y_binary)), y_binary
            )
        )
        rows = X.iloc if isinstance(X, pd.DataFrame) else np.asarray(X)
        out_of_fold = np.empty(len(y_binary), dtype="float64")
        for train, test in folds:
            fold_model = clone(base).fit(rows[train], y_binary[train])
            out_of_fold[test] = fold_model.decision_function(rows[test])
        methods: list[Literal["platt", "isotonic"]] = (
            ["platt", "isotonic"] if self.method == "auto" else [self.method]
        )
        self.cv_log_loss_: dict[str, float] = {}
        for method in methods:
            predicted = np.empty(len(y_binary), dtype="float64")
            for train, test in folds:
                calibrator = Calibrator.fit(method, out_of_fold[train], y_binary[train])
                predicted[test] = calibrator(out_of_fold[test])
            self.cv_log_loss_[method] = log_loss(y_binary, predicted)
        self.method_: Literal["platt", "isotonic"] = min(methods, key=self.cv_log_loss_.__getitem__)
        self.calibrator_ = Calibrator.fit(self.method_, out_of_fold, y_binary)
        self.estimator_ = clone(base).fit(X, y_binary)
        self.classes_ = classes
        self._set_reference(X)
        return self

    def _set_reference(self, X: Any) -> None:
        logit = self.estimator_.decision_function(X)
        probability = self.calibrator_(logit)
        self.reference_probability_ = float(probability.mean())
        self.anchor_logit_ = anchor_for(
            self.calibrator_, self.reference_probability_, float(logit.min()), float(logit.max())
        )

    @property
    def feature_names_in_(self) -> np.ndarray:
        """Feature names of the underlying additive model."""
        check_is_fitted(self, "estimator_")
        names: np.ndarray = self.estimator_.feature_names_in_
        return names

    @property
    def categories_(self) -> dict[str, list[str]]:
        """Categories of the categorical features (of the underlying additive model)."""
        check_is_fitted(self, "estimator_")
        categories: dict[str, list[str]] = self.estimator_.categories_
        return categories

    @property
    def n_features_in_(self) -> int:
        """Number of features."""
        check_is_fitted(self, "estimator_")
        return int(self.estimator_.n_features_in_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated log-odds."""
        p = np.clip(self.predict_proba(X)[:, 1], 1e-15, 1 - 1e-15)
        out: np.ndarray = np.log(p) - np.log1p(-p)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2)."""
        check_is_fitted(self, "calibrator_")
        p = self.calibrator_(self.estimator_.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class."""
        proba = self.predict_proba(X)
        out: np.ndarray = self.classes_[(proba[:, 1] > 0.5).astype(int)]
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def contributions(self, X: Any) -> pd.DataFrame:
        """Per-feature contributions in probability points, summing to the calibrated
        probability minus the calibrated population average."""
        check_is_fitted(self, "calibrator_")
        raw = self.estimator_.raw_contributions(X)
        probability = self.calibrator_(raw.sum(axis=1))
        points = probability_points(
            raw,
            probability,
            anchor_logit=self.anchor_logit_,
            reference_probability=self.reference_probability_,
            weights=self.estimator_.contribution_weights_,
        )
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(points, columns=list(self.feature_names_in_), index=index)

    def probability_and_contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """The calibrated probability and the contributions in probability points from one
        pass over the lookup tables: ``predict_proba(X)[:, 1]`` and
        ``contributions(X).to_numpy()``."""
        explained = self.explain_arrays(X)
        return explained.probability, explained.points

    def explain_arrays(self, X: Any) -> ExplainedArrays:
        """Calibrated probability, contributions in probability points and the additive
        model's per-feature log-odds, from one pass over the lookup tables."""
        check_is_fitted(self, "calibrator_")
        raw = self.estimator_.raw_contributions(X)
        probability = self.calibrator_(raw.sum(axis=1))
        points = probability_points(
            raw,
            probability,
            anchor_logit=self.anchor_logit_,
            reference_probability=self.reference_probability_,
            weights=self.estimator_.contribution_weights_,
        )
        return ExplainedArrays(probability, points, raw)

    def get_state(self) -> tuple[dict[str, Any], str]:
        """JSON-serialisable state plus the additive model's LightGBM text model."""
        check_is_fitted(self, "calibrator_")
        inner, booster_text = self.estimator_.get_state()
        state = {
            "format": "riskkit.calibrated_additive/1",
            "params": {"method": self.method, "cv": self.cv, "random_state": self.random_state},
            "estimator": inner,
            "calibrator": self.calibrator_.to_dict(),
            "method": self.method_,
            "cv_log_loss": self.cv_log_loss_,
            "classes": self.classes_.tolist(),
            "reference_probability": self.reference_probability_,
            "anchor_logit": self.anchor_logit_,
        }
        return state, booster_text

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], booster_text: str
    ) -> CalibratedAdditiveClassifier:
        """Rebuild a fitted model from :meth:`get_state`'s output."""
        if state.get("format") != "riskkit.calibrated_additive/1":
            raise RiskkitError(
                f"unknown model format {state.get('format')!r}; expected "
                "'riskkit.calibrated_additive/1'"
            )
        inner = AdditiveBoostedClassifier.from_state(state["estimator"], booster_text)
        model = cls(inner, **state["params"])
        model.estimator_ = inner
        model.calibrator_ = Calibrator.from_dict(state["calibrator"])
        model.method_ = state["method"]
        model.cv_log_loss_ = dict(state["cv_log_loss"])
        model.classes_ = np.asarray(state["classes"])
        model.reference_probability_ = float(state["reference_probability"])
        model.anchor_logit_ = float(state["anchor_logit"])
        return model


def estimator_from_state(
    state: Mapping[str, Any], booster_text: str
) -> AdditiveBoostedClassifier | CalibratedAdditiveClassifier:
    """Rebuild whichever riskkit model ``state`` describes."""
    if str(state.get("format", "")).startswith("riskkit.calibrated_additive/"):
        return CalibratedAdditiveClassifier.from_state(state, booster_text)
    return AdditiveBoostedClassifier.from_state(state, booster_text)


RiskModel = AdditiveBoostedClassifier | CalibratedAdditiveClassifier
"""A model riskkit registers and scores with."""

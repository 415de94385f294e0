"""The additive boosted model: LightGBM restricted to single-feature trees.

Every tree splits on one feature only (LightGBM interaction constraints with one feature per
set, plus any named pairs), so the model's log-odds are a sum of one shape function per feature
(and per named pair). Contributions are therefore exact: each feature's contribution is its
shape function's value for this person, measured from the training population.

Contributions are converted to probability points measured from the training population's
average probability by :mod:`riskkit.explain.points`. After fitting, the model is compiled
into per-feature lookup tables (:mod:`riskkit.estimators.shape`) and scores from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    assert_all_finite,
    check_array,
    check_is_fitted,
    column_or_1d,
)

from riskkit.errors import RiskkitError
from riskkit.estimators.shape import (
    ShapeFunction,
    compile_shape_functions,
    shape_functions_frame,
)
from riskkit.explain.points import probability_points, variance_weights


class ExplainedArrays(NamedTuple):
    """One scoring pass: ``probability`` (n,), ``points`` (n, p) in probability points summing
    to the probability minus the reference, and ``log_odds`` (n, p + 1): each feature's table
    value and, last, the intercept."""

    probability: np.ndarray
    points: np.ndarray
    log_odds: np.ndarray


def as_categories(column: pd.Series, categories: Sequence[str]) -> pd.Categorical[Any]:
    """``column`` as a Categorical with exactly ``categories``; values outside them (and
    missing values) become missing, without pandas' deprecation warning for that case."""
    if isinstance(column.dtype, pd.CategoricalDtype) and list(column.cat.categories) == list(
        categories
    ):
        return pd.Categorical(column)
    codes = pd.Index(list(categories)).get_indexer(pd.Index(column.astype(object)))
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(categories)))


def probability_pair(logit: np.ndarray) -> np.ndarray:
    """``[1 - p, p]`` for log-odds ``logit``, with ``p > 0.5`` exactly when ``logit > 0`` (for
    log-odds within rounding of 0 the sigmoid alone can land on 0.5)."""
    p = _sigmoid(logit)
    p = np.where(logit > 0, np.maximum(p, np.nextafter(0.5, 1.0)), np.minimum(p, 0.5))
    return np.column_stack([1.0 - p, p])


def validate_target(y: Any, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The classes and the 0/1 outcome of a binary target, with scikit-learn's checks and
    error messages (None, 2-D, non-finite, continuous, one class, more than two)."""
    if y is None:
        raise ValueError("this estimator requires y to be passed, but the target y is None")
    y_array = column_or_1d(y, warn=True)
    if y_array.dtype.kind in "fc":
        assert_all_finite(y_array, input_name="y")
    if len(y_array) != n_rows:
        raise ValueError(
            f"y must be one label per row of X: X has {n_rows} rows, y has {len(y_array)}"
        )
    check_classification_targets(y_array)
    classes = np.unique(y_array)
    if classes.size < 2:
        raise ValueError(
            f"the outcome has {classes.size} class ({classes.tolist()}); a risk model needs "
            "people with and without the outcome"
        )
    if classes.size > 2:
        raise ValueError(
            f"Only binary classification is supported; the outcome has {classes.size} classes "
            f"({classes[:10].tolist()})"
        )
    return classes, (y_array == classes[1]).astype("int64")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


class AdditiveBoostedClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Binary classifier whose log-odds are a sum of one shape function per feature.

    Parameters
    ----------
    n_estimators : int
        Boosting rounds (each round adds one single-feature tree).
    learning_rate : float
        Shrinkage per round.
    max_leaves_per_tree : int
        Leaves per tree; each tree still uses a single feature, so this only sets how many steps
        one tree can add to that feature's shape function.
    min_child_samples : int
        Minimum people in a leaf (keeps shape functions from following a handful of records).
    reg_lambda : float
        L2 penalty on leaf values.
    monotone_constraints : mapping of str to {-1, 0, 1}, optional
        Direction each named feature must move the risk (from the feature registry).
    interactions : sequence of (str, str), optional
        Named feature pairs allowed to share a tree.
    random_state : int
        Seed; the same data and seed give the same model.
    n_jobs : int
        Threads LightGBM may use. One by default: on small data extra threads cost more
        than they save, and on a shared machine they compete for the cores.
    """

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        max_leaves_per_tree: int = 4,
        min_child_samples: int = 50,
        reg_lambda: float = 1.0,
        monotone_constraints: Mapping[str, int] | None = None,
        interactions: Sequence[tuple[str, str]] = (),
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_leaves_per_tree = max_leaves_per_tree
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.monotone_constraints = monotone_constraints
        self.interactions = interactions
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- input handling -------------------------------------------------------------------
    def _as_frame(self, X: Any, *, fitting: bool) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            if fitting:
                frame = X.copy()
                frame.columns = [str(c) for c in frame.columns]
            else:
                # No copy for prediction: the selection below is a new frame (copy-on-write),
                # so the caller's frame is never changed, and a million rows are not copied.
                frame = X.rename(columns=str)
        else:
            array = check_array(
                X, accept_sparse=False, dtype="float64", ensure_all_finite="allow-nan"
            )
            names = (
                [f"x{i}" for i in range(array.shape[1])]
                if fitting
                else list(self.feature_names_in_)
            )
            if not fitting and array.shape[1] != len(names):
                raise ValueError(
                    f"X has {array.shape[1]} features, but AdditiveBoostedClassifier is "
                    f"expecting {len(names)} features as input"
                )
            frame = pd.DataFrame(array, columns=names)
        if fitting:
            return frame
        missing = [c for c in self.feature_names_in_ if c not in frame.columns]
        if missing:
            raise RiskkitError(
                f"the records lack the model's feature(s) {missing}; the model was trained on "
                f"{list(self.feature_names_in_)}"
            )
        frame = frame[list(self.feature_names_in_)]
        for name, categories in self.categories_.items():
            frame[name] = as_categories(frame[name], categories)
        return frame

    def _numeric_check(self, frame: pd.DataFrame) -> None:
        for name in frame.columns:
            dtype = frame[name].dtype
            if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dtype):
                continue
            raise RiskkitError(
                f"feature {name!r} has dtype {dtype}; the model takes numbers or pandas "
                f"categories (validate records against the pipeline's schema first)"
            )

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> AdditiveBoostedClassifier:
        """Fit the model on features ``X`` (DataFrame or array) and binary labels ``y``."""
        import lightgbm as lgb

        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        frame = self._as_frame(X, fitting=True)
        if frame.shape[1] == 0:
            raise ValueError(
                f"0 feature(s) (shape={frame.shape}) while a minimum of 1 is required."
            )
        self._numeric_check(frame)
        self.classes_, y_binary = validate_target(y, len(frame))
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, frame)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.categories_ = {
            str(c): list(frame[c].cat.categories)
            for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
        names = list(frame.columns)
        index = {n: i for i, n in enumerate(names)}
        constraints = dict(self.monotone_constraints or {})
        unknown = [
            n
            for n in list(constraints) + [f for p in self.interactions for f in p]
            if n not in index
        ]
        if unknown:
            raise RiskkitError(
                f"monotone constraints or interactions name feature(s) {sorted(set(unknown))} "
                f"that are not in X; X has {names}"
            )
        monotone = [0 if n in self.categories_ else int(constraints.get(n, 0)) for n in names]
        interaction_sets = [[i] for i in range(len(names))] + [
            sorted({index[a], index[b]}) for a, b in self.interactions
        ]
        self.model_ = lgb.LGBMClassifier(
            objective="binary",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.max_leaves_per_tree,
            max_depth=-1,
            min_child_samples=self.min_child_samples,
            reg_lambda=self.reg_lambda,
            interaction_constraints=interaction_sets,
            monotone_constraints=monotone,
            monotone_constraints_method="advanced",
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            deterministic=True,
            force_col_wise=True,
            verbose=-1,
        )
        self.model_.fit(frame, y_binary, sample_weight=sample_weight)
        self.booster_ = self.model_.booster_
        self._compile_tables()
        self._set_reference(frame)
        return self

    def _compile_tables(self) -> None:
        """Compile the booster into per-feature lookup tables (not possible with pairs)."""
        self.shape_functions_: dict[str, ShapeFunction] | None = None
        self.intercept_: float | None = None
        if self.interactions:
            return
        self.intercept_, self.shape_functions_ = compile_shape_functions(
            self.booster_, [str(n) for n in self.feature_names_in_], self.categories_
        )

    def _set_reference(self, frame: pd.DataFrame) -> None:
        """Population reference for probability points (see the module docstring)."""
        contrib = self._raw_contributions(frame)
        probability = _sigmoid(contrib.sum(axis=1))
        reference = float(np.clip(probability.mean(), 1e-12, 1 - 1e-12))
        self.reference_probability_ = reference
        self.reference_logit_ = _logit(reference)
        self.contribution_weights_ = variance_weights(contrib[:, :-1])

    # -- prediction -----------------------------------------------------------------------
    def _raw_contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Per-feature log-odds and the intercept (last column), from the lookup tables, or
        from LightGBM when the model has pairwise interactions."""
        if self.shape_functions_ is None or self.intercept_ is None:
            out: np.ndarray = np.asarray(
                self.booster_.predict(frame, pred_contrib=True), dtype="float64"
            )
            return out
        # Column-major: each feature's lookup fills one contiguous column.
        table = np.empty((len(frame), len(self.feature_names_in_) + 1), dtype="float64", order="F")
        for j, name in enumerate(self.feature_names_in_):
            table[:, j] = self.shape_functions_[str(name)].lookup(frame[name])
        table[:, -1] = self.intercept_
        return table

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the positive class."""
        check_is_fitted(self, "booster_")
        frame = self._as_frame(X, fitting=False)
        out: np.ndarray = self._raw_contributions(frame).sum(axis=1)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of each class, shape (n, 2)."""
        return probability_pair(self.decision_function(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class (the positive class where the log-odds are above 0)."""
        positive = self.decision_function(X) > 0
        out: np.ndarray = self.classes_[positive.astype(int)]
        return out

    def logit_contributions(self, X: Any) -> pd.DataFrame:
        """Each feature's shape value in log-odds, plus the ``(base)`` column; rows sum to the
        log-odds."""
        check_is_fitted(self, "booster_")
        frame = self._as_frame(X, fitting=False)
        contrib = self._raw_contributions(frame)
        columns = [*self.feature_names_in_, "(base)"]
        return pd.DataFrame(contrib, columns=columns, index=frame.index)

    def contributions(self, X: Any) -> pd.DataFrame:
        """Each feature's contribution in probability points (0-1 scale), measured from
        ``reference_probability_``; each row sums to the probability minus the reference."""
        check_is_fitted(self, "booster_")
        frame = self._as_frame(X, fitting=False)
        raw = self._raw_contributions(frame)
        points = probability_points(
            raw,
            _sigmoid(raw.sum(axis=1)),
            anchor_logit=self.reference_logit_,
            reference_probability=self.reference_probability_,
            weights=self.contribution_weights_,
        )
        return pd.DataFrame(points, columns=list(self.feature_names_in_), index=frame.index)

    def probability_and_contributions(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """The probability and the contributions in probability points from one pass over the
        lookup tables (what scoring needs, without computing the tables twice).

        Returns
        -------
        (ndarray of shape (n,), ndarray of shape (n, p))
            ``predict_proba(X)[:, 1]`` and ``contributions(X).to_numpy()``.
        """
        explained = self.explain_arrays(X)
        return explained.probability, explained.points

    def explain_arrays(self, X: Any) -> ExplainedArrays:
        """Probability, contributions in probability points and the per-feature log-odds
        (``raw_contributions``) from one pass over the lookup tables."""
        check_is_fitted(self, "booster_")
        raw = self._raw_contributions(self._as_frame(X, fitting=False))
        probability = _sigmoid(raw.sum(axis=1))
        points = probability_points(
            raw,
            probability,
            anchor_logit=self.reference_logit_,
            reference_probability=self.reference_probability_,
            weights=self.contribution_weights_,
        )
        return ExplainedArrays(probability, points, raw)

    def raw_contributions(self, X: Any) -> np.ndarray:
        """Per-feature log-odds and, last, the expected log-odds, as an array (n, p + 1)."""
        check_is_fitted(self, "booster_")
        return self._raw_contributions(self._as_frame(X, fitting=False))

    # -- persistence without pickle ------------------------------------------------------
    def get_state(self) -> tuple[dict[str, Any], str]:
        """The fitted model as JSON-serialisable state plus LightGBM's text model."""
        check_is_fitted(self, "booster_")
        state = {
            "format": "riskkit.additive_boosted/1",
            "params": {
                k: (list(map(list, v)) if k == "interactions" else v)
                for k, v in self.get_params().items()
            },
            "classes": self.classes_.tolist(),
            "feature_names": [str(n) for n in self.feature_names_in_],
            "categories": self.categories_,
            "reference_probability": self.reference_probability_,
            "contribution_weights": self.contribution_weights_.tolist(),
            "intercept": self.intercept_,
            "shape_functions": None
            if self.shape_functions_ is None
            else [s.to_dict() for s in self.shape_functions_.values()],
        }
        return state, str(self.booster_.model_to_string())

    @classmethod
    def from_state(cls, state: Mapping[str, Any], booster_text: str) -> AdditiveBoostedClassifier:
        """Rebuild a fitted model from :meth:`get_state`'s output."""
        import lightgbm as lgb

        if state.get("format") != "riskkit.additive_boosted/1":
            raise RiskkitError(
                f"unknown model format {state.get('format')!r}; this riskkit reads "
                "'riskkit.additive_boosted/1' (upgrade riskkit to read newer models)"
            )
        params = dict(state["params"])
        params["interactions"] = [tuple(p) for p in params.get("interactions", [])]
        model = cls(**params)
        model.booster_ = lgb.Booster(model_str=booster_text)
        model.classes_ = np.asarray(state["classes"])
        model.feature_names_in_ = np.asarray(state["feature_names"], dtype=object)
        model.n_features_in_ = len(model.feature_names_in_)
        model.categories_ = {k: list(v) for k, v in state["categories"].items()}
        model.reference_probability_ = float(state["reference_probability"])
        model.reference_logit_ = _logit(model.reference_probability_)
        model.contribution_weights_ = np.asarray(state["contribution_weights"], dtype="float64")
        shapes = state.get("shape_functions")
        model.intercept_ = None if state.get("intercept") is None else float(state["intercept"])
        model.shape_functions_ = (
            None if shapes is None else {s["feature"]: ShapeFunction.from_dict(s) for s in shapes}
        )
        return model

    def shape_function_table(self) -> pd.DataFrame:
        """Every feature's shape function as one table (feature, bin, lower, upper, value in
        log-odds), ready for CSV export."""
        check_is_fitted(self, "booster_")
        if self.shape_functions_ is None:
            raise RiskkitError(
                "a model with pairwise interactions has no one-dimensional shape functions; "
                "fit it without features.interactions to export them"
            )
        return shape_functions_frame(self.shape_functions_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

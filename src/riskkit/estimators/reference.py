"""Reference models, trained beside the additive model to measure what interpretability costs.

* :class:`LogisticBaseline`: L2-penalised logistic regression on one-hot categories and
  median-imputed, standardised numbers (plus a missing-value indicator per number that has
  missing values). It is the floor: what a simple, well-known, linear model achieves.
* :class:`ReferenceLightGBM`: unrestricted gradient boosting (any tree depth, any interaction,
  no monotone constraints), with a small tuning grid chosen on an inner hold-out by early
  stopping. It is the ceiling the additive model is held to.

Both take the validated frames riskkit produces (numbers as float64 with NaN for missing,
categories as pandas ``Categorical``) as well as plain numeric arrays, and follow the
scikit-learn estimator contract.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

__all__ = ["DEFAULT_LIGHTGBM_GRID", "LogisticBaseline", "ReferenceLightGBM"]

#: The tuning grid of :class:`ReferenceLightGBM`: tree size and leaf size. Each point is fitted
#: once with early stopping on the inner hold-out, so the grid costs 8 fits.
DEFAULT_LIGHTGBM_GRID: Final[tuple[Mapping[str, Any], ...]] = tuple(
    {"num_leaves": leaves, "min_child_samples": leaf_size}
    for leaves in (4, 8, 16, 32)
    for leaf_size in (20, 100)
)


def _is_categorical(series: pd.Series) -> bool:
    dtype = series.dtype
    return isinstance(dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    )


class _FrameInput(BaseEstimator):  # type: ignore[misc]
    """Shared input handling: a DataFrame is kept as it is (categories and all); anything else
    is checked as a 2D numeric array (NaN allowed) and given the column names ``x0, x1, ...``."""

    def _validate_fit(self, X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray]:
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, skip_check_array=True)
            if X.shape[0] == 0 or X.shape[1] == 0:
                raise ValueError(
                    f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
                    f"(shape={X.shape}) while a minimum of 1 is required."
                )
            frame = X.copy()
            frame.columns = [str(c) for c in frame.columns]
        else:
            array = validate_data(self, X, ensure_all_finite="allow-nan", dtype="numeric")
            frame = pd.DataFrame(
                np.asarray(array, dtype=np.float64),
                columns=[f"x{i}" for i in range(array.shape[1])],
            )
        y_array = column_or_1d(y, warn=True)
        assert_all_finite(y_array, input_name="y")
        check_consistent_length(frame, y_array)
        check_classification_targets(y_array)
        classes = np.unique(y_array)
        if len(classes) < 2:
            raise ValueError(
                f"This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {classes[0]!r}"
            )
        self.classes_ = classes
        self.columns_ = list(frame.columns)
        self.categorical_ = [c for c in frame.columns if _is_categorical(frame[c])]
        return frame, y_array

    @staticmethod
    def _check_weights(sample_weight: Any, n_rows: int) -> np.ndarray | None:
        """``sample_weight`` as floats, one non-negative weight per row, not all zero."""
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.ndim == 0:
            weights = np.full(n_rows, float(weights))
        if weights.shape != (n_rows,):
            raise ValueError(
                f"sample_weight must have one weight per row: expected shape ({n_rows},), "
                f"found {weights.shape}"
            )
        if not np.all(np.isfinite(weights)) or (weights < 0).any():
            raise ValueError("sample_weight must hold finite, non-negative numbers")
        if not (weights > 0).any():
            raise ValueError(
                "sample_weight is zero for every row: at least one weight must be non-zero"
            )
        return weights

    def _validate_predict(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "classes_")
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=False, skip_check_array=True)
            frame = X.copy()
            frame.columns = [str(c) for c in frame.columns]
            return frame
        array = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype="numeric")
        return pd.DataFrame(np.asarray(array, dtype=np.float64), columns=self.columns_)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class LogisticBaseline(ClassifierMixin, _FrameInput):  # type: ignore[misc]
    """L2-penalised logistic regression with riskkit's input handling.

    Categorical columns (pandas ``Categorical``, text) are one-hot encoded, a missing value
    being its own category and a category unseen in training contributing nothing. Numeric
    columns are median-imputed, with a 0/1 indicator for each column that had missing values in
    training, and standardised.

    Parameters
    ----------
    C : float, default 1.0
        Inverse strength of the L2 penalty (scikit-learn's convention).
    max_iter : int, default 2000
        Iterations of the L-BFGS solver.
    missing_indicator : bool, default False
        Add a missing-value indicator for numeric columns with missing values.

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted preprocessing and logistic regression.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (DataFrame input only).
    n_features_in_ : int
        Number of columns seen in ``fit``.
    """

    def __init__(self, *, C: float = 1.0, max_iter: int = 2000, missing_indicator: bool = False):
        self.C = C
        self.max_iter = max_iter
        self.missing_indicator = missing_indicator

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> LogisticBaseline:
        """Fit on features ``X`` (DataFrame or numeric array) and class labels ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features; NaN marks a missing value.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows.

        Returns
        -------
        LogisticBaseline
            The fitted estimator.
        """
        frame, y_array = self._validate_fit(X, y)
        weights = self._check_weights(sample_weight, len(frame))
        numeric = [c for c in self.columns_ if c not in self.categorical_]
        for column in self.categorical_:
            # one-hot encoding needs one type of value per column: text with NaN for missing
            frame[column] = _as_text(frame[column])
        prepare = ColumnTransformer(
            [
                (
                    "categorical",
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                    self.categorical_,
                ),
                (
                    "numeric",
                    make_pipeline(
                        SimpleImputer(
                            strategy="median",
                            add_indicator=self.missing_indicator,
                            keep_empty_features=True,
                        ),
                        StandardScaler(),
                    ),
                    numeric,
                ),
            ],
            remainder="drop",
            verbose_feature_names_out=False,
        )
        self.pipeline_ = Pipeline(
            [
                ("prepare", prepare),
                ("model", LogisticRegression(C=self.C, max_iter=self.max_iter)),
            ]
        )
        self.pipeline_.fit(frame, y_array, model__sample_weight=weights)
        self.n_iter_: np.ndarray = self.pipeline_[-1].n_iter_
        return self

    def _prepared(self, X: Any) -> pd.DataFrame:
        frame = self._validate_predict(X)
        for column in self.categorical_:
            frame[column] = _as_text(frame[column])
        return frame

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the positive class (binary) or one score per class (multiclass)."""
        frame = self._prepared(X)
        out: np.ndarray = self.pipeline_.decision_function(frame)
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, shape (n_samples, n_classes)."""
        frame = self._prepared(X)
        out: np.ndarray = self.pipeline_.predict_proba(frame)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class of each row."""
        frame = self._prepared(X)
        out: np.ndarray = self.pipeline_.predict(frame)
        return out


def _as_text(series: pd.Series) -> pd.Series:
    """A column as Python strings, with ``np.nan`` for missing values."""
    values = series.astype(object)
    return values.where(series.notna(), np.nan).map(lambda v: v if v is np.nan else str(v))


class ReferenceLightGBM(ClassifierMixin, _FrameInput):  # type: ignore[misc]
    """Unrestricted LightGBM classifier, tuned on an inner hold-out.

    Trees may use any feature at any depth (no single-feature or monotone constraint), so the
    model is as flexible as gradient boosting gets on tabular data; it is trained only to
    measure what the additive model's restrictions cost. Pandas categories are passed to
    LightGBM natively (text columns are turned into categories first).

    Tuning: when ``tune`` is true and the data have at least ``min_rows_to_tune`` rows and 20
    of each class, a stratified ``validation_fraction`` of the training rows is held out; each
    point of ``param_grid`` is fitted on the rest with ``learning_rate`` and early stopping
    (``early_stopping_rounds`` without improvement of the hold-out log-loss, at most
    ``max_estimators`` trees); the point and tree count with the lowest hold-out log-loss are
    then refitted on all the rows. Otherwise ``n_estimators``, ``num_leaves`` and
    ``min_child_samples`` are used as given.

    Parameters
    ----------
    n_estimators : int, default 300
        Trees when not tuning.
    learning_rate : float, default 0.03
        Shrinkage per tree.
    num_leaves : int, default 16
        Leaves per tree when not tuning.
    min_child_samples : int, default 50
        Minimum rows in a leaf when not tuning.
    reg_lambda : float, default 1.0
        L2 penalty on leaf values.
    subsample : float, default 0.8
        Share of rows each tree sees (bagging every tree).
    colsample_bytree : float, default 0.8
        Share of features each tree sees.
    tune : bool, default True
        Choose the tree size, leaf size and number of trees on an inner hold-out.
    param_grid : sequence of mappings, optional
        LightGBM settings to try; :data:`DEFAULT_LIGHTGBM_GRID` when omitted.
    validation_fraction : float, default 0.2
        Share of the rows held out for tuning.
    max_estimators : int, default 2000
        Most trees tried while tuning.
    early_stopping_rounds : int, default 100
        Trees without improvement after which tuning stops a fit.
    min_rows_to_tune : int, default 500
        Fewer rows than this are fitted with the given settings.
    random_state : int, default 0
        Seed of the hold-out split and of LightGBM's sampling.
    n_jobs : int, default 1
        Threads LightGBM may use.

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    model_ : lightgbm.LGBMClassifier
        The final model, fitted on all the rows.
    best_params_ : dict
        The settings of the final model (``n_estimators`` included).
    tuning_results_ : list of dict
        Each grid point with its best tree count and hold-out log-loss (empty when not tuned).
    """

    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.03,
        num_leaves: int = 16,
        min_child_samples: int = 50,
        reg_lambda: float = 1.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        tune: bool = True,
        param_grid: Sequence[Mapping[str, Any]] | None = None,
        validation_fraction: float = 0.2,
        max_estimators: int = 2000,
        early_stopping_rounds: int = 100,
        min_rows_to_tune: int = 500,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.tune = tune
        self.param_grid = param_grid
        self.validation_fraction = validation_fraction
        self.max_estimators = max_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.min_rows_to_tune = min_rows_to_tune
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _lightgbm(self, **settings: Any) -> Any:
        import lightgbm as lgb

        params: dict[str, Any] = {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "reg_lambda": self.reg_lambda,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1.0 else 0,
            "colsample_bytree": self.colsample_bytree,
            "random_state": self.random_state,
            "n_jobs": self.n_jobs,
            "deterministic": True,
            "force_col_wise": True,
            "verbose": -1,
        }
        params.update(settings)
        return lgb.LGBMClassifier(**params)

    def _encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Text columns as categories with the training categories (stable codes)."""
        for column, categories in self.categories_.items():
            values = frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype) and list(
                values.cat.categories
            ) == list(categories):
                continue
            # values outside the training categories (unseen, or missing) become missing
            values = values.astype(object)
            known = values.isin(categories)
            frame[column] = pd.Categorical(values.where(known, None), categories=categories)
        return frame

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> ReferenceLightGBM:
        """Tune (optionally) and fit on features ``X`` and class labels ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features; NaN marks a missing value; pandas categories are used natively.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows.

        Returns
        -------
        ReferenceLightGBM
            The fitted estimator.
        """
        frame, y_array = self._validate_fit(X, y)
        self.categories_: dict[str, list[Any]] = {}
        for column in self.categorical_:
            values = frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                self.categories_[column] = list(values.cat.categories)
            else:
                self.categories_[column] = sorted({str(v) for v in values.dropna()})
                frame[column] = values.map(lambda v: v if pd.isna(v) else str(v))
        frame = self._encode(frame)
        weights = self._check_weights(sample_weight, len(frame))
        self.tuning_results_: list[dict[str, Any]] = []
        settings: dict[str, Any] = {}
        _, counts = np.unique(y_array, return_counts=True)
        if self.tune and len(frame) >= self.min_rows_to_tune and counts.min() >= 20:
            settings = self._tune(frame, y_array, weights)
        self.model_ = self._lightgbm(**settings)
        self.model_.fit(frame, y_array, sample_weight=weights)
        self.best_params_ = {
            key: self.model_.get_params()[key]
            for key in ("n_estimators", "learning_rate", "num_leaves", "min_child_samples")
        }
        return self

    def _tune(
        self, frame: pd.DataFrame, y: np.ndarray, weights: np.ndarray | None
    ) -> dict[str, Any]:
        import lightgbm as lgb

        rows = np.arange(len(frame))
        inner, held = train_test_split(
            rows,
            test_size=self.validation_fraction,
            random_state=self.random_state,
            stratify=y,
        )
        grid = list(DEFAULT_LIGHTGBM_GRID if self.param_grid is None else self.param_grid)
        held_X, held_y = frame.iloc[held], y[held]
        # LightGBM 4.7 renamed eval_set to eval_X/eval_y (and deprecated the old name)
        evaluation: dict[str, Any] = (
            {"eval_X": held_X, "eval_y": held_y}
            if "eval_X" in inspect.signature(lgb.LGBMClassifier.fit).parameters
            else {"eval_set": [(held_X, held_y)]}
        )
        best: tuple[float, dict[str, Any]] | None = None
        for point in grid:
            model = self._lightgbm(**{**point, "n_estimators": self.max_estimators})
            model.fit(
                frame.iloc[inner],
                y[inner],
                sample_weight=None if weights is None else weights[inner],
                **evaluation,
                eval_sample_weight=None if weights is None else [weights[held]],
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            scores = next(iter(model.evals_result_["valid_0"].values()))
            trees = int(np.argmin(scores)) + 1
            loss = float(np.min(scores))
            self.tuning_results_.append({**point, "n_estimators": trees, "valid_logloss": loss})
            if best is None or loss < best[0]:
                best = (loss, {**point, "n_estimators": trees})
        assert best is not None
        return best[1]

    def _prepared(self, X: Any) -> pd.DataFrame:
        frame = self._validate_predict(X)
        return self._encode(frame)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, shape (n_samples, n_classes)."""
        frame = self._prepared(X)
        out: np.ndarray = self.model_.predict_proba(frame)
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Most likely class of each row."""
        proba = self.predict_proba(X)
        out: np.ndarray = self.classes_[np.argmax(proba, axis=1)]
        return out

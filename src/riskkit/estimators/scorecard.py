"""The points scorecard: integer points per feature bin, derived from the additive model.

The additive boosted model's log-odds are ``intercept + sum_f shape_f(x_f)`` where each
``shape_f`` is a step function (see :mod:`riskkit.estimators.shape`). The scorecard rounds every
step to whole points on a fixed scale, so a person can be scored by hand: find each factor's row,
add the points, look the total up in a printed table.

Scale
-----
With ``PDO`` points to double the odds, one point is ``ln 2 / PDO`` log-odds. Each entry ``v`` of a
feature's table (each bin, and the value for a missing entry) becomes::

    points = round((v - min_f) * PDO / ln 2)

where ``min_f`` is the feature's smallest entry, so every feature has a 0-point row and all points
are non-negative. The total ``T`` maps to a probability through ``sigmoid(offset + T * ln 2 /
PDO)`` with ``offset = intercept + sum_f min_f``; without the rounding this would be the additive
model's probability exactly, so rounding (at most half a point per feature) is the only loss.
:meth:`PointsScorecard.accuracy_loss` measures it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.estimators.shape import ShapeFunction
from riskkit.metrics import auc, brier

__all__ = ["STATE_FORMAT", "PointsScorecard"]

STATE_FORMAT = "riskkit.points_scorecard/1"
MISSING_BIN = "(missing)"
_LN2 = math.log(2.0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def _bin_index(shape: ShapeFunction, column: pd.Series) -> np.ndarray:
    """Row of each value in the feature's table: the bins in order, then the missing row.

    Mirrors :meth:`ShapeFunction.lookup`, returning positions instead of values.
    """
    missing = len(shape.values)
    if shape.kind == "categorical":
        codes = _category_codes(shape, column)
        out: np.ndarray = np.where(codes >= 0, codes, missing)
        return out
    x = column.to_numpy(dtype="float64", na_value=np.nan)
    index = np.searchsorted(np.asarray(shape.edges, dtype="float64"), x, side="left")
    result: np.ndarray = np.where(np.isnan(x), missing, index)
    return result


def _category_codes(shape: ShapeFunction, column: pd.Series) -> npt.NDArray[np.int64]:
    """Position of each value among the shape's categories; -1 for missing or unknown values.

    Unknown values are matched by name rather than passed to ``pd.Categorical`` with fixed
    categories, which pandas deprecates for values outside them.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) and tuple(dtype.categories) == shape.categories:
        return np.asarray(column.cat.codes, dtype=np.int64)
    values = pd.Index(np.asarray(column.astype(object), dtype=object))
    return np.asarray(pd.Index(shape.categories).get_indexer(values), dtype=np.int64)


def _numeric_label(lower: float, upper: float) -> str:
    if math.isinf(lower) and math.isinf(upper):
        return "all values"
    if math.isinf(lower):
        return f"<= {upper:g}"
    if math.isinf(upper):
        return f"> {lower:g}"
    return f"({lower:g}, {upper:g}]"


class PointsScorecard(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Integer points per feature bin, read off an additive boosted model, with a
    points-to-probability table.

    The additive model's parameters are mirrored one by one (rather than passed as one dict) so
    that ``get_params``/``set_params``, ``clone`` and grid searches see and tune them like any
    scikit-learn parameter (``GridSearchCV(card, {"n_estimators": [200, 400]})``), and a pipeline
    TOML's ``[model]`` settings map onto them by name. Pairwise ``interactions`` are not offered:
    a pair's table is two-dimensional and cannot be printed as points per bin.

    Parameters
    ----------
    points_to_double_odds : float
        The fixed scale (PDO): this many more points double the odds. Larger values give finer
        points (less rounding) and larger totals.
    n_estimators, learning_rate, max_leaves_per_tree, min_child_samples, reg_lambda
        Passed to :class:`~riskkit.estimators.additive.AdditiveBoostedClassifier`.
    monotone_constraints, random_state, n_jobs
        Passed to :class:`~riskkit.estimators.additive.AdditiveBoostedClassifier`.

    Attributes
    ----------
    additive_ : AdditiveBoostedClassifier
        The fitted additive model the points come from.
    points_ : dict of str to DataFrame
        Per feature, one row per bin of the additive model and a last row for a missing value
        (or, for a categorical feature, an unknown category): ``bin``, ``lower`` and ``upper``
        (numeric: the bin holds ``lower < x <= upper``), ``category`` (categorical), ``log_odds``
        (the additive model's value) and ``points`` (non-negative integers, smallest 0).
    offset_ : float
        Log-odds of a person with 0 points in total.
    log_odds_per_point_ : float
        ``ln 2 / points_to_double_odds`` at fitting time.
    probability_table_ : DataFrame
        ``total_points`` (every integer from 0 to the largest achievable total) and
        ``probability``: the logistic of the total's log-odds, or its calibrated value after
        :meth:`calibrate_table`.
    calibration_ : str or None
        The calibration applied to the table, if any.
    classes_ : ndarray of shape (2,)
        Class labels; the second is the outcome the probability is about.
    feature_names_in_ : ndarray of str
        Feature names (``x0, x1, ...`` when fitted on an array).
    n_features_in_ : int
        Number of features.

    Examples
    --------
    >>> card = PointsScorecard(points_to_double_odds=20).fit(X, y)  # doctest: +SKIP
    >>> card.total_points(X[:3])  # doctest: +SKIP
    array([41, 17, 63])
    """

    def __init__(
        self,
        *,
        points_to_double_odds: float = 20.0,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        max_leaves_per_tree: int = 4,
        min_child_samples: int = 50,
        reg_lambda: float = 1.0,
        monotone_constraints: Mapping[str, int] | None = None,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.points_to_double_odds = points_to_double_odds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_leaves_per_tree = max_leaves_per_tree
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.monotone_constraints = monotone_constraints
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- input handling -------------------------------------------------------------------
    def _check_scale(self) -> float:
        pdo = self.points_to_double_odds
        if isinstance(pdo, bool) or not isinstance(pdo, int | float) or not 0 < pdo < math.inf:
            raise ValueError(
                f"points_to_double_odds must be a positive number of points (e.g. 20); got {pdo!r}"
            )
        return float(pdo)

    @staticmethod
    def _typed_frame(frame: pd.DataFrame) -> pd.DataFrame:
        """Numbers as float64 (nullable integers' NA as NaN), categories as they are."""
        columns: dict[str, Any] = {}
        for name in frame.columns:
            column = frame[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                columns[name] = column
            elif pd.api.types.is_numeric_dtype(column.dtype):
                columns[name] = pd.Series(
                    column.to_numpy(dtype="float64", na_value=np.nan), index=frame.index
                )
            else:
                raise RiskkitError(
                    f"feature {name!r} has dtype {column.dtype}; the scorecard takes numbers or "
                    "pandas categories (validate records against the pipeline's schema first)"
                )
        return pd.DataFrame(columns, index=frame.index)

    def _fit_frame(self, X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            if X.shape[0] < 1 or X.shape[1] < 1:
                raise ValueError(
                    f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) while "
                    "a minimum of 1 of each is required by PointsScorecard."
                )
            frame = X.copy()
            frame.columns = [str(c) for c in frame.columns]
            return self._typed_frame(frame)
        array = check_array(
            X, dtype="float64", ensure_all_finite="allow-nan", estimator=self, input_name="X"
        )
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

    def _frame(self, X: Any) -> pd.DataFrame:
        """The model's features of ``X``, in the model's order."""
        names = [str(n) for n in self.feature_names_in_]
        if isinstance(X, pd.DataFrame):
            frame = X.copy()
            frame.columns = [str(c) for c in frame.columns]
            missing = [n for n in names if n not in frame.columns]
            if missing:
                raise RiskkitError(
                    f"the records lack the scorecard's feature(s) {missing}; it was built on "
                    f"{names}"
                )
            shapes = self._shapes()
            columns: dict[str, pd.Series] = {}
            for name in names:
                shape, column = shapes[name], frame[name]
                if shape.kind == "categorical":
                    # the model's categories, unknown values as missing (as the model treats them)
                    columns[name] = pd.Series(
                        pd.Categorical.from_codes(
                            _category_codes(shape, column), categories=pd.Index(shape.categories)
                        ),
                        index=frame.index,
                    )
                elif pd.api.types.is_numeric_dtype(column.dtype):
                    columns[name] = column
                else:
                    raise RiskkitError(
                        f"feature {name!r} has dtype {column.dtype}; the scorecard expects "
                        "numbers (validate records against the pipeline's schema first)"
                    )
            return pd.DataFrame(columns, index=frame.index)
        categorical = [n for n, s in self._shapes().items() if s.kind == "categorical"]
        if categorical:
            raise RiskkitError(
                f"the scorecard has categorical feature(s) {categorical}; pass a DataFrame "
                "with those columns as pandas categories, not an array"
            )
        array = check_array(
            X, dtype="float64", ensure_all_finite="allow-nan", estimator=self, input_name="X"
        )
        if array.shape[1] != len(names):
            raise ValueError(
                f"X has {array.shape[1]} features, but PointsScorecard is expecting "
                f"{len(names)} features as input"
            )
        return pd.DataFrame(array, columns=names)

    def _shapes(self) -> dict[str, ShapeFunction]:
        shapes = self.additive_.shape_functions_
        if shapes is None:  # only reachable if someone swapped additive_ after fitting
            raise RiskkitError("the scorecard's additive model has no shape functions")
        return shapes

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> PointsScorecard:
        """Fit the additive boosted model and round its shape functions to points.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features: numbers (float, missing as NaN) or pandas categories.
        y : array-like of shape (n_samples,)
            Binary labels; the larger one (``classes_[1]``) is the outcome.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight per person, passed to LightGBM.

        Returns
        -------
        PointsScorecard
            ``self``, fitted.
        """
        self._check_scale()
        if y is None:
            raise ValueError(
                "PointsScorecard requires y to be passed, but the target y is None; pass the "
                "binary outcome of each row of X"
            )
        frame = self._fit_frame(X)
        # missing or infinite labels are refused here, before type_of_target casts them
        y_array = check_array(
            column_or_1d(y, warn=True), ensure_2d=False, dtype=None, input_name="y"
        )
        check_consistent_length(frame, y_array)
        check_classification_targets(y_array)
        target_type = type_of_target(y_array, input_name="y")
        if target_type != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target is "
                f"{target_type}; the scorecard predicts one yes/no outcome"
            )
        classes = np.unique(y_array)
        if classes.size != 2:
            raise ValueError(
                f"PointsScorecard needs both outcomes in y; found 1 class only: {classes.tolist()}"
            )
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, frame, ensure_non_negative=True)
        additive = AdditiveBoostedClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_leaves_per_tree=self.max_leaves_per_tree,
            min_child_samples=self.min_child_samples,
            reg_lambda=self.reg_lambda,
            monotone_constraints=self.monotone_constraints,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        ).fit(frame, y_array, sample_weight=weights)
        self._derive(additive)
        return self

    @classmethod
    def from_additive(
        cls, model: AdditiveBoostedClassifier, points_to_double_odds: float = 20.0
    ) -> PointsScorecard:
        """A scorecard from an already-fitted additive model, without refitting it.

        Parameters
        ----------
        model : AdditiveBoostedClassifier
            Fitted, without pairwise interactions. The scorecard keeps a reference to it as
            ``additive_`` (not a copy).
        points_to_double_odds : float
            The scale: points that double the odds.

        Returns
        -------
        PointsScorecard
            Fitted; its parameters are the model's (plus the scale).

        Raises
        ------
        RiskkitError
            When the model has pairwise interactions (no one-dimensional tables to round).
        """
        if not isinstance(model, AdditiveBoostedClassifier):
            raise TypeError(
                f"from_additive takes a fitted AdditiveBoostedClassifier; got "
                f"{type(model).__name__}"
            )
        check_is_fitted(model, "booster_")
        params = {k: v for k, v in model.get_params().items() if k != "interactions"}
        card = cls(points_to_double_odds=points_to_double_odds, **params)
        card._check_scale()
        card._derive(model)
        return card

    def _derive(self, additive: AdditiveBoostedClassifier) -> None:
        if additive.shape_functions_ is None or additive.intercept_ is None:
            raise RiskkitError(
                "a model with pairwise interactions has no one-dimensional shape functions to "
                "round to points; fit the additive model without features.interactions"
            )
        per_point = _LN2 / self._check_scale()
        points: dict[str, np.ndarray] = {}
        offset = additive.intercept_
        for name, shape in additive.shape_functions_.items():
            values = np.asarray([*shape.values, shape.missing_value], dtype="float64")
            lowest = float(values.min())
            offset += lowest
            points[name] = np.rint((values - lowest) / per_point).astype(np.int64)
        self._set_fitted(additive, points, offset, per_point)

    def _set_fitted(
        self,
        additive: AdditiveBoostedClassifier,
        points: Mapping[str, np.ndarray],
        offset: float,
        per_point: float,
    ) -> None:
        shapes = additive.shape_functions_
        assert shapes is not None
        self.additive_ = additive
        self.classes_ = np.asarray(additive.classes_)
        self.feature_names_in_ = np.asarray(additive.feature_names_in_, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.offset_ = float(offset)
        self.log_odds_per_point_ = float(per_point)
        self.points_ = {name: self._feature_table(shapes[name], points[name]) for name in shapes}
        largest = int(sum(int(p.max()) for p in points.values()))
        totals = np.arange(largest + 1, dtype=np.int64)
        self.probability_table_ = pd.DataFrame(
            {
                "total_points": totals,
                "probability": _sigmoid(self.offset_ + totals * self.log_odds_per_point_),
            }
        )
        self.calibration_: str | None = None

    @staticmethod
    def _feature_table(shape: ShapeFunction, points: np.ndarray) -> pd.DataFrame:
        if len(points) != len(shape.values) + 1:
            raise RiskkitError(
                f"feature {shape.feature!r} has {len(shape.values) + 1} rows (bins and missing) "
                f"but {len(points)} points; the scorecard state is inconsistent"
            )
        table = shape.to_frame().drop(columns="feature").rename(columns={"value": "log_odds"})
        categories: list[str | None] = (
            [*shape.categories, None] if shape.kind == "categorical" else [None] * len(table)
        )
        table.insert(3, "category", pd.Series(categories, dtype=object))
        table["points"] = np.asarray(points, dtype=np.int64)
        return table

    # -- scoring --------------------------------------------------------------------------
    def points(self, X: Any) -> pd.DataFrame:
        """Each person's points per feature.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Records with the scorecard's features (a DataFrame may hold other columns too).

        Returns
        -------
        DataFrame
            One int64 column per feature, in the scorecard's order; the index of ``X`` when it
            is a DataFrame.
        """
        check_is_fitted(self, "points_")
        frame = self._frame(X)
        shapes = self._shapes()
        columns = {
            name: self.points_[name]["points"].to_numpy()[_bin_index(shapes[name], frame[name])]
            for name in self.points_
        }
        return pd.DataFrame(columns, index=frame.index, columns=list(self.points_))

    def total_points(self, X: Any) -> np.ndarray:
        """Each person's total points (the sum of :meth:`points`), as int64."""
        check_is_fitted(self, "points_")
        out: np.ndarray = self.points(X).to_numpy().sum(axis=1, dtype=np.int64)
        return out

    def calibrate_table(
        self, calibrator: Callable[[np.ndarray], np.ndarray], method: str
    ) -> PointsScorecard:
        """Map the points-to-probability table through a fitted calibration (in place).

        A scorecard derived from a calibrated model (``riskkit train`` calibrates the additive
        model) must print the calibrated probabilities, or the card and the model would give
        the same person different probabilities. The points do not change: only the
        probability printed for each total.

        Parameters
        ----------
        calibrator : callable
            Maps log-odds to probabilities, non-decreasing (e.g. ``Calibrator`` of
            :class:`~riskkit.estimators.calibration.CalibratedAdditiveClassifier`).
        method : str
            Name of the calibration, kept in ``calibration_`` and the state.

        Returns
        -------
        PointsScorecard
            ``self``.
        """
        check_is_fitted(self, "points_")
        totals = self.probability_table_["total_points"].to_numpy()
        probabilities = np.asarray(
            calibrator(self.offset_ + totals * self.log_odds_per_point_), dtype=np.float64
        )
        if probabilities.shape != totals.shape or np.any(np.diff(probabilities) < -1e-12):
            raise RiskkitError(
                "the calibration must map every total of points to one probability and never "
                "decrease as points increase; pass the calibrated model's own calibrator"
            )
        self.probability_table_ = self.probability_table_.assign(probability=probabilities)
        self.calibration_ = method
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of the outcome: ``offset_ + total points * log_odds_per_point_``."""
        check_is_fitted(self, "points_")
        out: np.ndarray = self.offset_ + self.total_points(X) * self.log_odds_per_point_
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of each class, shape (n, 2), read from ``probability_table_`` at each
        person's total points."""
        check_is_fitted(self, "points_")
        table = self.probability_table_["probability"].to_numpy()
        p = table[self.total_points(X)]
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """The outcome class where the log-odds are positive, the other class elsewhere."""
        check_is_fitted(self, "points_")
        positive = (self.decision_function(X) > 0).astype(np.intp)
        out: np.ndarray = self.classes_[positive]
        return out

    def points_table(self, *, merge_equal: bool = True) -> pd.DataFrame:
        """Every feature's points as one table, ready to print or export as CSV.

        Parameters
        ----------
        merge_equal : bool
            Merge neighbouring numeric bins that carry the same points (lossless for scoring:
            a person gets the same points either way), so the printed card is shorter.

        Returns
        -------
        DataFrame
            ``feature``, ``bin``, ``lower``, ``upper``, ``category``, ``missing`` (the row for a
            missing value or unknown category) and ``points``.
        """
        check_is_fitted(self, "points_")
        shapes = self._shapes()
        frames = []
        for name, table in self.points_.items():
            rows = table.assign(missing=[False] * (len(table) - 1) + [True])
            if merge_equal and shapes[name].kind == "numeric":
                rows = self._merge_bins(rows)
            frames.append(rows.drop(columns="log_odds").assign(feature=name))
        out = pd.concat(frames, ignore_index=True)
        return out[["feature", "bin", "lower", "upper", "category", "missing", "points"]]

    @staticmethod
    def _merge_bins(table: pd.DataFrame) -> pd.DataFrame:
        bins, missing = table.iloc[:-1], table.iloc[[-1]]
        group = (bins["points"].diff().fillna(0) != 0).cumsum()
        merged = bins.groupby(group, sort=False).agg(
            lower=("lower", "first"),
            upper=("upper", "last"),
            points=("points", "first"),
        )
        merged["bin"] = [
            _numeric_label(lo, up) for lo, up in zip(merged["lower"], merged["upper"], strict=True)
        ]
        merged["category"] = pd.Series([None] * len(merged), dtype=object, index=merged.index)
        merged["log_odds"] = np.nan
        merged["missing"] = False
        return pd.concat([merged[list(table.columns)], missing], ignore_index=True)

    # -- accuracy -------------------------------------------------------------------------
    def accuracy_loss(self, X: Any, y: Any) -> dict[str, float]:
        """What rounding to points costs, measured against the additive model on ``(X, y)``.

        Parameters
        ----------
        X : DataFrame or array-like
            Records (ideally held out from fitting).
        y : array-like
            Observed labels, from ``classes_``.

        Returns
        -------
        dict of str to float
            ``auc_scorecard``, ``auc_additive``, ``auc_loss`` (additive minus scorecard),
            ``brier_scorecard``, ``brier_additive``, ``brier_loss`` (scorecard minus additive),
            so a positive loss means the scorecard is worse; and
            ``max_abs_log_odds_difference`` and ``mean_abs_probability_difference`` between the
            two models' predictions.
        """
        check_is_fitted(self, "points_")
        frame = self._frame(X)
        y_array = column_or_1d(y)
        check_consistent_length(frame, y_array)
        unknown = ~np.isin(y_array, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y holds labels {np.unique(y_array[unknown])[:10].tolist()} that are not the "
                f"scorecard's classes {self.classes_.tolist()}"
            )
        outcome = (y_array == self.classes_[1]).astype(np.int64)
        logit_card = self.decision_function(frame)
        logit_additive = self.additive_.decision_function(frame)
        p_card = self.predict_proba(frame)[:, 1]
        p_additive = _sigmoid(logit_additive)
        auc_card, auc_additive = auc(outcome, p_card), auc(outcome, p_additive)
        brier_card, brier_additive = brier(outcome, p_card), brier(outcome, p_additive)
        return {
            "auc_scorecard": auc_card,
            "auc_additive": auc_additive,
            "auc_loss": auc_additive - auc_card,
            "brier_scorecard": brier_card,
            "brier_additive": brier_additive,
            "brier_loss": brier_card - brier_additive,
            "max_abs_log_odds_difference": float(np.abs(logit_card - logit_additive).max()),
            "mean_abs_probability_difference": float(np.abs(p_card - p_additive).mean()),
        }

    # -- persistence without pickle ------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The fitted scorecard as JSON-serialisable data.

        The points are stored as they are (not recomputed on loading), so a printed card and
        a reloaded scorecard always agree; the additive model travels with them (its state and
        LightGBM's text model) so accuracy can still be compared.

        Returns
        -------
        dict
            ``format``, ``params``, ``classes``, ``feature_names``, ``offset``,
            ``log_odds_per_point``, ``points`` (feature -> points per bin, missing last),
            ``additive`` (``state`` and ``booster``), ``calibration`` (``None`` or the method
            of :meth:`calibrate_table`) and ``probabilities`` (the printed table).
        """
        check_is_fitted(self, "points_")
        additive_state, booster_text = self.additive_.get_state()
        params = self.get_params()
        if params["monotone_constraints"] is not None:
            params["monotone_constraints"] = {
                str(k): int(v) for k, v in params["monotone_constraints"].items()
            }
        return {
            "format": STATE_FORMAT,
            "params": params,
            "classes": self.classes_.tolist(),
            "feature_names": [str(n) for n in self.feature_names_in_],
            "offset": self.offset_,
            "log_odds_per_point": self.log_odds_per_point_,
            "points": {name: table["points"].tolist() for name, table in self.points_.items()},
            "additive": {"state": additive_state, "booster": booster_text},
            "calibration": self.calibration_,
            "probabilities": self.probability_table_["probability"].tolist(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> PointsScorecard:
        """Rebuild a fitted scorecard from :meth:`get_state`'s output.

        Raises
        ------
        RiskkitError
            For an unknown format or points that do not fit the model's bins.
        """
        if state.get("format") != STATE_FORMAT:
            raise RiskkitError(
                f"unknown scorecard format {state.get('format')!r}; this riskkit reads "
                f"{STATE_FORMAT!r} (upgrade riskkit to read newer scorecards)"
            )
        additive = AdditiveBoostedClassifier.from_state(
            state["additive"]["state"], state["additive"]["booster"]
        )
        if additive.shape_functions_ is None:
            raise RiskkitError("the scorecard's additive model has no shape functions")
        card = cls(**state["params"])
        points = {
            name: np.asarray(values, dtype=np.int64) for name, values in state["points"].items()
        }
        if set(points) != set(additive.shape_functions_):
            raise RiskkitError(
                f"the scorecard state has points for {sorted(points)} but its model has "
                f"features {sorted(additive.shape_functions_)}"
            )
        card._set_fitted(
            additive, points, float(state["offset"]), float(state["log_odds_per_point"])
        )
        if state.get("calibration") is not None:
            stored = np.asarray(state["probabilities"], dtype=np.float64)
            if stored.shape != (len(card.probability_table_),):
                raise RiskkitError(
                    f"the scorecard state has {stored.size} probabilities for "
                    f"{len(card.probability_table_)} totals of points; the state is inconsistent"
                )
            card.probability_table_ = card.probability_table_.assign(probability=stored)
            card.calibration_ = str(state["calibration"])
        return card

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

"""Bootstrap uncertainty intervals for each person's probability.

The additive model is refitted ``n_bootstrap`` times, each time on a bootstrap resample of the
training records (the same size as the sample, drawn with replacement, passed to LightGBM as
integer sample weights). Each refit is kept only as its lookup tables: one compiled
:class:`~riskkit.estimators.shape.ShapeFunction` per feature and an intercept, no LightGBM
booster. A person's interval is the spread of their probability across the refits: the
``(1 - level) / 2`` and ``1 - (1 - level) / 2`` percentiles.

The interval measures **estimation uncertainty**: how much this person's estimated probability
would move had the model been trained on another sample of the same population. It does not
say whether the person will be re-arrested (a probability of 0.3 leaves the outcome uncertain
however well it is estimated), it does not cover changes in the population after training, and
it does not correct bias in the recorded outcome. The calibration map applied to each refit is
the main model's, held fixed. See ``docs/uncertainty.md``.

This module imports only numpy and pandas; scikit-learn and LightGBM are imported by
:meth:`BootstrapIntervals.fit` and the checks that need them, so scoring can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from riskkit.errors import RiskkitError
from riskkit.estimators.shape import ShapeFunction

if TYPE_CHECKING:
    from riskkit.estimators.additive import AdditiveBoostedClassifier

STATE_FORMAT = "riskkit.bootstrap_intervals/1"
"""Format tag of :meth:`BootstrapIntervals.get_state`."""

Calibration = Callable[[np.ndarray], np.ndarray]
"""A non-decreasing map from log-odds to probability (e.g. a model's ``calibrator_``)."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


@dataclass(frozen=True)
class _MergedTable:
    """One feature's tables from every refit, on the bins common to all of them.

    ``index`` is a shape function over the union of the refits' bins whose value is the row of
    ``values`` a person falls in (its last row is the missing value), so the lookup semantics
    are exactly :meth:`ShapeFunction.lookup`'s. ``values`` has one column per refit.
    """

    feature: str
    index: ShapeFunction
    values: np.ndarray


def _merge(feature: str, shapes: list[ShapeFunction]) -> _MergedTable:
    """Put one feature's shape functions from every refit onto their common bins."""
    kinds = {s.kind for s in shapes}
    if len(kinds) != 1:
        raise RiskkitError(
            f"feature {feature!r} is numeric in some bootstrap refits and categorical in "
            "others; the refits must be fitted on the same columns (refit the intervals)"
        )
    if shapes[0].kind == "categorical":
        categories = shapes[0].categories
        if any(s.categories != categories for s in shapes):
            raise RiskkitError(
                f"the bootstrap refits disagree on the categories of {feature!r}; they must "
                "be fitted on the same columns with the same categories (refit the intervals)"
            )
        bins = len(categories)
        index = ShapeFunction(
            feature=feature,
            kind="categorical",
            edges=(),
            categories=categories,
            values=tuple(float(i) for i in range(bins)),
            missing_value=float(bins),
        )
        values = np.empty((bins + 1, len(shapes)), dtype="float64")
        for b, shape in enumerate(shapes):
            values[:bins, b] = shape.values
            values[bins, b] = shape.missing_value
        return _MergedTable(feature, index, values)
    edges = tuple(sorted({e for s in shapes for e in s.edges}))
    bins = len(edges) + 1
    index = ShapeFunction(
        feature=feature,
        kind="numeric",
        edges=edges,
        categories=(),
        values=tuple(float(i) for i in range(bins)),
        missing_value=float(bins),
    )
    # As in compile_shape_functions: each edge represents the bin it closes (x <= edge), the
    # next float up the open bin above the last edge. Every refit's edges are among ``edges``,
    # so each common bin lies inside one bin of every refit.
    representatives = np.array(
        [*edges, float(np.nextafter(edges[-1], np.inf)) if edges else 0.0], dtype="float64"
    )
    values = np.empty((bins + 1, len(shapes)), dtype="float64")
    for b, shape in enumerate(shapes):
        values[:bins, b] = shape.lookup(representatives)
        values[bins, b] = shape.missing_value
    return _MergedTable(feature, index, values)


def _rows(table: _MergedTable, column: pd.Series) -> np.ndarray:
    """The row of ``table.values`` each value of ``column`` falls in.

    Binning is :meth:`ShapeFunction.lookup`'s own (``table.index`` returns row numbers). The
    one shortcut is for a categorical column with exactly the table's categories, where a
    category's code is its row, as in ``lookup``'s own fast path; it saves ~0.1 ms per
    categorical feature when scoring one person.
    """
    index = table.index
    array = column.array
    if (
        index.kind == "categorical"
        and isinstance(array, pd.Categorical)
        and tuple(array.categories) == index.categories
    ):
        codes = np.asarray(array.codes, dtype=np.intp)
        out: np.ndarray = np.where(codes >= 0, codes, len(index.categories))
        return out
    return index.lookup(column).astype(np.intp)


def _as_additive(estimator: object) -> AdditiveBoostedClassifier:
    """``estimator`` if it is an additive boosted model, else a RiskkitError naming the fix."""
    from riskkit.estimators.additive import AdditiveBoostedClassifier

    if not isinstance(estimator, AdditiveBoostedClassifier):
        hint = (
            " (for a calibrated model pass its inner additive model, e.g. "
            "build_estimator(config, tuned_settings); the calibration map is applied at "
            "interval time)"
            if hasattr(estimator, "calibrator_") or hasattr(estimator, "estimator")
            else ""
        )
        raise RiskkitError(
            "BootstrapIntervals.fit needs an AdditiveBoostedClassifier, got "
            f"{type(estimator).__name__}{hint}"
        )
    return estimator


class BootstrapIntervals:
    """Percentile-bootstrap intervals for the probability an additive model gives each person.

    Parameters
    ----------
    n_bootstrap : int, default 30
        Number of refits (at least 2). Fitting costs ``n_bootstrap`` times one fit of the
        additive model; 30 gives stable 90% limits for reporting, 100+ for research use.
    level : float, default 0.9
        Coverage the interval aims at, strictly between 0 and 1. Read when intervals are
        computed, so it can be changed after fitting without refitting.
    random_state : int, default 0
        Seed of the resamples; the same data, estimator and seed give identical intervals.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
        The features the refits were trained on, in order.
    n_features_in_ : int
        Number of features.
    n_train_ : int
        Number of training records the resamples were drawn from.
    intercepts_ : ndarray of shape (n_bootstrap,)
        Each refit's intercept (expected log-odds).
    shape_functions_ : list of dict
        Each refit's lookup tables, feature name -> :class:`ShapeFunction`.
    estimator_params_ : dict
        The additive model's parameters the refits used (for provenance; JSON-serialisable).

    Examples
    --------
    >>> intervals = BootstrapIntervals(n_bootstrap=30, level=0.9)  # doctest: +SKIP
    >>> intervals.fit(build_estimator(config), X_train, y_train)  # doctest: +SKIP
    >>> low, high = intervals.interval(X, calibrator=model.calibrator_)  # doctest: +SKIP
    """

    def __init__(self, n_bootstrap: int = 30, level: float = 0.9, random_state: int = 0) -> None:
        self.n_bootstrap = n_bootstrap
        self.level = level
        self.random_state = random_state

    def __repr__(self) -> str:
        return (
            f"BootstrapIntervals(n_bootstrap={self.n_bootstrap!r}, level={self.level!r}, "
            f"random_state={self.random_state!r})"
        )

    # -- checks -------------------------------------------------------------------------
    def _check_n_bootstrap(self) -> int:
        n = self.n_bootstrap
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
            raise RiskkitError(
                f"n_bootstrap must be an integer of at least 2, got {n!r}; percentiles need "
                "several refits: use 30 (the default) or more"
            )
        return int(n)

    @staticmethod
    def _check_level(level: Any) -> float:
        if (
            isinstance(level, bool)
            or not isinstance(level, int | float | np.integer | np.floating)
            or not 0.0 < float(level) < 1.0
        ):
            raise RiskkitError(
                f"level must be a number strictly between 0 and 1, got {level!r}; "
                "use e.g. 0.9 for a 90% interval"
            )
        return float(level)

    def __sklearn_tags__(self) -> Any:
        # Not a BaseEstimator (that would import scikit-learn with this module); these tags
        # are what sklearn's check_is_fitted reads.
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=True))

    def _check_fitted(self) -> None:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "intercepts_")

    # -- fitting ------------------------------------------------------------------------
    def fit(self, estimator: AdditiveBoostedClassifier, X: Any, y: Any) -> BootstrapIntervals:
        """Refit ``estimator`` on ``n_bootstrap`` bootstrap resamples of ``(X, y)``.

        Parameters
        ----------
        estimator : AdditiveBoostedClassifier
            The additive model to refit, with the main model's settings (as
            :func:`riskkit.training.pipeline.build_estimator` returns it, tuned settings
            included). It is cloned, never fitted in place; a fitted one is cloned too.
        X : DataFrame
            The training features the main model was fitted on.
        y : array-like
            The binary outcome.

        Returns
        -------
        BootstrapIntervals
            ``self``, fitted.

        Raises
        ------
        RiskkitError
            For invalid ``n_bootstrap`` or ``level``, an estimator that is not an
            :class:`AdditiveBoostedClassifier`, or one with pairwise interactions (which has no
            one-dimensional lookup tables).
        """
        from sklearn.base import clone

        n_bootstrap = self._check_n_bootstrap()
        self._check_level(self.level)
        estimator = _as_additive(estimator)
        if estimator.interactions:
            raise RiskkitError(
                f"the estimator has pairwise interactions {list(estimator.interactions)}; "
                "bootstrap intervals score from one-dimensional lookup tables, which such a "
                "model lacks: remove features.interactions from the pipeline to get intervals"
            )
        n_rows = len(X)
        if n_rows < 2:
            raise RiskkitError(
                f"bootstrap intervals need at least 2 training records, got {n_rows}"
            )
        rng = np.random.default_rng(self.random_state)
        intercepts: list[float] = []
        refits: list[dict[str, ShapeFunction]] = []
        names: list[str] | None = None
        for _ in range(n_bootstrap):
            # A bootstrap resample (n draws with replacement) as integer weights: how many
            # times each record was drawn.
            weights = np.bincount(rng.integers(0, n_rows, n_rows), minlength=n_rows)
            model = clone(estimator).fit(X, y, sample_weight=weights.astype("float64"))
            if model.shape_functions_ is None or model.intercept_ is None:
                raise RiskkitError(
                    "a bootstrap refit has no lookup tables (a model with pairwise "
                    "interactions); remove features.interactions to get intervals"
                )
            names = [str(n) for n in model.feature_names_in_]
            intercepts.append(float(model.intercept_))
            refits.append(dict(model.shape_functions_))
        assert names is not None  # n_bootstrap >= 2
        params = dict(estimator.get_params())
        params["interactions"] = [list(p) for p in params.get("interactions", ())]
        if params.get("monotone_constraints") is not None:
            params["monotone_constraints"] = {
                str(k): int(v) for k, v in dict(params["monotone_constraints"]).items()
            }
        self._set_fitted(names, intercepts, refits, n_rows, params)
        return self

    def _set_fitted(
        self,
        names: list[str],
        intercepts: list[float],
        refits: list[dict[str, ShapeFunction]],
        n_train: int,
        estimator_params: dict[str, Any],
    ) -> None:
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.n_train_ = int(n_train)
        self.shape_functions_ = refits
        self.estimator_params_ = estimator_params
        self._tables = [_merge(name, [refit[name] for refit in refits]) for name in names]
        self.intercepts_ = np.asarray(intercepts, dtype="float64")

    # -- scoring ------------------------------------------------------------------------
    def _frame(self, X: Any) -> pd.DataFrame:
        names = [str(n) for n in self.feature_names_in_]
        if not isinstance(X, pd.DataFrame):
            array = np.asarray(X)
            if array.ndim != 2 or array.shape[1] != len(names):
                raise RiskkitError(
                    f"X must be a DataFrame with the features {names}, or a 2-D array with "
                    f"{len(names)} columns in that order; got an array of shape {array.shape}"
                )
            return pd.DataFrame(array, columns=names)
        columns = {str(c) for c in X.columns}
        missing = [n for n in names if n not in columns]
        if missing:
            raise RiskkitError(
                f"the records lack the feature(s) {missing} the bootstrap refits were trained "
                f"on; they were trained on {names}"
            )
        return X

    def logit_draws(self, X: Any) -> np.ndarray:
        """Each refit's log-odds for each person.

        Parameters
        ----------
        X : DataFrame
            Records with the training features (extra columns are ignored).

        Returns
        -------
        ndarray of shape (n, n_bootstrap)
            Column ``b`` is refit ``b``'s additive log-odds (before calibration).
        """
        self._check_fitted()
        frame = self._frame(X)
        out = np.empty((len(frame), len(self.intercepts_)), dtype="float64")
        out[:] = self.intercepts_
        for table in self._tables:
            column = frame[table.feature]
            if table.index.kind == "numeric" and not (
                pd.api.types.is_numeric_dtype(column.dtype) or column.dtype == object
            ):
                raise RiskkitError(
                    f"feature {table.feature!r} has dtype {column.dtype}; it is numeric in "
                    "the model (validate records against the pipeline's schema first)"
                )
            try:
                rows = _rows(table, column)
            except (TypeError, ValueError) as error:
                raise RiskkitError(
                    f"feature {table.feature!r} must hold numbers: {error} (validate records "
                    "against the pipeline's schema first)"
                ) from error
            out += table.values[rows]
        return out

    def probability_draws(self, X: Any, calibrator: Calibration | None = None) -> np.ndarray:
        """Each refit's probability for each person, shape (n, n_bootstrap).

        ``calibrator`` (the main model's ``calibrator_``) maps every refit's log-odds to a
        probability; ``None`` means the plain sigmoid (an uncalibrated main model).
        """
        logit = self.logit_draws(X)
        if calibrator is None:
            return _sigmoid(logit)
        probability = np.asarray(calibrator(logit.ravel()), dtype="float64")
        return probability.reshape(logit.shape)

    def interval(
        self, X: Any, calibrator: Calibration | None = None, *, level: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits of each person's probability interval.

        Parameters
        ----------
        X : DataFrame
            Records with the training features.
        calibrator : callable, optional
            The main model's ``calibrator_`` (``CalibratedAdditiveClassifier.calibrator_``),
            applied unchanged to every refit's log-odds: the calibration map is held fixed, so
            its own estimation error is not in the interval. ``None``: plain sigmoid, for a
            main model without calibration.
        level : float, optional
            Overrides ``self.level`` for this call.

        Returns
        -------
        low, high : ndarray of shape (n,)
            The ``(1 - level) / 2`` and ``1 - (1 - level) / 2`` percentiles (linear
            interpolation between refits) of the probability across the refits.
        """
        chosen = self._check_level(self.level if level is None else level)
        draws = self.probability_draws(X, calibrator)
        tail = (1.0 - chosen) / 2.0
        low, high = np.quantile(draws, [tail, 1.0 - tail], axis=1)
        return low, high

    # -- persistence without pickle ---------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The fitted intervals as JSON-serialisable state (no LightGBM model, no pickle)."""
        self._check_fitted()
        names = [str(n) for n in self.feature_names_in_]
        return {
            "format": STATE_FORMAT,
            "params": {
                "n_bootstrap": int(self.n_bootstrap),
                "level": float(self.level),
                "random_state": int(self.random_state),
            },
            "feature_names": names,
            "n_train": self.n_train_,
            "estimator_params": self.estimator_params_,
            "refits": [
                {
                    "intercept": float(intercept),
                    "shape_functions": [refit[name].to_dict() for name in names],
                }
                for intercept, refit in zip(self.intercepts_, self.shape_functions_, strict=True)
            ],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> BootstrapIntervals:
        """Rebuild fitted intervals from :meth:`get_state`'s output.

        Raises
        ------
        RiskkitError
            When ``state`` is not in a format this riskkit reads, or is inconsistent.
        """
        found = state.get("format") if isinstance(state, Mapping) else None
        if found != STATE_FORMAT:
            raise RiskkitError(
                f"unknown bootstrap-interval format {found!r}; this riskkit reads "
                f"{STATE_FORMAT!r} (upgrade riskkit to read newer intervals, or refit them)"
            )
        intervals = cls(**state["params"])
        names = [str(n) for n in state["feature_names"]]
        intercepts: list[float] = []
        refits: list[dict[str, ShapeFunction]] = []
        for number, refit in enumerate(state["refits"]):
            shapes = {s["feature"]: ShapeFunction.from_dict(s) for s in refit["shape_functions"]}
            if sorted(shapes) != sorted(names):
                raise RiskkitError(
                    f"bootstrap refit {number} has tables for {sorted(shapes)}, expected "
                    f"{sorted(names)}; the state is damaged: refit the intervals"
                )
            intercepts.append(float(refit["intercept"]))
            refits.append(shapes)
        if len(refits) < 2:
            raise RiskkitError(
                f"the state holds {len(refits)} bootstrap refit(s), at least 2 are needed; "
                "refit the intervals"
            )
        intervals._set_fitted(
            names, intercepts, refits, int(state["n_train"]), dict(state["estimator_params"])
        )
        return intervals

"""Compare an unmitigated decision with two fairlearn mitigations, on held-out data.

:func:`compare_mitigations` fits three decision rules on the training part and measures each on
the test part:

``none``
    The unmitigated decision ``score >= threshold``: the score of the given estimator (fitted on
    the training part), or, without an estimator, an existing score passed as the only column
    of ``X`` (an incumbent instrument's score, audited without a model).
``threshold_optimizer``
    fairlearn's :class:`~fairlearn.postprocessing.ThresholdOptimizer` on top of the same score:
    one threshold per group, randomised between two thresholds for some people, chosen to
    maximise accuracy under the constraint. It needs the sensitive attribute at decision time.
``exponentiated_gradient``
    fairlearn's :class:`~fairlearn.reductions.ExponentiatedGradient`: a randomised mixture of
    models retrained on the training part with reweighted people, maximising accuracy under the
    constraint. The sensitive attribute is used in training only. The retrained model is a clone
    of the estimator when it accepts ``sample_weight`` (also as the last step of a scikit-learn
    pipeline), and otherwise riskkit's
    :class:`~riskkit.estimators.reference.LogisticBaseline`, a logistic regression that takes the
    same inputs; without an estimator, a scikit-learn logistic regression with the score as its
    only feature.

Both mitigations choose their own operating point (the most accurate one that meets the
constraint), whereas ``none`` uses the given threshold: a threshold far from the most accurate
one lowers the accuracy of ``none`` for reasons unrelated to fairness.

The groups are those of the first sensitive attribute. The mitigated decisions are random for
some people; ``seed`` fixes the draw, so the same inputs and seed give the same comparison.

JSON schema (``MitigationComparison.to_dict()``, ``schema_version`` "1")
-----------------------------------------------------------------------
Every number that is undefined (NaN) is written as ``null``.

``schema_version``
    ``"1"``.
``attribute``
    The sensitive attribute whose groups are constrained and compared.
``constraint``
    ``"equalized_odds"``, ``"demographic_parity"`` or ``"equal_opportunity"``.
``threshold``
    The threshold of the unmitigated decision.
``score``
    ``"estimator"`` (the score of the given estimator) or ``"existing_score"`` (the column of
    ``X``).
``estimator``
    Class name of the estimator (``null`` for an existing score).
``seed``, ``n_train``, ``n_test``
    The seed, and the number of people in each part.
``methods``
    One object per method (``none``, ``threshold_optimizer``, ``exponentiated_gradient``, in this
    order): ``{"method", "requires", "accuracy", "selection_rate",
    "equalized_odds_difference", "demographic_parity_difference",
    "equal_opportunity_difference", "groups"}``. ``requires`` lists codes of
    :data:`REQUIREMENT_TEXT` (what the method needs in practice); the three differences are the
    largest minus the smallest group value (of the false positive or true positive rate,
    whichever differs more; of the selection rate; of the true positive rate), over the groups
    with people both with and without the outcome in the test part (``null`` with fewer than two
    such groups). ``groups`` holds ``{"group", "n", "selection_rate", "fpr", "fnr"}`` per group of
    the test part.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import (
    DemographicParity,
    EqualizedOdds,
    ExponentiatedGradient,
    TruePositiveRateParity,
)
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

from riskkit.errors import RiskkitError
from riskkit.estimators.reference import LogisticBaseline
from riskkit.fairness.audit import SensitiveFeatures, _sensitive_frame
from riskkit.metrics import classification as cm

__all__ = [
    "CONSTRAINTS",
    "METHODS",
    "MITIGATION_SCHEMA_VERSION",
    "REQUIREMENTS",
    "REQUIREMENT_TEXT",
    "Constraint",
    "Method",
    "MitigationComparison",
    "MitigationGroup",
    "MitigationResult",
    "compare_mitigations",
]

MITIGATION_SCHEMA_VERSION: Final = "1"

Method = Literal["none", "threshold_optimizer", "exponentiated_gradient"]
Constraint = Literal["equalized_odds", "demographic_parity", "equal_opportunity"]
METHODS: Final[tuple[Method, ...]] = ("none", "threshold_optimizer", "exponentiated_gradient")
CONSTRAINTS: Final[tuple[Constraint, ...]] = (
    "equalized_odds",
    "demographic_parity",
    "equal_opportunity",
)

REQUIREMENTS: Final[Mapping[Method, tuple[str, ...]]] = {
    "none": (),
    "threshold_optimizer": ("sensitive_attribute_at_decision", "randomised_decisions"),
    "exponentiated_gradient": ("retraining_with_sensitive_attribute", "randomised_model_mixture"),
}
"""What each method needs in practice, as stable codes (translated by the report)."""

REQUIREMENT_TEXT: Final[Mapping[str, str]] = {
    "sensitive_attribute_at_decision": (
        "The sensitive attribute must be known when each decision is made: each group gets its "
        "own threshold."
    ),
    "randomised_decisions": (
        "Some decisions are drawn at random: two people with the same score and group can get "
        "different decisions."
    ),
    "retraining_with_sensitive_attribute": (
        "The model must be retrained, using the sensitive attribute during training only (not "
        "when decisions are made)."
    ),
    "randomised_model_mixture": (
        "Decisions come from a randomised mixture of models: each person's decision is drawn "
        "from one of several models."
    ),
}
"""The English sentence of each requirement code, the renderer's default."""

# fairlearn's names of each constraint: ThresholdOptimizer's string and the reductions moment.
_POSTPROCESSING_CONSTRAINT: Final[Mapping[Constraint, str]] = {
    "equalized_odds": "equalized_odds",
    "demographic_parity": "demographic_parity",
    "equal_opportunity": "true_positive_rate_parity",
}
_REDUCTION_MOMENT: Final[Mapping[Constraint, type[Any]]] = {
    "equalized_odds": EqualizedOdds,
    "demographic_parity": DemographicParity,
    "equal_opportunity": TruePositiveRateParity,
}
# Exponentiated gradient: at most this many rounds (each retrains the model a few times), and
# the allowed constraint violation. Enough to converge on a few thousand people in seconds.
_EG_MAX_ITER: Final = 50
_EG_EPS: Final = 0.01

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


# --- the result ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MitigationGroup:
    """One group's rates under one method, on the test part (NaN where undefined)."""

    group: str
    n: int
    selection_rate: float
    fpr: float
    fnr: float

    def to_dict(self) -> dict[str, Any]:
        """``{"group", "n", "selection_rate", "fpr", "fnr"}`` with NaN as ``None``."""
        return {
            "group": self.group,
            "n": self.n,
            "selection_rate": _json_number(self.selection_rate),
            "fpr": _json_number(self.fpr),
            "fnr": _json_number(self.fnr),
        }


@dataclass(frozen=True)
class MitigationResult:
    """One method's decisions measured on the test part."""

    method: Method
    requires: tuple[str, ...]
    accuracy: float
    selection_rate: float
    equalized_odds_difference: float
    demographic_parity_difference: float
    equal_opportunity_difference: float
    groups: tuple[MitigationGroup, ...]

    def to_dict(self) -> dict[str, Any]:
        """The method's JSON object (see the module docstring)."""
        return {
            "method": self.method,
            "requires": list(self.requires),
            "accuracy": _json_number(self.accuracy),
            "selection_rate": _json_number(self.selection_rate),
            "equalized_odds_difference": _json_number(self.equalized_odds_difference),
            "demographic_parity_difference": _json_number(self.demographic_parity_difference),
            "equal_opportunity_difference": _json_number(self.equal_opportunity_difference),
            "groups": [g.to_dict() for g in self.groups],
        }


@dataclass(frozen=True)
class MitigationComparison:
    """The result of :func:`compare_mitigations`; see the module docstring for its JSON form."""

    attribute: str
    constraint: Constraint
    threshold: float
    score: Literal["estimator", "existing_score"]
    estimator: str | None
    seed: int
    n_train: int
    n_test: int
    results: tuple[MitigationResult, ...]

    def result(self, method: Method) -> MitigationResult:
        """The result of one method.

        Parameters
        ----------
        method : {"none", "threshold_optimizer", "exponentiated_gradient"}

        Returns
        -------
        MitigationResult

        Raises
        ------
        RiskkitError
            If the method is not in the comparison.
        """
        for result in self.results:
            if result.method == method:
                return result
        raise RiskkitError(
            f"no method {method!r} in this comparison; the methods are "
            f"{[r.method for r in self.results]}."
        )

    def to_dict(self) -> dict[str, Any]:
        """The comparison as a JSON-serialisable dict (NaN as ``None``).

        Returns
        -------
        dict
            See the module docstring for the schema.
        """
        return {
            "schema_version": MITIGATION_SCHEMA_VERSION,
            "attribute": self.attribute,
            "constraint": self.constraint,
            "threshold": self.threshold,
            "score": self.score,
            "estimator": self.estimator,
            "seed": self.seed,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "methods": [r.to_dict() for r in self.results],
        }

    def to_frame(self) -> pd.DataFrame:
        """The group rates as a tidy table: one row per method and group.

        Returns
        -------
        pandas.DataFrame
            Columns ``method, group, n, selection_rate, fpr, fnr``; the method-level figures
            are in :attr:`results`.
        """
        rows = [
            {
                "method": r.method,
                "group": g.group,
                "n": g.n,
                "selection_rate": g.selection_rate,
                "fpr": g.fpr,
                "fnr": g.fnr,
            }
            for r in self.results
            for g in r.groups
        ]
        return pd.DataFrame(rows, columns=["method", "group", "n", "selection_rate", "fpr", "fnr"])


# --- the existing-score "model" -----------------------------------------------------------------


class _ExistingScore(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A prefit scikit-learn classifier whose score is the only column of ``X``.

    It lets :class:`~fairlearn.postprocessing.ThresholdOptimizer` post-process an existing
    instrument's score; only the order of the scores matters to it, so any scale works.
    """

    def fit(self, X: Any, y: Any) -> _ExistingScore:
        """Nothing to learn: the score is given."""
        return self

    def decision_function(self, X: Any) -> FloatArray:
        """The score, the only column of ``X``."""
        scores: FloatArray = np.asarray(X, dtype=np.float64).reshape(len(X), -1)[:, 0]
        return scores

    def __sklearn_is_fitted__(self) -> bool:
        return True


# --- inputs -------------------------------------------------------------------------------------


def _n_rows(X: Any, name: str) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError as exc:
        raise RiskkitError(
            f"{name} must be a table of features (a DataFrame or a 2D array); found "
            f"{type(X).__name__}."
        ) from exc


def _score_column(X: Any, name: str) -> FloatArray:
    """The existing score held in ``X``: a 1D array, or a table with exactly one column."""
    array = np.asarray(X)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise RiskkitError(
            f"without an estimator, {name} must hold one column, the existing score; found shape "
            f"{array.shape}. Pass the score alone, or pass an estimator to train on the features."
        )
    return cm.check_scores(array, name)


def _attribute_labels(
    sensitive: SensitiveFeatures, n: int, name: str
) -> tuple[tuple[str, ...], ObjectArray]:
    try:
        frame = _sensitive_frame(sensitive, n)
    except RiskkitError as exc:
        raise RiskkitError(f"{name}: {exc}") from exc
    attributes = tuple(str(c) for c in frame.columns)
    labels: ObjectArray = frame[frame.columns[0]].to_numpy(dtype=object)
    return attributes, labels


def _check_no_sensitive_columns(X: Any, attributes: tuple[str, ...], name: str) -> None:
    columns = getattr(X, "columns", None)
    if columns is None:
        return
    clashes = sorted(set(attributes) & {str(c) for c in columns})
    if clashes:
        raise RiskkitError(
            f"{name} has column(s) {clashes}, which are also sensitive attributes. The sensitive "
            "attributes are passed only as sensitive_train= and sensitive_test=, never as model "
            f"inputs: drop {clashes} from {name}."
        )


def _check_lengths(part: str, **lengths: int) -> None:
    if len(set(lengths.values())) > 1:
        found = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise RiskkitError(
            f"the {part} part must have one row per person everywhere, so the same lengths; "
            f"found: {found}."
        )


def _check_both_classes(labels: ObjectArray, outcomes: BoolArray, attribute: str) -> None:
    for group in sorted(set(labels.tolist())):
        members = outcomes[labels == group]
        n_with = int(np.count_nonzero(members))
        if n_with in (0, len(members)):
            only = "with" if n_with else "without"
            raise RiskkitError(
                f"group {group!r} of {attribute!r} has only people {only} the outcome in the "
                f"training data ({len(members)} people), so its error rates cannot be balanced "
                "against the other groups'. Merge it with another group, or leave its people out "
                "of the comparison."
            )


def _seeded(estimator: Any, seed: int) -> Any:
    """A clone of ``estimator`` whose unseeded ``random_state`` parameters are set to ``seed``."""
    copy = clone(estimator)
    unseeded = {
        key: seed
        for key, value in copy.get_params(deep=True).items()
        if (key == "random_state" or key.endswith("__random_state")) and value is None
    }
    if unseeded:
        copy.set_params(**unseeded)
    return copy


def _sample_weight_name(estimator: Any) -> str | None:
    """The ``fit`` keyword that passes sample weights to ``estimator``, or None."""
    if isinstance(estimator, Pipeline):
        step, last = estimator.steps[-1]
        return f"{step}__sample_weight" if has_fit_parameter(last, "sample_weight") else None
    return "sample_weight" if has_fit_parameter(estimator, "sample_weight") else None


def _score_method(estimator: Any) -> Literal["predict_proba", "decision_function"]:
    if hasattr(estimator, "predict_proba"):
        return "predict_proba"
    if hasattr(estimator, "decision_function"):
        return "decision_function"
    raise RiskkitError(
        f"the estimator {type(estimator).__name__} has neither predict_proba nor "
        "decision_function, so it gives no score to threshold; pass a classifier with one of them."
    )


def _scores(
    estimator: Any, X: Any, method: Literal["predict_proba", "decision_function"]
) -> FloatArray:
    output = np.asarray(getattr(estimator, method)(X), dtype=np.float64)
    return output[:, 1] if method == "predict_proba" else output.reshape(-1)


@contextmanager
def _fairlearn_pandas_deprecations_ignored() -> Iterator[None]:
    # fairlearn's reductions grow pandas Series with ``.at[new_key] = ...`` and write floats
    # into a bool Series, which pandas 3 deprecates (Pandas4Warning, a DeprecationWarning;
    # a FutureWarning in pandas 2). Nothing in our call can avoid it; silence exactly these
    # messages raised from fairlearn's own modules.
    with warnings.catch_warnings():
        for message in (
            r"Setting a value on a Series via \.at with a key that does not exist",
            r"Setting an item of incompatible dtype is deprecated",
        ):
            for category in (DeprecationWarning, FutureWarning):
                warnings.filterwarnings(
                    "ignore", message=message, category=category, module=r"fairlearn\."
                )
        yield


# --- measurement --------------------------------------------------------------------------------


def _rate(count: int, total: int) -> float:
    return count / total if total else math.nan


def _measure(
    method: Method, outcomes: BoolArray, decisions: BoolArray, labels: ObjectArray
) -> MitigationResult:
    groups: list[MitigationGroup] = []
    compared = np.zeros(len(outcomes), dtype=np.bool_)
    for group in sorted(set(labels.tolist())):
        members = labels == group
        y, d = outcomes[members], decisions[members]
        n_with = int(np.count_nonzero(y))
        groups.append(
            MitigationGroup(
                group=str(group),
                n=len(y),
                selection_rate=_rate(int(np.count_nonzero(d)), len(y)),
                fpr=_rate(int(np.count_nonzero(d & ~y)), len(y) - n_with),
                fnr=_rate(int(np.count_nonzero(~d & y)), n_with),
            )
        )
        if 0 < n_with < len(y):
            compared |= members
    eod = dpd = eopd = math.nan
    if len(set(labels[compared].tolist())) >= 2:
        # The rates depend only on the counts of (group, outcome, decision), so fairlearn gets
        # one weighted row per such cell instead of one row per person, and one MetricFrame
        # for the three differences, computed as fairlearn's equalized_odds_difference,
        # demographic_parity_difference and equal_opportunity_difference compute them.
        cells = pd.DataFrame(
            {
                "group": labels[compared],
                "outcome": outcomes[compared].astype(int),
                "decision": decisions[compared].astype(int),
            }
        )
        counts = cells.value_counts(sort=False).reset_index(name="people")
        weights = counts["people"].to_numpy()
        frame = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "tpr": true_positive_rate,
                "fpr": false_positive_rate,
            },
            y_true=counts["outcome"].to_numpy(),
            y_pred=counts["decision"].to_numpy(),
            sensitive_features=counts["group"].to_numpy(dtype=object),
            sample_params={
                name: {"sample_weight": weights} for name in ("selection_rate", "tpr", "fpr")
            },
        )
        gaps = frame.difference(method="between_groups")
        eod = float(max(gaps["tpr"], gaps["fpr"]))
        dpd = float(gaps["selection_rate"])
        eopd = float(gaps["tpr"])
    return MitigationResult(
        method=method,
        requires=REQUIREMENTS[method],
        accuracy=_rate(int(np.count_nonzero(outcomes == decisions)), len(outcomes)),
        selection_rate=_rate(int(np.count_nonzero(decisions)), len(outcomes)),
        equalized_odds_difference=eod,
        demographic_parity_difference=dpd,
        equal_opportunity_difference=eopd,
        groups=tuple(groups),
    )


# --- the comparison -----------------------------------------------------------------------------


def compare_mitigations(
    X_train: Any,
    y_train: npt.ArrayLike,
    X_test: Any,
    y_test: npt.ArrayLike,
    *,
    sensitive_train: SensitiveFeatures,
    sensitive_test: SensitiveFeatures,
    estimator: Any = None,
    threshold: float,
    constraint: Constraint = "equalized_odds",
    seed: int = 0,
) -> MitigationComparison:
    """Fit the unmitigated decision and two mitigations on training data; measure them on test data.

    Parameters
    ----------
    X_train, X_test : DataFrame or array-like
        The model's features; without an estimator, the existing score as the only column (or a
        1D array). Never the sensitive attributes.
    y_train, y_test : array-like of 0/1
        Observed outcomes (1: reoffended).
    sensitive_train, sensitive_test : DataFrame, Series or mapping of str to array-like
        The sensitive attributes of each part, keyword-only; the first attribute's groups are
        constrained and compared. Missing values form the group ``"(missing)"``.
    estimator : scikit-learn classifier, optional
        Cloned and fitted on the training part; its ``predict_proba`` (else
        ``decision_function``) is the score. Unseeded ``random_state`` parameters are set to
        ``seed``. None: ``X`` holds an existing score.
    threshold : float
        The unmitigated decision is ``score >= threshold``.
    constraint : {"equalized_odds", "demographic_parity", "equal_opportunity"}
        What the mitigations equalise across groups: the false and true positive rates, the
        selection rate, or the true positive rate.
    seed : int
        Seed of the randomised decisions and of unseeded estimators.

    Returns
    -------
    MitigationComparison
        One :class:`MitigationResult` per method of :data:`METHODS`, in that order.

    Raises
    ------
    RiskkitError
        If a sensitive attribute is also a column of ``X``, the lengths differ, the outcomes
        are not 0/1, a group of the first attribute has only one outcome class in the training
        part, the test part has a group the training part lacks, or a setting is invalid.
    """
    if constraint not in CONSTRAINTS:
        raise RiskkitError(f"constraint must be one of {list(CONSTRAINTS)}; found {constraint!r}.")
    if not math.isfinite(threshold):
        raise RiskkitError(f"threshold must be a finite number; found {threshold!r}.")
    y_fit = cm.check_outcomes(y_train, "y_train")
    y_eval = cm.check_outcomes(y_test, "y_test")
    n_train, n_test = _n_rows(X_train, "X_train"), _n_rows(X_test, "X_test")
    _check_lengths("training", X_train=n_train, y_train=len(y_fit))
    _check_lengths("test", X_test=n_test, y_test=len(y_eval))
    if n_train == 0 or n_test == 0:
        raise RiskkitError(
            f"both parts need people; found {n_train} in training and {n_test} in test."
        )
    attributes, groups_train = _attribute_labels(sensitive_train, n_train, "sensitive_train")
    test_attributes, groups_test = _attribute_labels(sensitive_test, n_test, "sensitive_test")
    if test_attributes != attributes:
        raise RiskkitError(
            f"sensitive_train has the attributes {list(attributes)} but sensitive_test has "
            f"{list(test_attributes)}; pass the same attributes for both parts."
        )
    _check_no_sensitive_columns(X_train, attributes, "X_train")
    _check_no_sensitive_columns(X_test, attributes, "X_test")
    attribute = attributes[0]
    _check_both_classes(groups_train, y_fit, attribute)
    unseen = sorted(set(groups_test.tolist()) - set(groups_train.tolist()))
    if unseen:
        raise RiskkitError(
            f"group(s) {unseen} of {attribute!r} are in the test part but not in the training "
            "part, so no mitigation can be fitted for them; split the data so that every group "
            "is in both parts."
        )
    labels_int = y_fit.astype(int)

    base: Any
    oracle: Any
    features_train: Any
    features_test: Any
    predict_method: Literal["predict_proba", "decision_function"]
    weight_name: str | None
    if estimator is None:
        score_train = _score_column(X_train, "X_train")
        score_test = _score_column(X_test, "X_test")
        features_train, features_test = score_train[:, None], score_test[:, None]
        base = _ExistingScore()
        predict_method = "decision_function"
        oracle, weight_name = LogisticRegression(random_state=seed), "sample_weight"
    else:
        features_train, features_test = X_train, X_test
        base = _seeded(estimator, seed).fit(X_train, labels_int)
        predict_method = _score_method(base)
        weight_name = _sample_weight_name(estimator)
        if weight_name is None:
            oracle, weight_name = LogisticBaseline(), "sample_weight"
        else:
            oracle = _seeded(estimator, seed)
    unmitigated = _scores(base, features_test, predict_method) >= threshold

    postprocessed = ThresholdOptimizer(
        estimator=base,
        constraints=_POSTPROCESSING_CONSTRAINT[constraint],
        objective="accuracy_score",
        prefit=True,
        predict_method=predict_method,
    ).fit(features_train, labels_int, sensitive_features=groups_train)
    post_decisions = postprocessed.predict(
        features_test, sensitive_features=groups_test, random_state=seed
    )

    reduction = ExponentiatedGradient(
        oracle,
        constraints=_REDUCTION_MOMENT[constraint](),
        eps=_EG_EPS,
        max_iter=_EG_MAX_ITER,
        sample_weight_name=weight_name,
    )
    with _fairlearn_pandas_deprecations_ignored():
        reduction.fit(features_train, labels_int, sensitive_features=groups_train)
        reduced_decisions = reduction.predict(features_test, random_state=seed)

    decisions: dict[Method, BoolArray] = {
        "none": unmitigated,
        "threshold_optimizer": np.asarray(post_decisions).astype(np.bool_),
        "exponentiated_gradient": np.asarray(reduced_decisions).astype(np.bool_),
    }
    return MitigationComparison(
        attribute=attribute,
        constraint=constraint,
        threshold=float(threshold),
        score="existing_score" if estimator is None else "estimator",
        estimator=None if estimator is None else type(estimator).__name__,
        seed=seed,
        n_train=n_train,
        n_test=n_test,
        results=tuple(
            _measure(method, y_eval, decisions[method], groups_test) for method in METHODS
        ),
    )

"""The needs model: one additive classifier per need domain, giving a :class:`NeedsProfile`.

A needs profile answers "where should a case plan start?", not "how risky is this person?". It
holds one probability per need domain (the central eight criminogenic domains plus housing and
mental health, see :class:`~riskkit.features.registry.NeedDomain`), each with a level read from
two thresholds, ranked from the most to the least likely need. The domains are never added up or
averaged into one number: a person with a high substance-use need and a person with a high
housing need need different things, and one summary score would hide that.

Each domain has its own :class:`~riskkit.estimators.additive.AdditiveBoostedClassifier`, so each
domain probability is a sum of one shape function per feature and its contributions are exact
(:meth:`NeedsModel.contributions`).

Inputs
------
``X`` is the pipeline's feature matrix (by default every column feeds every domain model).
Protected attributes (registry features declared ``protected``: sex, ethnicity, nationality,
race...) are refused: a needs profile must not be computed from them. ``exclude_features`` keeps
named features out of named domains, which matters when a domain's label is derived from a
variable that is also an input (NIJ Georgia's gang flag is both an input and the companions
proxy: see :mod:`riskkit.data.need_proxies`).

Labels
------
``Y`` has one 0/1 column per domain, named after the domain (``housing``) or as the synthetic
population and the NIJ proxies name it (``need_housing``). Missing labels (NaN) are allowed:
those rows are left out of that domain's model only, and counted in ``label_counts_``. A column
that holds values other than 0/1, or only one class, is refused: a domain whose label never
varies cannot be modelled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from riskkit.errors import RiskkitError
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.features.registry import NeedDomain, default_registry

#: Every need domain, in the registry's order.
DOMAINS: Final[tuple[str, ...]] = tuple(d.value for d in NeedDomain)
#: Prefix of need label columns (``need_housing``).
LABEL_PREFIX: Final = "need_"
#: Level names, from the lowest to the highest.
LEVELS: Final[tuple[str, str, str]] = ("low", "moderate", "high")
#: Version of :meth:`NeedsProfile.to_dict`'s schema.
PROFILE_SCHEMA_VERSION: Final = 1
PROFILE_KIND: Final = "riskkit.needs_profile"
STATE_FORMAT: Final = "riskkit.needs_model/1"


def domain_name(name: str) -> str:
    """The need domain a column or argument names: ``"housing"`` or ``"need_housing"``.

    Raises
    ------
    RiskkitError
        When the name is not a need domain (the message lists the domains).
    """
    text = str(name)
    domain = text[len(LABEL_PREFIX) :] if text.startswith(LABEL_PREFIX) else text
    if domain not in DOMAINS:
        raise RiskkitError(
            f"{text!r} is not a need domain; name each need by its domain "
            f"({', '.join(DOMAINS)}) or as need_<domain> (e.g. need_housing)"
        )
    return domain


def level_for(probability: float, thresholds: tuple[float, float]) -> str:
    """The level of a probability: ``"low"`` below ``thresholds[0]``, ``"high"`` from
    ``thresholds[1]``, ``"moderate"`` in between."""
    low, high = thresholds
    if probability >= high:
        return LEVELS[2]
    if probability >= low:
        return LEVELS[1]
    return LEVELS[0]


def _check_thresholds(thresholds: object) -> tuple[float, float]:
    values: tuple[float, float] | None = None
    if isinstance(thresholds, Sequence) and not isinstance(thresholds, str):
        items = list(thresholds)
        if len(items) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in items
        ):
            values = (float(items[0]), float(items[1]))
    if values is None or not 0.0 < values[0] < values[1] < 1.0:
        raise RiskkitError(
            f"level_thresholds={thresholds!r} must be two probabilities (low, high) with "
            "0 < low < high < 1, e.g. (0.3, 0.6): below low a need is 'low', from high it is "
            "'high', 'moderate' in between"
        )
    return values


@dataclass(frozen=True)
class DomainNeed:
    """One domain of a needs profile.

    Attributes
    ----------
    domain : str
        The need domain (a :class:`~riskkit.features.registry.NeedDomain` value).
    probability : float
        Probability that a full assessment finds a need in this domain (0-1).
    level : str
        ``"low"``, ``"moderate"`` or ``"high"``, from the model's level thresholds.
    """

    domain: str
    probability: float
    level: str

    def __post_init__(self) -> None:
        domain_name(self.domain)
        if self.domain.startswith(LABEL_PREFIX):
            raise RiskkitError(
                f"DomainNeed.domain={self.domain!r}: use the bare domain name "
                f"{self.domain[len(LABEL_PREFIX) :]!r}"
            )
        if not (isinstance(self.probability, int | float) and 0.0 <= self.probability <= 1.0):
            raise RiskkitError(
                f"DomainNeed({self.domain!r}).probability={self.probability!r} is not a "
                "probability; expected a number from 0 to 1"
            )
        if self.level not in LEVELS:
            raise RiskkitError(
                f"DomainNeed({self.domain!r}).level={self.level!r} is not a level; expected "
                f"one of {', '.join(LEVELS)}"
            )


@dataclass(frozen=True)
class NeedsProfile:
    """A person's needs: one :class:`DomainNeed` per modelled domain, highest probability first.

    The profile is never reduced to one number; :meth:`top` gives the domains a case plan should
    look at first.

    Attributes
    ----------
    needs : tuple of DomainNeed
        Ranked by probability, highest first (ties keep the registry's domain order).

    Raises
    ------
    RiskkitError
        When a domain repeats or the needs are not ranked.
    """

    needs: tuple[DomainNeed, ...]

    def __post_init__(self) -> None:
        domains = [n.domain for n in self.needs]
        repeated = sorted({d for d in domains if domains.count(d) > 1})
        if repeated:
            raise RiskkitError(f"a needs profile lists domain(s) {repeated} more than once")
        probabilities = [n.probability for n in self.needs]
        if any(a < b for a, b in itertools.pairwise(probabilities)):
            raise RiskkitError(
                "a needs profile must be ranked by probability, highest first; got "
                + ", ".join(f"{n.domain} {n.probability:.3f}" for n in self.needs)
            )

    def top(self, k: int = 3) -> tuple[DomainNeed, ...]:
        """The ``k`` most likely needs (fewer when the profile has fewer domains).

        Parameters
        ----------
        k : int, default 3
            How many domains to return (0 or more).
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise RiskkitError(f"top(k={k!r}): k must be a whole number of domains, 0 or more")
        return self.needs[:k]

    def to_dict(self) -> dict[str, Any]:
        """The profile as JSON-serialisable data.

        Schema (``schema_version`` 1)::

            {
              "kind": "riskkit.needs_profile",
              "schema_version": 1,
              "needs": [                      # ranked, highest probability first
                {"rank": 1, "domain": "substance_use", "probability": 0.81, "level": "high"},
                ...
              ]
            }

        ``rank`` starts at 1; ``probability`` is a float from 0 to 1; ``level`` is one of
        ``"low"``, ``"moderate"``, ``"high"``.
        """
        return {
            "kind": PROFILE_KIND,
            "schema_version": PROFILE_SCHEMA_VERSION,
            "needs": [
                {
                    "rank": rank,
                    "domain": need.domain,
                    "probability": float(need.probability),
                    "level": need.level,
                }
                for rank, need in enumerate(self.needs, start=1)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NeedsProfile:
        """Rebuild a profile from :meth:`to_dict`'s output (e.g. after a JSON round trip)."""
        if data.get("kind") != PROFILE_KIND or data.get("schema_version") != (
            PROFILE_SCHEMA_VERSION
        ):
            raise RiskkitError(
                f"not a needs profile this riskkit reads: kind={data.get('kind')!r}, "
                f"schema_version={data.get('schema_version')!r}; expected kind "
                f"{PROFILE_KIND!r} with schema_version {PROFILE_SCHEMA_VERSION} (upgrade "
                "riskkit to read newer profiles)"
            )
        ranked = sorted(data["needs"], key=lambda item: int(item["rank"]))
        return cls(
            tuple(
                DomainNeed(
                    domain=str(item["domain"]),
                    probability=float(item["probability"]),
                    level=str(item["level"]),
                )
                for item in ranked
            )
        )


class NeedsModel(BaseEstimator):  # type: ignore[misc]
    """One additive boosted classifier per need domain.

    Parameters
    ----------
    domains : sequence of str, optional
        The domains to model (each a ``NeedDomain`` value, or ``need_<domain>``); every one must
        be a column of ``Y``. By default every column of ``Y`` is a domain to model.
    level_thresholds : (float, float), default (0.3, 0.6)
        Probabilities where a need becomes ``"moderate"`` and ``"high"`` (below the first it is
        ``"low"``). These are policy choices, like risk bands: write them in the pipeline.
    n_estimators, learning_rate, max_leaves_per_tree, min_child_samples : optional
        Passed to every domain's :class:`AdditiveBoostedClassifier`.
    monotone_constraints : mapping of str to {-1, 0, 1}, optional
        Directions applied in every domain model that uses the feature. None by default: the
        registry's monotone directions describe re-offence risk, not every need (a constraint
        on a feature a domain model does not use is ignored for that domain).
    exclude_features : mapping of str to sequence of str, optional
        Per domain, features to keep out of that domain's model (for instance the variable the
        domain's label is derived from). Names may be registry features that are not in ``X``
        (so a proxy's full source list can be passed); any other unknown name is an error.
    random_state : int, default 0
        Seed of every domain model.
    n_jobs : int, default 1
        Threads LightGBM may use.

    Attributes
    ----------
    domains_ : list of str
        The modelled domains, in ``Y``'s column order (or ``domains``' order).
    label_columns_ : dict of str to str
        Per domain, the ``Y`` column it was trained on.
    features_ : dict of str to list of str
        Per domain, the features its model uses.
    models_ : dict of str to AdditiveBoostedClassifier
        Per domain, the fitted model.
    label_counts_ : dict of str to dict
        Per domain: ``n_labelled``, ``n_missing`` (rows left out for a missing label),
        ``n_positive`` and ``prevalence`` among the labelled rows.
    level_thresholds_ : (float, float)
        The validated thresholds.
    """

    def __init__(
        self,
        *,
        domains: Sequence[str] | None = None,
        level_thresholds: tuple[float, float] = (0.3, 0.6),
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        max_leaves_per_tree: int = 4,
        min_child_samples: int = 50,
        monotone_constraints: Mapping[str, int] | None = None,
        exclude_features: Mapping[str, Sequence[str]] | None = None,
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.domains = domains
        self.level_thresholds = level_thresholds
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_leaves_per_tree = max_leaves_per_tree
        self.min_child_samples = min_child_samples
        self.monotone_constraints = monotone_constraints
        self.exclude_features = exclude_features
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- checks ---------------------------------------------------------------------------
    @staticmethod
    def _check_frame(X: object) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise RiskkitError(
                f"X is a {type(X).__name__}; the needs model takes a pandas DataFrame whose "
                "columns are registry feature names (validate records against the pipeline "
                "schema first)"
            )
        frame = X.copy()
        frame.columns = [str(c) for c in frame.columns]
        registry = default_registry()
        protected = [c for c in frame.columns if c in registry and registry[c].protected]
        if protected:
            raise RiskkitError(
                f"X holds protected attribute(s) {protected}; a needs profile must not be "
                "computed from them. Drop them from X and pass them to audits as "
                "sensitive_features= instead"
            )
        outcomes = [c for c in frame.columns if c in registry.outcomes]
        if outcomes:
            raise RiskkitError(
                f"X holds outcome or need-label column(s) {outcomes}; pass labels as Y, never "
                "as features"
            )
        return frame

    def _label_columns(self, Y: pd.DataFrame) -> dict[str, str]:
        """Domain -> Y column, for the domains to model."""
        by_domain: dict[str, str] = {}
        for column in Y.columns:
            domain = domain_name(str(column))
            if domain in by_domain:
                raise RiskkitError(
                    f"Y names domain {domain!r} twice (columns {by_domain[domain]!r} and "
                    f"{str(column)!r}); keep one column per domain"
                )
            by_domain[domain] = str(column)
        if self.domains is None:
            return by_domain
        if isinstance(self.domains, str):
            raise RiskkitError(
                f"domains={self.domains!r} is one string; pass a list of domains, e.g. "
                f"domains=[{self.domains!r}]"
            )
        chosen: dict[str, str] = {}
        for name in self.domains:
            domain = domain_name(name)
            if domain not in by_domain:
                raise RiskkitError(
                    f"domain {domain!r} has no label column in Y; Y's columns are "
                    f"{[str(c) for c in Y.columns]} (name it {domain!r} or "
                    f"'{LABEL_PREFIX}{domain}', or leave it out of domains=)"
                )
            if domain in chosen:
                raise RiskkitError(f"domains= lists {domain!r} twice")
            chosen[domain] = by_domain[domain]
        return chosen

    @staticmethod
    def _labels(Y: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The column as 0/1 integers and the mask of labelled rows; errors name the column."""
        values = pd.to_numeric(Y[column], errors="coerce")
        bad_text = Y[column].notna() & values.isna()
        known = values.notna().to_numpy()
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        bad = bad_text.to_numpy() | (known & ~np.isin(numbers, (0.0, 1.0)))
        if bad.any():
            shown = sorted({repr(v) for v in Y[column][bad].tolist()})[:5]
            raise RiskkitError(
                f"need label column {column!r} holds value(s) {', '.join(shown)}; labels are 1 "
                "(need found), 0 (no need) or missing (not assessed: the row is left out of "
                "this domain). Recode the column"
            )
        return numbers[known].astype("int64"), known

    def _features_for(self, domain: str, columns: list[str]) -> list[str]:
        excluded: set[str] = set()
        registry = default_registry()
        for name, features in (self.exclude_features or {}).items():
            if domain_name(name) != domain:
                continue
            if isinstance(features, str):
                features = [features]
            unknown = [f for f in features if f not in columns and f not in registry]
            if unknown:
                raise RiskkitError(
                    f"exclude_features[{name!r}] names {unknown}, which are neither columns of "
                    f"X nor registry features; X's columns are {columns}"
                )
            excluded.update(features)
        kept = [c for c in columns if c not in excluded]
        if not kept:
            raise RiskkitError(
                f"exclude_features leaves no feature for domain {domain!r}; X has {columns}"
            )
        return kept

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, Y: pd.DataFrame) -> NeedsModel:
        """Fit one additive classifier per domain.

        Parameters
        ----------
        X : DataFrame
            Features, typed as the record schema types them (numbers as float, categories as
            pandas ``Categorical``). No protected attributes.
        Y : DataFrame
            One 0/1 column per domain (``<domain>`` or ``need_<domain>``), same rows and index
            as ``X``.
            Missing values leave the row out of that domain only.

        Returns
        -------
        NeedsModel
            ``self``, fitted.

        Raises
        ------
        RiskkitError
            For protected or label columns in ``X``, an unknown domain, a label that is not
            0/1, a domain whose label has a single class, or rows of ``Y`` that do not match
            ``X``'s (length or index).
        """
        thresholds = _check_thresholds(self.level_thresholds)
        frame = self._check_frame(X)
        if not isinstance(Y, pd.DataFrame):
            raise RiskkitError(
                f"Y is a {type(Y).__name__}; pass a DataFrame with one 0/1 column per need "
                "domain (e.g. need_housing)"
            )
        if len(Y) != len(frame):
            raise RiskkitError(
                f"X has {len(frame)} rows but Y has {len(Y)}; pass one row of labels per person"
            )
        if not Y.index.equals(frame.index):
            raise RiskkitError(
                "X and Y have different row indexes, so their rows may not be the same people; "
                "align them first (Y.loc[X.index], or Y.set_axis(X.index) when both are already "
                "in the same order)"
            )
        if Y.shape[1] == 0:
            raise RiskkitError("Y has no columns; pass one 0/1 column per need domain")
        label_columns = self._label_columns(Y)
        columns = list(frame.columns)
        constraints = dict(self.monotone_constraints or {})
        unknown = [n for n in constraints if n not in columns]
        if unknown:
            raise RiskkitError(
                f"monotone_constraints name feature(s) {unknown} that are not columns of X; "
                f"X has {columns}"
            )

        labels: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for domain, column in label_columns.items():
            y, known = self._labels(Y, column)
            classes = np.unique(y)
            if classes.size != 2:
                found = "no labelled rows" if classes.size == 0 else f"only class {classes[0]}"
                raise RiskkitError(
                    f"need label column {column!r} (domain {domain!r}) has {found} among its "
                    f"{int(known.sum())} labelled rows; a domain whose label never varies "
                    "cannot be modelled. Check the labels, or leave the domain out with "
                    "domains=[...]"
                )
            labels[domain] = (y, known)

        self.level_thresholds_ = thresholds
        self.domains_ = list(label_columns)
        self.label_columns_ = dict(label_columns)
        self.features_: dict[str, list[str]] = {}
        self.models_: dict[str, AdditiveBoostedClassifier] = {}
        self.label_counts_: dict[str, dict[str, float]] = {}
        for domain in self.domains_:
            y, known = labels[domain]
            features = self._features_for(domain, columns)
            model = AdditiveBoostedClassifier(
                n_estimators=self.n_estimators,
                learning_rate=self.learning_rate,
                max_leaves_per_tree=self.max_leaves_per_tree,
                min_child_samples=self.min_child_samples,
                monotone_constraints={n: v for n, v in constraints.items() if n in features},
                random_state=self.random_state,
                n_jobs=self.n_jobs,
            )
            model.fit(frame.loc[known, features], y)
            self.features_[domain] = features
            self.models_[domain] = model
            self.label_counts_[domain] = {
                "n_labelled": int(known.sum()),
                "n_missing": int((~known).sum()),
                "n_positive": int(y.sum()),
                "prevalence": float(y.mean()),
            }
        self.n_features_in_ = len(columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        return self

    # -- prediction -----------------------------------------------------------------------
    def _domain(self, domain: str) -> str:
        check_is_fitted(self, "models_")
        name = domain_name(domain)
        if name not in self.models_:
            raise RiskkitError(
                f"domain {name!r} was not modelled; this model covers {', '.join(self.domains_)}"
            )
        return name

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """Probability of a need in each modelled domain.

        Columns the models do not use (including protected attributes, which no domain model
        was trained on) are ignored.

        Returns
        -------
        DataFrame
            One column per domain (``domains_`` order), indexed like ``X``.
        """
        check_is_fitted(self, "models_")
        if not isinstance(X, pd.DataFrame):
            raise RiskkitError(
                f"X is a {type(X).__name__}; the needs model takes a pandas DataFrame"
            )
        for domain in self.domains_:
            self._require_features(domain, X)
        out = {
            domain: self.models_[domain].predict_proba(X[self.features_[domain]])[:, 1]
            for domain in self.domains_
        }
        return pd.DataFrame(out, index=X.index, columns=self.domains_)

    def _require_features(self, domain: str, X: pd.DataFrame) -> None:
        missing = [f for f in self.features_[domain] if f not in X.columns]
        if missing:
            raise RiskkitError(
                f"the records lack feature(s) {missing} that the {domain!r} need model uses; "
                f"it was trained on {self.features_[domain]}"
            )

    def profiles(self, X: pd.DataFrame) -> list[NeedsProfile]:
        """One :class:`NeedsProfile` per row of ``X``, in row order.

        Each profile lists every modelled domain with its probability and level, ranked by
        probability (highest first; ties keep ``domains_`` order).
        """
        values = self.predict_proba(X).to_numpy(dtype="float64")
        return [self.profile_from_probabilities(row) for row in values]

    def profile_from_probabilities(self, probabilities: np.ndarray) -> NeedsProfile:
        """The profile of one person from their probabilities, one per domain in ``domains_``
        order (a row of :meth:`predict_proba`): for scoring many people, predict once and build
        each profile when it is read."""
        check_is_fitted(self, "models_")
        row = np.asarray(probabilities, dtype="float64")
        if row.shape != (len(self.domains_),):
            raise RiskkitError(
                f"expected one probability per domain ({len(self.domains_)}: "
                f"{', '.join(self.domains_)}); got an array of shape {row.shape}"
            )
        ranks = np.argsort(-row, kind="stable")
        thresholds = self.level_thresholds_
        return NeedsProfile(
            tuple(
                DomainNeed(
                    domain=self.domains_[j],
                    probability=float(row[j]),
                    level=level_for(float(row[j]), thresholds),
                )
                for j in ranks
            )
        )

    def levels(self, X: pd.DataFrame) -> pd.DataFrame:
        """The level (``"low"``, ``"moderate"``, ``"high"``) of each domain, one column per
        domain."""
        proba = self.predict_proba(X)
        low, high = self.level_thresholds_
        codes = (proba.to_numpy() >= low).astype(int) + (proba.to_numpy() >= high).astype(int)
        return pd.DataFrame(
            np.asarray(LEVELS, dtype=object)[codes], index=proba.index, columns=proba.columns
        )

    def contributions(self, X: pd.DataFrame, domain: str) -> pd.DataFrame:
        """Per-feature contributions to one domain's probability, in probability points.

        Parameters
        ----------
        X : DataFrame
            Records.
        domain : str
            A modelled domain (``"housing"`` or ``"need_housing"``).

        Returns
        -------
        DataFrame
            One column per feature of that domain's model; each row sums to the probability
            minus the domain model's reference probability (its training population's mean).
        """
        name = self._domain(domain)
        if not isinstance(X, pd.DataFrame):
            raise RiskkitError(
                f"X is a {type(X).__name__}; the needs model takes a pandas DataFrame"
            )
        self._require_features(name, X)
        return self.models_[name].contributions(X[self.features_[name]])

    # -- persistence without pickle ------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """The fitted model as JSON-serialisable data (LightGBM's text models included)."""
        check_is_fitted(self, "models_")
        params = self.get_params()
        params["domains"] = None if self.domains is None else [str(d) for d in self.domains]
        params["level_thresholds"] = [float(v) for v in self.level_thresholds]
        params["monotone_constraints"] = (
            None
            if self.monotone_constraints is None
            else {str(k): int(v) for k, v in self.monotone_constraints.items()}
        )
        params["exclude_features"] = (
            None
            if self.exclude_features is None
            else {
                str(k): [v] if isinstance(v, str) else [str(f) for f in v]
                for k, v in self.exclude_features.items()
            }
        )
        models: dict[str, dict[str, Any]] = {}
        for domain in self.domains_:
            state, booster = self.models_[domain].get_state()
            models[domain] = {"state": state, "booster": booster}
        return {
            "format": STATE_FORMAT,
            "params": params,
            "domains": list(self.domains_),
            "label_columns": dict(self.label_columns_),
            "features": {d: list(f) for d, f in self.features_.items()},
            "feature_names": [str(n) for n in self.feature_names_in_],
            "label_counts": {d: dict(c) for d, c in self.label_counts_.items()},
            "models": models,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> NeedsModel:
        """Rebuild a fitted model from :meth:`get_state`'s output."""
        if state.get("format") != STATE_FORMAT:
            raise RiskkitError(
                f"unknown needs-model format {state.get('format')!r}; this riskkit reads "
                f"{STATE_FORMAT!r} (upgrade riskkit to read newer models)"
            )
        params = dict(state["params"])
        params["level_thresholds"] = tuple(params["level_thresholds"])
        model = cls(**params)
        model.level_thresholds_ = _check_thresholds(model.level_thresholds)
        model.domains_ = [domain_name(d) for d in state["domains"]]
        model.label_columns_ = dict(state["label_columns"])
        model.features_ = {d: list(f) for d, f in state["features"].items()}
        model.feature_names_in_ = np.asarray(state["feature_names"], dtype=object)
        model.n_features_in_ = len(model.feature_names_in_)
        model.label_counts_ = {d: dict(c) for d, c in state["label_counts"].items()}
        model.models_ = {
            d: AdditiveBoostedClassifier.from_state(m["state"], m["booster"])
            for d, m in state["models"].items()
        }
        missing = [d for d in model.domains_ if d not in model.models_]
        if missing:
            raise RiskkitError(f"needs-model state lacks the model(s) of domain(s) {missing}")
        return model


def label_summary(Y: pd.DataFrame) -> pd.DataFrame:
    """Labelled rows, missing rows and prevalence of each need label column.

    Returns
    -------
    DataFrame
        Indexed by domain, with ``n_labelled``, ``n_missing``, ``n_positive`` and ``prevalence``
        (among labelled rows; NaN when none is labelled).
    """
    rows = []
    for column in Y.columns:
        values = pd.to_numeric(Y[column], errors="coerce")
        labelled = int(values.notna().sum())
        positive = int((values == 1).sum())
        rows.append(
            {
                "domain": domain_name(str(column)),
                "n_labelled": labelled,
                "n_missing": int(values.isna().sum()),
                "n_positive": positive,
                "prevalence": positive / labelled if labelled else math.nan,
            }
        )
    return pd.DataFrame(rows).set_index("domain")

"""The feature registry: the single declaration of every variable riskkit knows.

A declaration states the variable's type, allowed values or range, whether it is static or
changeable, its need domain, its monotone direction, whether it is protected, and its label in
Spanish, Portuguese and English. The record schema, the model's monotone constraints and the
explanation labels are all derived from it; nothing here is written twice.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Literal

from riskkit.errors import RiskkitError

FeatureKind = Literal["numeric", "integer", "binary", "categorical"]
Language = Literal["es", "pt", "en"]
LANGUAGES: tuple[Language, ...] = ("es", "pt", "en")


class NeedDomain(StrEnum):
    """Criminogenic need domains (the central eight) plus two reintegration domains."""

    CRIMINAL_HISTORY = "criminal_history"
    EDUCATION_EMPLOYMENT = "education_employment"
    FAMILY_MARITAL = "family_marital"
    LEISURE_RECREATION = "leisure_recreation"
    COMPANIONS = "companions"
    SUBSTANCE_USE = "substance_use"
    PROCRIMINAL_ATTITUDES = "procriminal_attitudes"
    ANTISOCIAL_PATTERN = "antisocial_pattern"
    HOUSING = "housing"
    MENTAL_HEALTH = "mental_health"


@dataclass(frozen=True)
class Labels:
    """A short label in each report language."""

    es: str
    pt: str
    en: str

    def __getitem__(self, language: str) -> str:
        if language not in LANGUAGES:
            raise RiskkitError(
                f"unknown language {language!r}; riskkit reports in {', '.join(LANGUAGES)}"
            )
        text: str = getattr(self, language)
        return text


@dataclass(frozen=True)
class Feature:
    """One variable of a case record.

    Parameters
    ----------
    name : str
        Registry name, used as the column name once a source has been mapped.
    kind : {"numeric", "integer", "binary", "categorical"}
        Value type. Binary values are 0/1.
    labels : Labels
        Label in es, pt and en.
    changeable : bool
        False for static factors (cannot change: age at first arrest, prior record), True for
        factors a case plan can act on (employment, housing, substance use...).
    domain : NeedDomain or None
        The need domain the variable informs, if any.
    monotone : {-1, 0, 1}
        Direction the risk must move when the value grows (0: unconstrained). Only for
        numeric, integer and binary features.
    protected : bool
        Protected attributes (sex, ethnicity, nationality...) enter fairness audits only and
        are refused as model inputs unless a pipeline explicitly allows them.
    minimum, maximum : float or None
        Allowed range for numeric and integer features (inclusive).
    categories : tuple of str
        Allowed values of a categorical feature, in a stable order (it fixes the codes).
    nullable : bool
        Whether a record may leave the value empty (the model treats it as missing).
    description : str
        One sentence for documentation and model cards.
    """

    name: str
    kind: FeatureKind
    labels: Labels
    changeable: bool
    domain: NeedDomain | None = None
    monotone: Literal[-1, 0, 1] = 0
    protected: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    nullable: bool = False
    description: str = ""
    category_labels: Mapping[str, Labels] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.kind == "categorical":
            if not self.categories:
                problems.append("a categorical feature needs its categories")
            if self.monotone != 0:
                problems.append("a categorical feature cannot carry a monotone direction")
            if len(set(self.categories)) != len(self.categories):
                problems.append(f"categories repeat: {self.categories}")
        elif self.categories:
            problems.append(f"only categorical features list categories, not {self.kind}")
        if self.kind in ("numeric", "integer") and (self.minimum is None or self.maximum is None):
            problems.append("numeric and integer features need a minimum and a maximum")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            problems.append(f"minimum {self.minimum} is above maximum {self.maximum}")
        unknown = set(self.category_labels) - set(self.categories)
        if unknown:
            problems.append(f"category_labels name unknown categories {sorted(unknown)}")
        if problems:
            raise RiskkitError(f"feature {self.name!r} is declared wrongly: " + "; ".join(problems))

    @property
    def static(self) -> bool:
        """True when the factor cannot change (the opposite of ``changeable``)."""
        return not self.changeable

    def label(self, language: str) -> str:
        """The feature's label in ``language`` (es, pt or en)."""
        return self.labels[language]


@dataclass(frozen=True)
class Outcome:
    """A binary outcome a model can be trained to predict (1 = the event happened)."""

    name: str
    labels: Labels
    description: str = ""


class FeatureRegistry(Mapping[str, Feature]):
    """Read-only mapping from registry name to :class:`Feature`, plus the known outcomes."""

    def __init__(self, features: Iterable[Feature], outcomes: Iterable[Outcome] = ()) -> None:
        self._features: dict[str, Feature] = {}
        for feature in features:
            if feature.name in self._features:
                raise RiskkitError(f"feature {feature.name!r} is declared twice in the registry")
            self._features[feature.name] = feature
        self._outcomes: dict[str, Outcome] = {}
        for outcome in outcomes:
            if outcome.name in self._outcomes or outcome.name in self._features:
                raise RiskkitError(f"outcome {outcome.name!r} is declared twice in the registry")
            self._outcomes[outcome.name] = outcome

    def __getitem__(self, name: str) -> Feature:
        try:
            return self._features[name]
        except KeyError:
            raise RiskkitError(unknown_name_message("feature", name, self._features)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._features

    def __iter__(self) -> Iterator[str]:
        return iter(self._features)

    def __len__(self) -> int:
        return len(self._features)

    @property
    def outcomes(self) -> Mapping[str, Outcome]:
        """Registered outcomes by name."""
        return dict(self._outcomes)

    def outcome(self, name: str) -> Outcome:
        """The outcome called ``name``; an error lists the known ones otherwise."""
        try:
            return self._outcomes[name]
        except KeyError:
            raise RiskkitError(unknown_name_message("outcome", name, self._outcomes)) from None

    def monotone_constraints(self, names: Iterable[str]) -> list[int]:
        """LightGBM monotone constraints for ``names``, in that order."""
        return [int(self[n].monotone) for n in names]

    def protected_names(self) -> list[str]:
        """Names of every protected attribute."""
        return [n for n, f in self._features.items() if f.protected]


def unknown_name_message(what: str, name: str, known: Iterable[str]) -> str:
    """An error message for an unknown name, with the closest known names and the full list."""
    known_list = sorted(known)
    close = difflib.get_close_matches(name, known_list, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {what} {name!r}.{hint} Known {what}s: {', '.join(known_list)}"


@cache
def default_registry() -> FeatureRegistry:
    """The registry shipped with riskkit: the synthetic population's variables and those of the
    public datasets riskkit has adapters for (COMPAS, NIJ Georgia)."""
    from riskkit.features.declarations import all_features, all_outcomes

    return FeatureRegistry(all_features(), all_outcomes())

"""Case plans: supervision, alternative measures and programmes from a jurisdiction catalogue.

:func:`recommend_interventions` applies the risk-need-responsivity (RNR) principles to one
person, with the policy of a :class:`~riskkit.scoring.catalogue.Catalogue`:

* **risk**: supervision intensity comes from the risk band, and the plan lists the alternative
  (non-custodial) measures the catalogue allows for that band, least restrictive first;
* **need**: programmes are matched to the person's highest needs (from a
  :class:`~riskkit.estimators.needs.NeedsProfile`), only where a need reaches the programme's
  minimum level; needs the catalogue has no programme for are listed as unmet, so the
  administration sees the gap;
* **responsivity**: each programme carries the catalogue's notes on adapting it to the person.

:func:`programme_demand` adds plans up into how many people each programme would serve.

JSON schema of a plan (``CasePlan.to_dict()``, ``schema_version`` 1)::

    {
      "kind": "riskkit.case_plan",
      "schema_version": 1,
      "jurisdiction": {"id": str, "version": str},
      "band": str,
      "supervision": {"band": str, "intensity": str, "contacts_per_month": float,
                      "label": TEXT, "description": TEXT},
      "measures": [                     # allowed for the band, least restrictive first
        {"id": str, "restrictiveness": int, "label": TEXT, "description": TEXT}
      ],
      "measures_reason": null | "no_measure_for_band",
      "programmes": [                   # at most max_programmes, in the order of their needs
        {"id": str, "needs": [NEED, ...],   # the first is the need it was chosen for
         "domains": [str], "min_level": str, "capacity": int | null,
         "label": TEXT, "description": TEXT,
         "responsivity": [{"factor": str, "text": TEXT}]}
      ],
      "programmes_reason": null | "no_needs_profile" | "no_matching_needs"
                           | "max_programmes_zero",
      "unmet_needs": [NEED + {"reason": "no_programme" | "below_minimum_level"}],
      "deferred_needs": [NEED],         # a programme exists, but max_programmes was reached
      "max_programmes": int
    }

    TEXT = {"es": str, "pt": str, "en": str}
    NEED = {"domain": str, "level": str, "rank": int, "probability": float, "label": TEXT}

This module imports only pydantic and riskkit's light modules: the needs profile is read by its
attributes, so LightGBM is not loaded to build a plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from riskkit.errors import RiskkitError
from riskkit.features.registry import Labels
from riskkit.scoring.catalogue import LEVELS, NEED_DOMAINS, Catalogue, ProgrammeEntry

if TYPE_CHECKING:
    from riskkit.estimators.needs import NeedsProfile

#: ``CasePlan.to_dict()["kind"]``.
PLAN_KIND: Final = "riskkit.case_plan"
#: Version of :meth:`CasePlan.to_dict`'s schema.
PLAN_SCHEMA_VERSION: Final = 1

#: ``programmes_reason``: no needs profile was given (no needs model), so no programme is matched.
NO_NEEDS_PROFILE: Final = "no_needs_profile"
#: ``programmes_reason``: no need reaches the minimum level of a programme that addresses it.
NO_MATCHING_NEEDS: Final = "no_matching_needs"
#: ``programmes_reason``: ``max_programmes=0`` was asked for.
MAX_PROGRAMMES_ZERO: Final = "max_programmes_zero"
#: ``measures_reason``: the catalogue allows no alternative measure for the band.
NO_MEASURE_FOR_BAND: Final = "no_measure_for_band"
#: ``UnmetNeed.reason``: no programme of the catalogue addresses the domain.
UNMET_NO_PROGRAMME: Final = "no_programme"
#: ``UnmetNeed.reason``: programmes address the domain, but all need a higher level.
UNMET_BELOW_MINIMUM_LEVEL: Final = "below_minimum_level"
#: Needs at or above this level with no programme are listed as unmet ("low" is no need).
UNMET_FROM_LEVEL: Final = "moderate"
#: Prefix of the unmet-need keys of :func:`programme_demand` (``"unmet:leisure_recreation"``).
UNMET_PREFIX: Final = "unmet:"

#: Need domain names in es, pt and en.
DOMAIN_LABELS: Final[Mapping[str, Labels]] = {
    "criminal_history": Labels("Historial delictivo", "Histórico criminal", "Criminal history"),
    "education_employment": Labels(
        "Educación y empleo", "Educação e emprego", "Education and employment"
    ),
    "family_marital": Labels("Familia y pareja", "Família e relacionamento", "Family and marital"),
    "leisure_recreation": Labels(
        "Ocio y tiempo libre", "Lazer e recreação", "Leisure and recreation"
    ),
    "companions": Labels("Amistades y pares", "Companhias", "Companions"),
    "substance_use": Labels("Consumo de sustancias", "Uso de substâncias", "Substance use"),
    "procriminal_attitudes": Labels(
        "Actitudes procriminales", "Atitudes pró-criminais", "Pro-criminal attitudes"
    ),
    "antisocial_pattern": Labels("Patrón antisocial", "Padrão antissocial", "Antisocial pattern"),
    "housing": Labels("Vivienda", "Moradia", "Housing"),
    "mental_health": Labels("Salud mental", "Saúde mental", "Mental health"),
}
#: Need level names in es, pt and en.
LEVEL_LABELS: Final[Mapping[str, Labels]] = {
    "low": Labels("Bajo", "Baixo", "Low"),
    "moderate": Labels("Moderado", "Moderado", "Moderate"),
    "high": Labels("Alto", "Alto", "High"),
}


def _texts(labels: Labels) -> dict[str, str]:
    return {"es": labels.es, "pt": labels.pt, "en": labels.en}


class _Described:
    """Name and description in es, pt and en, read by language."""

    labels: Labels
    descriptions: Labels

    def label(self, language: str) -> str:
        """The name in ``language`` (es, pt or en)."""
        return self.labels[language]

    def description(self, language: str) -> str:
        """The description in ``language`` (es, pt or en)."""
        return self.descriptions[language]


@dataclass(frozen=True)
class SupervisionLevel(_Described):
    """Supervision for the person's risk band.

    Attributes
    ----------
    band : str
        The risk band.
    intensity : str
        The catalogue's intensity code (e.g. ``"minimal"``, ``"standard"``, ``"intensive"``).
    contacts_per_month : float
        Contacts with the supervising officer a month.
    labels, descriptions : Labels
        Name and description in es, pt and en (read with :meth:`label`, :meth:`description`).
    """

    band: str
    intensity: str
    contacts_per_month: float
    labels: Labels
    descriptions: Labels

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring)."""
        return {
            "band": self.band,
            "intensity": self.intensity,
            "contacts_per_month": float(self.contacts_per_month),
            "label": _texts(self.labels),
            "description": _texts(self.descriptions),
        }


@dataclass(frozen=True)
class Measure(_Described):
    """An alternative (non-custodial) measure allowed for the person's band.

    Attributes
    ----------
    id : str
        The catalogue's measure id.
    restrictiveness : int
        Rank, 1 = least restrictive.
    labels, descriptions : Labels
        Name and description in es, pt and en.
    """

    id: str
    restrictiveness: int
    labels: Labels
    descriptions: Labels

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring)."""
        return {
            "id": self.id,
            "restrictiveness": int(self.restrictiveness),
            "label": _texts(self.labels),
            "description": _texts(self.descriptions),
        }


@dataclass(frozen=True)
class PlannedNeed:
    """A need of the person's profile, as a plan refers to it.

    Attributes
    ----------
    domain : str
        The need domain (a :class:`~riskkit.features.registry.NeedDomain` value).
    level : str
        ``"low"``, ``"moderate"`` or ``"high"``.
    rank : int
        Its rank in the needs profile (1 = the most likely need).
    probability : float
        The profile's probability of the need.
    """

    domain: str
    level: str
    rank: int
    probability: float

    def label(self, language: str) -> str:
        """The domain's name in ``language`` (es, pt or en)."""
        return DOMAIN_LABELS[self.domain][language]

    def level_label(self, language: str) -> str:
        """The level's name in ``language`` (es, pt or en)."""
        return LEVEL_LABELS[self.level][language]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring)."""
        return {
            "domain": self.domain,
            "level": self.level,
            "rank": int(self.rank),
            "probability": float(self.probability),
            "label": _texts(DOMAIN_LABELS[self.domain]),
        }


@dataclass(frozen=True)
class UnmetNeed(PlannedNeed):
    """A need no programme of the catalogue answers.

    Attributes
    ----------
    reason : str
        ``"no_programme"`` (no programme addresses the domain) or ``"below_minimum_level"``
        (programmes address it, but all need a higher level).
    """

    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring)."""
        return {**super().to_dict(), "reason": self.reason}


@dataclass(frozen=True)
class ResponsivityNote:
    """How to adapt a programme to the person (literacy, language, gender...).

    Attributes
    ----------
    factor : str
        A short code (``"literacy"``).
    labels : Labels
        The note in es, pt and en.
    """

    factor: str
    labels: Labels

    def text(self, language: str) -> str:
        """The note in ``language`` (es, pt or en)."""
        return self.labels[language]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring)."""
        return {"factor": self.factor, "text": _texts(self.labels)}


@dataclass(frozen=True)
class ProgrammeMatch(_Described):
    """A programme the plan proposes, with the needs it addresses.

    Attributes
    ----------
    id : str
        The catalogue's programme id.
    needs : tuple of PlannedNeed
        The person's needs it addresses: first the need it was chosen for (:attr:`need`), then
        lower-ranked needs it also covers.
    domains : tuple of str
        Every domain the programme addresses (from the catalogue).
    min_level : str
        The lowest need level that warrants it.
    capacity : int or None
        Places in the catalogue (None: no fixed number).
    labels, descriptions : Labels
        Name and description in es, pt and en.
    responsivity : tuple of ResponsivityNote
        The catalogue's notes on adapting the programme to the person.
    """

    id: str
    needs: tuple[PlannedNeed, ...]
    domains: tuple[str, ...]
    min_level: str
    capacity: int | None
    labels: Labels
    descriptions: Labels
    responsivity: tuple[ResponsivityNote, ...] = ()

    def __post_init__(self) -> None:
        if not self.needs:
            raise RiskkitError(f"ProgrammeMatch({self.id!r}) addresses no need; list at least one")

    @property
    def need(self) -> PlannedNeed:
        """The need the programme was chosen for."""
        return self.needs[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring)."""
        return {
            "id": self.id,
            "needs": [n.to_dict() for n in self.needs],
            "domains": list(self.domains),
            "min_level": self.min_level,
            "capacity": None if self.capacity is None else int(self.capacity),
            "label": _texts(self.labels),
            "description": _texts(self.descriptions),
            "responsivity": [r.to_dict() for r in self.responsivity],
        }


@dataclass(frozen=True)
class CasePlan:
    """One person's case plan: supervision, allowed measures and programmes.

    Attributes
    ----------
    band : str
        The risk band the plan was made for.
    supervision : SupervisionLevel
        Supervision intensity for the band.
    measures : tuple of Measure
        Alternative measures allowed for the band, least restrictive first.
    programmes : tuple of ProgrammeMatch
        Programmes for the person's highest needs, in the order of the needs they were chosen
        for.
    unmet_needs : tuple of UnmetNeed
        Needs (moderate or high) no programme of the catalogue answers, by rank.
    deferred_needs : tuple of PlannedNeed
        Needs a programme would answer, left out because ``max_programmes`` was reached.
    programmes_reason : str or None
        Why ``programmes`` is empty: ``"no_needs_profile"``, ``"no_matching_needs"`` or
        ``"max_programmes_zero"``; None when it is not empty.
    measures_reason : str or None
        ``"no_measure_for_band"`` when ``measures`` is empty; None otherwise.
    max_programmes : int
        The cap the plan was made with.
    jurisdiction, catalogue_version : str
        The catalogue's ``[jurisdiction]`` id and version.
    """

    band: str
    supervision: SupervisionLevel
    measures: tuple[Measure, ...]
    programmes: tuple[ProgrammeMatch, ...]
    unmet_needs: tuple[UnmetNeed, ...]
    deferred_needs: tuple[PlannedNeed, ...]
    programmes_reason: str | None
    measures_reason: str | None
    max_programmes: int
    jurisdiction: str
    catalogue_version: str

    def __post_init__(self) -> None:
        if bool(self.programmes) == (self.programmes_reason is not None):
            raise RiskkitError(
                f"CasePlan.programmes_reason={self.programmes_reason!r} with "
                f"{len(self.programmes)} programme(s): a reason is given exactly when there is "
                "no programme"
            )
        if bool(self.measures) == (self.measures_reason is not None):
            raise RiskkitError(
                f"CasePlan.measures_reason={self.measures_reason!r} with {len(self.measures)} "
                "measure(s): a reason is given exactly when there is no measure"
            )

    def labels(self, language: str) -> dict[str, Any]:
        """Every name the plan uses, in ``language`` (es, pt or en), for a report.

        Returns
        -------
        dict
            ``{"supervision": str, "measures": {id: str}, "programmes": {id: str},
            "needs": {domain: str}, "levels": {level: str}}``; ``needs`` covers every domain
            the plan mentions.
        """
        needs = [n for p in self.programmes for n in p.needs]
        needs += [*self.unmet_needs, *self.deferred_needs]
        return {
            "supervision": self.supervision.label(language),
            "measures": {m.id: m.label(language) for m in self.measures},
            "programmes": {p.id: p.label(language) for p in self.programmes},
            "needs": {n.domain: n.label(language) for n in sorted(needs, key=lambda n: n.rank)},
            "levels": {level: LEVEL_LABELS[level][language] for level in LEVELS},
        }

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-serialisable data (schema in the module docstring)."""
        return {
            "kind": PLAN_KIND,
            "schema_version": PLAN_SCHEMA_VERSION,
            "jurisdiction": {"id": self.jurisdiction, "version": self.catalogue_version},
            "band": self.band,
            "supervision": self.supervision.to_dict(),
            "measures": [m.to_dict() for m in self.measures],
            "measures_reason": self.measures_reason,
            "programmes": [p.to_dict() for p in self.programmes],
            "programmes_reason": self.programmes_reason,
            "unmet_needs": [n.to_dict() for n in self.unmet_needs],
            "deferred_needs": [n.to_dict() for n in self.deferred_needs],
            "max_programmes": int(self.max_programmes),
        }


def _planned_needs(needs: object, catalogue: Catalogue) -> list[PlannedNeed]:
    """The profile's needs in rank order, without the catalogue's supervision-only domains."""
    items = getattr(needs, "needs", None)
    if not isinstance(items, tuple):
        raise RiskkitError(
            f"needs={needs!r} is a {type(needs).__name__}; pass a NeedsProfile "
            "(riskkit.estimators.needs, e.g. NeedsModel.profiles(X)[i]) or None when there is "
            "no needs model"
        )
    skip = set(catalogue.needs.supervision_only)
    planned: list[PlannedNeed] = []
    for rank, item in enumerate(items, start=1):
        domain = str(getattr(item, "domain", ""))
        level = str(getattr(item, "level", ""))
        if domain not in NEED_DOMAINS or level not in LEVELS:
            raise RiskkitError(
                f"need #{rank} of the profile has domain={domain!r}, level={level!r}; expected a "
                f"domain among {', '.join(NEED_DOMAINS)} and a level among {', '.join(LEVELS)}"
            )
        if domain not in skip:
            planned.append(PlannedNeed(domain, level, rank, float(item.probability)))
    return planned


def _programme_match(entry: ProgrammeEntry, needs: list[PlannedNeed]) -> ProgrammeMatch:
    return ProgrammeMatch(
        id=entry.id,
        needs=tuple(needs),
        domains=tuple(entry.domains),
        min_level=entry.min_level,
        capacity=entry.capacity,
        labels=entry.label.labels(),
        descriptions=entry.description.labels(),
        responsivity=tuple(ResponsivityNote(r.factor, r.labels()) for r in entry.responsivity),
    )


def _match_programmes(
    planned: list[PlannedNeed], catalogue: Catalogue, max_programmes: int
) -> tuple[list[ProgrammeMatch], list[UnmetNeed], list[PlannedNeed]]:
    """Programmes for the ranked needs, the unmet needs and the deferred ones."""
    programmes = list(enumerate(catalogue.programmes))

    def warranted(need: PlannedNeed) -> list[tuple[int, ProgrammeEntry]]:
        return [(i, p) for i, p in programmes if p.warrants(need.domain, need.level)]

    actionable = [n for n in planned if warranted(n)]
    chosen: list[tuple[ProgrammeEntry, list[PlannedNeed]]] = []
    unmet: list[UnmetNeed] = []
    deferred: list[PlannedNeed] = []
    for need in planned:
        candidates = warranted(need)
        if not candidates:
            if LEVELS.index(need.level) >= LEVELS.index(UNMET_FROM_LEVEL):
                addressed = any(need.domain in p.domains for _, p in programmes)
                reason = UNMET_BELOW_MINIMUM_LEVEL if addressed else UNMET_NO_PROGRAMME
                unmet.append(
                    UnmetNeed(need.domain, need.level, need.rank, need.probability, reason)
                )
            continue
        covering = next((c for c in chosen if c[0].warrants(need.domain, need.level)), None)
        if covering is not None:
            covering[1].append(need)
            continue
        if len(chosen) >= max_programmes:
            deferred.append(need)
            continue
        uncovered = [
            n for n in actionable if not any(c.warrants(n.domain, n.level) for c, _ in chosen)
        ]
        # the programme that covers most of the person's other needs, then the more intensive
        # one (higher minimum level), then the catalogue's order
        _, best = min(
            candidates,
            key=lambda item: (
                -sum(item[1].warrants(n.domain, n.level) for n in uncovered),
                -LEVELS.index(item[1].min_level),
                item[0],
            ),
        )
        chosen.append((best, [need]))
    return [_programme_match(entry, needs) for entry, needs in chosen], unmet, deferred


def recommend_interventions(
    band: str,
    needs: NeedsProfile | None,
    catalogue: Catalogue,
    *,
    max_programmes: int = 3,
) -> CasePlan:
    """A case plan for one person, from their risk band and needs profile.

    Parameters
    ----------
    band : str
        The person's risk band (a band of the pipeline, with a ``[[supervision]]`` entry).
    needs : NeedsProfile or None
        The person's needs profile (:meth:`riskkit.estimators.needs.NeedsModel.profiles`);
        None when there is no needs model: the plan then has no programme and says so
        (``programmes_reason == "no_needs_profile"``).
    catalogue : Catalogue
        The jurisdiction's catalogue (:func:`riskkit.scoring.catalogue.load_catalogue`).
    max_programmes : int, default 3
        The most programmes one plan proposes (0 or more). RNR targets a few of the highest
        needs at a time.

    Returns
    -------
    CasePlan
        Supervision for the band; the measures allowed for it, least restrictive first;
        programmes for the highest needs (by rank, only needs at or above each programme's
        minimum level; one programme per need, and a programme chosen for one need also
        addresses the person's other needs it covers); needs without a programme as unmet;
        needs left out by ``max_programmes`` as deferred. Domains in the catalogue's
        ``needs.supervision_only`` are neither matched nor reported as unmet.

    Raises
    ------
    RiskkitError
        When the band has no supervision entry, ``needs`` is not a needs profile, or
        ``max_programmes`` is not a whole number from 0.
    """
    if (
        isinstance(max_programmes, bool)
        or not isinstance(max_programmes, int)
        or max_programmes < 0
    ):
        raise RiskkitError(
            f"max_programmes={max_programmes!r} must be a whole number of programmes, 0 or more "
            "(default 3)"
        )
    entry = catalogue.supervision_for(band)
    supervision = SupervisionLevel(
        band=entry.band,
        intensity=entry.intensity,
        contacts_per_month=float(entry.contacts_per_month),
        labels=entry.label.labels(),
        descriptions=entry.description.labels(),
    )
    measures = tuple(
        Measure(m.id, m.restrictiveness, m.label.labels(), m.description.labels())
        for m in catalogue.measures_for(band)
    )
    programmes: list[ProgrammeMatch] = []
    unmet: list[UnmetNeed] = []
    deferred: list[PlannedNeed] = []
    if needs is None:
        reason: str | None = NO_NEEDS_PROFILE
    else:
        planned = _planned_needs(needs, catalogue)
        programmes, unmet, deferred = _match_programmes(planned, catalogue, max_programmes)
        if programmes:
            reason = None
        elif max_programmes == 0:
            reason = MAX_PROGRAMMES_ZERO
        else:
            reason = NO_MATCHING_NEEDS
    return CasePlan(
        band=band,
        supervision=supervision,
        measures=measures,
        programmes=tuple(programmes),
        unmet_needs=tuple(unmet),
        deferred_needs=tuple(deferred),
        programmes_reason=reason,
        measures_reason=None if measures else NO_MEASURE_FOR_BAND,
        max_programmes=max_programmes,
        jurisdiction=catalogue.jurisdiction.id,
        catalogue_version=catalogue.jurisdiction.version,
    )


def programme_demand(
    plans: Iterable[CasePlan], *, catalogue: Catalogue | None = None
) -> dict[str, int]:
    """How many people each programme would serve, and how many have each unmet need.

    Parameters
    ----------
    plans : iterable of CasePlan
        The plans of a facility or caseload.
    catalogue : Catalogue, optional
        When given, every programme of the catalogue is listed, with 0 when no plan proposes
        it (compare the counts with each programme's ``capacity``).

    Returns
    -------
    dict of str to int
        Programme id -> people it would serve (catalogue order when ``catalogue`` is given,
        otherwise order of first appearance), then ``"unmet:<domain>"`` -> people with that
        unmet need (in the registry's domain order). A person counts once per programme.
    """
    served: dict[str, int] = (
        {p.id: 0 for p in catalogue.programmes} if catalogue is not None else {}
    )
    unmet: dict[str, int] = {}
    for plan in plans:
        if not isinstance(plan, CasePlan):
            raise RiskkitError(
                f"programme_demand() takes CasePlan objects (from recommend_interventions); "
                f"got a {type(plan).__name__}"
            )
        for programme in plan.programmes:
            served[programme.id] = served.get(programme.id, 0) + 1
        for domain in {n.domain for n in plan.unmet_needs}:
            unmet[domain] = unmet.get(domain, 0) + 1
    ordered_unmet = {f"{UNMET_PREFIX}{d}": unmet[d] for d in NEED_DOMAINS if d in unmet}
    return {**served, **ordered_unmet}

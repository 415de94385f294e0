"""Caseload and facility reports: many scored people at once, as HTML and PDF.

* The **caseload report** (:func:`render_caseload_html`, :func:`render_caseload_pdf`) lists
  people by the band used (the override's when a case worker recorded one), highest first,
  then by probability, with each person's top need and first programme: the order in which a
  team reviews its cases.
* The **facility summary** (:func:`facility_summary`, a :class:`FacilitySummary`) counts people
  by band (the model's and the band used), overrides, people by need domain and level, the
  programme demand of the case plans (:func:`riskkit.scoring.interventions.programme_demand`)
  and the unmet needs, so an administration can size its programmes: how many places in
  substance-use treatment, education, employment support. :func:`render_facility_html` and
  :func:`render_facility_pdf` print it.

Both take a :class:`~riskkit.scoring.score.ScoredCases` or a list of
:class:`~riskkit.scoring.results.ScoreResult` (or of :class:`CaseloadEntry`, the few fields the
reports read of each person, which :func:`riskkit.scoring.batch.score_file` collects while it
writes the per-person reports).

A person's **top need** is the highest-ranked need of the profile that the case plan acts on
(a programme's need) or reports as unmet or deferred; without a plan, or when the plan names no
need, it is the profile's first need. Needs the catalogue answers with supervision only (such
as criminal history) are so never anyone's top need when there is a plan.

JSON schema of the facility summary (``FacilitySummary.to_dict()``, ``schema_version`` 1)::

    {
      "kind": "riskkit.facility_summary",
      "schema_version": 1,
      "people": int,
      "models": [{"name": str, "version": int, "alias": str | null}],
      "scored": {"first": str | null, "last": str | null},      # ISO 8601
      "bands": {band: int},              # the model's bands, lowest first
      "final_bands": {band: int},        # the bands used (after overrides)
      "overrides": int,
      "with_needs_profile": int,
      "needs": {domain: {"low": int, "moderate": int, "high": int}},
      "top_needs": {domain: int},
      "with_case_plan": int,
      "jurisdiction": {"id": str, "version": str} | null,
      "programme_demand": {programme_id: int, "unmet:<domain>": int},   # programme_demand()
      "programmes": [{"id": str, "label": TEXT, "capacity": int | null, "people": int}],
      "unmet_needs": {domain: int}
    }
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from riskkit.config import PipelineConfig
from riskkit.errors import RiskkitError
from riskkit.features.registry import Labels
from riskkit.reports.case_report import band_label, format_date, format_percent
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render
from riskkit.scoring.results import ModelIdentity, ScoreResult

if TYPE_CHECKING:
    from riskkit.reports.pdf import Block, Document
    from riskkit.scoring.catalogue import Catalogue
    from riskkit.scoring.interventions import CasePlan
    from riskkit.scoring.score import ScoredCases

__all__ = [
    "CaseloadEntry",
    "FacilitySummary",
    "ProgrammeLine",
    "caseload_entries",
    "facility_summary",
    "render_caseload_html",
    "render_caseload_pdf",
    "render_facility_html",
    "render_facility_pdf",
]

#: ``FacilitySummary.to_dict()["kind"]``.
SUMMARY_KIND: Final = "riskkit.facility_summary"
#: Version of :meth:`FacilitySummary.to_dict`'s schema.
SUMMARY_SCHEMA_VERSION: Final = 1
_LEVELS: Final = ("low", "moderate", "high")


# --- one person, as the reports read it ---------------------------------------------------------


@dataclass(frozen=True)
class CaseloadEntry:
    """What the caseload and facility reports read of one scored person.

    Attributes
    ----------
    person_id : str
    probability : float
    band, final_band : str
        The model's band and the band used (the override's, when there is one).
    override_reason : str or None
        The case worker's reason, when the band was overridden.
    interval : (low, high, level) or None
    needs : tuple of (domain, level) or None
        The needs profile, highest probability first; None without a needs model.
    plan : CasePlan or None
        The case plan; None without a catalogue.
    model : ModelIdentity
    scored_at : str
        ISO 8601.
    report : str or None
        The person's report file, relative to the caseload page (a link), if any.
    """

    person_id: str
    probability: float
    band: str
    final_band: str
    model: ModelIdentity
    scored_at: str
    override_reason: str | None = None
    interval: tuple[float, float, float] | None = None
    needs: tuple[tuple[str, str], ...] | None = None
    plan: CasePlan | None = field(default=None, repr=False)
    report: str | None = None

    @classmethod
    def from_result(cls, result: ScoreResult, *, report: str | None = None) -> CaseloadEntry:
        """The entry of one :class:`~riskkit.scoring.results.ScoreResult`.

        Parameters
        ----------
        result : ScoreResult
        report : str, optional
            The person's report file, linked from the caseload page.
        """
        return cls(
            person_id=result.person_id,
            probability=result.probability,
            band=result.band,
            final_band=result.final_band,
            model=result.model,
            scored_at=result.scored_at,
            override_reason=None if result.override is None else result.override.reason,
            interval=result.interval,
            needs=None
            if result.needs is None
            else tuple((n.domain, n.level) for n in result.needs.needs),
            plan=result.case_plan,
            report=report,
        )

    @property
    def overridden(self) -> bool:
        """Whether a case worker overrode the band."""
        return self.override_reason is not None

    @property
    def top_need(self) -> tuple[str, str] | None:
        """``(domain, level)`` of the person's top need (see the module docstring); None
        without a needs profile."""
        if not self.needs:
            return None
        if self.plan is not None:
            named = [n for p in self.plan.programmes for n in p.needs]
            named += [*self.plan.unmet_needs, *self.plan.deferred_needs]
            if named:
                first = min(named, key=lambda n: n.rank)
                return first.domain, first.level
        return self.needs[0]


def caseload_entries(
    results: ScoredCases | Iterable[ScoreResult | CaseloadEntry],
    *,
    catalogue: Catalogue | None = None,
) -> list[CaseloadEntry]:
    """The entries of many people, in their order.

    For a :class:`~riskkit.scoring.score.ScoredCases` the entries are built from its columns:
    probability and band as scored, the needs profiles of everyone in one call of the needs
    model, and the case plans from ``catalogue`` (or the one it was scored with); the
    per-person recourse search, which the reports do not show, is never run. For results or
    entries, each is read as it is.

    Parameters
    ----------
    results : ScoredCases, or iterable of ScoreResult or CaseloadEntry
    catalogue : Catalogue, optional
        Only for a ScoredCases: the catalogue to build the case plans from (by default, the
        one it was scored with, if any).

    Returns
    -------
    list of CaseloadEntry
    """
    from riskkit.scoring.score import ScoredCases

    if isinstance(results, ScoredCases):
        return _entries_from_columns(results, catalogue)
    entries = []
    for item in results:
        if isinstance(item, CaseloadEntry):
            entries.append(item)
        elif isinstance(item, ScoreResult):
            entries.append(CaseloadEntry.from_result(item))
        else:
            raise RiskkitError(
                f"caseload reports take ScoredCases, ScoreResult or CaseloadEntry objects; got "
                f"a {type(item).__name__}"
            )
    return entries


def _entries_from_columns(scored: ScoredCases, catalogue: Catalogue | None) -> list[CaseloadEntry]:
    profiles: list[Any] = [None] * len(scored)
    if scored.needs_model is not None and scored.needs_inputs is not None and len(scored):
        profiles = list(scored.needs_model.profiles(scored.needs_inputs))
    plans: list[CasePlan | None] = [None] * len(scored)
    catalogue = catalogue if catalogue is not None else scored.catalogue
    if catalogue is not None:
        from riskkit.scoring.interventions import recommend_interventions

        plans = [
            recommend_interventions(str(band), profile, catalogue)
            for band, profile in zip(scored.bands, profiles, strict=True)
        ]
    intervals: list[tuple[float, float, float] | None] = [None] * len(scored)
    if scored.intervals is not None and len(scored):
        low, high = scored.intervals.interval(scored.values, calibrator=scored.calibrator)
        level = float(scored.intervals.level)
        intervals = [(float(a), float(b), level) for a, b in zip(low, high, strict=True)]
    return [
        CaseloadEntry(
            person_id=str(scored.person_ids[i]),
            probability=float(scored.probability[i]),
            band=str(scored.bands[i]),
            final_band=str(scored.bands[i]),
            model=scored.model,
            scored_at=scored.scored_at,
            interval=intervals[i],
            needs=None
            if profiles[i] is None
            else tuple((n.domain, n.level) for n in profiles[i].needs),
            plan=plans[i],
        )
        for i in range(len(scored))
    ]


def _sorted(entries: Sequence[CaseloadEntry], config: PipelineConfig) -> list[CaseloadEntry]:
    """Highest band used first, then highest probability, then person id."""
    names = config.band_names()

    def key(entry: CaseloadEntry) -> tuple[int, float, str]:
        rank = names.index(entry.final_band) if entry.final_band in names else -1
        return (-rank, -entry.probability, entry.person_id)

    return sorted(entries, key=key)


# --- facility summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeLine:
    """One programme of the summary: its names, places and the people its plans propose."""

    id: str
    labels: Labels
    capacity: int | None
    people: int

    @property
    def shortfall(self) -> int:
        """People beyond the places (0 when there is no fixed number of places)."""
        return 0 if self.capacity is None else max(self.people - self.capacity, 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "id": self.id,
            "label": {"es": self.labels.es, "pt": self.labels.pt, "en": self.labels.en},
            "capacity": self.capacity,
            "people": self.people,
        }


@dataclass(frozen=True)
class FacilitySummary:
    """People of a facility or caseload counted by band, need and programme.

    Attributes
    ----------
    people : int
    band_names : tuple of str
        The pipeline's bands, lowest first.
    bands, final_bands : dict of str to int
        People per band: the model's, and the one used (after overrides). Each adds up to
        ``people``.
    overrides : int
        People whose band a case worker overrode.
    with_needs_profile : int
        People with a needs profile.
    needs : dict of str to dict of str to int
        Domain -> level -> people (each domain adds up to ``with_needs_profile``).
    top_needs : dict of str to int
        People whose top need is in the domain.
    with_case_plan : int
    programme_demand : dict of str to int
        Exactly what :func:`~riskkit.scoring.interventions.programme_demand` gives for the
        plans (programme ids, then ``"unmet:<domain>"`` keys).
    programmes : tuple of ProgrammeLine
        The programmes with their places and demand.
    unmet_needs : dict of str to int
        People per domain with a need no programme answers.
    models : tuple of ModelIdentity
    scored_first, scored_last : str or None
        The earliest and latest scoring time (ISO 8601).
    jurisdiction, catalogue_version : str or None
        The catalogue of the plans.
    """

    people: int
    band_names: tuple[str, ...]
    bands: dict[str, int]
    final_bands: dict[str, int]
    overrides: int
    with_needs_profile: int
    needs: dict[str, dict[str, int]]
    top_needs: dict[str, int]
    with_case_plan: int
    programme_demand: dict[str, int]
    programmes: tuple[ProgrammeLine, ...]
    unmet_needs: dict[str, int]
    models: tuple[ModelIdentity, ...]
    scored_first: str | None
    scored_last: str | None
    jurisdiction: str | None = None
    catalogue_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (see the module docstring for the schema)."""
        return {
            "kind": SUMMARY_KIND,
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "people": self.people,
            "models": [
                {"name": m.name, "version": m.version, "alias": m.alias} for m in self.models
            ],
            "scored": {"first": self.scored_first, "last": self.scored_last},
            "bands": dict(self.bands),
            "final_bands": dict(self.final_bands),
            "overrides": self.overrides,
            "with_needs_profile": self.with_needs_profile,
            "needs": {domain: dict(levels) for domain, levels in self.needs.items()},
            "top_needs": dict(self.top_needs),
            "with_case_plan": self.with_case_plan,
            "jurisdiction": None
            if self.jurisdiction is None
            else {"id": self.jurisdiction, "version": self.catalogue_version},
            "programme_demand": dict(self.programme_demand),
            "programmes": [p.to_dict() for p in self.programmes],
            "unmet_needs": dict(self.unmet_needs),
        }


def _counts(values: Iterable[str], names: Sequence[str]) -> dict[str, int]:
    counts = dict.fromkeys(names, 0)
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def facility_summary(
    results: ScoredCases | Iterable[ScoreResult | CaseloadEntry],
    *,
    config: PipelineConfig,
    catalogue: Catalogue | None = None,
) -> FacilitySummary:
    """Count the people of a facility or caseload by band, need and programme.

    Parameters
    ----------
    results : ScoredCases, or iterable of ScoreResult or CaseloadEntry
        The people. For a :class:`~riskkit.scoring.score.ScoredCases`, band counts come from
        its columns; when it has a needs model or a catalogue, the needs profiles are computed
        for everyone in one call of the needs model and a case plan is made for each person
        (one :func:`~riskkit.scoring.interventions.recommend_interventions` call each, which
        is what takes time for a large caseload); the per-person recourse search is never run.
        Without a needs model and a catalogue, the summary reads the columns only.
    config : PipelineConfig
        The model's pipeline (band names).
    catalogue : Catalogue, optional
        Lists every programme of the catalogue with its places, with 0 people when no plan
        proposes it; for a ScoredCases, also the catalogue the plans are made from (by
        default, the one it was scored with).

    Returns
    -------
    FacilitySummary
    """
    from riskkit.scoring.catalogue import NEED_DOMAINS
    from riskkit.scoring.interventions import UNMET_PREFIX, programme_demand
    from riskkit.scoring.score import ScoredCases

    names = tuple(config.band_names())
    if (
        isinstance(results, ScoredCases)
        and results.needs_model is None
        and catalogue is None
        and results.catalogue is None
    ):
        return _summary_from_columns(results, names)
    entries = caseload_entries(results, catalogue=catalogue)
    plans = [e.plan for e in entries if e.plan is not None]
    demand = programme_demand(plans, catalogue=catalogue)
    profiled = [e for e in entries if e.needs is not None]
    needs: dict[str, dict[str, int]] = {}
    for entry in profiled:
        for domain, level in entry.needs or ():
            needs.setdefault(domain, dict.fromkeys(_LEVELS, 0))[level] += 1
    tops = [top[0] for e in profiled if (top := e.top_need) is not None]
    top_counts = _counts(tops, ())
    programmes = _programme_lines(plans, demand, catalogue)
    jurisdiction = version = None
    if catalogue is not None:
        jurisdiction, version = catalogue.jurisdiction.id, catalogue.jurisdiction.version
    elif plans:
        jurisdiction, version = plans[0].jurisdiction, plans[0].catalogue_version
    times = sorted(e.scored_at for e in entries)
    models = tuple(dict.fromkeys(e.model for e in entries))
    return FacilitySummary(
        people=len(entries),
        band_names=names,
        bands=_counts((e.band for e in entries), names),
        final_bands=_counts((e.final_band for e in entries), names),
        overrides=sum(e.overridden for e in entries),
        with_needs_profile=len(profiled),
        needs={d: needs[d] for d in NEED_DOMAINS if d in needs},
        top_needs={d: top_counts[d] for d in NEED_DOMAINS if d in top_counts},
        with_case_plan=len(plans),
        programme_demand=demand,
        programmes=programmes,
        unmet_needs={
            key[len(UNMET_PREFIX) :]: count
            for key, count in demand.items()
            if key.startswith(UNMET_PREFIX)
        },
        models=models,
        scored_first=times[0] if times else None,
        scored_last=times[-1] if times else None,
        jurisdiction=jurisdiction,
        catalogue_version=version,
    )


def _summary_from_columns(scored: ScoredCases, names: tuple[str, ...]) -> FacilitySummary:
    counts = scored.band_counts(names)
    extra = len(scored) - sum(counts.values())
    if extra:  # bands outside the pipeline's (cannot happen with score_cases)
        counts = _counts((str(b) for b in scored.bands), names)
    when = scored.scored_at if len(scored) else None
    return FacilitySummary(
        people=len(scored),
        band_names=names,
        bands=dict(counts),
        final_bands=dict(counts),
        overrides=0,
        with_needs_profile=0,
        needs={},
        top_needs={},
        with_case_plan=0,
        programme_demand={},
        programmes=(),
        unmet_needs={},
        models=(scored.model,) if len(scored) else (),
        scored_first=when,
        scored_last=when,
    )


def _programme_lines(
    plans: Sequence[CasePlan], demand: Mapping[str, int], catalogue: Catalogue | None
) -> tuple[ProgrammeLine, ...]:
    from riskkit.scoring.interventions import UNMET_PREFIX

    known: dict[str, tuple[Labels, int | None]] = {}
    if catalogue is not None:
        for entry in catalogue.programmes:
            known[entry.id] = (entry.label.labels(), entry.capacity)
    for plan in plans:
        for programme in plan.programmes:
            known.setdefault(programme.id, (programme.labels, programme.capacity))
    return tuple(
        ProgrammeLine(key, known[key][0], known[key][1], count)
        for key, count in demand.items()
        if not key.startswith(UNMET_PREFIX) and key in known
    )


# --- content shared by HTML and PDF -------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    rank: int
    person_id: str
    report: str | None
    band: str
    band_note: str
    band_index: int
    probability: str
    need: str
    programme: str


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    align: tuple[str, ...]


@dataclass(frozen=True)
class _Page:
    language: str
    title: str
    text: Mapping[str, str]
    facts: tuple[tuple[str, str], ...]
    intro: str
    rows: tuple[_Row, ...] = ()
    tables: tuple[tuple[str, str, _Table | None], ...] = ()  # heading, note, table
    notice: tuple[str, ...] = ()


def _need_words(need: tuple[str, str] | None, language: str, text: Mapping[str, str]) -> str:
    from riskkit.scoring.interventions import DOMAIN_LABELS, LEVEL_LABELS

    if need is None:
        return text["no_needs"]
    domain, level = need
    return text["need_with_level"].format(
        need=DOMAIN_LABELS[domain][language], level=LEVEL_LABELS[level][language].lower()
    )


def _facts(
    models: Sequence[ModelIdentity],
    first: str | None,
    last: str | None,
    people: int,
    text: Mapping[str, str],
    jurisdiction: str | None = None,
    version: str | None = None,
) -> tuple[tuple[str, str], ...]:
    facts = [(text["people"], str(people))]
    if models:
        shown = []
        for m in models:
            alias = f" ({m.alias})" if m.alias else ""
            shown.append(f"{m.name} · {text['version']} {m.version}{alias}")
        facts.append((text["model"], "; ".join(shown)))
    if first is not None and last is not None:
        span = format_date(first)
        if format_date(last) != span:
            span = text["span"].format(first=span, last=format_date(last))
        facts.append((text["scored"], span))
    if jurisdiction is not None:
        facts.append((text["catalogue"], f"{jurisdiction} · {text['version']} {version}"))
    return tuple(facts)


def _caseload_page(
    results: ScoredCases | Iterable[ScoreResult | CaseloadEntry],
    config: PipelineConfig,
    language: str,
) -> _Page:
    text = messages("caseload", language)
    entries = _sorted(caseload_entries(results), config)
    names = config.band_names()
    rows = []
    for rank, entry in enumerate(entries, start=1):
        probability = format_percent(entry.probability, language)
        if entry.interval is not None:
            probability += " " + text["interval"].format(
                low=format_percent(entry.interval[0], language, 0),
                high=format_percent(entry.interval[1], language, 0),
            )
        programme = text["no_programme"]
        if entry.plan is not None and entry.plan.programmes:
            programme = entry.plan.programmes[0].label(language)
        elif entry.plan is None:
            programme = text["no_plan"]
        rows.append(
            _Row(
                rank=rank,
                person_id=entry.person_id,
                report=entry.report,
                band=band_label(config, entry.final_band, language),
                band_note=text["band_model_note"].format(
                    band=band_label(config, entry.band, language).lower()
                )
                if entry.overridden
                else "",
                band_index=names.index(entry.final_band) if entry.final_band in names else 0,
                probability=probability,
                need=_need_words(entry.top_need, language, text),
                programme=programme,
            )
        )
    counts = _counts((e.final_band for e in entries), names)
    by_band = ", ".join(
        f"{band_label(config, band, language)}: {count}" for band, count in reversed(counts.items())
    )
    plan = next((e.plan for e in entries if e.plan is not None), None)
    times = sorted(e.scored_at for e in entries)
    return _Page(
        language=language,
        title=text["caseload_title"],
        text=text,
        facts=_facts(
            tuple(dict.fromkeys(e.model for e in entries)),
            times[0] if times else None,
            times[-1] if times else None,
            len(entries),
            text,
            None if plan is None else plan.jurisdiction,
            None if plan is None else plan.catalogue_version,
        ),
        intro=text["caseload_intro"].format(n=len(entries), counts=by_band),
        rows=tuple(rows),
        notice=(text["need_note"], text["notice"]),
    )


def _share(count: int, total: int, language: str) -> str:
    return format_percent(count / total, language, 0) if total else "—"


def _facility_page(summary: FacilitySummary, config: PipelineConfig, language: str) -> _Page:
    from riskkit.scoring.interventions import DOMAIN_LABELS, LEVEL_LABELS

    text = messages("caseload", language)
    total = summary.people
    bands = _Table(
        header=(text["band"], text["model_bands"], text["final_bands"], text["share"]),
        rows=(
            *(
                (
                    band_label(config, band, language),
                    str(summary.bands.get(band, 0)),
                    str(summary.final_bands.get(band, 0)),
                    _share(summary.final_bands.get(band, 0), total, language),
                )
                for band in reversed(summary.band_names)
            ),
            (text["total"], str(total), str(total), _share(total, total, language)),
        ),
        widths=(2.0, 1.2, 1.2, 1.0),
        align=("left", "right", "right", "right"),
    )
    tables: list[tuple[str, str, _Table | None]] = [
        (text["bands_heading"], text["overrides"].format(n=summary.overrides), bands)
    ]
    if summary.with_needs_profile:
        needs = _Table(
            header=(
                text["domain"],
                *(LEVEL_LABELS[level][language] for level in _LEVELS),
                text["top_need"],
            ),
            rows=tuple(
                (
                    DOMAIN_LABELS[domain][language],
                    *(str(levels[level]) for level in _LEVELS),
                    str(summary.top_needs.get(domain, 0)),
                )
                for domain, levels in summary.needs.items()
            ),
            widths=(2.4, 1.0, 1.0, 1.0, 1.3),
            align=("left", "right", "right", "right", "right"),
        )
        note = text["needs_note"].format(n=summary.with_needs_profile, total=total)
        tables.append((text["needs_heading"], note, needs))
    else:
        tables.append((text["needs_heading"], text["needs_absent"], None))
    if summary.with_case_plan or summary.programmes:
        programmes = _Table(
            header=(text["programme"], text["people"], text["capacity"], text["shortfall"]),
            rows=tuple(
                (
                    p.labels[language],
                    str(p.people),
                    text["capacity_none"] if p.capacity is None else str(p.capacity),
                    str(p.shortfall) if p.capacity is not None else "—",
                )
                for p in summary.programmes
            ),
            widths=(2.6, 1.0, 1.1, 1.0),
            align=("left", "right", "right", "right"),
        )
        note = text["programmes_note"].format(n=summary.with_case_plan, total=total)
        tables.append((text["programmes_heading"], note, programmes))
        if summary.unmet_needs:
            unmet = _Table(
                header=(text["domain"], text["people"]),
                rows=tuple(
                    (DOMAIN_LABELS[domain][language], str(count))
                    for domain, count in summary.unmet_needs.items()
                ),
                widths=(3.0, 1.0),
                align=("left", "right"),
            )
            tables.append((text["unmet_heading"], text["unmet_note"], unmet))
        else:
            tables.append((text["unmet_heading"], text["unmet_none"], None))
    else:
        tables.append((text["programmes_heading"], text["plans_absent"], None))
    return _Page(
        language=language,
        title=text["facility_title"],
        text=text,
        facts=_facts(
            summary.models,
            summary.scored_first,
            summary.scored_last,
            total,
            text,
            summary.jurisdiction,
            summary.catalogue_version,
        ),
        intro=text["facility_intro"],
        tables=tuple(tables),
        notice=(text["notice"],),
    )


# --- HTML ---------------------------------------------------------------------------------------


def render_caseload_html(
    results: ScoredCases | Iterable[ScoreResult | CaseloadEntry],
    *,
    config: PipelineConfig,
    language: str = "es",
) -> str:
    """The caseload as one HTML page: people by band used (highest first), then probability.

    Parameters
    ----------
    results : ScoredCases, or iterable of ScoreResult or CaseloadEntry
        The people (see :func:`caseload_entries`).
    config : PipelineConfig
        The model's pipeline (band names and labels).
    language : {"es", "pt", "en"}, default "es"

    Returns
    -------
    str
        Self-contained HTML (inline CSS, no script); each person's id links to their report
        when the entry names one.
    """
    page = _caseload_page(results, config, language)
    return render("caseload.html", page=page, text=page.text)


def render_facility_html(
    summary: FacilitySummary, *, config: PipelineConfig, language: str = "es"
) -> str:
    """The facility summary as one HTML page: people by band, by need and by programme.

    Parameters
    ----------
    summary : FacilitySummary
        From :func:`facility_summary`.
    config : PipelineConfig
        The model's pipeline (band labels).
    language : {"es", "pt", "en"}, default "es"

    Returns
    -------
    str
        Self-contained HTML (inline CSS, no script).
    """
    page = _facility_page(summary, config, language)
    return render("facility.html", page=page, text=page.text)


# --- PDF ----------------------------------------------------------------------------------------


def _pdf_table(table: _Table) -> Block:
    from riskkit.reports.pdf import Table

    return Table(
        header=table.header, rows=table.rows, column_widths=table.widths, align=table.align
    )


def _document(page: _Page, blocks: list[Block]) -> Document:
    from riskkit.reports.pdf import Bullets, Document, Heading, KeyValues, Paragraph

    head: list[Block] = [Heading(page.title, level=1), KeyValues(page.facts)]
    head.append(Paragraph(page.intro))
    tail: list[Block] = [Bullets(page.notice)] if page.notice else []
    return Document(
        title=page.title,
        language=page.language,
        blocks=tuple(head + blocks + tail),
        footer=page.text["footer"],
        page_label=page.text["page_label"],
        author="riskkit",
    )


def render_caseload_pdf(
    results: ScoredCases | Iterable[ScoreResult | CaseloadEntry],
    *,
    config: PipelineConfig,
    language: str = "es",
) -> bytes:
    """The caseload as a printable PDF (A4), with the same content as the HTML page.

    Parameters
    ----------
    results : ScoredCases, or iterable of ScoreResult or CaseloadEntry
    config : PipelineConfig
    language : {"es", "pt", "en"}, default "es"

    Returns
    -------
    bytes
        The PDF file; the same people give the same bytes.
    """
    from riskkit.reports.pdf import Table, render_pdf

    page = _caseload_page(results, config, language)
    text = page.text
    rows = tuple(
        (
            str(row.rank),
            row.person_id,
            f"{row.band}\n({row.band_note})" if row.band_note else row.band,
            row.probability,
            row.need,
            row.programme,
        )
        for row in page.rows
    )
    table = Table(
        header=(
            text["rank"],
            text["person"],
            text["band"],
            text["probability"],
            text["top_need"],
            text["first_programme"],
        ),
        rows=rows,
        column_widths=(0.5, 1.5, 1.1, 1.3, 1.8, 2.0),
        align=("right", "left", "left", "right", "left", "left"),
    )
    return render_pdf(_document(page, [table]))


def render_facility_pdf(
    summary: FacilitySummary, *, config: PipelineConfig, language: str = "es"
) -> bytes:
    """The facility summary as a printable PDF (A4), with the same content as the HTML page.

    Parameters
    ----------
    summary : FacilitySummary
    config : PipelineConfig
    language : {"es", "pt", "en"}, default "es"

    Returns
    -------
    bytes
        The PDF file; the same summary gives the same bytes.
    """
    from riskkit.reports.pdf import Heading, Paragraph, render_pdf

    page = _facility_page(summary, config, language)
    blocks: list[Block] = []
    for heading, note, table in page.tables:
        blocks.append(Heading(heading, level=2))
        if note:
            blocks.append(Paragraph(note))
        if table is not None:
            blocks.append(_pdf_table(table))
    return render_pdf(_document(page, blocks))

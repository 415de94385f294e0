"""A jurisdiction's catalogue of supervision levels, alternative measures and programmes.

The catalogue is the jurisdiction's policy, written in a TOML file (``catalogues/example.toml`` is
an illustrative example, not the law of any country). riskkit reads it; it does not decide it.
:func:`riskkit.scoring.interventions.recommend_interventions` turns a risk band and a needs profile
into a case plan from it, following the risk-need-responsivity principles (see
``docs/case_plans.md``).

Format (every text in es, pt and en)::

    [jurisdiction]                  id, version, name.{es,pt,en}, legal_basis.{es,pt,en}
    [needs]                         supervision_only = [<need domain>, ...]   (optional)
    [[supervision]]                 one per risk band: band, intensity, contacts_per_month,
                                    label.{es,pt,en}, description.{es,pt,en}
    [[measures]]                    id, restrictiveness (1 = least restrictive), bands,
                                    label.{es,pt,en}, description.{es,pt,en}
    [[programmes]]                  id, domains, min_level, capacity (optional),
                                    label.{es,pt,en}, description.{es,pt,en}
    [[programmes.responsivity]]     factor, es, pt, en   (optional notes, any number)

Loading checks the structure and the cross references (known bands and need domains, unique
ids, levels) and reports every problem at once, each naming the file, the key, the value found
and what is allowed.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from riskkit.errors import ConfigError, RiskkitError
from riskkit.features.registry import Labels, NeedDomain

#: Every need domain, in the registry's order.
NEED_DOMAINS: Final[tuple[str, ...]] = tuple(d.value for d in NeedDomain)
#: Need levels from the lowest to the highest. The same as
#: :data:`riskkit.estimators.needs.LEVELS`, repeated here because that module loads LightGBM.
LEVELS: Final[tuple[str, str, str]] = ("low", "moderate", "high")
#: What an ``id`` (of a measure or programme) and a responsivity ``factor`` may look like.
ID_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_ID_RULE: Final = "a lower-case identifier (letters a-z, digits and _, starting with a letter)"
#: The pydantic error type of the cross-reference checks: its context lists every problem.
_PROBLEMS_ERROR: Final = "riskkit_catalogue"
#: The catalogue's arrays of tables.
_ARRAYS: Final = ("supervision", "measures", "programmes")

Level = Literal["low", "moderate", "high"]
_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class CatalogueError(ConfigError):
    """A jurisdiction catalogue (TOML) is invalid, or does not fit a pipeline.

    Parameters
    ----------
    path : str
        The catalogue file.
    problems : sequence of str
        One line per problem, each naming the key, what was found and what is allowed.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        RiskkitError.__init__(self, f"invalid jurisdiction catalogue {path}:\n{lines}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueText(_Section):
    """One text in every report language (Spanish, Portuguese, English)."""

    es: _Text
    pt: _Text
    en: _Text

    def labels(self) -> Labels:
        """The text as the registry's :class:`~riskkit.features.registry.Labels`."""
        return Labels(es=self.es, pt=self.pt, en=self.en)


class Jurisdiction(_Section):
    """Who issued the catalogue, which version it is, and on what legal basis."""

    id: _Text
    version: _Text
    name: CatalogueText
    legal_basis: CatalogueText = Field(
        description="the law or regulation the catalogue implements, or a note that it is an "
        "illustrative example"
    )


class NeedsPolicy(_Section):
    """How the catalogue treats need domains as a whole."""

    supervision_only: list[str] = Field(
        default_factory=list,
        description="need domains no programme targets (static ones, such as criminal "
        "history, which supervision intensity answers): never matched and never reported as "
        "unmet",
    )


class SupervisionEntry(_Section):
    """Supervision for one risk band: intensity is proportional to risk."""

    band: _Text
    intensity: _Text = Field(description="a short code, e.g. 'minimal', 'standard', 'intensive'")
    contacts_per_month: Annotated[float, Field(ge=0, le=31)]
    label: CatalogueText
    description: CatalogueText


class MeasureEntry(_Section):
    """An alternative (non-custodial) measure and the risk bands it may be offered to."""

    id: str
    restrictiveness: Annotated[int, Field(ge=1)] = Field(
        description="rank, 1 = least restrictive; ties keep the catalogue's order"
    )
    bands: list[str]
    label: CatalogueText
    description: CatalogueText


class ResponsivityEntry(_Section):
    """A note on adapting a programme to the person (literacy, language, gender...)."""

    factor: str
    es: _Text
    pt: _Text
    en: _Text

    def labels(self) -> Labels:
        """The note as :class:`~riskkit.features.registry.Labels`."""
        return Labels(es=self.es, pt=self.pt, en=self.en)


class ProgrammeEntry(_Section):
    """A programme, the need domains it addresses and the lowest need level that warrants it."""

    id: str
    domains: list[str]
    min_level: Level = "moderate"
    capacity: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="places available; none = not a fixed number"
    )
    label: CatalogueText
    description: CatalogueText
    responsivity: list[ResponsivityEntry] = Field(default_factory=list)

    def warrants(self, domain: str, level: str) -> bool:
        """Whether a need in ``domain`` at ``level`` warrants this programme."""
        return (
            domain in self.domains
            and level in LEVELS
            and LEVELS.index(level) >= LEVELS.index(self.min_level)
        )


class Catalogue(_Section):
    """A jurisdiction catalogue: supervision per risk band, measures and programmes.

    Load one with :func:`load_catalogue`. Entries keep the file's order.
    """

    jurisdiction: Jurisdiction
    needs: NeedsPolicy = NeedsPolicy()
    supervision: list[SupervisionEntry] = Field(min_length=1)
    measures: list[MeasureEntry] = Field(default_factory=list)
    programmes: list[ProgrammeEntry] = Field(default_factory=list)

    _source: str = PrivateAttr(default="<catalogue>")

    @model_validator(mode="after")
    def _cross_references(self) -> Catalogue:
        _raise_problems(_cross_reference_problems(self))
        return self

    @property
    def source(self) -> str:
        """The file the catalogue was read from (``"<catalogue>"`` when built in code)."""
        return self._source

    def band_names(self) -> tuple[str, ...]:
        """The risk bands with a supervision entry, in the catalogue's order."""
        return tuple(s.band for s in self.supervision)

    def supervision_for(self, band: str) -> SupervisionEntry:
        """The supervision entry of ``band``.

        Raises
        ------
        RiskkitError
            When the catalogue has no entry for the band (the message lists its bands).
        """
        for entry in self.supervision:
            if entry.band == band:
                return entry
        raise RiskkitError(
            f"band {band!r} has no [[supervision]] entry in catalogue {self.source}; its bands "
            f"are {', '.join(self.band_names())}. Check the pipeline's bands with "
            "catalogue.check_bands(config.band_names())"
        )

    def measures_for(self, band: str) -> list[MeasureEntry]:
        """The measures allowed for ``band``, least restrictive first (ties: file order)."""
        self.supervision_for(band)
        allowed = [m for m in self.measures if band in m.bands]
        return sorted(allowed, key=lambda m: m.restrictiveness)

    def programme(self, programme_id: str) -> ProgrammeEntry:
        """The programme called ``programme_id``."""
        for entry in self.programmes:
            if entry.id == programme_id:
                return entry
        raise RiskkitError(
            f"catalogue {self.source} has no programme {programme_id!r}; its programmes are "
            f"{', '.join(p.id for p in self.programmes) or '(none)'}"
        )

    def check_bands(self, band_names: Iterable[str]) -> None:
        """Check that every risk band of a pipeline has a supervision entry.

        Parameters
        ----------
        band_names : iterable of str
            The pipeline's band names (``PipelineConfig.band_names()``).

        Raises
        ------
        CatalogueError
            Naming each band without a ``[[supervision]]`` entry.
        """
        if isinstance(band_names, str):
            raise RiskkitError(
                f"check_bands({band_names!r}): pass the list of band names, e.g. "
                f"check_bands([{band_names!r}]) or check_bands(config.band_names())"
            )
        wanted = [str(b) for b in band_names]
        have = self.band_names()
        problems = [
            f"key 'supervision': no entry for band {band!r} of the pipeline (pipeline bands: "
            f"{', '.join(wanted)}; catalogue bands: {', '.join(have)}). Add a [[supervision]] "
            f"table with band = {band!r}"
            for band in wanted
            if band not in have
        ]
        if problems:
            raise CatalogueError(self.source, problems)


def _unknown(what: str, value: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {value!r}{hint}; allowed: {', '.join(allowed)}"


def _repeats(values: Sequence[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def _cross_reference_problems(catalogue: Catalogue) -> list[str]:
    """Problems between sections: bands, need domains, ids (empty when none)."""
    problems: list[str] = []
    bands = list(catalogue.band_names())
    for band in _repeats(bands):
        problems.append(
            f"key 'supervision': band {band!r} has {bands.count(band)} entries; keep one "
            "[[supervision]] table per band"
        )
    for i, domain in enumerate(catalogue.needs.supervision_only):
        if domain not in NEED_DOMAINS:
            problems.append(
                f"key 'needs.supervision_only.{i}': "
                + _unknown("need domain", domain, NEED_DOMAINS)
            )
    for section, ids in (
        ("measures", [m.id for m in catalogue.measures]),
        ("programmes", [p.id for p in catalogue.programmes]),
    ):
        for i, value in enumerate(ids):
            if not ID_PATTERN.fullmatch(value):
                problems.append(f"key '{section}.{i}.id': {value!r} must be {_ID_RULE}")
        for repeated in _repeats(ids):
            where = [str(i) for i, v in enumerate(ids) if v == repeated]
            problems.append(
                f"key '{section}.id': duplicate id {repeated!r} (entries {', '.join(where)}); "
                f"every [[{section}]] table needs its own id"
            )
    for i, measure in enumerate(catalogue.measures):
        key = f"measures.{i}.bands"
        if not measure.bands:
            problems.append(
                f"key '{key}' (measure {measure.id!r}): lists no band; list the bands it is "
                f"allowed for ({', '.join(bands)})"
            )
        for band in measure.bands:
            if band not in bands:
                problems.append(
                    f"key '{key}' (measure {measure.id!r}): "
                    + _unknown("band", band, bands)
                    + " (the bands with a [[supervision]] entry)"
                )
        for band in _repeats(measure.bands):
            problems.append(f"key '{key}' (measure {measure.id!r}): band {band!r} repeats")
    supervision_only = set(catalogue.needs.supervision_only)
    for i, programme in enumerate(catalogue.programmes):
        key = f"programmes.{i}.domains"
        if not programme.domains:
            problems.append(
                f"key '{key}' (programme {programme.id!r}): lists no need domain; allowed: "
                + ", ".join(NEED_DOMAINS)
            )
        for domain in programme.domains:
            if domain not in NEED_DOMAINS:
                problems.append(
                    f"key '{key}' (programme {programme.id!r}): "
                    + _unknown("need domain", domain, NEED_DOMAINS)
                )
            elif domain in supervision_only:
                problems.append(
                    f"key '{key}' (programme {programme.id!r}): {domain!r} is listed in "
                    "needs.supervision_only, so no programme may target it; remove it from one "
                    "of the two"
                )
        for domain in _repeats(programme.domains):
            problems.append(f"key '{key}' (programme {programme.id!r}): {domain!r} repeats")
        for j, note in enumerate(programme.responsivity):
            if not ID_PATTERN.fullmatch(note.factor):
                problems.append(
                    f"key 'programmes.{i}.responsivity.{j}.factor' (programme "
                    f"{programme.id!r}): {note.factor!r} must be {_ID_RULE}, e.g. 'literacy'"
                )
    return problems


def _raise_problems(problems: list[str]) -> None:
    """Raise cross-reference problems as one pydantic error that lists each of them."""
    if problems:
        raise PydanticCustomError(
            _PROBLEMS_ERROR, "{summary}", {"summary": "; ".join(problems), "problems": problems}
        )


def _describe_errors(errors: Sequence[Any]) -> list[str]:
    lines: list[str] = []
    for error in errors:
        if error["type"] == _PROBLEMS_ERROR:
            lines.extend(str(p) for p in error["ctx"]["problems"])
        else:
            lines.append(_describe_error(error))
    return lines


def _describe_error(error: Any) -> str:
    loc = tuple(error["loc"])
    key = ".".join(str(part) for part in loc) if loc else "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = ", ".join(model.model_fields) if model else "see docs/case_plans.md"
        return f"unknown key '{key}'; allowed keys here: {allowed}"
    if kind == "missing":
        return f"missing required key '{key}'"
    if kind == "model_type":
        model = _model_at(loc)
        keys = ", ".join(model.model_fields) if model else "see docs/case_plans.md"
        example = f" (e.g. {loc[-1]}.es = '...')" if model is CatalogueText else ""
        return (
            f"key '{key}': must be a table with keys {keys}{example} (found {error.get('input')!r})"
        )
    if kind == "list_type" and len(loc) == 1 and loc[0] in _ARRAYS:
        return (
            f"key '{key}': must be an array of tables, one [[{loc[0]}]] table per entry "
            f"(found {error.get('input')!r})"
        )
    if kind == "literal_error" and loc and loc[-1] == "min_level":
        return f"key '{key}': {error.get('input')!r} is not a need level; allowed: " + ", ".join(
            LEVELS
        )
    return f"key '{key}': {error['msg']} (found {error.get('input')!r})"


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The catalogue model a location points into (to list its allowed keys)."""
    model: type[BaseModel] = Catalogue
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        nested = next(
            (a for a in (annotation, *inner) if isinstance(a, type) and issubclass(a, BaseModel)),
            None,
        )
        if nested is None:
            return None
        model = nested
    return model


def load_catalogue(path: str | Path, *, band_names: Iterable[str] | None = None) -> Catalogue:
    """Load and check a jurisdiction catalogue TOML.

    Parameters
    ----------
    path : str or Path
        The catalogue file (e.g. ``catalogues/example.toml``).
    band_names : iterable of str, optional
        A pipeline's risk bands; when given, :meth:`Catalogue.check_bands` runs too and its
        problems are reported with the others.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Listing every problem, each naming the file, the key, the value found and what is
        allowed: unknown keys, missing keys, unknown band or need-domain names, duplicate ids,
        bad levels, bands without supervision.
    """
    path = Path(path)
    if not path.is_file():
        folder = path.parent if str(path.parent) not in ("", ".") else Path("catalogues")
        found = sorted(p.name for p in folder.glob("*.toml")) if folder.is_dir() else []
        hint = f" Catalogues in {folder}: {', '.join(found)}" if found else ""
        raise CatalogueError(str(path), [f"the file does not exist.{hint}"])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_catalogue(raw, source=str(path), band_names=band_names)


def parse_catalogue(
    data: Mapping[str, Any],
    *,
    source: str = "<catalogue>",
    band_names: Iterable[str] | None = None,
) -> Catalogue:
    """Check an already parsed catalogue (the TOML's tables as a mapping).

    Parameters
    ----------
    data : mapping
        What ``tomllib`` reads from a catalogue file.
    source : str, default "<catalogue>"
        Where the data came from, named in error messages and kept as :attr:`Catalogue.source`.
    band_names : iterable of str, optional
        A pipeline's risk bands, checked with :meth:`Catalogue.check_bands`.

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Listing every problem, as :func:`load_catalogue` does.
    """
    try:
        catalogue = Catalogue.model_validate(dict(data))
    except ValidationError as exc:
        raise CatalogueError(source, _describe_errors(exc.errors())) from None
    catalogue._source = source
    if band_names is not None:
        catalogue.check_bands(band_names)
    return catalogue

"""The per-person case report, as HTML and PDF, in Spanish, Portuguese or English.

Rendering only: a :class:`~riskkit.scoring.results.ScoreResult` goes in, a page comes out.
:func:`build_case_content` turns the result into :class:`CaseContent`, every text already in
the report's language and every number already formatted; :func:`render_case_html` and
:func:`render_case_pdf` only lay that content out, so both formats say the same thing.

The report has, in order:

1. who, when and which model (name, version, alias), the outcome estimated;
2. the band in words (the band used, and its place among the bands), the probability with its
   uncertainty interval when the model gives one, compared with the population average; when
   a case worker overrode the band, the model's band, the band used and the reason;
3. the factors raising and lowering the probability, as sentences ("Empleo al egreso (sin
   empleo): +6,1 puntos porcentuales"), then every factor in two tables, changeable and static;
4. the needs profile as a bar chart with levels (or a sentence saying no needs model was used);
5. the proposed case plan: supervision, alternative measures (least restrictive first),
   programmes for the top needs, unmet and deferred needs (or a sentence saying there is none);
6. recourse in words, with the caution that it describes the model, not an obligation; a
   translated sentence for each reason code;
7. what the score is not, and how to contest it.

The HTML is self-contained: inline CSS, the needs chart as inline SVG (no script, no image
file, no network), readable on a phone and printable. The PDF (A4, :mod:`riskkit.reports.pdf`)
draws the needs chart with matplotlib (imported when a PDF is rendered). The same result gives
the same HTML and the same PDF bytes: nothing reads the clock.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from riskkit.config import PipelineConfig
from riskkit.errors import RiskkitError
from riskkit.features.registry import Feature, default_registry
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render
from riskkit.scoring.results import FactorContribution, ScoreResult

if TYPE_CHECKING:
    from riskkit.estimators.needs import NeedsProfile
    from riskkit.explain.recourse import Recourse, RecourseChange
    from riskkit.reports.pdf import Block, Document
    from riskkit.scoring.interventions import CasePlan, PlannedNeed

__all__ = [
    "CaseContent",
    "FactorLine",
    "NeedBar",
    "PlanContent",
    "PlanItem",
    "RecourseContent",
    "band_label",
    "build_case_content",
    "case_document",
    "factor_lines",
    "format_date",
    "format_number",
    "format_percent",
    "format_points",
    "in_sentence",
    "needs_chart_png",
    "render_case_html",
    "render_case_pdf",
]

#: How many factors the "raising" and "lowering" lists show.
TOP_FACTORS: Final = 5
#: Colours of the need levels (HTML and PDF): low, moderate, high.
LEVEL_COLOURS: Final[Mapping[str, str]] = {
    "low": "#8fb3cf",
    "moderate": "#e0a526",
    "high": "#b83227",
}
_PLOT_DPI: Final = 110


# --- formatting ---------------------------------------------------------------------------------


def format_number(number: float, language: str, decimals: int = 1) -> str:
    """A number with the language's decimal separator ("6,1" in es/pt, "6.1" in en)."""
    text = f"{number:.{decimals}f}"
    return text.replace(".", ",") if language in ("es", "pt") else text


def format_percent(probability: float, language: str, decimals: int = 1) -> str:
    """A probability as a percentage ("42,3 %" in es/pt, "42.3%" in en)."""
    number = format_number(100 * probability, language, decimals)
    return f"{number} %" if language in ("es", "pt") else f"{number}%"


def format_points(points: float, language: str, unit: str) -> str:
    """Probability points as signed percentage points ("+6,1 puntos porcentuales")."""
    return f"{'+' if points >= 0 else '−'}{format_number(abs(100 * points), language)} {unit}"


def format_date(timestamp: str) -> str:
    """An ISO 8601 timestamp as "2026-01-15 09:30 UTC" (as given when it does not parse)."""
    try:
        when = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M")
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _plain_number(number: float, language: str) -> str:
    """A count-like number without needless decimals ("2", "0,5")."""
    if float(number).is_integer():
        return str(int(number))
    return format_number(number, language, 1)


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Vivienda al egreso" becomes "vivienda al
    egreso", while "NIJ..." (an acronym) is kept."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def band_label(config: PipelineConfig, name: str, language: str) -> str:
    """The band's label in ``language`` from the pipeline (its name when it has none)."""
    for band in config.bands:
        if band.name == name:
            return str(band.labels.get(language, band.name))  # type: ignore[call-overload]
    return name


def _band_index(config: PipelineConfig, name: str) -> int:
    names = config.band_names()
    return names.index(name) if name in names else -1


def _joined(items: Sequence[str], text: Mapping[str, str]) -> str:
    """ "a, b y c" in the report's language."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + text["and"] + items[-1]


# --- content ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorLine:
    """One factor as the report prints it."""

    label: str
    value: str
    points: float
    effect: str
    changeable: bool

    @property
    def sentence(self) -> str:
        """ "Label (value): +x.x percentage points"."""
        return f"{self.label} ({self.value}): {self.effect}"


@dataclass(frozen=True)
class NeedBar:
    """One need domain of the chart: its name, level and probability (formatted)."""

    domain: str
    label: str
    level: str
    level_label: str
    probability: float
    percent: str
    colour: str
    alt: str


@dataclass(frozen=True)
class PlanItem:
    """A measure or a programme of the plan: its name, description and notes."""

    label: str
    description: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanContent:
    """The case plan, in words."""

    intro: str
    band_note: str
    supervision: str
    supervision_description: str
    measures: tuple[PlanItem, ...]
    measures_note: str
    programmes: tuple[PlanItem, ...]
    programmes_note: str
    unmet: tuple[str, ...]
    deferred: tuple[str, ...]


@dataclass(frozen=True)
class RecourseContent:
    """Recourse in words: the sentences, the factors left out, and the caution."""

    sentences: tuple[str, ...]
    missing: str
    caution: str


@dataclass(frozen=True)
class CaseContent:
    """Everything one person's report shows, translated and formatted (HTML and PDF read it).

    Attributes
    ----------
    language : str
        ``"es"``, ``"pt"`` or ``"en"``.
    text : mapping
        The ``case`` message catalogue in that language (headings and fixed texts).
    facts : tuple of (str, str)
        Person, date, model, outcome (and catalogue, when there is a plan).
    band_label, band_position, band_index, band_count
        The band used (the override's when there is one), its place among the bands.
    band_sentence, interval_sentence, interval_note : str
        The probability against the population average; the interval and what it means (both
        empty when the result has no interval).
    override : tuple of str
        Both bands and the reason, when a case worker overrode the band; empty otherwise.
    raising, lowering : tuple of FactorLine
        The factors raising (lowering) the probability most, largest effect first.
    changeable, static : tuple of FactorLine
        Every factor, split by whether a case plan can act on it.
    needs, needs_note
        The needs chart's bars (empty without a needs profile) and the sentence above it.
    plan, plan_note
        The case plan (None without one) and the sentence shown instead.
    recourse : RecourseContent
    notice, contest : tuple of str
        What the score is not; how to contest it.
    """

    language: str
    text: Mapping[str, str]
    person_id: str
    facts: tuple[tuple[str, str], ...]
    band_label: str
    band_position: str
    band_index: int
    band_count: int
    band_sentence: str
    interval_sentence: str
    interval_note: str
    override: tuple[str, ...]
    raising: tuple[FactorLine, ...]
    lowering: tuple[FactorLine, ...]
    changeable: tuple[FactorLine, ...]
    static: tuple[FactorLine, ...]
    needs: tuple[NeedBar, ...]
    needs_note: str
    plan: PlanContent | None
    plan_note: str
    recourse: RecourseContent
    notice: tuple[str, ...]
    contest: tuple[str, ...]

    @property
    def title(self) -> str:
        """The report's title."""
        return self.text["title"]


def _value_text(
    feature: Feature | None, value: object, language: str, text: Mapping[str, str]
) -> str:
    if value is None:
        return text["missing"]
    if feature is None:
        return str(value)
    if feature.kind == "categorical":
        labels = feature.category_labels.get(str(value))
        return labels[language] if labels else str(value)
    if feature.kind == "binary":
        return text["yes"] if float(str(value)) == 1 else text["no"]
    if isinstance(value, float):
        return _plain_number(value, language)
    return str(value)


def _feature_label(name: str, language: str) -> tuple[Feature | None, str]:
    registry = default_registry()
    if name in registry:
        feature = registry[name]
        return feature, feature.label(language)
    return None, name


def factor_lines(contributions: tuple[FactorContribution, ...], language: str) -> list[FactorLine]:
    """Contributions as report lines, in the order given (largest effect first)."""
    text = messages("case", language)
    lines = []
    for c in contributions:
        feature, label = _feature_label(c.feature, language)
        lines.append(
            FactorLine(
                label=label,
                value=_value_text(feature, c.value, language, text),
                points=c.points,
                effect=format_points(c.points, language, text["points_unit"]),
                changeable=c.changeable,
            )
        )
    return lines


def _need_text(need: PlannedNeed, language: str, text: Mapping[str, str]) -> str:
    return text["need_with_level"].format(
        need=in_sentence(need.label(language)), level=need.level_label(language).lower()
    )


def _needs_bars(
    profile: NeedsProfile, language: str, text: Mapping[str, str]
) -> tuple[NeedBar, ...]:
    from riskkit.scoring.interventions import DOMAIN_LABELS, LEVEL_LABELS

    bars = []
    for need in profile.needs:
        label = DOMAIN_LABELS[need.domain][language]
        level = LEVEL_LABELS[need.level][language]
        percent = format_percent(need.probability, language, 0)
        bars.append(
            NeedBar(
                domain=need.domain,
                label=label,
                level=need.level,
                level_label=level,
                probability=need.probability,
                percent=percent,
                colour=LEVEL_COLOURS.get(need.level, "#777777"),
                alt=text["needs_bar_alt"].format(
                    domain=label, level=level.lower(), probability=percent
                ),
            )
        )
    return tuple(bars)


def _plan_content(
    plan: CasePlan,
    result: ScoreResult,
    config: PipelineConfig,
    language: str,
    text: Mapping[str, str],
) -> PlanContent:
    band_note = ""
    if plan.band != result.final_band:
        band_note = text["plan_band_note"].format(
            model_band=band_label(config, plan.band, language),
            final_band=band_label(config, result.final_band, language),
        )
    measures = tuple(PlanItem(m.label(language), m.description(language)) for m in plan.measures)
    measures_note = ""
    if not plan.measures:
        measures_note = text.get(f"plan_reason_{plan.measures_reason}", text["plan_reason_other"])
    programmes = tuple(
        PlanItem(
            p.label(language),
            p.description(language),
            (
                text["plan_programme_needs"].format(
                    needs=_joined([_need_text(n, language, text) for n in p.needs], text)
                ),
                *(text["plan_responsivity"].format(note=r.text(language)) for r in p.responsivity),
            ),
        )
        for p in plan.programmes
    )
    programmes_note = ""
    if not plan.programmes:
        programmes_note = text.get(
            f"plan_reason_{plan.programmes_reason}", text["plan_reason_other"]
        )
    unmet = tuple(
        text.get(f"plan_unmet_{n.reason}", text["plan_unmet_other"]).format(
            need=n.label(language), level=n.level_label(language).lower()
        )
        for n in plan.unmet_needs
    )
    deferred = tuple(
        text["need_with_level"].format(
            need=n.label(language), level=n.level_label(language).lower()
        )
        for n in plan.deferred_needs
    )
    return PlanContent(
        intro=text["plan_intro"].format(
            catalogue=plan.jurisdiction, version=plan.catalogue_version
        ),
        band_note=band_note,
        supervision=text["plan_supervision_line"].format(
            label=plan.supervision.label(language),
            contacts=_plain_number(plan.supervision.contacts_per_month, language),
        ),
        supervision_description=plan.supervision.description(language),
        measures=measures,
        measures_note=measures_note,
        programmes=programmes,
        programmes_note=programmes_note,
        unmet=unmet,
        deferred=deferred,
    )


def _changes_text(changes: Sequence[RecourseChange], language: str, text: Mapping[str, str]) -> str:
    parts = []
    for change in changes:
        feature, label = _feature_label(change.feature, language)
        parts.append(
            text["recourse_change"].format(
                factor=in_sentence(label),
                current=_value_text(feature, change.current_value, language, text),
                new=_value_text(feature, change.new_value, language, text),
            )
        )
    return _joined(parts, text)


def _recourse_content(
    recourse: Recourse | None,
    config: PipelineConfig,
    language: str,
    text: Mapping[str, str],
) -> RecourseContent:
    caution = text["recourse_caution"]
    if recourse is None:
        return RecourseContent((text["recourse_unavailable"],), "", caution)
    sentences: list[str] = []
    if recourse.found and recourse.new_probability is not None:
        sentences.append(
            text["recourse_sentence"].format(
                changes=_changes_text(recourse.changes, language, text),
                band=band_label(config, recourse.new_band or "", language).lower(),
                old=format_percent(recourse.current_probability, language, 0),
                new=format_percent(recourse.new_probability, language, 0),
            )
        )
        for option in recourse.lowest_band_options[:1]:
            if tuple(option.changes) == tuple(recourse.changes):
                continue
            sentences.append(
                text["recourse_lowest"].format(
                    band=band_label(config, option.new_band, language).lower(),
                    changes=_changes_text(option.changes, language, text),
                    new=format_percent(option.new_probability, language, 0),
                )
            )
    else:
        sentences.append(
            text.get(f"recourse_reason_{recourse.reason}", text["recourse_reason_other"])
        )
    missing = ""
    if recourse.missing_changeable:
        names = [in_sentence(_feature_label(n, language)[1]) for n in recourse.missing_changeable]
        missing = text["recourse_missing"].format(factors=_joined(names, text))
    return RecourseContent(tuple(sentences), missing, caution)


def build_case_content(
    result: ScoreResult, *, config: PipelineConfig, language: str = "es"
) -> CaseContent:
    """Everything one person's report shows, in ``language``, ready to lay out.

    Parameters
    ----------
    result : ScoreResult
        The person's score (:func:`riskkit.scoring.score.score_cases`), with an override when
        a case worker recorded one.
    config : PipelineConfig
        The model's pipeline (band names and labels).
    language : {"es", "pt", "en"}, default "es"
        The report's language.

    Returns
    -------
    CaseContent

    Raises
    ------
    RiskkitError
        When the language is unknown.
    """
    text = messages("case", language)
    registry = default_registry()
    try:
        outcome = registry.outcome(result.outcome).labels[language]
    except RiskkitError:
        outcome = result.outcome
    model = f"{result.model.name} · {text['version']} {result.model.version}"
    if result.model.alias:
        model += f" ({result.model.alias})"
    facts: list[tuple[str, str]] = [
        (text["person"], result.person_id),
        (text["scored_at"], format_date(result.scored_at)),
        (text["model"], model),
        (text["outcome"], outcome),
    ]
    if result.case_plan is not None:
        facts.append(
            (
                text["catalogue"],
                f"{result.case_plan.jurisdiction} · {text['version']} "
                f"{result.case_plan.catalogue_version}",
            )
        )
    final = result.final_band
    index = _band_index(config, final)
    band_sentence = text["band_sentence"].format(
        band=band_label(config, result.band, language).lower(),
        outcome=in_sentence(outcome),
        probability=format_percent(result.probability, language),
        reference=format_percent(result.reference_probability, language),
    )
    interval_sentence = interval_note = ""
    if result.interval is not None:
        low, high, level = result.interval
        interval_sentence = text["interval_sentence"].format(
            level=format_percent(level, language, 0),
            low=format_percent(low, language, 0),
            high=format_percent(high, language, 0),
        )
        interval_note = text["interval_note"]
    override: tuple[str, ...] = ()
    if result.override is not None:
        override = (
            text["override_sentence"].format(
                model_band=band_label(config, result.band, language),
                final_band=band_label(config, final, language),
            ),
            text["override_reason"].format(reason=result.override.reason),
        )
    lines = factor_lines(result.contributions, language)
    needs: tuple[NeedBar, ...] = ()
    needs_note = text["needs_absent"]
    if result.needs is not None:
        needs = _needs_bars(result.needs, language, text)
        needs_note = text["needs_intro"]
    plan = None
    plan_note = text["plan_absent"]
    if result.case_plan is not None:
        plan = _plan_content(result.case_plan, result, config, language, text)
        plan_note = ""
    return CaseContent(
        language=language,
        text=text,
        person_id=result.person_id,
        facts=tuple(facts),
        band_label=band_label(config, final, language),
        band_position=text["band_position"].format(
            index=index + 1 if index >= 0 else "?", count=len(config.bands)
        ),
        band_index=max(index, 0),
        band_count=len(config.bands),
        band_sentence=band_sentence,
        interval_sentence=interval_sentence,
        interval_note=interval_note,
        override=override,
        raising=tuple(line for line in lines if line.points > 0)[:TOP_FACTORS],
        lowering=tuple(line for line in lines if line.points < 0)[:TOP_FACTORS],
        changeable=tuple(line for line in lines if line.changeable),
        static=tuple(line for line in lines if not line.changeable),
        needs=needs,
        needs_note=needs_note,
        plan=plan,
        plan_note=plan_note,
        recourse=_recourse_content(result.recourse, config, language, text),
        notice=(text["notice_not_decision"], text["notice_arrests"], text["notice_population"]),
        contest=(text["contest_who"], text["contest_correct"], text["contest_logged"]),
    )


# --- HTML ---------------------------------------------------------------------------------------


def render_case_html(result: ScoreResult, *, config: PipelineConfig, language: str = "es") -> str:
    """The case report of one scored person as a self-contained HTML page.

    Parameters
    ----------
    result : ScoreResult
        The person's score.
    config : PipelineConfig
        The model's pipeline (band names and labels).
    language : {"es", "pt", "en"}, default "es"
        The report's language.

    Returns
    -------
    str
        HTML with inline CSS and the needs chart as inline SVG: no script, no external
        resource. The same result gives the same text.
    """
    content = build_case_content(result, config=config, language=language)
    return render("case_report.html", page=content, text=content.text)


# --- PDF ----------------------------------------------------------------------------------------


def needs_chart_png(bars: Sequence[NeedBar], *, axis_label: str) -> bytes:
    """The needs profile as a small horizontal bar chart (PNG), highest need on top.

    Parameters
    ----------
    bars : sequence of NeedBar
        The profile's domains, highest probability first.
    axis_label : str
        The x axis' title, in the report's language.

    Returns
    -------
    bytes
        A PNG file; the same bars give the same bytes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not bars:
        raise RiskkitError("needs_chart_png needs at least one need domain to draw")
    height = 0.75 + 0.28 * len(bars)
    figure = Figure(figsize=(6.2, height), dpi=_PLOT_DPI)
    # fixed margins rather than tight_layout: as readable, and much cheaper to draw
    figure.subplots_adjust(left=0.3, right=0.98, top=1 - 0.12 / height, bottom=0.55 / height)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))[::-1]
    values = [100 * bar.probability for bar in bars]
    axes.barh(positions, values, color=[bar.colour for bar in bars], height=0.65)
    axes.set_yticks(positions)
    axes.set_yticklabels([bar.label for bar in bars], fontsize=8)
    for y, value, bar in zip(positions, values, bars, strict=True):
        axes.text(
            min(value, 100) + 1.5,
            y,
            f"{bar.level_label} · {bar.percent}",
            va="center",
            fontsize=7.5,
            color="#333333",
        )
    axes.set_xlim(0, 130)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=7)
    axes.set_xlabel(axis_label, fontsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.BytesIO()
    # No "Software" entry: the same chart gives the same bytes on any matplotlib build.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _factor_table(lines: Sequence[FactorLine], text: Mapping[str, str]) -> Block:
    from riskkit.reports.pdf import Paragraph, Table

    if not lines:
        return Paragraph(text["none"])
    return Table(
        header=(text["factor"], text["value"], text["effect"]),
        rows=tuple((line.label, line.value, line.effect) for line in lines),
        column_widths=(2.2, 1.4, 1.4),
        align=("left", "left", "right"),
    )


def case_document(content: CaseContent) -> Document:
    """The PDF document of a case report (the same content as the HTML page).

    Parameters
    ----------
    content : CaseContent
        From :func:`build_case_content`.

    Returns
    -------
    Document
        Ready for :func:`riskkit.reports.pdf.render_pdf`.
    """
    from riskkit.reports.pdf import Bullets, Document, Heading, Image, KeyValues, Paragraph

    text = content.text
    blocks: list[Block] = [Heading(content.title, level=1), KeyValues(content.facts)]
    blocks.append(Heading(text["band_heading"], level=2))
    headline = f"{content.band_label} — {content.band_position}\n{content.band_sentence}"
    if content.interval_sentence:
        headline += f"\n{content.interval_sentence}"
    blocks.append(Paragraph(headline, style="notice"))
    if content.interval_note:
        blocks.append(Paragraph(content.interval_note, style="small"))
    if content.override:
        blocks.append(Paragraph("\n".join(content.override)))
    blocks.append(Heading(text["raising"], level=3))
    blocks.append(
        Bullets(tuple(line.sentence for line in content.raising))
        if content.raising
        else Paragraph(text["none"])
    )
    blocks.append(Heading(text["lowering"], level=3))
    blocks.append(
        Bullets(tuple(line.sentence for line in content.lowering))
        if content.lowering
        else Paragraph(text["none"])
    )
    blocks += [Heading(text["changeable_factors"], level=3)]
    blocks += [_factor_table(content.changeable, text)]
    blocks += [Heading(text["static_factors"], level=3), _factor_table(content.static, text)]
    blocks.append(Paragraph(text["sum_note"], style="small"))

    blocks += [Heading(text["needs_heading"], level=2), Paragraph(content.needs_note)]
    if content.needs:
        png = needs_chart_png(content.needs, axis_label=text["needs_axis"])
        blocks.append(Image(png, width_mm=150, caption=text["needs_chart_caption"]))

    blocks.append(Heading(text["plan_heading"], level=2))
    plan = content.plan
    if plan is None:
        blocks.append(Paragraph(content.plan_note))
    else:
        blocks.append(Paragraph(plan.intro, style="small"))
        if plan.band_note:
            blocks.append(Paragraph(plan.band_note, style="notice"))
        blocks += [Heading(text["plan_supervision"], level=3)]
        blocks.append(Paragraph(f"{plan.supervision}\n{plan.supervision_description}"))
        blocks.append(Heading(text["plan_measures"], level=3))
        if plan.measures:
            blocks.append(Bullets(tuple(f"{m.label}: {m.description}" for m in plan.measures)))
        else:
            blocks.append(Paragraph(plan.measures_note))
        blocks.append(Heading(text["plan_programmes"], level=3))
        if plan.programmes:
            blocks.append(
                Bullets(
                    tuple(
                        "\n".join((f"{p.label}: {p.description}", *p.details))
                        for p in plan.programmes
                    )
                )
            )
        else:
            blocks.append(Paragraph(plan.programmes_note))
        if plan.unmet:
            blocks += [Heading(text["plan_unmet"], level=3), Bullets(plan.unmet)]
        if plan.deferred:
            blocks += [Heading(text["plan_deferred"], level=3), Bullets(plan.deferred)]

    recourse = content.recourse
    blocks += [Heading(text["recourse_heading"], level=2), Bullets(recourse.sentences)]
    if recourse.missing:
        blocks.append(Paragraph(recourse.missing, style="small"))
    blocks.append(Paragraph(recourse.caution, style="notice"))

    blocks += [Heading(text["notice_heading"], level=2), Bullets(content.notice)]
    blocks += [Heading(text["contest_heading"], level=2), Bullets(content.contest)]
    return Document(
        title=f"{content.title} · {content.person_id}",
        language=content.language,
        blocks=tuple(blocks),
        footer=text["footer"],
        page_label=text["page_label"],
        author="riskkit",
    )


def render_case_pdf(result: ScoreResult, *, config: PipelineConfig, language: str = "es") -> bytes:
    """The case report of one scored person as a printable PDF (A4).

    Parameters
    ----------
    result : ScoreResult
        The person's score.
    config : PipelineConfig
        The model's pipeline (band names and labels).
    language : {"es", "pt", "en"}, default "es"
        The report's language.

    Returns
    -------
    bytes
        The PDF file, with the same content as :func:`render_case_html` (the needs chart as a
        PNG image). The same result gives the same bytes.
    """
    from riskkit.reports.pdf import render_pdf

    content = build_case_content(result, config=config, language=language)
    return render_pdf(case_document(content))

"""The per-person case report (HTML) in Spanish, Portuguese or English.

Rendering only: a :class:`~riskkit.scoring.results.ScoreResult` goes in, HTML comes out. Factor
sentences read like "Empleo al egreso (sin empleo): +6,1 puntos porcentuales".
"""

from __future__ import annotations

from dataclasses import dataclass

from riskkit.config import PipelineConfig
from riskkit.features.registry import Feature, default_registry
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render
from riskkit.scoring.results import FactorContribution, ScoreResult


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


def format_number(number: float, language: str, decimals: int = 1) -> str:
    """A number with the language's decimal separator."""
    text = f"{number:.{decimals}f}"
    return text.replace(".", ",") if language in ("es", "pt") else text


def format_percent(probability: float, language: str) -> str:
    """A probability as a percentage ("42,3 %" in es/pt, "42.3%" in en)."""
    number = format_number(100 * probability, language)
    return f"{number} %" if language in ("es", "pt") else f"{number}%"


def format_points(points: float, language: str, unit: str) -> str:
    """Probability points as signed percentage points ("+6,1 puntos porcentuales")."""
    return f"{'+' if points >= 0 else '−'}{format_number(abs(100 * points), language)} {unit}"


def _value_text(feature: Feature, value: object, language: str, text: dict[str, str]) -> str:
    if value is None:
        return text["missing"]
    if feature.kind == "categorical":
        labels = feature.category_labels.get(str(value))
        return labels[language] if labels else str(value)
    if feature.kind == "binary":
        return text["yes"] if float(str(value)) == 1 else text["no"]
    if isinstance(value, float):
        return format_number(value, language)
    return str(value)


def factor_lines(contributions: tuple[FactorContribution, ...], language: str) -> list[FactorLine]:
    """Contributions as report lines, in the order given (largest effect first)."""
    registry = default_registry()
    text = messages("case", language)
    lines = []
    for c in contributions:
        feature = registry[c.feature]
        lines.append(
            FactorLine(
                label=feature.label(language),
                value=_value_text(feature, c.value, language, text),
                points=c.points,
                effect=format_points(c.points, language, text["points_unit"]),
                changeable=c.changeable,
            )
        )
    return lines


def render_case_html(result: ScoreResult, *, config: PipelineConfig, language: str = "es") -> str:
    """The case report of one scored person as a self-contained HTML page."""
    text = messages("case", language)
    registry = default_registry()
    band = next(b for b in config.bands if b.name == result.band)
    band_label = band.labels.get(language, band.name)  # type: ignore[call-overload]
    outcome = registry.outcome(result.outcome).labels[language]
    lines = factor_lines(result.contributions, language)
    sentence = text["band_sentence"].format(
        band=band_label,
        outcome=outcome.lower(),
        probability=format_percent(result.probability, language),
        reference=format_percent(result.reference_probability, language),
    )
    return render(
        "case_report.html",
        text=text,
        language=language,
        result=result,
        band_label=band_label,
        band_index=config.band_names().index(result.band),
        band_count=len(config.bands),
        band_sentence=sentence,
        raising=[line for line in lines if line.points > 0][:5],
        lowering=[line for line in lines if line.points < 0][:5],
        static=[line for line in lines if not line.changeable],
        changeable=[line for line in lines if line.changeable],
    )

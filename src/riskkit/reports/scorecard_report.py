"""The points scorecard as one printable A4 page, in Spanish, Portuguese or English.

Rendering only: a fitted :class:`~riskkit.estimators.scorecard.PointsScorecard` goes in, HTML comes
out. The page holds one small table per factor (its values as readable ranges or categories, their
points, and a blank box to write the person's points in), a total line, the table from total
points to probability, and a short note on use. Neighbouring bins with equal points are merged, so
the page is as short as the points allow without changing any score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from riskkit.estimators.scorecard import PointsScorecard
from riskkit.features.registry import Feature, default_registry
from riskkit.reports.case_report import format_number
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render

__all__ = ["render_scorecard_html"]

# The probability grid has ten columns; its rows grow with the largest total until this many.
_GRID_COLUMNS: Final = 10
_GRID_MAX_ROWS: Final = 30


@dataclass(frozen=True)
class _Line:
    label: str
    points: int


@dataclass(frozen=True)
class _Block:
    label: str
    lines: tuple[_Line, ...]


@dataclass(frozen=True)
class _GridRow:
    start: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class _Grid:
    step: int
    offsets: tuple[int, ...]
    rows: tuple[_GridRow, ...]


def _plain(value: float, language: str) -> str:
    """A threshold as a short plain number (four significant digits, no exponent)."""
    if abs(value) < 1e-9:  # LightGBM writes a split at zero as 1e-35
        value = 0.0
    text = np.format_float_positional(float(f"{value:.4g}"), trim="-")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return format_number(float(text), language, decimals)


def _integer_label(
    lower: float, upper: float, feature: Feature, text: dict[str, str], language: str
) -> str | None:
    """The integers ``k`` with ``lower < k <= upper`` (within the registry's range), or None
    when there are none."""
    binary = feature.kind == "binary"
    floor, ceiling = (0.0, 1.0) if binary else (feature.minimum, feature.maximum)
    low = floor if math.isinf(lower) else math.floor(lower) + 1.0
    high = ceiling if math.isinf(upper) else float(math.floor(upper))
    if low is not None and floor is not None:
        low = max(low, floor)
    if high is not None and ceiling is not None:
        high = min(high, ceiling)
    if low is not None and high is not None and low > high:
        return None
    if binary:
        return text["any_value"] if low != high else text["yes" if low == 1 else "no"]
    if math.isinf(lower) and math.isinf(upper):
        return text["any_value"]
    if low is not None and low == high:
        return format_number(low, language, 0)
    if high is None or math.isinf(upper):
        return text["at_least"].format(value=format_number(low or 0.0, language, 0))
    if low is None or math.isinf(lower):
        return text["at_most"].format(value=format_number(high, language, 0))
    return text["between"].format(
        low=format_number(low, language, 0), high=format_number(high, language, 0)
    )


def _range_label(lower: float, upper: float, text: dict[str, str], language: str) -> str:
    if math.isinf(lower) and math.isinf(upper):
        return text["any_value"]
    if math.isinf(lower):
        return text["up_to"].format(value=_plain(upper, language))
    if math.isinf(upper):
        return text["above"].format(value=_plain(lower, language))
    return text["above_up_to"].format(low=_plain(lower, language), high=_plain(upper, language))


def _blocks(
    card: PointsScorecard, language: str, text: dict[str, str], feature_labels: bool
) -> list[_Block]:
    registry = default_registry()
    table = card.points_table(merge_equal=True)
    blocks = []
    for name, rows in table.groupby("feature", sort=False):
        key = str(name)
        # not registry.get(): the registry raises RiskkitError, not KeyError, for unknown names
        feature = registry[key] if key in registry else None  # noqa: SIM401
        lines = []
        for missing, category, lower, upper, points in zip(
            rows["missing"].to_numpy(dtype=bool),
            rows["category"].to_numpy(dtype=object),
            rows["lower"].to_numpy(dtype="float64"),
            rows["upper"].to_numpy(dtype="float64"),
            rows["points"].to_numpy(dtype="int64"),
            strict=True,
        ):
            label: str | None
            if missing:
                # a validated record cannot lack a non-nullable registry feature
                if feature is not None and not feature.nullable:
                    continue
                label = text["missing"]
            elif category is not None:
                labels = feature.category_labels.get(str(category)) if feature else None
                label = labels[language] if labels and feature_labels else str(category)
            elif feature is not None and feature.kind in ("integer", "binary"):
                label = _integer_label(float(lower), float(upper), feature, text, language)
            else:
                label = _range_label(float(lower), float(upper), text, language)
            if label is not None:
                lines.append(_Line(label=label, points=int(points)))
        heading = feature.label(language) if feature is not None and feature_labels else key
        blocks.append(_Block(label=heading, lines=tuple(lines)))
    return blocks


def _grid(card: PointsScorecard, language: str) -> _Grid:
    probability = card.probability_table_["probability"].to_numpy()
    largest = len(probability) - 1
    step = next(
        s
        for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9)
        if math.ceil((largest + 1) / (_GRID_COLUMNS * s)) <= _GRID_MAX_ROWS
    )
    width = _GRID_COLUMNS * step
    rows = []
    for start in range(0, largest + 1, width):
        cells = tuple(
            format_number(100 * probability[total], language)
            if (total := start + c * step) <= largest
            else ""
            for c in range(_GRID_COLUMNS)
        )
        rows.append(_GridRow(start=start, cells=cells))
    offsets = tuple(c * step for c in range(_GRID_COLUMNS))
    return _Grid(step=step, offsets=offsets, rows=tuple(rows))


def render_scorecard_html(
    scorecard: PointsScorecard,
    *,
    language: str = "es",
    title: str | None = None,
    feature_labels: bool = True,
) -> str:
    """The scorecard as a self-contained printable page (one A4 sheet, inline CSS, no scripts).

    Parameters
    ----------
    scorecard : PointsScorecard
        A fitted scorecard.
    language : {"es", "pt", "en"}
        Language of the texts, of the registry labels and of the decimal separator.
    title : str, optional
        Heading of the page; the catalogue's title by default.
    feature_labels : bool
        Name factors and categories by their registry labels in ``language`` (features the
        registry does not know keep their names); False prints the raw names.

    Returns
    -------
    str
        The HTML page; every text is escaped.

    Raises
    ------
    RiskkitError
        When the language is not supported.
    sklearn.exceptions.NotFittedError
        When the scorecard is not fitted.
    """
    text = messages("scorecard", language)
    blocks = _blocks(scorecard, language, text, feature_labels)
    # a factor worth 0 points whatever its value needs no table, only a mention
    used = [b for b in blocks if any(line.points for line in b.lines)]
    unused = [b.label for b in blocks if b not in used]
    grid = _grid(scorecard, language)
    pdo = float(math.log(2.0) / scorecard.log_odds_per_point_)
    return render(
        "scorecard.html",
        language=language,
        text=text,
        title=title if title is not None else text["title"],
        scale=text["scale"].format(pdo=_plain(pdo, language)),
        blocks=used,
        unused=text["unused"].format(factors=", ".join(unused)) if unused else "",
        grid=grid,
        step_note=text["table_step_note"].format(step=grid.step) if grid.step > 1 else "",
    )

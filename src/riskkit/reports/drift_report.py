"""The drift report (``riskkit monitor drift``) in Spanish, Portuguese or English: what moved in a
new cohort against the model's training part, in words, and whether it matters.

Rendering only: a :class:`~riskkit.monitoring.drift.DriftReport` goes in, sentences, a JSON
document and a self-contained HTML page come out. Features are named by their registry labels,
bins as readable ranges or categories, numbers with the language's decimal separator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from riskkit.json_values import finite_json
from riskkit.monitoring.drift import BinLabel, DriftReport, VariableDrift
from riskkit.reports.i18n import messages
from riskkit.reports.rendering import render

__all__ = [
    "DriftMeta",
    "DriftText",
    "describe_drift",
    "drift_document",
    "render_drift_html",
]


@dataclass(frozen=True)
class DriftMeta:
    """Where a drift report comes from.

    Attributes
    ----------
    model : str
        The model compared against (e.g. ``"recidivism@champion (v3)"``).
    data : str
        The new cohort's file.
    created : str
        When the report was made (ISO 8601).
    n_read, n_rejected : int
        Records read from the file, and those invalid (left out, listed in ``rejects.csv``).
    band_labels : mapping of str to str
        Band name to its label in the report's language (the name when absent).
    """

    model: str
    data: str
    created: str
    n_read: int
    n_rejected: int
    band_labels: Mapping[str, str]


@dataclass(frozen=True)
class DriftText:
    """The report's words: a headline, the score's sentence and one per band, one paragraph per
    feature that moved (or whose PSI is high but unconfirmed), the stable ones in one line, and
    advice."""

    headline: str
    score: tuple[str, ...]
    bands: tuple[str, ...]
    features: tuple[tuple[str, str], ...]
    stable: str
    advice: str

    def lines(self) -> list[str]:
        """Every sentence in reading order."""
        return [
            self.headline,
            *self.score,
            *self.bands,
            *(text for _, text in self.features),
            *([self.stable] if self.stable else []),
            self.advice,
        ]


def _number(value: float, language: str, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    if language in ("es", "pt"):
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


def _plain(value: float, language: str) -> str:
    """A bin edge as a short number (four significant digits)."""
    if abs(value) < 1e-9:
        value = 0.0
    text = f"{float(f'{value:.4g}'):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language in ("es", "pt") else text


def _percent(share: float, language: str) -> str:
    number = _number(100 * share, language, 1)
    return f"{number} %" if language in ("es", "pt") else f"{number}%"


def _psi(value: float, language: str) -> str:
    return _number(value, language, 3)


def _p(value: float, language: str) -> str:
    if value < 0.001:
        return f"< {_number(0.001, language, 3)}"
    return f"= {_number(value, language, 3)}"


def _feature_label(name: str, language: str) -> str:
    from riskkit.features.registry import default_registry

    registry = default_registry()
    return registry[name].label(language) if name in registry else name


def _integer_minimum(name: str) -> float | None:
    """The registry's minimum of an integer feature; None for any other variable."""
    from riskkit.features.registry import default_registry

    registry = default_registry()
    if name not in registry or registry[name].kind != "integer":
        return None
    return registry[name].minimum


def bin_text(drift: VariableDrift, label: BinLabel, language: str, text: Mapping[str, str]) -> str:
    """A bin in words: a category's label, a range ("26 to 30", "over 45"), or "missing".

    Parameters
    ----------
    drift : VariableDrift
        The variable the bin belongs to (its name decides how numbers read).
    label : tuple, str or None
        The bin (:attr:`riskkit.monitoring.drift.BinShift.label`).
    language : {"es", "pt", "en"}
    text : mapping
        The ``drift`` message catalogue in ``language``.

    Returns
    -------
    str
    """
    if label is None:
        return text["missing"]
    if isinstance(label, str):
        if drift.kind == "categorical" and label in ("0", "1") and _binary(drift.name):
            return text["yes" if label == "1" else "no"]
        from riskkit.features.registry import default_registry

        registry = default_registry()
        if drift.name in registry:
            labels = registry[drift.name].category_labels.get(label)
            if labels is not None:
                return str(getattr(labels, language))
        return label
    lower, upper = label
    if drift.name == "score":

        def show(v: float) -> str:
            return _percent(v, language)
    elif (minimum := _integer_minimum(drift.name)) is not None:
        return _integer_range(lower, upper, language, text, minimum=minimum)
    else:

        def show(v: float) -> str:
            return _plain(v, language)

    if lower is None and upper is None:
        return text["any_value"]
    if lower is None:
        assert upper is not None
        return text["up_to"].format(value=show(upper))
    if upper is None:
        return text["over"].format(value=show(lower))
    return text["over_up_to"].format(low=show(lower), high=show(upper))


def _binary(name: str) -> bool:
    from riskkit.features.registry import default_registry

    registry = default_registry()
    return name not in registry or registry[name].kind == "binary"


def _integer_range(
    lower: float | None,
    upper: float | None,
    language: str,
    text: Mapping[str, str],
    *,
    minimum: float | None = None,
) -> str:
    """The whole numbers ``k`` with ``lower < k <= upper`` ("0" rather than "up to 0" when
    ``upper`` is the feature's ``minimum``)."""
    if lower is None and minimum is not None and upper is not None and upper <= minimum:
        return str(math.floor(upper))
    low = None if lower is None else math.floor(lower) + 1
    high = None if upper is None else math.floor(upper)
    if low is None and high is None:
        return text["any_value"]
    if low is None:
        return text["up_to"].format(value=high)
    if high is None:
        return text["at_least"].format(value=low)
    if low >= high:
        return str(high)
    return text["between"].format(low=low, high=high)


def _mean(value: float | None, drift: VariableDrift, language: str) -> str:
    if value is None:
        return "–"
    if drift.name == "score":
        return _percent(value, language)
    return _number(value, language, 1)


def _feature_paragraph(drift: VariableDrift, language: str, text: Mapping[str, str]) -> str:
    label = _feature_label(drift.name, language)
    fields = {"feature": label, "psi": _psi(drift.psi, language), "p": _p(drift.p_value, language)}
    if not drift.matters:
        first = text["feature_unconfirmed"].format(**fields, n=drift.n_actual)
    else:
        first = text[f"feature_{drift.level}"].format(**fields)
    parts = [first]
    if (
        drift.kind == "numeric"
        and drift.expected_mean is not None
        and drift.actual_mean is not None
        and drift.actual_mean != drift.expected_mean
    ):
        key = "direction_higher" if drift.actual_mean > drift.expected_mean else "direction_lower"
        parts.append(
            text[key].format(
                before=_mean(drift.expected_mean, drift, language),
                after=_mean(drift.actual_mean, drift, language),
            )
        )
    moves = []
    for shift, key in ((drift.gained, "gained"), (drift.lost, "lost")):
        if shift is not None:
            moves.append(
                text[key].format(
                    bin=bin_text(drift, shift.label, language, text),
                    before=_percent(shift.expected_share, language),
                    after=_percent(shift.actual_share, language),
                )
            )
    if moves:
        joined = "; ".join(moves)
        parts.append(joined[0].upper() + joined[1:] + ".")
    return " ".join(parts)


def describe_drift(
    report: DriftReport,
    *,
    language: str = "es",
    band_labels: Mapping[str, str] | None = None,
) -> DriftText:
    """The drift report in words.

    Parameters
    ----------
    report : DriftReport
        The comparison.
    language : {"es", "pt", "en"}
        Language of the sentences.
    band_labels : mapping of str to str, optional
        Band name to its label in ``language`` (the name when absent).

    Returns
    -------
    DriftText

    Raises
    ------
    RiskkitError
        When the language is not supported.
    """
    text = messages("drift", language)
    moderate = _number(report.psi_moderate, language, 2)
    total = len(report.features)
    mattering = report.mattering
    if mattering:
        headline = text["headline_drift"].format(
            count=len(mattering),
            total=total,
            features=", ".join(
                f"{_feature_label(f.name, language)} ({_psi(f.psi, language)})" for f in mattering
            ),
        )
    else:
        headline = text["headline_none"].format(total=total)
    score_lines: list[str] = []
    if report.score is not None:
        s = report.score
        key = (
            f"score_{s.level}"
            if s.matters
            else ("score_unconfirmed" if s.level != "stable" else "score_stable")
        )
        score_lines.append(
            text[key].format(
                psi=_psi(s.psi, language),
                p=_p(s.p_value, language),
                before=_mean(s.expected_mean, s, language),
                after=_mean(s.actual_mean, s, language),
            )
        )
    band_lines = []
    if report.score is not None:
        for band in report.bands:
            band_lines.append(
                text["band_line"].format(
                    band=(band_labels or {}).get(band.name, band.name),
                    before=_percent(band.expected_share, language),
                    after=_percent(band.actual_share, language),
                )
            )
    # the features that matter, then those with a high PSI the test does not confirm
    unconfirmed = sorted(
        (f for f in report.features if f.level != "stable" and not f.matters), key=lambda f: -f.psi
    )
    described = [*mattering, *unconfirmed]
    paragraphs = tuple((f.name, _feature_paragraph(f, language, text)) for f in described)
    others = total - len(described)
    stable = ""
    if others:
        key = "others_stable" if described else "all_stable"
        stable = text[key].format(count=others, moderate=moderate)
    if report.score is not None and report.score.matters:
        advice = text["advice_score"]
    elif mattering:
        advice = text["advice_features"]
    else:
        advice = text["advice_none"]
    return DriftText(
        headline=headline,
        score=tuple(score_lines),
        bands=tuple(band_lines),
        features=paragraphs,
        stable=stable,
        advice=advice,
    )


def _band_lines(
    report: DriftReport, meta: DriftMeta, language: str, text: Mapping[str, str]
) -> list[dict[str, str]]:
    return [
        {
            "band": meta.band_labels.get(b.name, b.name),
            "before": _percent(b.expected_share, language),
            "after": _percent(b.actual_share, language),
            "change": _signed_points(b.actual_share - b.expected_share, language, text),
        }
        for b in report.bands
    ]


def _signed_points(change: float, language: str, text: Mapping[str, str]) -> str:
    sign = "+" if change >= 0 else "−"
    return text["points"].format(change=f"{sign}{_number(abs(100 * change), language, 1)}")


def _direction(change: float) -> str:
    """CSS class of a change of more than half a percentage point."""
    if change > 0.005:
        return "up"
    return "down" if change < -0.005 else ""


def _bin_rows(drift: VariableDrift, language: str, text: Mapping[str, str]) -> list[dict[str, str]]:
    rows = []
    for shift in drift.bins:
        if shift.label is None and shift.expected_share == 0 and shift.actual_share == 0:
            continue  # no missing value on either side
        rows.append(
            {
                "bin": bin_text(drift, shift.label, language, text),
                "before": _percent(shift.expected_share, language),
                "after": _percent(shift.actual_share, language),
                "change": _signed_points(shift.change, language, text),
                "direction": _direction(shift.change),
            }
        )
    return rows


def drift_document(report: DriftReport, meta: DriftMeta, *, language: str = "es") -> dict[str, Any]:
    """The JSON document of a drift report: its figures, where they come from and its words.

    Parameters
    ----------
    report : DriftReport
        The comparison.
    meta : DriftMeta
        Model, file, date and record counts.
    language : {"es", "pt", "en"}
        Language of the sentences.

    Returns
    -------
    dict
        JSON-ready (no NaN).
    """
    words = describe_drift(report, language=language, band_labels=meta.band_labels)
    document: dict[str, Any] = {
        "kind": "drift",
        "model": meta.model,
        "data": meta.data,
        "created": meta.created,
        "language": language,
        "records": {
            "read": meta.n_read,
            "valid": report.n_new,
            "rejected": meta.n_rejected,
        },
        "headline": words.headline,
        "sentences": words.lines(),
        **report.to_dict(),
    }
    return finite_json(document)  # type: ignore[no-any-return]


def render_drift_html(report: DriftReport, meta: DriftMeta, *, language: str = "es") -> str:
    """The drift report as a self-contained HTML page (inline CSS, no scripts).

    Parameters
    ----------
    report : DriftReport
        The comparison.
    meta : DriftMeta
        Model, file, date and record counts.
    language : {"es", "pt", "en"}
        Language of the texts and of the decimal separator.

    Returns
    -------
    str
        The page; every text is escaped.

    Raises
    ------
    RiskkitError
        When the language is not supported.
    """
    text = messages("drift", language)
    words = describe_drift(report, language=language, band_labels=meta.band_labels)
    moderate = _number(report.psi_moderate, language, 2)
    major = _number(report.psi_major, language, 2)
    p_threshold = _number(report.p_value, language, 3).rstrip("0")
    facts = [
        (text["model"], meta.model),
        (text["data"], meta.data),
        (text["created"], meta.created),
        (
            text["records"],
            text["records_value"].format(
                valid=report.n_new, read=meta.n_read, rejected=meta.n_rejected
            ),
        ),
        (text["reference"], text["reference_value"].format(n=report.n_reference)),
        (
            text["thresholds"],
            text["thresholds_value"].format(moderate=moderate, major=major, p=p_threshold),
        ),
    ]
    feature_rows = []
    for f in sorted(report.features, key=lambda f: -f.psi):
        feature_rows.append(
            {
                "label": _feature_label(f.name, language),
                "psi": _psi(f.psi, language),
                "p": _p(f.p_value, language).removeprefix("= "),
                "level": text[f"level_{f.level}"],
                "level_class": f.level,
                "matters": text["yes" if f.matters else "no"],
                "gained": "" if f.gained is None else bin_text(f, f.gained.label, language, text),
                "lost": "" if f.lost is None else bin_text(f, f.lost.label, language, text),
            }
        )
    paragraphs = dict(words.features)
    details = [
        {
            "label": _feature_label(f.name, language),
            "paragraph": paragraphs[f.name],
            "rows": _bin_rows(f, language, text),
        }
        for f in sorted(report.features, key=lambda f: -f.psi)
        if f.name in paragraphs
    ]
    score = (
        None
        if report.score is None
        else {
            "psi": _psi(report.score.psi, language),
            "rows": _bin_rows(report.score, language, text),
        }
    )
    return render(
        "drift.html",
        language=language,
        text=text,
        title=text["title"],
        facts=facts,
        words=words,
        drifted=report.drifted,
        score=score,
        bands=_band_lines(report, meta, language, text),
        features=feature_rows,
        details=details,
        how=[
            text["how_psi"].format(moderate=moderate, major=major),
            text["how_test"].format(moderate=moderate, p=p_threshold),
            text["how_privacy"],
        ],
    )

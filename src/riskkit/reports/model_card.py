"""The model card, in Markdown and HTML: what the model is for, what it measures, how it was
built, how well it did (with intervals, overall and by group), what interpretability cost, its
limitations and the promotion decision. Rendering only: it receives everything it prints."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from riskkit.config import PipelineConfig
from riskkit.features.registry import default_registry

_DIRECTION = {1: "risk rises with it", -1: "risk falls as it rises", 0: "learned from data"}
_METRIC_NAMES = {
    "auc": "AUC",
    "brier": "Brier score",
    "log_loss": "log-loss",
    "ece": "expected calibration error (10 quantile bins)",
    "calibration_slope": "calibration slope (1 is ideal)",
    "calibration_intercept": "calibration intercept (0 is ideal)",
}


def _number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"


def _split_words(config: PipelineConfig) -> str:
    split = config.split
    if split.method == "column":
        return f"by the data's own {split.column!r} column"
    if split.method == "time":
        return f"the most recent {split.test_size:.0%} by {split.column!r} held out"
    return f"{split.method}, seed {split.seed}"


def _group_rows(groups: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = []
    for group in groups:
        metrics = group["metrics"]

        def cell(name: str, metrics: Mapping[str, Any] = metrics) -> str:
            entry = metrics.get(name) or {}
            value = entry.get("value")
            if value is None:
                return "n/a"
            low, high = entry.get("low"), entry.get("high")
            interval = f" ({low:.3f}–{high:.3f})" if low is not None and high is not None else ""
            return f"{value:.3f}{interval}"

        size = f"{group['n']}" + (" (too small to judge)" if group.get("too_small") else "")
        rows.append(
            f"| {group['attribute']} | {group['group']} | {size} | {cell('base_rate')} | "
            f"{cell('auc')} | {cell('brier')} | {cell('ece')} | {cell('calibration_slope')} | "
            f"{cell('fpr')} | {cell('fnr')} |"
        )
    return rows


def render_model_card(config: PipelineConfig, estimator: Any, summary: Mapping[str, Any]) -> str:
    """The model card as Markdown.

    Parameters
    ----------
    config : PipelineConfig
        The pipeline the model was trained with.
    estimator : fitted riskkit model
        Its ``feature_names_in_`` list the factors.
    summary : mapping
        The content of ``metrics.json`` (see :func:`riskkit.training.pipeline.train`); the
        optional keys ``intervals``, ``groups``, ``promotion``, ``calibration``, ``tuning``,
        ``comparison``, ``scorecard`` and ``figures`` add their sections.
    """
    registry = default_registry()
    outcome = registry.outcome(config.target.column)
    metrics = summary["metrics"]
    records = summary["records"]
    promotion = summary.get("promotion") or {}
    lines = [
        f"# Model card: {summary['model']} v{summary['version']}",
        "",
        f"{config.description or config.name}",
        "",
    ]
    if promotion:
        lines += [f"**Promotion decision:** {promotion['summary']}.", ""]
    lines += [
        "## Intended use",
        "A decision aid for case workers and reviewers: it estimates the probability of "
        f"*{outcome.labels.en.lower()}* and explains it factor by factor. It is not a decision, "
        "and must not be used alone to detain, deny release or set supervision.",
        "",
        "Out of scope: populations unlike the training data; individual guilt; any use without "
        "the explanation and a person's right to contest it.",
        "",
        "## What the outcome measures",
        f"`{config.target.column}`: {outcome.description} Recorded outcomes (arrests) reflect "
        "policing as well as behaviour: an arrest is not an offence, and groups that are policed "
        "more will look riskier than they are. Check the fairness audit before use.",
        "",
        "## Data",
        f"- Source: {summary['data_source']}",
        f"- Period: {summary.get('data_period') or 'not recorded in the data'}",
        f"- Records read: {records['read']}; valid: {records['valid']}; rejected: "
        f"{records['rejected']} (listed with reasons in rejects.csv when any)",
        f"- Train / test split: {records['train']} / {records['test']} ({_split_words(config)})",
        f"- Data SHA-256: `{summary['data_sha256']}`",
        "- Sensitive attributes (audit only, never inputs): "
        + (", ".join(config.sensitive.attributes) or "none"),
        "",
        "## Model",
        "Additive boosted model (LightGBM, one feature per tree): the score is a sum of one "
        "shape function per factor, so every factor's contribution is exact.",
    ]
    tuned = (summary.get("tuning") or {}).get("best") or {}
    settings = {**config.model.model_dump(exclude={"kind"}), **tuned}
    lines.append(
        "Settings: "
        + ", ".join(f"{k} = {v}" for k, v in settings.items())
        + (" (tuned by cross-validation on the training part)" if tuned else "")
        + "."
    )
    calibration = summary.get("calibration") or {}
    if calibration.get("method") and calibration["method"] != "none":
        losses = ", ".join(
            f"{k} {v:.4f}" for k, v in (calibration.get("cv_log_loss") or {}).items()
        )
        lines.append(
            f"Calibration: {calibration['method']} on out-of-fold log-odds "
            f"(cross-validated log-loss: {losses})."
        )
    lines += [
        "",
        "| factor | kind | static or changeable | constraint |",
        "|---|---|---|---|",
    ]
    for name in estimator.feature_names_in_:
        feature = registry[str(name)]
        constraint = _DIRECTION[feature.monotone if feature.kind != "categorical" else 0]
        lines.append(
            f"| {feature.labels.en} (`{name}`) | {feature.kind} | "
            f"{'changeable' if feature.changeable else 'static'} | {constraint} |"
        )
    lines += ["", "## Performance on the held-out test split"]
    intervals = summary.get("intervals") or {}
    if intervals:
        lines += ["| metric | value | 95% interval |", "|---|---|---|"]
        for name, label in _METRIC_NAMES.items():
            if name in intervals:
                entry = intervals[name]
                lines.append(
                    f"| {label} | {_number(entry['value'])} | "
                    f"{_number(entry['low'])} – {_number(entry['high'])} |"
                )
        lines.append("")
        lines.append("Intervals: percentile bootstrap over the test records (200 resamples).")
    else:
        lines.append(f"- AUC: {_number(metrics.get('test_auc'))}")
        lines.append(f"- Brier score: {_number(metrics.get('test_brier'), 4)}")
    lines += [
        "",
        f"Base rate in the test split: {_number(metrics.get('test_base_rate'))}; average "
        f"predicted probability on the training data (the reference for explanations): "
        f"{_number(metrics.get('reference_probability'))}.",
    ]
    groups = summary.get("groups") or []
    if groups:
        lines += [
            "",
            "### By group (test split)",
            "| attribute | group | n | base rate | AUC | Brier | ECE | slope | FPR | FNR |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *_group_rows(groups),
            "",
            "FPR and FNR at the decision threshold (the lower edge of the highest band). "
            "Largest gap between groups (equalized odds difference) by attribute: "
            + (
                ", ".join(f"{k} {v:.3f}" for k, v in (summary.get("group_gaps") or {}).items())
                or "n/a"
            )
            + ".",
        ]
    figures = summary.get("figures") or {}
    if "calibration" in figures:
        lines += ["", "### Calibration", f"![calibration plot]({figures['calibration']})"]
    if "shapes" in figures:
        lines += [
            "",
            "## Shape functions",
            "Each panel shows how one factor moves the log-odds across its values "
            "(exported as shape_functions.csv).",
            "",
            f"![shape functions]({figures['shapes']})",
        ]
    scorecard = summary.get("scorecard")
    if scorecard:
        lines += [
            "",
            "## Points scorecard",
            f"A printable integer-points version of this model: {scorecard['file']}. "
            f"Test AUC {_number(scorecard.get('auc'))} against {_number(metrics.get('test_auc'))} "
            f"for the model (loss {_number(scorecard.get('auc_loss'))}); Brier "
            f"{_number(scorecard.get('brier'), 4)}.",
        ]
    comparison = summary.get("comparison")
    if comparison:
        lines += [
            "",
            "## What interpretability costs",
            "The same split, four kinds of model:",
            "",
            "| model | AUC | Brier |",
            "|---|---|---|",
            *[
                f"| {name} | {_number(values.get('auc'))} | {_number(values.get('brier'), 4)} |"
                for name, values in comparison.items()
            ],
        ]
    band_rows = [f"| {b.name} | {b.max_probability:.2f} |" for b in config.bands]
    lines += [
        "",
        "## Risk bands",
        "| band | probability up to |",
        "|---|---|",
        *band_rows,
        "",
        "## Limitations",
        "- Trained on recorded outcomes: any bias in who gets arrested is learned as risk.",
        "- Valid only for people like those in the training data, in the period it covers.",
        "- A group-level calibration or error-rate gap can remain even when protected "
        "attributes are not inputs; read the audit.",
        "- Probabilities are estimates with uncertainty; the bands are policy choices, not facts.",
        "",
        "## Provenance",
        f"- MLflow run `{summary['run_id']}` in `{summary['tracking_uri']}`",
        f"- Trained at {summary['trained_at']}",
        "",
    ]
    return "\n".join(lines)


def render_model_card_html(markdown: str, *, title: str) -> str:
    """The Markdown card as a self-contained HTML page (images stay relative to the card)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;"
        "padding:1rem;line-height:1.45;color:#1b1b1b}table{border-collapse:collapse;"
        "display:block;overflow-x:auto}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;"
        "text-align:left}img{max-width:100%}code{background:#f3f3f3;padding:0 .2rem}</style>\n"
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )

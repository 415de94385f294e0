"""The model card, in Markdown and HTML: what the model is for, what it measures, how it was
built, how well it did (with intervals, overall and by group), what interpretability cost, its
limitations and the promotion decision. Rendering only: it receives everything it prints.

A needs model has its own card (:func:`render_needs_model_card`): per domain, the label
definition (NIJ proxies are marked as proxies), label counts, held-out AUC and Brier with
intervals, the features read and those excluded.
"""

from __future__ import annotations

import html
import re
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


def _interval(entry: Mapping[str, Any] | None, digits: int = 3) -> str:
    entry = entry or {}
    value = entry.get("value")
    if value is None:
        return "n/a"
    low, high = entry.get("low"), entry.get("high")
    if low is None or high is None:
        return _number(value, digits)
    return f"{_number(value, digits)} ({_number(low, digits)}–{_number(high, digits)})"


def _share(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1%}"


def _women_without_companions(summary: Mapping[str, Any]) -> str:
    for group in summary.get("label_groups") or []:
        if group["attribute"] == "sex" and group["group"] == "female":
            counts = (group.get("domains") or {}).get("companions")
            if counts:
                return (
                    f" Here {counts['labelled']} of {group['n']} women have a companions label "
                    f"and {counts['missing']} have none."
                )
    return ""


def _proxy_section(summary: Mapping[str, Any]) -> list[str]:
    """The NIJ proxy statements: what the labels are, what the inputs are, and what is missing."""
    domains = [d["domain"] for d in summary["domains"]]
    not_modelled = summary.get("domains_not_modelled") or {}
    lines = [
        "## Proxy labels (NIJ Georgia)",
        "- **Every label is a PROXY, not a needs assessment.** NIJ's Georgia file has no needs "
        "assessment; each label measures something that goes with a need (a positive drug test, "
        "a parolee out of work), and several are shaped by how closely the person was "
        "supervised. Each domain's definition, and why it is only a proxy, is given below.",
        "- **Supervision-period variables are used only as labels, never as inputs.** Most "
        "proxies are built from records kept during parole, after release (employment, drug "
        "tests, changes of address, violations, delinquency reports). The model reads only "
        "the pre-release variables listed under Data, and riskkit refuses a supervision-period "
        "variable among this pipeline's inputs. Each label's own source variables are also kept "
        "out of that domain's model.",
    ]
    if "companions" in domains:
        lines.append(
            "- **companions is trained on men only.** NIJ did not record gang affiliation for "
            "women, so every woman's companions label is missing and women are left out of that "
            "domain's model." + _women_without_companions(summary) + " Its probabilities for "
            "women are extrapolations: do not report the companions domain for women."
        )
    if not_modelled:
        lines.append(
            "- **Domains without a proxy (not modelled):** "
            + "; ".join(f"{d} ({reason})" for d, reason in not_modelled.items())
            + "."
        )
    return lines


def _reads(
    features: Sequence[str], inputs: Sequence[str], excluded: Sequence[Mapping[str, str]]
) -> str:
    """Which of the pipeline's inputs one domain model reads."""
    dropped = [e["feature"] for e in excluded]
    if list(features) == [n for n in inputs if n not in dropped]:
        if not dropped:
            return f"- Reads every input listed under Data ({len(features)})"
        return (
            f"- Reads {len(features)} of the {len(inputs)} inputs listed under Data: all but "
            + ", ".join(f"`{n}`" for n in dropped)
        )
    return f"- Reads {len(features)} feature(s): " + ", ".join(f"`{n}`" for n in features)


def render_needs_model_card(config: PipelineConfig, summary: Mapping[str, Any]) -> str:
    """The card of a needs model, as Markdown.

    Parameters
    ----------
    config : PipelineConfig
        The needs pipeline the model was trained with.
    summary : mapping
        The content of its ``metrics.json`` (see :func:`riskkit.training.needs.train_needs`):
        ``domains`` (one entry per modelled domain with its label definition, counts, AUC and
        Brier with intervals, features and exclusions), ``domains_not_modelled``,
        ``label_groups``, ``labels``, ``level_thresholds``, ``records``, ``promotion`` and the
        provenance keys.
    """
    registry = default_registry()
    labels = summary["labels"]
    proxies = bool(labels.get("proxies"))
    records = summary["records"]
    promotion = summary.get("promotion") or {}
    domains = summary["domains"]
    low, high = summary["level_thresholds"]
    lines = [
        f"# Needs model card: {summary['model']} v{summary['version']}",
        "",
        f"{config.description or config.name}",
        "",
    ]
    if proxies:
        lines += [
            "> **PROXY LABELS: NOT NEEDS ASSESSMENTS.** NIJ Georgia's file has no needs "
            "assessment. Every label this model learned is a PROXY built from records, most of "
            "them kept during parole supervision. A probability here is the probability of the "
            "proxy (for example, a positive drug test during supervision), not of a need an "
            "assessment would find. Read each domain's definition before using a profile.",
            "",
        ]
    elif summary.get("synthetic"):
        lines += [
            "> **SIMULATED LABELS.** The records and their need labels are simulated: the labels "
            "are simulated assessments of a synthetic population (docs/synthetic.md), not "
            "findings about real people. Use this model to test and demonstrate riskkit, never "
            "to plan a real person's case.",
            "",
        ]
    if promotion:
        lines += [f"**Promotion decision:** {promotion['summary']}.", ""]
    lines += [
        "## Intended use",
        "A needs profile for case planning: for each need domain, the probability that a need "
        "would be found, its level and the domains ranked from the most to the least likely. "
        "It points a case worker to the domains worth assessing first; it does not replace the "
        "assessment. The domains are never added up or averaged into one score.",
        "",
        "Out of scope: risk of re-offending (this is not a risk score), and any decision to "
        "detain, deny release or set supervision; populations unlike the training data.",
        "",
    ]
    if proxies:
        lines += [*_proxy_section(summary), ""]
    lines += [
        "## Data",
        f"- Source: {summary['data_source']}",
        f"- Period: {summary.get('data_period') or 'not recorded in the data'}",
        f"- Records read: {records['read']}; valid: {records['valid']}; rejected: "
        f"{records['rejected']} (listed with reasons in rejects.csv when any)",
        f"- Train / test split: {records['train']} / {records['test']} ({_split_words(config)})",
        f"- Data SHA-256 (records and labels): `{summary['data_sha256']}`",
        "- Labels: "
        + (
            "NIJ proxies built by riskkit.data.need_proxies.nij_need_labels"
            if proxies
            else "the records' need_<domain> columns (1 = need found, 0 = no need, empty = "
            "not assessed: left out of that domain only)"
        ),
        "- Sensitive attributes (never inputs; used only to count the labels by group): "
        + (", ".join(config.sensitive.attributes) or "none"),
        f"- Inputs ({len(summary['inputs'])}"
        + (", all known at release" if proxies else "")
        + "): "
        + ", ".join(f"{registry[n].labels.en} (`{n}`)" for n in summary["inputs"]),
        "",
        "## Model",
        "One additive boosted classifier per need domain (LightGBM, one feature per tree): each "
        "domain's probability is a sum of one shape function per factor, so every factor's "
        "contribution is exact. No monotone constraints (the registry's directions describe "
        "re-offence risk, not every need); the probabilities are not recalibrated.",
        "Settings (every domain): "
        + ", ".join(
            f"{k} = {v}" for k, v in config.model.model_dump(exclude={"kind", "reg_lambda"}).items()
        )
        + ".",
        "",
        "## Levels",
        "| level | probability |",
        "|---|---|",
        f"| low | below {low:.2f} |",
        f"| moderate | {low:.2f} to below {high:.2f} |",
        f"| high | {high:.2f} and above |",
        "",
        "The thresholds are a policy choice ([needs] level_thresholds) and the same in every "
        "domain. Base rates differ between domains, so a moderate probability means more in a "
        "rare domain than in a common one.",
        "",
        "## Performance on the held-out test split, by domain",
        "| domain | labelled train / test | missing train / test | prevalence (test) | "
        "AUC (95% interval) | Brier (95% interval) | test levels low / moderate / high | "
        "gate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in domains:
        train, test, shares = entry["train"], entry["test"], entry["levels_test"]
        lines.append(
            f"| {entry['domain']}{' (PROXY)' if proxies else ''} | {train['labelled']} / "
            f"{test['labelled']} | {train['missing']} / {test['missing']} | "
            f"{_share(test['prevalence'])} | {_interval(entry['auc'])} | "
            f"{_interval(entry['brier'], 4)} | {_share(shares['low'])} / "
            f"{_share(shares['moderate'])} / {_share(shares['high'])} | "
            f"{'passed' if entry['passed'] else 'FAILED'} |"
        )
    lines += [
        "",
        f"Intervals: percentile bootstrap over each domain's labelled test records "
        f"({summary.get('n_resamples', 200)} resamples). Records with a missing label are left "
        "out of that domain only. Promotion gate: every domain's test AUC at least "
        f"{_number(promotion.get('min_auc'), 2)} ([needs] min_auc) and, where the current "
        "champion models the domain, at least its AUC minus "
        f"{_number(promotion.get('auc_tolerance'))} ([needs] auc_tolerance).",
        "",
        "## Domains",
    ]
    for entry in domains:
        train, test = entry["train"], entry["test"]
        excluded = entry.get("excluded") or []
        lines += [
            "",
            f"### {entry['domain']}{' (PROXY label)' if proxies else ''}",
            f"- **Label definition:** {entry['definition']}",
            f"- Labelled records: {train['labelled']} training ({train['missing']} missing, "
            f"prevalence {_share(train['prevalence'])}), {test['labelled']} test "
            f"({test['missing']} missing, prevalence {_share(test['prevalence'])})",
            f"- Held-out AUC {_interval(entry['auc'])}; Brier {_interval(entry['brier'], 4)}; "
            f"training AUC {_number(entry.get('train_auc'))}",
            _reads(entry["features"], summary["inputs"], excluded),
            "- Excluded: "
            + (
                "; ".join(f"`{e['feature']}` ({e['reason']})" for e in excluded)
                if excluded
                else "none (every input is read)"
            ),
            f"- Promotion gate: {'passed' if entry['passed'] else 'FAILED'}",
        ]
    not_modelled = summary.get("domains_not_modelled") or {}
    if not_modelled:
        lines += ["", "## Domains not modelled", "| domain | why |", "|---|---|"]
        lines += [f"| {d} | {reason} |" for d, reason in not_modelled.items()]
    groups = summary.get("label_groups") or []
    if groups:
        names = [e["domain"] for e in domains]
        lines += [
            "",
            "## Labels by group",
            "Prevalence of each label among the labelled records (and how many are labelled), "
            "by group, over all valid records. A group whose label is missing is left out of "
            "that domain's model; a group difference in a label can reflect how it is recorded "
            "as much as a difference in need.",
            "",
            "| attribute | group | n | " + " | ".join(names) + " |",
            "|---|---|---|" + "---|" * len(names),
        ]
        for group in groups:
            cells = []
            for name in names:
                counts = group["domains"].get(name) or {}
                cells.append(f"{_share(counts.get('prevalence'))} ({counts.get('labelled', 0)})")
            lines.append(
                f"| {group['attribute']} | {group['group']} | {group['n']} | "
                + " | ".join(cells)
                + " |"
            )
    lines += [
        "",
        "## Limitations",
        (
            "- The labels are proxies, not assessments: the model predicts the proxy, and a "
            "proxy shaped by supervision (violations, drug testing) also measures supervision."
            if proxies
            else (
                "- The labels are simulated assessments: the figures describe the simulation, "
                "not any real population."
                if summary.get("synthetic")
                else "- The model learns the labels as they were recorded: an assessment's "
                "errors and gaps are learned too."
            )
        ),
        "- Valid only for people like those in the training data, in the period it covers.",
        "- The levels are policy choices, not facts; a probability is an estimate with "
        "uncertainty.",
        "- Check the labels by group before use: a need recorded more often for one group is "
        "learned as more likely for it.",
        "",
        "## Provenance",
        f"- MLflow run `{summary['run_id']}` in `{summary['tracking_uri']}`",
        f"- Trained at {summary['trained_at']}",
        "",
    ]
    return "\n".join(lines)


#: Labels of the figures a recalibration records before and after.
_RECALIBRATION_FIGURES: tuple[tuple[str, str], ...] = (
    ("auc", "AUC"),
    ("brier", "Brier"),
    ("log_loss", "log-loss"),
    ("ece", "expected calibration error"),
    ("calibration_slope", "calibration slope"),
    ("calibration_intercept", "calibration intercept"),
)


def render_recalibration_card(document: Mapping[str, Any], parent_card: str | None) -> str:
    """The card of a recalibrated version, as Markdown: what the recalibration changed and why,
    then the parent version's card, whose model and explanations it keeps.

    Parameters
    ----------
    document : mapping
        The content of ``recalibration.json`` (see ``riskkit recalibrate``): model, version,
        parent, reason, cohort, method, before/after figures, groups and promotion.
    parent_card : str or None
        The parent version's ``model_card.md``; None when it has none (its section then says
        so).
    """
    parent = document["recalibrated_from"]
    cohort = document["cohort"]
    promotion = document["promotion"]
    lines = [
        f"# Model card: {document['model']} v{document['version']}",
        "",
        f"Version {document['version']} is version {parent['version']} with a new calibration "
        f"map, fitted on a later cohort. **Promotion decision:** {promotion['summary']}.",
        "",
        "## Recalibration",
        f"- Reason given: {document['reason']}",
        f"- Recalibrated at {document.get('recalibrated_at', 'n/a')} from `{parent['reference']}`",
        f"- Cohort: `{cohort['source']}` (SHA-256 `{cohort['sha256']}`, {cohort['bytes']} "
        f"bytes): {cohort['read']} records read, {cohort['valid']} used, "
        f"{cohort['rejected']} rejected; outcome rate {_share(cohort.get('base_rate'))}",
        f"- Map: {document['method']}, chosen by {document['folds']}-fold cross-validated "
        "log-loss ("
        + ", ".join(f"{k} {_number(v, 4)}" for k, v in document["cv_log_loss"].items())
        + ")",
        "",
        "What changed: only the map from the additive model's log-odds to a probability. The "
        "shape functions (the factors and their log-odds), the features and the bands' "
        "thresholds are the parent's; each factor's contribution in probability points changes "
        "with the map. The parent's performance figures below were measured before this "
        "recalibration, on its own test data.",
        "",
        "### Calibration on the cohort, before and after",
        "Before: the parent version as registered. After: the new map, cross-validated on the "
        "cohort (each person's probability from a map fitted without them). 95% bootstrap "
        "intervals in brackets.",
        "",
        "| figure | before | after |",
        "|---|---|---|",
    ]
    for key, label in _RECALIBRATION_FIGURES:
        lines.append(
            f"| {label} | {_interval(document['before'].get(key))} | "
            f"{_interval(document['after'].get(key))} |"
        )
    groups = document.get("groups") or []
    if groups:
        lines += [
            "",
            "### After recalibration, by group",
            "Protected attributes are used here only to compare groups, never as inputs.",
            "",
            "| attribute | group | n | outcome rate | AUC | Brier | ECE | slope | FPR | FNR |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *_group_rows(groups),
        ]
    lines += ["", "### Promotion gates", f"{promotion['summary']}."]
    lines += [f"- {reason}" for reason in promotion.get("reasons", [])]
    champion_auc = document.get("champion_cohort_auc")
    if champion_auc is not None:
        lines.append(f"- The champion's AUC on the same cohort: {_number(champion_auc)}")
    lines += [
        "",
        "## Provenance",
        f"- MLflow run `{document['run_id']}` in `{document['tracking_uri']}`",
        "",
        f"## The card of version {parent['version']}",
        "",
    ]
    if parent_card is None:
        lines += [f"Version {parent['version']} has no card in its run's files.", ""]
    else:
        lines += [_demoted(parent_card, image_folder=f"../v{parent['version']}/"), ""]
    return "\n".join(lines)


_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def _demoted(markdown: str, *, image_folder: str) -> str:
    """Markdown with every heading one level deeper (a card inside a card) and its relative
    images read from ``image_folder`` (the parent version's folder beside this one); fenced
    code is left as it is."""

    def moved(found: re.Match[str]) -> str:
        target = found.group(2)
        if "://" in target or target.startswith(("/", "#")):
            return found.group(0)
        return f"![{found.group(1)}]({image_folder}{target})"

    out = []
    fenced = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced:
            line = _IMAGE.sub(moved, "#" + line if line.startswith("#") else line)
        out.append(line)
    return "\n".join(out)


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

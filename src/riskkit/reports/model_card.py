"""A short model card in Markdown: what the model is for, what it measures, how it was built
and how well it did. Rendering only: it receives everything it prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from riskkit.config import PipelineConfig
from riskkit.estimators.additive import AdditiveBoostedClassifier
from riskkit.features.registry import default_registry

_DIRECTION = {1: "risk rises with it", -1: "risk falls as it rises", 0: "learned from data"}


def _split_words(config: PipelineConfig) -> str:
    split = config.split
    if split.method == "column":
        return f"by the data's own {split.column!r} column"
    if split.method == "time":
        return f"the most recent {split.test_size:.0%} by {split.column!r} held out"
    return f"{split.method}, seed {split.seed}"


def render_model_card(
    config: PipelineConfig,
    estimator: AdditiveBoostedClassifier,
    summary: Mapping[str, Any],
) -> str:
    """The model card as Markdown."""
    registry = default_registry()
    outcome = registry.outcome(config.target.column)
    metrics = summary["metrics"]
    records = summary["records"]
    lines = [
        f"# Model card: {summary['model']} v{summary['version']}",
        "",
        f"{config.description or config.name}",
        "",
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
        "policing as well as behaviour; groups that are policed more will look riskier than "
        "they are. Check the fairness audit before use.",
        "",
        "## Data",
        f"- Source: {summary['data_source']}",
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
        f"Settings: {config.model.n_estimators} trees, learning rate {config.model.learning_rate}, "
        f"up to {config.model.max_leaves_per_tree} leaves per tree.",
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
    lines += [
        "",
        "## Performance on the held-out test split",
        f"- AUC: {metrics['test_auc']:.3f} (train {metrics['train_auc']:.3f})",
        f"- Brier score: {metrics['test_brier']:.4f}",
        f"- Base rate: {metrics['test_base_rate']:.3f}; average predicted probability on the "
        f"training data (the reference for explanations): {metrics['reference_probability']:.3f}",
        "",
        "## Risk bands",
        "| band | probability up to |",
        "|---|---|",
        *[f"| {b.name} | {b.max_probability:.2f} |" for b in config.bands],
        "",
        "## Provenance",
        f"- MLflow run `{summary['run_id']}` in `{summary['tracking_uri']}`",
        f"- Trained at {summary['trained_at']}",
        "",
    ]
    return "\n".join(lines)

"""Training a needs model: load and validate records, build the need labels, split, fit one
additive classifier per domain, evaluate each domain on the held-out part, log and register the
model in MLflow, and write its card.

``train()`` calls :func:`train_needs` for a pipeline with ``[model] kind = "needs"``. The labels
come from the records' ``need_<domain>`` columns (``[needs] labels = "columns"``, as in the
synthetic population) or from NIJ Georgia's supervision records
(``labels = "nij_proxies"``: :func:`riskkit.data.need_proxies.nij_need_labels`, which are
proxies, and the card says so).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from riskkit.config import NeedsConfig, PipelineConfig
from riskkit.data.schema import ColumnSpec, RecordSchema
from riskkit.data.sources import LoadedRecords
from riskkit.errors import DataValidationError, RiskkitError, ValidationProblem
from riskkit.features.registry import default_registry
from riskkit.json_values import finite_json
from riskkit.training.pipeline import (
    TrainResult,
    data_hash,
    data_period,
    write_card_files,
)

if TYPE_CHECKING:
    from riskkit.estimators.needs import NeedsModel

Progress = Callable[[str], None]

#: Label column prefix (``need_housing``).
LABEL_PREFIX: Final = "need_"

#: NIJ Georgia's domains that have no proxy label, and why (``docs/needs.md``).
NIJ_DOMAINS_WITHOUT_PROXY: Final[dict[str, str]] = {
    "criminal_history": "the prior record is already a model input, so a label made from it "
    "would only copy an input",
    "family_marital": "the file has only the number of dependants, which is not a need",
    "leisure_recreation": "nothing in the file measures it",
    "procriminal_attitudes": "nothing in the file measures it",
}

#: What the card says the labels are when ``labels = "columns"`` on the generated synthetic
#: population and the pipeline gives no ``label_definition``.
SYNTHETIC_LABEL_DEFINITION: Final = (
    "Simulated full assessment of the synthetic population: 1 when the person's latent "
    "severity in the domain, seen with assessment noise, is above the domain's threshold "
    "(docs/synthetic.md). These are simulated assessments, not findings about real people."
)

#: Why a feature is kept out of a domain's model, as the card says it.
PROXY_SOURCE_REASON: Final = (
    "source of this domain's proxy label: the model would copy its own label"
)
CONFIG_EXCLUSION_REASON: Final = "excluded by the pipeline ([needs] exclude_features)"


@dataclass(frozen=True)
class NeedsData:
    """A needs pipeline's validated records, their need labels and the split."""

    loaded: LoadedRecords
    records: pd.DataFrame
    labels: pd.DataFrame
    train_index: pd.Index
    test_index: pd.Index


@dataclass(frozen=True)
class NeedsTrainResult(TrainResult):
    """What a needs training run produced.

    ``metrics`` holds every domain's figures as ``<domain>_test_auc``, ``<domain>_test_brier``,
    ... (as logged to MLflow); ``domains`` holds the same per domain.
    """

    domains: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON line ``riskkit train --json`` prints."""
        summary = super().summary()
        summary["kind"] = "needs"
        summary["domains"] = finite_json(self.domains)
        return summary

    def headline(self) -> str:
        """What ``riskkit train`` prints: the version, the promotion and one line per domain."""
        lines = [
            f"{self.model_name} v{self.version} ({self.promotion}); card: {self.files['card']}"
        ]
        for domain, figures in self.domains.items():
            lines.append(
                f"  {domain:<22} test AUC {figures['auc']:.3f} "
                f"({figures['auc_low']:.3f}-{figures['auc_high']:.3f}), Brier "
                f"{figures['brier']:.4f}, prevalence {figures['prevalence']:.1%}, "
                f"{int(figures['n_test'])} labelled test records"
            )
        return "\n".join(lines)


def needs_schema(config: PipelineConfig, label_columns: Sequence[str]) -> RecordSchema:
    """The schema a needs pipeline's training records must satisfy.

    Like :meth:`RecordSchema.for_pipeline` for training, without the target: the id, the
    features, the sensitive attributes (optional), the split column and each label column
    (``need_<domain>``: 0/1, empty = not assessed).
    """
    registry = default_registry()
    specs: list[ColumnSpec] = [
        ColumnSpec(
            name=config.data.id_column,
            source_name=config.data.id_column,
            role="id",
            kind="id",
            required=True,
            nullable=False,
        )
    ]
    sensitive = [n for n in config.sensitive.attributes if n not in config.features.use]
    for name in [*config.features.use, *sensitive]:
        feature = registry[name]
        is_input = name in config.features.use
        specs.append(
            ColumnSpec(
                name=name,
                source_name=config.source_column(name),
                role="feature" if is_input else "sensitive",
                kind=feature.kind,
                required=is_input,
                # a missing sensitive value counts as its own "(missing)" group
                nullable=feature.nullable if is_input else True,
                minimum=feature.minimum,
                maximum=feature.maximum,
                categories=feature.categories,
            )
        )
    for column in label_columns:
        specs.append(
            ColumnSpec(
                name=column,
                source_name=column,
                role="target",
                kind="binary",
                required=True,
                nullable=True,
            )
        )
    split = config.split
    if split.column is not None:
        specs.append(
            ColumnSpec(
                name=split.column,
                source_name=split.column,
                role="split",
                kind="date" if split.method == "time" else "binary",
                required=True,
                nullable=False,
            )
        )
    return RecordSchema(columns=tuple(specs), purpose="train")


def _needs(config: PipelineConfig) -> NeedsConfig:
    if config.needs is None or not config.is_needs:
        raise RiskkitError(
            f"pipeline {config.name!r} is not a needs pipeline ([model] kind = "
            f"{config.model.kind!r}); train it with riskkit.training.pipeline.train"
        )
    return config.needs


def domains_not_modelled(needs: NeedsConfig, modelled: Sequence[str]) -> dict[str, str]:
    """Every need domain the model does not cover, with the reason (for the card)."""
    from riskkit.estimators.needs import DOMAINS

    reasons: dict[str, str] = {}
    for domain in DOMAINS:
        if domain in modelled:
            continue
        if needs.labels == "nij_proxies" and domain in NIJ_DOMAINS_WITHOUT_PROXY:
            reasons[domain] = "no proxy: " + NIJ_DOMAINS_WITHOUT_PROXY[domain]
        elif needs.domains is not None:
            reasons[domain] = "left out by the pipeline ([needs] domains)"
        else:
            reasons[domain] = f"the records have no {LABEL_PREFIX}{domain} label column"
    return reasons


def load_needs_data(
    config: PipelineConfig,
    data: str | Path | None = None,
    *,
    say: Progress = lambda _line: None,
) -> NeedsData:
    """Read and validate a needs pipeline's records, build its labels and split them.

    Returns
    -------
    NeedsData
        ``labels`` has one float column per domain (``need_<domain>``: 1.0, 0.0 or NaN),
        indexed like ``records``.

    Raises
    ------
    DataValidationError
        When the records cannot be used at all: a required column (feature, label, split
        column) is missing, there are no records, no label column is found, or a part of the
        split is empty.
    """
    from riskkit.data.mapping import map_columns
    from riskkit.data.sources import read_source
    from riskkit.data.validation import validate_records
    from riskkit.estimators.needs import DOMAINS
    from riskkit.training.split import split_index

    needs = _needs(config)
    say(f"reading records for needs pipeline {config.name!r}")
    frame, description, encoding = read_source(config, data)
    mapped = map_columns(frame, config)
    label_columns: list[str] = []
    if needs.labels == "columns":
        wanted = needs.domains or [d for d in DOMAINS if f"{LABEL_PREFIX}{d}" in mapped.columns]
        label_columns = [f"{LABEL_PREFIX}{d}" for d in wanted]
        if not label_columns:
            rule = (
                "no need label column: with [needs] labels = 'columns' the records need one "
                "0/1 column per domain named need_<domain> (e.g. need_housing; empty = not "
                f"assessed); the domains are {', '.join(DOMAINS)}"
            )
            raise DataValidationError([ValidationProblem(None, None, None, rule)], description)
    validation = validate_records(mapped, needs_schema(config, label_columns))
    loaded = LoadedRecords(source=description, raw=frame, validation=validation, encoding=encoding)
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=description)
    say(validation.summary())
    records = validation.valid
    if len(records) < 2:
        rule = (
            f"a needs model needs valid records to split and fit; found {len(records)} among "
            f"{validation.n_input} (the invalid rows and their reasons are in the rejects)"
        )
        raise DataValidationError([ValidationProblem(None, None, None, rule)], description)
    if needs.labels == "columns":
        labels = records[label_columns].astype("float64")
    else:
        from riskkit.data.need_proxies import PROXY_DEFINITIONS, nij_need_labels

        say("building the NIJ need proxies from the supervision records (labels only)")
        proxies = nij_need_labels(frame)
        # validated records are indexed by their 1-based row number in the source
        positions = records.index.to_numpy(dtype="int64") - 1
        domains = needs.domains or list(PROXY_DEFINITIONS)
        labels = proxies.iloc[positions][[f"{LABEL_PREFIX}{d}" for d in domains]].set_axis(
            records.index
        )
    train_index, test_index = split_index(records, config.split)
    return NeedsData(
        loaded=loaded,
        records=records,
        labels=labels,
        train_index=train_index,
        test_index=test_index,
    )


def build_needs_model(config: PipelineConfig) -> NeedsModel:
    """The needs model the pipeline describes (not fitted)."""
    from riskkit.estimators.needs import NeedsModel

    needs = _needs(config)
    settings = config.model
    return NeedsModel(
        level_thresholds=needs.level_thresholds,
        n_estimators=settings.n_estimators,
        learning_rate=settings.learning_rate,
        max_leaves_per_tree=settings.max_leaves_per_tree,
        min_child_samples=settings.min_child_samples,
        exclude_features=needs.excluded_features() or None,
        random_state=settings.seed,
        n_jobs=settings.n_jobs,
    )


def _counts(labels: pd.Series) -> dict[str, float]:
    known = labels.notna()
    positive = int((labels[known] == 1).sum())
    labelled = int(known.sum())
    return {
        "labelled": labelled,
        "missing": int((~known).sum()),
        "positive": positive,
        "prevalence": positive / labelled if labelled else math.nan,
    }


def _exclusions(config: PipelineConfig, domain: str) -> list[dict[str, str]]:
    """The pipeline's inputs kept out of one domain's model, each with its reason."""
    needs = _needs(config)
    proxy_sources: set[str] = set()
    if needs.labels == "nij_proxies":
        from riskkit.data.need_proxies import PROXY_SOURCE_FEATURES

        proxy_sources = set(PROXY_SOURCE_FEATURES.get(domain, ()))
    excluded = needs.excluded_features().get(domain, [])
    return [
        {
            "feature": name,
            "reason": PROXY_SOURCE_REASON if name in proxy_sources else CONFIG_EXCLUSION_REASON,
        }
        for name in config.features.use
        if name in excluded
    ]


def _label_definition(config: PipelineConfig, domain: str, synthetic: bool) -> str:
    needs = _needs(config)
    if needs.labels == "nij_proxies":
        from riskkit.data.need_proxies import PROXY_DEFINITIONS

        return PROXY_DEFINITIONS[domain]
    if needs.label_definition:
        return f"`{LABEL_PREFIX}{domain}`: {needs.label_definition}"
    if synthetic:
        return f"`{LABEL_PREFIX}{domain}`: {SYNTHETIC_LABEL_DEFINITION}"
    return (
        f"`{LABEL_PREFIX}{domain}` column of the records (1 = need found, 0 = no need, empty = "
        "not assessed); the pipeline does not say how it was assessed ([needs] "
        "label_definition)"
    )


def _group_counts(
    records: pd.DataFrame, labels: pd.DataFrame, attributes: Sequence[str]
) -> list[dict[str, Any]]:
    """Labelled records and prevalence of each domain, by group of each sensitive attribute."""
    rows: list[dict[str, Any]] = []
    for attribute in attributes:
        if attribute not in records.columns:
            continue
        values = records[attribute].astype(object)
        groups = values.where(values.notna(), "(missing)")
        for group in sorted({str(g) for g in groups}):
            mask = (groups.astype(str) == group).to_numpy()
            rows.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "n": int(mask.sum()),
                    "domains": {
                        str(column)[len(LABEL_PREFIX) :]: _counts(labels.loc[mask, column])
                        for column in labels.columns
                    },
                }
            )
    return rows


def evaluate_domains(
    model: NeedsModel,
    labels: pd.DataFrame,
    X_test: pd.DataFrame,
    X_train: pd.DataFrame,
    *,
    n_resamples: int,
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Each domain's held-out AUC and Brier (bootstrap 95% intervals over the labelled test
    records), training AUC, label counts and level shares on the test part."""
    from riskkit.metrics import auc, brier
    from riskkit.training.evaluation import bootstrap_estimates

    p_test = model.predict_proba(X_test)
    p_train = model.predict_proba(X_train)
    levels = model.levels(X_test)
    out: dict[str, dict[str, Any]] = {}
    for domain in model.domains_:
        column = model.label_columns_[domain]
        y_test = labels.loc[X_test.index, column]
        y_train = labels.loc[X_train.index, column]
        known = y_test.notna().to_numpy()
        y = y_test.to_numpy()[known].astype("int64")
        p = p_test[domain].to_numpy()[known]
        estimates = bootstrap_estimates(
            y, p, {"auc": auc, "brier": brier}, n_resamples=n_resamples, seed=seed
        )
        known_train = y_train.notna().to_numpy()
        domain_levels = levels[domain][known]
        out[domain] = {
            "label_column": column,
            "train": _counts(y_train),
            "test": _counts(y_test),
            "auc": estimates["auc"].to_dict(),
            "brier": estimates["brier"].to_dict(),
            "train_auc": auc(
                y_train.to_numpy()[known_train].astype("int64"),
                p_train[domain].to_numpy()[known_train],
            ),
            "levels_test": {
                level: float((domain_levels == level).mean()) if len(domain_levels) else math.nan
                for level in ("low", "moderate", "high")
            },
            "features": list(model.features_[domain]),
        }
    return out


def _flat_metrics(evaluation: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Per-domain figures as MLflow metrics (``<domain>_test_auc`` ...)."""
    metrics: dict[str, float] = {}

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    for domain, figures in evaluation.items():
        for name in ("auc", "brier"):
            metrics[f"{domain}_test_{name}"] = number(figures[name]["value"])
            metrics[f"{domain}_test_{name}_low"] = number(figures[name]["low"])
            metrics[f"{domain}_test_{name}_high"] = number(figures[name]["high"])
        metrics[f"{domain}_train_auc"] = number(figures["train_auc"])
        metrics[f"{domain}_test_prevalence"] = number(figures["test"]["prevalence"])
        metrics[f"{domain}_train_prevalence"] = number(figures["train"]["prevalence"])
        metrics[f"{domain}_n_train_labelled"] = float(figures["train"]["labelled"])
        metrics[f"{domain}_n_test_labelled"] = float(figures["test"]["labelled"])
    aucs = [metrics[f"{d}_test_auc"] for d in evaluation]
    metrics["min_test_auc"] = min(aucs) if aucs and not any(map(math.isnan, aucs)) else math.nan
    return metrics


def train_needs(
    config: PipelineConfig,
    *,
    data: str | Path | None = None,
    models_dir: str | Path = "models",
    progress: Progress | None = None,
) -> NeedsTrainResult:
    """Train, evaluate, register and document one needs model.

    Parameters
    ----------
    config : PipelineConfig
        A needs pipeline (``[model] kind = "needs"``).
    data : str or Path, optional
        A records file to use instead of the pipeline's ``data.source``.
    models_dir : str or Path
        Where ``<model name>/v<version>/`` (metrics, card, rejects) is written.
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    NeedsTrainResult

    Raises
    ------
    DataValidationError
        When the records cannot be used at all. Invalid rows alone do not stop training: they
        are written to ``rejects.csv`` beside the metrics and counted.
    RiskkitError
        When a domain's training labels have a single class (it cannot be modelled: leave it
        out with ``[needs] domains``), or another estimator check fails.
    """
    from riskkit import tracking
    from riskkit.reports.model_card import render_needs_model_card
    from riskkit.training.promotion import decide_needs_promotion

    needs = _needs(config)
    say = progress or (lambda _line: None)
    split = load_needs_data(config, data, say=say)
    loaded, validation, records, labels = (
        split.loaded,
        split.loaded.validation,
        split.records,
        split.labels,
    )
    X_train = records.loc[split.train_index, config.features.use]
    X_test = records.loc[split.test_index, config.features.use]
    say(
        f"fitting {labels.shape[1]} domain model(s) on {len(X_train)} records "
        f"({config.model.n_estimators} trees each)"
    )
    model = build_needs_model(config).fit(X_train, labels.loc[split.train_index])
    evaluation = evaluate_domains(
        model,
        labels,
        X_test,
        X_train,
        n_resamples=needs.n_resamples,
        seed=config.split.seed,
    )
    metrics = _flat_metrics(evaluation)
    for domain in model.domains_:
        figures = evaluation[domain]
        auc_figures = figures["auc"]
        say(
            f"{domain}: test AUC {metrics[f'{domain}_test_auc']:.3f} "
            f"({metrics[f'{domain}_test_auc_low']:.3f}-{metrics[f'{domain}_test_auc_high']:.3f}), "
            f"Brier {metrics[f'{domain}_test_brier']:.4f}, "
            f"{figures['test']['labelled']} labelled test records"
            + ("" if auc_figures["value"] is not None else " (AUC undefined)")
        )
    champion = tracking.champion(config.tracking.model_name)
    decision = decide_needs_promotion(
        {d: metrics[f"{d}_test_auc"] for d in model.domains_},
        min_auc=needs.min_auc,
        auc_tolerance=needs.auc_tolerance,
        champion_metrics=None if champion is None else champion.metrics,
        champion_version=None if champion is None else champion.version,
    )
    say(decision.summary())

    say(f"logging the run and registering needs model {config.tracking.model_name!r} in MLflow")
    hashed = records.drop(columns=[c for c in labels.columns if c in records.columns]).join(labels)
    hash_of_data = data_hash(hashed)
    excluded = needs.excluded_features()
    tags = {
        "pipeline": config.name,
        "model_kind": "needs",
        "need_labels": needs.labels,
        "data_source": loaded.source,
        "data_sha256": hash_of_data,
        **tracking.environment_tags(),
    }
    params: dict[str, Any] = {
        **{f"model.{k}": v for k, v in config.model.model_dump().items()},
        **{f"split.{k}": v for k, v in config.split.model_dump().items()},
        **{f"needs.{k}": v for k, v in needs.model_dump(exclude={"label_definition"}).items()},
        "needs.excluded_features": excluded,
        "domains": list(model.domains_),
        "features": config.features.use,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_rejected": len(validation.rejects),
    }
    registered = tracking.log_and_register(
        tracking.NeedsBundle(estimator=model, config=config),
        params=params,
        metrics=metrics,
        tags=tags,
        promote=decision.promoted,
        version_tags={"promotion": decision.summary(), "riskkit_kind": "needs"},
    )

    out_dir = Path(models_dir) / registered.name / f"v{registered.version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    synthetic = data is None and config.data.source == "synthetic"
    domains = []
    for domain in model.domains_:
        figures = evaluation[domain]
        domains.append(
            {
                "domain": domain,
                **figures,
                "definition": _label_definition(config, domain, synthetic),
                "excluded": _exclusions(config, domain),
                "passed": not any(r.startswith(f"{domain}:") for r in decision.reasons),
            }
        )
    not_modelled = domains_not_modelled(needs, model.domains_)
    summary: dict[str, Any] = {
        "kind": "needs",
        "model": registered.name,
        "version": registered.version,
        "alias": registered.alias,
        "pipeline": config.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": registered.run_id,
        "tracking_uri": registered.tracking_uri,
        "data_source": loaded.source,
        "synthetic": synthetic,
        "data_period": data_period(records, config),
        "data_sha256": hash_of_data,
        "labels": {
            "source": needs.labels,
            "definition": needs.label_definition,
            "proxies": needs.labels == "nij_proxies",
        },
        "level_thresholds": list(model.level_thresholds_),
        "records": {
            "read": validation.n_input,
            "valid": len(records),
            "rejected": len(validation.rejects),
            "train": len(X_train),
            "test": len(X_test),
        },
        "inputs": list(config.features.use),
        "domains": domains,
        "domains_not_modelled": not_modelled,
        "label_groups": _group_counts(records, labels, config.sensitive.attributes),
        "metrics": metrics,
        "n_resamples": needs.n_resamples,
        "promotion": {
            "promoted": decision.promoted,
            "reasons": list(decision.reasons),
            "summary": decision.summary(),
            "champion_before": None if champion is None else champion.version,
            "min_auc": needs.min_auc,
            "auc_tolerance": needs.auc_tolerance,
        },
    }
    files = write_card_files(
        out_dir,
        summary=summary,
        card=render_needs_model_card(config, finite_json(summary)),
        title=f"{registered.name} v{registered.version}",
        rejects=validation.rejects,
    )
    tracking.attach_files(registered.run_id, [files["card"], files["card_html"], files["metrics"]])
    say(f"needs model {registered.name} v{registered.version} registered; card in {out_dir}")
    return NeedsTrainResult(
        model_name=registered.name,
        version=registered.version,
        alias=registered.alias,
        promoted=decision.promoted,
        promotion=decision.summary(),
        metrics=metrics,
        run_id=registered.run_id,
        tracking_uri=registered.tracking_uri,
        output_dir=out_dir,
        n_records=validation.n_input,
        n_train=len(X_train),
        n_test=len(X_test),
        n_rejected=len(validation.rejects),
        files=files,
        domains={
            d: {
                "auc": metrics[f"{d}_test_auc"],
                "auc_low": metrics[f"{d}_test_auc_low"],
                "auc_high": metrics[f"{d}_test_auc_high"],
                "brier": metrics[f"{d}_test_brier"],
                "prevalence": metrics[f"{d}_test_prevalence"],
                "n_test": metrics[f"{d}_n_test_labelled"],
            }
            for d in model.domains_
        },
    )

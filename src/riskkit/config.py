"""Typed pipeline configuration, loaded from ``pipelines/*.toml``.

One TOML file describes one model: where its records come from and how their columns map onto
the feature registry, the target, the sensitive attributes (audit only), the features, the model
settings, the risk bands and the MLflow names. Loading does no work beyond parsing and checking.

A needs pipeline (``[model] kind = "needs"``) has no single target and no risk bands: its
``[needs]`` section says where the need labels come from and sets each domain's level thresholds
and promotion gate (see ``docs/needs.md``).

Every problem is reported at once, each naming the file, the key, what was found and what is
allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from riskkit.errors import ConfigError, RiskkitError
from riskkit.features.registry import (
    FeatureRegistry,
    NeedDomain,
    default_registry,
    unknown_name_message,
)

ADAPTER_SOURCES = ("synthetic", "compas_general", "compas_violent", "nij")
#: ``[model] kind`` values: the risk model, or the needs model (one classifier per need domain).
MODEL_KINDS = ("additive_boosted", "needs")
#: ``[needs] labels`` values: where a needs pipeline's labels come from.
NEED_LABEL_SOURCES = ("columns", "nij_proxies")
#: Every need domain, in the registry's order.
NEED_DOMAINS = tuple(d.value for d in NeedDomain)
#: The pydantic error type of the cross-section checks: its context lists every problem.
_PROBLEMS_ERROR = "riskkit_config"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """Where the records come from and how their columns map onto the registry.

    ``source`` is a file path (CSV, Parquet or JSON lines; relative paths are read from the
    TOML file's folder), or one of the built-in sources: ``synthetic`` (generated with
    ``rows`` and ``seed``), ``compas_general``, ``compas_violent`` or ``nij`` (read from
    ``RISKKIT_DATA_DIR``).
    """

    source: str
    id_column: str = "person_id"
    columns: dict[str, str] = Field(
        default_factory=dict, description="registry name -> column name in the source"
    )
    values: dict[str, dict[str, str | int | float]] = Field(
        default_factory=dict, description="registry name -> {source value: registry value}"
    )
    rows: Annotated[int, Field(gt=0)] = 20_000
    seed: int = 0


class TargetConfig(_Section):
    """The outcome the model predicts (a registered outcome, coded 0/1)."""

    column: str
    positive_label: str = "1"


class SensitiveConfig(_Section):
    """Attributes used only by the fairness audit, never as model inputs."""

    attributes: list[str] = Field(default_factory=list)
    minimum_group_size: Annotated[int, Field(ge=1)] = 30


class AuditConfig(_Section):
    """How ``riskkit audit`` judges this pipeline's model (see the fairness audit)."""

    purpose: Literal["punitive", "assistive"] | None = Field(
        default=None,
        description="what the score is used for: 'punitive' (detention, supervision level: "
        "false positives are the harm) or 'assistive' (access to programmes: false negatives "
        "are the harm)",
    )
    reference_groups: dict[str, str] = Field(
        default_factory=dict,
        description="reference group per sensitive attribute; default: the largest group",
    )
    threshold: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None,
        description="probability at or above which a person counts as flagged; default: the "
        "lower edge of the highest band",
    )
    n_resamples: Annotated[int, Field(ge=50, le=100_000)] = 1000
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    seed: int = 0


class FeaturesConfig(_Section):
    """Model inputs, by registry name."""

    use: list[str]
    interactions: list[tuple[str, str]] = Field(default_factory=list)
    allow_protected: list[str] = Field(
        default_factory=list,
        description="protected attributes explicitly allowed as inputs (for comparisons only)",
    )


class ModelConfig(_Section):
    """Settings of the additive boosted model (of every domain model, for ``kind = "needs"``)."""

    kind: Literal["additive_boosted", "needs"] = Field(
        default="additive_boosted",
        description="'additive_boosted' (a risk model for [target]) or 'needs' (one classifier "
        "per need domain, configured in [needs])",
    )
    n_estimators: Annotated[int, Field(gt=0, le=20_000)] = 300
    learning_rate: Annotated[float, Field(gt=0, le=1)] = 0.05
    max_leaves_per_tree: Annotated[int, Field(ge=2, le=64)] = 4
    min_child_samples: Annotated[int, Field(ge=1)] = 50
    reg_lambda: Annotated[float, Field(ge=0)] = 1.0
    seed: int = 0
    n_jobs: Annotated[int, Field(ge=1, le=256)] = 1


class SplitConfig(_Section):
    """Train/test split.

    ``stratified`` (default) and ``random`` draw ``test_size`` of the records at random (the
    first keeps the outcome's rate equal in both parts); ``time`` tests on the most recent
    ``test_size`` share by the date in ``column``; ``column`` follows a 0/1 column of the data
    (1 = training, 0 = test), such as an official challenge split.
    """

    method: Literal["stratified", "random", "time", "column"] = "stratified"
    test_size: Annotated[float, Field(gt=0, lt=1)] = 0.25
    seed: int = 0
    column: str | None = None

    @model_validator(mode="after")
    def _column_when_needed(self) -> SplitConfig:
        if self.method in ("time", "column") and not self.column:
            raise ValueError(f"split method {self.method!r} needs split.column")
        if self.method in ("stratified", "random") and self.column:
            raise ValueError(
                f"split.column is only read by the 'time' and 'column' methods, not {self.method!r}"
            )
        return self


class TuningConfig(_Section):
    """A small, bounded hyper-parameter search by cross-validation on the training part.

    ``grid`` maps [model] settings to the values to try (every combination is fitted ``cv``
    times, so keep it small); an empty grid keeps the [model] settings as written.
    """

    grid: dict[
        Literal[
            "n_estimators",
            "learning_rate",
            "max_leaves_per_tree",
            "min_child_samples",
            "reg_lambda",
        ],
        list[float],
    ] = Field(default_factory=dict)
    cv: Annotated[int, Field(ge=2, le=10)] = 3
    metric: Literal["log_loss", "auc", "brier"] = "log_loss"
    max_candidates: Annotated[int, Field(ge=1, le=64)] = 16

    @model_validator(mode="after")
    def _bounded(self) -> TuningConfig:
        size = 1
        for values in self.grid.values():
            if not values:
                raise ValueError("every tuning.grid entry needs at least one value")
            size *= len(values)
        if size > self.max_candidates:
            raise ValueError(
                f"tuning.grid has {size} combinations, more than tuning.max_candidates = "
                f"{self.max_candidates}; shorten the grid or raise the bound"
            )
        return self


class CalibrationConfig(_Section):
    """Calibration on out-of-fold log-odds: ``auto`` picks Platt or isotonic by log-loss."""

    method: Literal["auto", "platt", "isotonic", "none"] = "auto"
    cv: Annotated[int, Field(ge=2, le=10)] = 5


class UncertaintyConfig(_Section):
    """The uncertainty band of each score: percentiles of the probability across additive
    models refitted on bootstrap resamples of the training part (docs/uncertainty.md)."""

    n_bootstrap: Annotated[int, Field(ge=0, le=500)] = Field(
        default=30, description="refits; 0 turns the interval off"
    )
    level: Annotated[float, Field(gt=0, lt=1)] = 0.9


class MonitoringConfig(_Section):
    """When a model in use needs attention (``riskkit monitor``, docs/monitoring.md).

    Drift: a feature's or the score's population stability index (PSI) against the training
    data is ``moderate`` from ``psi_moderate`` and ``major`` from ``psi_major`` (the usual 0.1 and
    0.25); a distribution test must also reject at ``p_value``. Outcomes: on a new cohort,
    recalibration is recommended when the calibration slope leaves ``slope_range`` or the
    expected calibration error exceeds ``max_ece``; retraining when the AUC falls more than
    ``auc_drop`` below the model card's. Overrides: a group or case worker is flagged when its
    override rate differs from the others' by more than ``override_rate_gap`` and a
    two-proportion test rejects at ``p_value``, with at least ``min_scores`` scores.
    """

    psi_moderate: Annotated[float, Field(gt=0)] = 0.1
    psi_major: Annotated[float, Field(gt=0)] = 0.25
    p_value: Annotated[float, Field(gt=0, lt=1)] = 0.01
    slope_range: tuple[float, float] = (0.8, 1.2)
    max_ece: Annotated[float, Field(ge=0, le=1)] = 0.05
    auc_drop: Annotated[float, Field(ge=0, le=1)] = 0.03
    override_rate_gap: Annotated[float, Field(ge=0, le=1)] = 0.1
    min_scores: Annotated[int, Field(ge=1)] = 30

    @model_validator(mode="after")
    def _ordered(self) -> MonitoringConfig:
        if self.psi_major <= self.psi_moderate:
            raise ValueError(
                f"psi_major ({self.psi_major}) must be above psi_moderate ({self.psi_moderate})"
            )
        low, high = self.slope_range
        if not low < 1.0 < high:
            raise ValueError(
                f"slope_range {list(self.slope_range)} must contain 1, e.g. [0.8, 1.2]"
            )
        return self


class PromotionConfig(_Section):
    """Gates a new version must pass for the ``champion`` alias to move to it.

    ``max_group_gap`` bounds the largest gap in false positive or false negative rate (at the
    decision threshold) between a group and its attribute's reference group that the test
    split's bootstrap 95% interval supports: the interval's bound nearest zero, when the interval
    excludes zero. Groups too small to judge, and gaps that may be noise, do not block a
    promotion. A new version must also reach at least the current champion's test AUC minus
    ``auc_tolerance``.
    """

    min_auc: Annotated[float, Field(ge=0, le=1)] = 0.6
    max_ece: Annotated[float, Field(ge=0, le=1)] = 0.05
    max_group_gap: Annotated[float, Field(ge=0, le=1)] = 0.2
    auc_tolerance: Annotated[float, Field(ge=0, le=1)] = 0.005


class NeedsConfig(_Section):
    """A needs pipeline's labels and policy settings (``[model] kind = "needs"`` only).

    ``labels`` says where the 0/1 need labels come from: ``"columns"`` reads ``need_<domain>``
    columns of the records (as in the synthetic population; empty = not assessed), and
    ``"nij_proxies"`` builds NIJ Georgia's proxy labels with
    :func:`riskkit.data.need_proxies.nij_need_labels` from the NIJ adapter's frame.
    ``domains`` restricts the domains modelled (default: every domain with a label).
    ``exclude_features`` keeps named features out of named domains' models; with
    ``"nij_proxies"`` each proxy's own source variables
    (:data:`riskkit.data.need_proxies.PROXY_SOURCE_FEATURES`) are always excluded too. A new
    version becomes ``champion`` only when every domain's held-out AUC is at least ``min_auc``
    and, in every domain the current champion also models, at least the champion's AUC minus
    ``auc_tolerance``.
    """

    labels: Literal["columns", "nij_proxies"] = Field(
        description="where the need labels come from: 'columns' (need_<domain> columns of the "
        "records) or 'nij_proxies' (NIJ Georgia proxies built from supervision records)"
    )
    label_definition: str | None = Field(
        default=None,
        description="what the label columns record (printed in the model card); 'columns' only",
    )
    domains: list[str] | None = None
    level_thresholds: tuple[float, float] = (0.3, 0.6)
    exclude_features: dict[str, list[str]] = Field(default_factory=dict)
    min_auc: Annotated[float, Field(ge=0, le=1)] = 0.6
    auc_tolerance: Annotated[float, Field(ge=0, le=1)] = 0.005
    n_resamples: Annotated[int, Field(ge=50, le=10_000)] = 200

    @field_validator("domains")
    @classmethod
    def _known_domains(cls, domains: list[str] | None) -> list[str] | None:
        if domains is None:
            return None
        unknown = [d for d in domains if d not in NEED_DOMAINS]
        if unknown:
            raise ValueError(
                f"unknown need domain(s) {unknown}; allowed domains: {', '.join(NEED_DOMAINS)}"
            )
        repeated = sorted({d for d in domains if domains.count(d) > 1})
        if repeated:
            raise ValueError(f"domain(s) {repeated} are listed more than once")
        if not domains:
            raise ValueError("lists no domain; list at least one, or leave the key out")
        return domains

    @field_validator("level_thresholds")
    @classmethod
    def _ordered_thresholds(cls, thresholds: tuple[float, float]) -> tuple[float, float]:
        low, high = thresholds
        if not 0.0 < low < high < 1.0:
            raise ValueError(
                "must be two probabilities [low, high] with 0 < low < high < 1, e.g. "
                "[0.3, 0.6]: below low a need is 'low', from high it is 'high'"
            )
        return thresholds

    @field_validator("exclude_features")
    @classmethod
    def _excluded_domains(cls, table: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = [d for d in table if d not in NEED_DOMAINS]
        if unknown:
            raise ValueError(
                f"names unknown need domain(s) {unknown}; its keys are domains "
                f"({', '.join(NEED_DOMAINS)}) and its values lists of registry features"
            )
        return table

    @model_validator(mode="after")
    def _labels_settings(self) -> NeedsConfig:
        problems: list[str] = []
        if self.labels == "nij_proxies":
            from riskkit.data.need_proxies import PROXY_DEFINITIONS

            without = [d for d in self.domains or () if d not in PROXY_DEFINITIONS]
            if without:
                problems.append(
                    f"key 'needs.domains': {without} have no NIJ proxy (found {self.domains}); "
                    f"with labels = 'nij_proxies' the allowed domains are "
                    f"{', '.join(PROXY_DEFINITIONS)}"
                )
            if self.label_definition is not None:
                problems.append(
                    "key 'needs.label_definition': only read with labels = 'columns' (found "
                    f"{self.label_definition!r} with labels = 'nij_proxies'); the proxies' "
                    "definitions come from riskkit.data.need_proxies.PROXY_DEFINITIONS, remove "
                    "the key"
                )
        _raise_problems(problems)
        return self

    def excluded_features(self) -> dict[str, list[str]]:
        """Domain -> features kept out of its model: ``exclude_features`` plus, with
        ``labels = "nij_proxies"``, each proxy's own source variables."""
        table = {d: list(v) for d, v in self.exclude_features.items()}
        if self.labels == "nij_proxies":
            from riskkit.data.need_proxies import PROXY_SOURCE_FEATURES

            for domain, sources in PROXY_SOURCE_FEATURES.items():
                kept = table.setdefault(domain, [])
                kept.extend(f for f in sources if f not in kept)
        return table


class BandConfig(_Section):
    """A risk band: probabilities up to ``max_probability`` (inclusive) fall in it."""

    name: str
    max_probability: Annotated[float, Field(gt=0, le=1)]
    labels: dict[Literal["es", "pt", "en"], str] = Field(default_factory=dict)


class TrackingConfig(_Section):
    """MLflow names."""

    experiment: str
    model_name: str


class PipelineConfig(_Section):
    """One pipeline: everything needed to train, audit and score one model.

    A risk pipeline (``[model] kind = "additive_boosted"``, the default) needs ``[target]`` and
    ``[[bands]]``. A needs pipeline (``kind = "needs"``) has neither: it needs ``[needs]``, and
    refuses the sections it would not read (``[target]``, ``[[bands]]``, ``[calibration]``,
    ``[promotion]``, ``[audit]``, a ``[tuning]`` grid). Its ``[split]`` method defaults to
    ``"random"`` (there is no single outcome to stratify by).

    The target section is stored as ``target_config`` (``None`` for needs pipelines) and read
    through :attr:`target`, which risk-model code uses.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, serialize_by_alias=True)

    name: str
    description: str = ""
    data: DataConfig
    target_config: TargetConfig | None = Field(default=None, alias="target")
    sensitive: SensitiveConfig = SensitiveConfig()
    audit: AuditConfig = AuditConfig()
    features: FeaturesConfig
    model: ModelConfig = ModelConfig()
    needs: NeedsConfig | None = None
    tuning: TuningConfig = TuningConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    uncertainty: UncertaintyConfig = UncertaintyConfig()
    promotion: PromotionConfig = PromotionConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    split: SplitConfig = SplitConfig()
    bands: list[BandConfig] = Field(default_factory=list)
    tracking: TrackingConfig

    @property
    def target(self) -> TargetConfig:
        """The ``[target]`` section (risk pipelines).

        Raises
        ------
        RiskkitError
            For a needs pipeline, which has no single target.
        """
        if self.target_config is None:
            raise RiskkitError(
                f"pipeline {self.name!r} has no [target]: it is a needs pipeline ([model] kind = "
                f"{self.model.kind!r}) whose labels come from [needs], and this step needs a "
                "risk pipeline's single outcome (kind = 'additive_boosted'). Train and register "
                "a needs pipeline with `riskkit train`"
            )
        return self.target_config

    @property
    def is_needs(self) -> bool:
        """Whether this is a needs pipeline (``[model] kind = "needs"``)."""
        return self.model.kind == "needs"

    @model_validator(mode="before")
    @classmethod
    def _needs_split_default(cls, raw: Any) -> Any:
        """A needs pipeline splits at random unless ``[split]`` names a method."""
        if not isinstance(raw, dict):
            return raw
        model = raw.get("model")
        split = raw.get("split", {})
        if (
            isinstance(model, dict)
            and model.get("kind") == "needs"
            and isinstance(split, dict)
            and "method" not in split
        ):
            return {**raw, "split": {**split, "method": "random"}}
        return raw

    @model_validator(mode="after")
    def _sections_match_kind(self) -> PipelineConfig:
        problems: list[str] = []
        kind = self.model.kind
        if kind == "needs":
            if self.needs is None:
                problems.append(
                    "missing required key 'needs': a needs pipeline ([model] kind = 'needs') "
                    "needs a [needs] section with labels = 'columns' or 'nij_proxies'"
                )
            if self.target_config is not None:
                problems.append(
                    f"key 'target': a needs pipeline has no single target (found column = "
                    f"{self.target_config.column!r}); remove [target], the labels come from "
                    "[needs] labels"
                )
            if self.bands:
                problems.append(
                    f"key 'bands': a needs pipeline has no risk bands (found "
                    f"{len(self.bands)} [[bands]]); remove them, each domain's level comes from "
                    "[needs] level_thresholds"
                )
            # compared with the defaults, not "was it written", so that a stored configuration
            # (which holds every key) reads back
            for section, value, default, what in (
                (
                    "calibration",
                    self.calibration,
                    CalibrationConfig(),
                    "the domain models are not calibrated",
                ),
                (
                    "promotion",
                    self.promotion,
                    PromotionConfig(),
                    "its promotion gates are [needs] min_auc and auc_tolerance",
                ),
                (
                    "audit",
                    self.audit,
                    AuditConfig(),
                    "`riskkit audit` audits risk scores, not needs profiles",
                ),
            ):
                if value != default:
                    problems.append(
                        f"key '{section}': not read by a needs pipeline ({what}; found "
                        f"{value.model_dump(exclude_defaults=True)}); remove [{section}]"
                    )
            if self.tuning.grid:
                problems.append(
                    f"key 'tuning.grid': a needs pipeline is not tuned (found "
                    f"{dict(self.tuning.grid)}); remove [tuning] and set the [model] settings"
                )
            if self.model.reg_lambda != ModelConfig().reg_lambda:
                problems.append(
                    f"key 'model.reg_lambda': not a setting of the needs model (found "
                    f"{self.model.reg_lambda}); allowed [model] keys for kind = 'needs': "
                    "n_estimators, learning_rate, max_leaves_per_tree, min_child_samples, seed, "
                    "n_jobs"
                )
            if self.features.interactions:
                problems.append(
                    f"key 'features.interactions': the needs model has no interactions (found "
                    f"{self.features.interactions}); remove the key"
                )
            if self.features.allow_protected:
                problems.append(
                    f"key 'features.allow_protected': a needs profile is never computed from "
                    f"protected attributes (found {self.features.allow_protected}); remove the "
                    "key and list them under [sensitive] attributes"
                )
            if self.split.method == "stratified":
                problems.append(
                    "key 'split.method': 'stratified' stratifies by a single outcome, which a "
                    "needs pipeline does not have (found 'stratified'); allowed: random, time, "
                    "column"
                )
        else:
            if self.target_config is None:
                problems.append(
                    f"missing required key 'target': a risk pipeline ([model] kind = {kind!r}) "
                    "predicts one outcome; add [target] with column = '<registered outcome>' "
                    "(or set [model] kind = 'needs' for a needs model)"
                )
            if not self.bands:
                problems.append(
                    f"missing required key 'bands': a risk pipeline ([model] kind = {kind!r}) "
                    "needs at least one [[bands]] table, the last with max_probability = 1.0"
                )
            if self.needs is not None:
                problems.append(
                    f"key 'needs': only read when [model] kind = 'needs' (found kind = "
                    f"{kind!r}); remove [needs], or set kind = 'needs'"
                )
        _raise_problems(problems)
        return self

    @model_validator(mode="after")
    def _bands_ascend(self) -> PipelineConfig:
        uppers = [b.max_probability for b in self.bands]
        if not uppers:
            return self  # required or refused by the kind, above
        if any(a >= b for a, b in pairwise(uppers)):
            raise ValueError(f"band max_probability values must increase, found {uppers}")
        if uppers[-1] != 1.0:
            raise ValueError(f"the last band must end at max_probability = 1.0, found {uppers[-1]}")
        names = [b.name for b in self.bands]
        if len(set(names)) != len(names):
            raise ValueError(f"band names repeat: {names}")
        return self

    @model_validator(mode="after")
    def _audit_references_are_sensitive(self) -> PipelineConfig:
        attributes = self.sensitive.attributes
        known = [*attributes, *([" × ".join(attributes)] if len(attributes) > 1 else [])]
        unknown = sorted(set(self.audit.reference_groups) - set(known))
        if unknown:
            raise ValueError(
                f"[audit] reference_groups names {unknown}, which are not sensitive attributes; "
                f"the attributes are {known} (set them in [sensitive] attributes)"
            )
        return self

    def band_names(self) -> list[str]:
        """Band names from lowest to highest risk."""
        return [b.name for b in self.bands]

    def band_thresholds(self) -> list[float]:
        """Upper probability of each band, in order."""
        return [b.max_probability for b in self.bands]

    def source_column(self, registry_name: str) -> str:
        """The source column mapped onto ``registry_name`` (itself when not mapped)."""
        return self.data.columns.get(registry_name, registry_name)


def _raise_problems(problems: list[str]) -> None:
    """Raise the cross-section problems as one pydantic error that lists each of them."""
    if problems:
        raise PydanticCustomError(
            _PROBLEMS_ERROR, "{summary}", {"summary": "; ".join(problems), "problems": problems}
        )


def _describe_pydantic_errors(errors: Sequence[Any]) -> list[str]:
    """One line per problem (the cross-section checks contribute one line per problem)."""
    lines: list[str] = []
    for error in errors:
        if error["type"] == _PROBLEMS_ERROR:
            lines.extend(str(p) for p in error["ctx"]["problems"])
        else:
            lines.append(_describe_pydantic_error(error))
    return lines


def _dotted(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _describe_pydantic_error(error: Any) -> str:
    loc = tuple(error["loc"])
    key = _dotted(loc) if loc else "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        section_model = _model_at(loc[:-1])
        allowed = ", ".join(_keys(section_model)) if section_model else "see the docs"
        return f"unknown key '{key}'; allowed keys here: {allowed}"
    if kind == "missing":
        return f"missing required key '{key}'"
    found = error.get("input")
    return f"key '{key}': {error['msg']} (found {found!r})"


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a section accepts (a field's alias where it has one)."""
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The pydantic model that a location points into (for listing its allowed keys)."""
    model: type[BaseModel] = PipelineConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = next(
            (f for n, f in model.model_fields.items() if (f.alias or n) == str(part)), None
        )
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        candidates = [a for a in (annotation, *inner) if isinstance(a, type)]
        nested = next((a for a in candidates if issubclass(a, BaseModel)), None)
        if nested is None:
            return None
        model = nested
    return model


def check_against_registry(config: PipelineConfig, registry: FeatureRegistry) -> list[str]:
    """Problems between a parsed configuration and the feature registry (empty when none)."""
    problems: list[str] = []
    for name in config.features.use:
        if name not in registry:
            problems.append(
                f"key 'features.use': {unknown_name_message('feature', name, registry)}"
            )
            continue
        if registry[name].protected and name not in config.features.allow_protected:
            problems.append(
                f"key 'features.use': {name!r} is a protected attribute and is refused as a model "
                f"input; list it under [sensitive] attributes to audit by it, or (only to measure "
                f"its effect) name it in features.allow_protected"
            )
    if len(set(config.features.use)) != len(config.features.use):
        problems.append(f"key 'features.use': features repeat: {config.features.use}")
    for pair in config.features.interactions:
        for name in pair:
            if name not in config.features.use:
                problems.append(
                    f"key 'features.interactions': {name!r} is not in features.use "
                    f"({', '.join(config.features.use)})"
                )
    for name in config.sensitive.attributes:
        if name not in registry:
            problems.append(
                f"key 'sensitive.attributes': {unknown_name_message('feature', name, registry)}"
            )
    if config.target_config is not None and config.target_config.column not in registry.outcomes:
        problems.append(
            "key 'target.column': "
            + unknown_name_message("outcome", config.target_config.column, registry.outcomes)
        )
    if config.needs is not None:
        problems.extend(_check_needs_against_registry(config, config.needs, registry))
    known = set(registry) | set(registry.outcomes)
    for section, keys in (
        ("data.columns", config.data.columns),
        ("data.values", config.data.values),
    ):
        for name in keys:
            if name not in known:
                problems.append(
                    f"key '{section}.{name}': {unknown_name_message('variable', name, known)}"
                )
    source = config.data.source
    if source not in ADAPTER_SOURCES and "/" not in source and "." not in source:
        problems.append(
            f"key 'data.source': {source!r} is neither a file path nor a built-in source; "
            f"built-in sources: {', '.join(ADAPTER_SOURCES)}"
        )
    return problems


def _check_needs_against_registry(
    config: PipelineConfig, needs: NeedsConfig, registry: FeatureRegistry
) -> list[str]:
    """Problems of a needs pipeline's [needs] section against the registry and its inputs."""
    problems: list[str] = []
    for domain, names in needs.exclude_features.items():
        for name in names:
            if name not in registry:
                problems.append(
                    f"key 'needs.exclude_features.{domain}': "
                    + unknown_name_message("feature", name, registry)
                )
    if needs.labels == "nij_proxies":
        from riskkit.features.declarations.nij import SUPERVISION_NAMES

        after_release = [n for n in config.features.use if n in SUPERVISION_NAMES]
        if after_release:
            problems.append(
                f"key 'features.use': {after_release} are recorded during parole supervision, "
                "after release; with labels = 'nij_proxies' supervision variables are used "
                "only as labels, never as inputs. Keep features.use to pre-release variables "
                "(those of pipelines/nij_year1.toml)"
            )
    return problems


def load_pipeline(path: str | Path, registry: FeatureRegistry | None = None) -> PipelineConfig:
    """Load and check one pipeline TOML.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    registry : FeatureRegistry, optional
        Registry to check feature names against; the default registry when omitted.

    Returns
    -------
    PipelineConfig

    Raises
    ------
    ConfigError
        Listing every problem, each naming the key, the value found and what is allowed.
    """
    path = Path(path)
    if not path.is_file():
        pipelines = sorted(p.name for p in Path("pipelines").glob("*.toml"))
        hint = f" Pipelines in ./pipelines: {', '.join(pipelines)}" if pipelines else ""
        raise ConfigError(str(path), [f"the file does not exist.{hint}"])
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    try:
        config = PipelineConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(str(path), _describe_pydantic_errors(exc.errors())) from None
    problems = check_against_registry(config, registry or default_registry())
    if problems:
        raise ConfigError(str(path), problems)
    if not Path(config.data.source).is_absolute() and config.data.source not in ADAPTER_SOURCES:
        resolved = (path.parent / config.data.source).resolve()
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"source": str(resolved)})}
        )
    return config

"""Typed pipeline configuration, loaded from ``pipelines/*.toml``.

One TOML file describes one model: where its records come from and how their columns map onto
the feature registry, the target, the sensitive attributes (audit only), the features, the model
settings, the risk bands and the MLflow names. Loading does no work beyond parsing and checking.

Every problem is reported at once, each naming the file, the key, what was found and what is
allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from riskkit.errors import ConfigError
from riskkit.features.registry import FeatureRegistry, default_registry, unknown_name_message

ADAPTER_SOURCES = ("synthetic", "compas_general", "compas_violent", "nij")


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
    """Settings of the additive boosted model."""

    kind: Literal["additive_boosted"] = "additive_boosted"
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
    """One pipeline: everything needed to train, audit and score one model."""

    name: str
    description: str = ""
    data: DataConfig
    target: TargetConfig
    sensitive: SensitiveConfig = SensitiveConfig()
    audit: AuditConfig = AuditConfig()
    features: FeaturesConfig
    model: ModelConfig = ModelConfig()
    tuning: TuningConfig = TuningConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    promotion: PromotionConfig = PromotionConfig()
    split: SplitConfig = SplitConfig()
    bands: list[BandConfig]
    tracking: TrackingConfig

    @model_validator(mode="after")
    def _bands_ascend(self) -> PipelineConfig:
        uppers = [b.max_probability for b in self.bands]
        if not uppers:
            raise ValueError("at least one band is needed")
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


def _dotted(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _describe_pydantic_error(error: Any) -> str:
    loc = tuple(error["loc"])
    key = _dotted(loc) if loc else "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        section_model = _model_at(loc[:-1])
        allowed = ", ".join(section_model.model_fields) if section_model else "see the docs"
        return f"unknown key '{key}'; allowed keys here: {allowed}"
    if kind == "missing":
        return f"missing required key '{key}'"
    found = error.get("input")
    return f"key '{key}': {error['msg']} (found {found!r})"


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The pydantic model that a location points into (for listing its allowed keys)."""
    model: type[BaseModel] = PipelineConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
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
    if config.target.column not in registry.outcomes:
        problems.append(
            "key 'target.column': "
            + unknown_name_message("outcome", config.target.column, registry.outcomes)
        )
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
        raise ConfigError(str(path), [_describe_pydantic_error(e) for e in exc.errors()]) from None
    problems = check_against_registry(config, registry or default_registry())
    if problems:
        raise ConfigError(str(path), problems)
    if not Path(config.data.source).is_absolute() and config.data.source not in ADAPTER_SOURCES:
        resolved = (path.parent / config.data.source).resolve()
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"source": str(resolved)})}
        )
    return config

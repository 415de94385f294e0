"""The record schema, derived from a pipeline configuration and the feature registry.

Nothing here is declared by hand: each column's type, range, categories and whether it may be
empty come from the registry; which columns a record needs comes from the pipeline and from what
the records are for (training, scoring or auditing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from riskkit.config import PipelineConfig
from riskkit.features.registry import FeatureRegistry, default_registry

Purpose = Literal["train", "score", "audit"]
Role = Literal["id", "feature", "target", "sensitive", "split"]

#: Longest person id a record may hold: the score log stores ids in a column of this size, and
#: every database behind it (SQLite included) is held to the same limit.
MAX_ID_LENGTH: Final = 200


@dataclass(frozen=True)
class ColumnSpec:
    """What one column of a record must hold."""

    name: str
    source_name: str
    role: Role
    kind: Literal["id", "numeric", "integer", "binary", "categorical", "date"]
    required: bool
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        """The column as the user's file names it, with the registry name when they differ."""
        if self.source_name == self.name:
            return self.name
        return f"{self.source_name} ({self.name})"


@dataclass(frozen=True)
class RecordSchema:
    """The columns a set of records must have, in order: id, features, target, sensitive."""

    columns: tuple[ColumnSpec, ...]
    purpose: Purpose

    @property
    def id_column(self) -> str:
        """Name of the identifier column."""
        return next(c.name for c in self.columns if c.role == "id")

    def names(self, role: Role | None = None) -> list[str]:
        """Column names, optionally only those of one role."""
        return [c.name for c in self.columns if role is None or c.role == role]

    @classmethod
    def for_pipeline(
        cls,
        config: PipelineConfig,
        registry: FeatureRegistry | None = None,
        *,
        purpose: Purpose = "train",
    ) -> RecordSchema:
        """Build the schema records must satisfy for ``purpose``.

        Parameters
        ----------
        config : PipelineConfig
            The pipeline (its features, target, sensitive attributes and column mapping).
        registry : FeatureRegistry, optional
            Defaults to the registry shipped with riskkit.
        purpose : {"train", "score", "audit"}
            Training needs the target; auditing needs the target and the sensitive attributes;
            scoring needs only the features. Columns not needed are still checked when present.
        """
        registry = registry or default_registry()
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
        for name in config.features.use:
            feature = registry[name]
            specs.append(
                ColumnSpec(
                    name=name,
                    source_name=config.source_column(name),
                    role="feature",
                    kind=feature.kind,
                    required=True,
                    nullable=feature.nullable,
                    minimum=feature.minimum,
                    maximum=feature.maximum,
                    categories=feature.categories,
                )
            )
        target = config.target.column
        specs.append(
            ColumnSpec(
                name=target,
                source_name=config.source_column(target),
                role="target",
                kind="binary",
                required=purpose in ("train", "audit"),
                nullable=purpose == "score",
            )
        )
        for name in config.sensitive.attributes:
            if name in config.features.use:
                continue
            feature = registry[name]
            specs.append(
                ColumnSpec(
                    name=name,
                    source_name=config.source_column(name),
                    role="sensitive",
                    kind=feature.kind,
                    required=purpose == "audit",
                    # a missing sensitive value becomes its own "(missing)" group in audits
                    nullable=True,
                    minimum=feature.minimum,
                    maximum=feature.maximum,
                    categories=feature.categories,
                )
            )
        split = config.split
        if purpose == "train" and split.column is not None:
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
        return cls(columns=tuple(specs), purpose=purpose)

"""The ``RiskkitError`` family.

Every message says what was expected, what was found, and how to fix it, so that a user who only
sees the message can act on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class RiskkitError(Exception):
    """Base class of every error riskkit raises on purpose."""


class ConfigError(RiskkitError):
    """A pipeline configuration (TOML) is invalid.

    Parameters
    ----------
    path : str
        The configuration file.
    problems : sequence of str
        One line per problem, each naming the key, what was found and what is allowed.
    """

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid pipeline configuration {path}:\n{lines}")


@dataclass(frozen=True)
class ValidationProblem:
    """One broken rule in one cell (or one column, or the whole file) of a set of records.

    ``row`` is the 1-based record number in the input (the header is not counted; for a CSV
    file the record is on line ``row + 1``); ``None`` when the problem concerns a whole column
    or the whole file.
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f", value {self.value!r}"
        return f"{where}: {self.rule}"


class DataValidationError(RiskkitError):
    """Records do not satisfy the record schema.

    Carries every problem found, not only the first one, in ``problems``.
    """

    max_listed = 20

    def __init__(self, problems: Sequence[ValidationProblem], source: str = "records") -> None:
        self.problems = list(problems)
        self.source = source
        shown = "\n".join(f"  - {p}" for p in self.problems[: self.max_listed])
        more = len(self.problems) - self.max_listed
        tail = f"\n  ... and {more} more (all are listed in .problems)" if more > 0 else ""
        super().__init__(
            f"{len(self.problems)} problem(s) in {source}:\n{shown}{tail}\n"
            "Fix the values listed, or map the columns in the pipeline's [data.columns] "
            "and [data.values] sections."
        )


class DatasetNotFoundError(RiskkitError):
    """A bundled-adapter dataset (COMPAS, NIJ Georgia, ...) is not where it was looked for."""


class ModelNotFoundError(RiskkitError):
    """A registered model, version or alias does not exist in the tracking store."""

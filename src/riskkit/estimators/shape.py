"""Shape functions: an additive model compiled into one lookup table per feature.

A model whose trees each split on a single feature has log-odds
``intercept + sum_f shape_f(x_f)``. Each ``shape_f`` is a step function: for a numeric feature,
one value per interval between the split thresholds LightGBM chose (a value ``x`` falls in bin
``i`` when ``edges[i-1] < x <= edges[i]``, as in LightGBM's ``<=`` splits) plus one value for a
missing ``x``; for a categorical feature, one value per category plus one for a missing or
unknown category. Tables are read off the booster itself (its exact per-feature contributions at
one representative point per bin), so scoring from them equals LightGBM's prediction to
floating-point precision, at a fraction of the cost, with plain numpy.

Values are in log-odds and centred as LightGBM's ``pred_contrib`` centres them (on the training
population, weighted by tree cover), so ``intercept`` is the expected log-odds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

ShapeKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class ShapeFunction:
    """One feature's shape function as a lookup table.

    Attributes
    ----------
    feature : str
        Feature name.
    kind : {"numeric", "categorical"}
        How values are looked up.
    edges : tuple of float
        Numeric only: the sorted split thresholds (``len(values) == len(edges) + 1``).
    categories : tuple of str
        Categorical only: the categories, in the order of ``values``.
    values : tuple of float
        Log-odds contribution per bin or category.
    missing_value : float
        Contribution of a missing value (and, for categories, of an unknown category).
    """

    feature: str
    kind: ShapeKind
    edges: tuple[float, ...]
    categories: tuple[str, ...]
    values: tuple[float, ...]
    missing_value: float

    def lookup(self, column: pd.Series | np.ndarray) -> np.ndarray:
        """The contribution of each value of ``column`` (log-odds)."""
        values = np.asarray(self.values, dtype="float64")
        if self.kind == "categorical":
            dtype = getattr(column, "dtype", None)
            if (
                isinstance(dtype, pd.CategoricalDtype)
                and tuple(dtype.categories) == self.categories
            ):
                codes = np.asarray(column.cat.codes, dtype=np.int64)  # type: ignore[union-attr]
            else:
                # Factorise first (in C, also for Arrow strings), then look up the few distinct
                # values: much faster than converting every value to a Python object.
                distinct_codes, distinct = pd.factorize(
                    np.asarray(column, dtype=object) if isinstance(column, np.ndarray) else column
                )
                mapped = pd.Index(self.categories).get_indexer(pd.Index(distinct, dtype=object))
                codes = np.where(
                    distinct_codes >= 0, mapped[np.maximum(distinct_codes, 0)], -1
                ).astype(np.int64)
            out: np.ndarray = np.where(codes >= 0, values[np.maximum(codes, 0)], self.missing_value)
            return out
        x = np.asarray(column, dtype="float64")
        index = np.searchsorted(np.asarray(self.edges, dtype="float64"), x, side="left")
        result: np.ndarray = np.where(np.isnan(x), self.missing_value, values[index])
        return result

    def bins(self) -> list[str]:
        """Human-readable bin labels ("<= 3", "(3, 7]", "> 7", or the category)."""
        if self.kind == "categorical":
            return list(self.categories)
        if not self.edges:
            return ["all values"]
        labels = [f"<= {self.edges[0]:g}"]
        labels += [f"({a:g}, {b:g}]" for a, b in zip(self.edges, self.edges[1:], strict=False)]
        labels.append(f"> {self.edges[-1]:g}")
        return labels

    def to_frame(self) -> pd.DataFrame:
        """The table as rows: feature, bin, lower, upper (numeric), value; missing last."""
        if self.kind == "categorical":
            lower = [np.nan] * len(self.values)
            upper = [np.nan] * len(self.values)
        else:
            lower = [-np.inf, *self.edges]
            upper = [*self.edges, np.inf]
        frame = pd.DataFrame(
            {
                "feature": self.feature,
                "bin": self.bins(),
                "lower": lower,
                "upper": upper,
                "value": self.values,
            }
        )
        missing = pd.DataFrame(
            {
                "feature": [self.feature],
                "bin": ["(missing)"],
                "lower": [np.nan],
                "upper": [np.nan],
                "value": [self.missing_value],
            }
        )
        return pd.concat([frame, missing], ignore_index=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "feature": self.feature,
            "kind": self.kind,
            "edges": list(self.edges),
            "categories": list(self.categories),
            "values": list(self.values),
            "missing_value": self.missing_value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShapeFunction:
        """Inverse of :meth:`to_dict`."""
        return cls(
            feature=str(data["feature"]),
            kind=data["kind"],
            edges=tuple(float(e) for e in data["edges"]),
            categories=tuple(str(c) for c in data["categories"]),
            values=tuple(float(v) for v in data["values"]),
            missing_value=float(data["missing_value"]),
        )


def compile_shape_functions(
    booster: Any, feature_names: Sequence[str], categories: Mapping[str, Sequence[str]]
) -> tuple[float, dict[str, ShapeFunction]]:
    """Read one lookup table per feature off a LightGBM booster whose trees each use one feature.

    Returns
    -------
    intercept : float
        The expected log-odds (LightGBM's ``pred_contrib`` base value).
    shape_functions : dict
        Feature name -> :class:`ShapeFunction`.
    """
    trees = booster.trees_to_dataframe()
    numeric_splits = trees[(trees["decision_type"] == "<=") & trees["split_feature"].notna()]
    representatives: dict[str, list[Any]] = {}
    edges: dict[str, tuple[float, ...]] = {}
    for name in feature_names:
        if name in categories:
            representatives[name] = [*categories[name], None]
            continue
        thresholds = numeric_splits.loc[numeric_splits["split_feature"] == name, "threshold"]
        cut = tuple(sorted({float(t) for t in thresholds}))
        edges[name] = cut
        # x <= t goes left, so each threshold represents the bin it closes; past the last one,
        # the next float up represents the open bin.
        last = np.nextafter(cut[-1], np.inf) if cut else 0.0
        representatives[name] = [*cut, float(last), np.nan]
    rows = max(len(v) for v in representatives.values())
    frame = pd.DataFrame(
        {
            name: _column(values, rows, categories.get(name))
            for name, values in representatives.items()
        }
    )
    contributions = np.asarray(booster.predict(frame, pred_contrib=True), dtype="float64")
    intercept = float(contributions[0, -1])
    shapes: dict[str, ShapeFunction] = {}
    for j, name in enumerate(feature_names):
        count = len(representatives[name])
        column = contributions[:count, j]
        if name in categories:
            shapes[name] = ShapeFunction(
                feature=name,
                kind="categorical",
                edges=(),
                categories=tuple(categories[name]),
                values=tuple(float(v) for v in column[:-1]),
                missing_value=float(column[-1]),
            )
        else:
            shapes[name] = ShapeFunction(
                feature=name,
                kind="numeric",
                edges=edges[name],
                categories=(),
                values=tuple(float(v) for v in column[:-1]),
                missing_value=float(column[-1]),
            )
    return intercept, shapes


def _column(values: list[Any], rows: int, categories: Sequence[str] | None) -> pd.Series:
    padded = values + [values[-1]] * (rows - len(values))
    if categories is not None:
        return pd.Series(pd.Categorical(padded, categories=list(categories)))
    return pd.Series(padded, dtype="float64")


def shape_functions_frame(shapes: Mapping[str, ShapeFunction]) -> pd.DataFrame:
    """All shape functions as one table (for CSV export)."""
    return pd.concat([s.to_frame() for s in shapes.values()], ignore_index=True)

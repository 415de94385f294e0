"""Plots for model cards: the calibration plot and the shape functions (PNG files).

Rendering only; matplotlib is imported when a plot is drawn, with the non-interactive Agg
backend so it works on servers without a screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def calibration_plot(
    y: np.ndarray, p: np.ndarray, path: Path, *, title: str, n_bins: int = 10
) -> Path:
    """Observed rate against mean predicted probability in quantile bins of the prediction."""
    plt = _pyplot()
    order = np.argsort(p, kind="stable")
    bins = [b for b in np.array_split(order, n_bins) if b.size]
    predicted = np.array([p[b].mean() for b in bins])
    observed = np.array([y[b].mean() for b in bins])
    figure, axes = plt.subplots(figsize=(4.5, 4.5), dpi=110)
    top = float(max(predicted.max(), observed.max(), 0.05)) * 1.1
    axes.plot([0, top], [0, top], color="#999999", linewidth=1, label="perfect calibration")
    axes.plot(predicted, observed, marker="o", color="#1f5f8b", label="model (10 quantile bins)")
    axes.set_xlim(0, top)
    axes.set_ylim(0, top)
    axes.set_xlabel("mean predicted probability")
    axes.set_ylabel("observed rate")
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def shape_function_plots(
    shapes: Mapping[str, Any], labels: Mapping[str, str], path: Path, *, columns: int = 3
) -> Path:
    """One panel per feature: its contribution to the log-odds across its values (a step
    function for numbers, bars for categories)."""
    plt = _pyplot()
    names = list(shapes)
    rows = max(1, int(np.ceil(len(names) / columns)))
    figure, grid = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.8 * rows), dpi=100)
    panels = np.atleast_1d(grid).ravel()
    for axes, name in zip(panels, names, strict=False):
        shape = shapes[name]
        values = np.asarray(shape.values, dtype="float64")
        if shape.kind == "categorical":
            axes.bar(range(len(values)), values, color="#1f5f8b")
            axes.set_xticks(range(len(values)))
            axes.set_xticklabels(shape.categories, rotation=30, ha="right", fontsize=7)
        elif shape.edges:
            edges = np.asarray(shape.edges, dtype="float64")
            span = max(edges[-1] - edges[0], 1.0)
            x = np.concatenate([[edges[0] - 0.1 * span], edges, [edges[-1] + 0.1 * span]])
            axes.step(x, np.concatenate([values, values[-1:]]), where="post", color="#1f5f8b")
        else:
            axes.axhline(values[0] if values.size else 0.0, color="#1f5f8b")
        axes.axhline(0, color="#999999", linewidth=0.8)
        axes.set_title(labels.get(name, name), fontsize=9)
        axes.tick_params(labelsize=7)
        axes.set_ylabel("log-odds", fontsize=7)
    for axes in panels[len(names) :]:
        axes.set_visible(False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path

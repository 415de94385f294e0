"""Accuracy targets: the additive model against a scorecard, a logistic baseline, an unrestricted
LightGBM, COMPAS's own deciles and InterpretML's EBM, on public recidivism data.

Datasets (read from ``RISKKIT_DATA_DIR``; a dataset is skipped, with a message, when it is unset):

* ``compas_general`` and ``compas_violent`` (pipelines/compas_*.toml): ProPublica's Broward County
  files, 5 times repeated stratified 5-fold cross-validation (seed 0), race never an input. Every
  model is fitted on the same training folds. ``compas_decile`` is COMPAS's own decile (the
  general decile for ``compas_general``, the violence decile for ``compas_violent``), turned into
  a probability by each decile's re-arrest rate in the training folds. ``ebm`` is InterpretML's
  ExplainableBoostingClassifier with ``interactions=0, n_jobs=1``: main effects only, like the
  additive model, which bounds its time (no pair detection or pair boosting); every other setting
  is interpret-core's default (14 outer bags, early stopping after 100 rounds, at most 50,000).
* ``nij_year1`` (pipelines/nij_year1.toml): NIJ Georgia, Year-1 arrest, the challenge's official
  split (trained on ``Training_Sample = 1``, evaluated once on the 7,807 test people), pre-release
  features only, race not an input. Besides AUC, Brier, ECE and slope it reports the Brier score
  by sex and NIJ's fairness-penalised score ``(1 - Brier) * (1 - |FPR_black - FPR_white|)``,
  false-positive rates taken at a probability of 0.5, and the additive model's Brier score minus
  each other model's, paired over the test people, with a 95% interval from 2,000 bootstrap
  resamples of them (printed under the table; with ``--json``, on standard error).

Models. ``additive`` is the AdditiveBoostedClassifier with the pipeline's ``[model]`` settings,
as the targets name it; ``riskkit train`` also calibrates it (Platt or isotonic on out-of-fold
log-odds, 5 folds), which here moves the Brier score by less than 0.0002 and multiplies the fit
time by about six: ``--as-trained`` benchmarks it that way instead. ``scorecard`` is rounded
from it (``PointsScorecard.from_additive``, 20 points to double the odds; its fit time includes
the additive model's). ``logistic`` and ``lightgbm`` are
:class:`riskkit.estimators.reference.LogisticBaseline` and ``ReferenceLightGBM`` (tuned on an
inner hold-out of each training fold), as ``riskkit compare`` fits them.

Figures. AUC and Brier are computed on each test fold; the table gives their mean over the 25
folds with a 95% t-interval corrected for the overlap of the training folds (Nadeau and Bengio
2003; variance ``(1/25 + n_test/n_train) * s^2``, 24 degrees of freedom): the naive t-interval
over folds would be far too narrow. ECE (10 quantile bins) and the calibration slope (logistic
regression of the outcome on logit(p)) are computed on the pooled out-of-fold predictions of each
repeat and averaged over the 5 repeats (ECE interval: t-interval over the repeats). ``fit s`` is
the mean fit time per fold; every model is given ``--n-jobs`` threads (default 1).

Speed. The additive model (the synthetic pipeline's settings) is fitted on 1,000,000 synthetic
rows and compared with a plain LightGBM fit (same trees, leaves, learning rate and leaf size,
no constraints) on the same rows in the same run; the ratio must be at most 3.

Run: ``RISKKIT_DATA_DIR=../shared/data .venv/bin/python benchmarks/accuracy.py [--json]``.
With ``--json`` one JSON object goes to standard output, shaped ``{dataset: {model: {"auc":
{"mean", "lo", "hi"}, "brier": {...}, "ece": {...}, "fit_s", "slope"}}}`` (NIJ: ``"mean"`` only,
plus ``"brier_male"``, ``"brier_female"``, ``"nij_fair_score"``); the progress lines and the
PASS/FAIL lines then go to standard error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.model_selection import RepeatedStratifiedKFold

from riskkit.config import PipelineConfig, load_pipeline
from riskkit.data.sources import load_records
from riskkit.errors import RiskkitError
from riskkit.metrics import auc, brier, false_positive_rate
from riskkit.metrics.calibration import calibration_slope, expected_calibration_error
from riskkit.training.compare import MODEL_KINDS, fit_model_kinds
from riskkit.training.split import split_records

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"

COMPAS_DATASETS = {
    # dataset -> (pipeline file, COMPAS's own decile column in the adapter's frame)
    "compas_general": ("compas_general.toml", "decile_score"),
    "compas_violent": ("compas_violent.toml", "v_decile_score"),
}
NIJ_DATASET = "nij_year1"
EBM_SETTINGS: dict[str, Any] = {"interactions": 0, "n_jobs": 1}
SPEED_ROWS = 1_000_000

# Targets
AUC_MARGIN_LIGHTGBM = 0.003
AUC_GAIN_OVER_DECILES = 0.03
MAX_ECE = 0.025
SLOPE_RANGE = (0.9, 1.1)
SCORECARD_AUC_TOLERANCE = 0.01
EBM_AUC_MARGIN = 0.003
EBM_MIN_SPEEDUP = 10.0
NIJ_MAX_BRIER = 0.1870
NIJ_RESAMPLES = 2000
MAX_SPEED_RATIO = 3.0


def say(line: str) -> None:
    """Progress on standard error (standard output is the table or the JSON)."""
    print(line, file=sys.stderr, flush=True)


@dataclass
class Target:
    """One target: what is compared, the measured value, the bound, and the verdict."""

    dataset: str
    name: str
    measured: str
    passed: bool

    def line(self) -> str:
        return (
            f"{'PASS' if self.passed else 'FAIL'}  {self.dataset:15s} {self.name}: {self.measured}"
        )


@dataclass
class ModelFigures:
    """A model's figures on one dataset."""

    auc: Mapping[str, float]
    brier: Mapping[str, float]
    ece: Mapping[str, float]
    slope: float
    fit_s: float
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "auc": dict(self.auc),
            "brier": dict(self.brier),
            "ece": dict(self.ece),
            "fit_s": self.fit_s,
            "slope": self.slope,
            **self.extra,
        }


# --- intervals ------------------------------------------------------------------------------


def corrected_t_interval(values: Sequence[float], test_share: float) -> dict[str, float]:
    """Mean of per-fold values with the Nadeau-Bengio corrected 95% t-interval."""
    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean())
    if len(array) < 2:
        return {"mean": mean, "lo": float("nan"), "hi": float("nan")}
    variance = (1.0 / len(array) + test_share / (1.0 - test_share)) * array.var(ddof=1)
    half = float(stats.t.ppf(0.975, len(array) - 1) * np.sqrt(variance))
    return {"mean": mean, "lo": mean - half, "hi": mean + half}


def t_interval(values: Sequence[float]) -> dict[str, float]:
    """Mean with the plain 95% t-interval."""
    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean())
    if len(array) < 2:
        return {"mean": mean, "lo": float("nan"), "hi": float("nan")}
    half = float(stats.t.ppf(0.975, len(array) - 1) * array.std(ddof=1) / np.sqrt(len(array)))
    return {"mean": mean, "lo": mean - half, "hi": mean + half}


def paired_brier_difference(
    y: np.ndarray, p_first: np.ndarray, p_second: np.ndarray, *, resamples: int, seed: int = 0
) -> dict[str, float]:
    """Brier score of ``p_first`` minus that of ``p_second`` on the same people, with the 95%
    percentile interval over ``resamples`` bootstrap resamples of the people."""
    difference = (p_first - y) ** 2 - (p_second - y) ** 2
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [
            difference[rng.integers(0, len(y), size=(min(200, resamples - done), len(y)))].mean(1)
            for done in range(0, resamples, 200)
        ]
    )
    low, high = np.quantile(means, [0.025, 0.975])
    return {"mean": float(difference.mean()), "lo": float(low), "hi": float(high)}


# --- data ------------------------------------------------------------------------------------


def load_dataset(
    config: PipelineConfig, extra_column: str | None = None
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The pipeline's validated records, and one column of the source aligned with them."""
    loaded = load_records(config, purpose="train")
    if loaded.validation.file_problems:
        raise RiskkitError(f"{config.name}: {loaded.validation.summary()}")
    records = loaded.validation.valid
    if extra_column is None:
        return records, None
    # validated records are indexed by their 1-based row number in the source
    column = loaded.raw[extra_column].iloc[records.index.to_numpy() - 1]
    return records, pd.Series(column.to_numpy(), index=records.index, name=extra_column)


def decile_probability(
    deciles_train: np.ndarray, y_train: np.ndarray, deciles_test: np.ndarray
) -> np.ndarray:
    """COMPAS deciles as probabilities: each decile's outcome rate in the training folds (a
    decile absent from them, or missing, gets the overall rate)."""
    overall = float(y_train.mean())
    rates = {
        int(d): float(y_train[deciles_train == d].mean())
        for d in np.unique(deciles_train[np.isfinite(deciles_train)])
    }
    return np.array(
        [rates.get(int(d), overall) if np.isfinite(d) else overall for d in deciles_test]
    )


def make_ebm(seed: int) -> Any:
    from interpret.glassbox import ExplainableBoostingClassifier  # type: ignore[import-untyped]

    return ExplainableBoostingClassifier(random_state=seed, **EBM_SETTINGS)


def ebm_available() -> bool:
    try:
        import interpret.glassbox  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


# --- COMPAS: repeated cross-validation --------------------------------------------------------


def run_compas(
    dataset: str, pipeline_file: str, decile_column: str, args: argparse.Namespace
) -> tuple[dict[str, ModelFigures], list[Target]]:
    config = load_pipeline(PIPELINES / pipeline_file)
    records, deciles = load_dataset(config, decile_column)
    assert deciles is not None
    X = records[config.features.use]
    y = records[config.target.column].astype("int64").to_numpy()
    decile_values = deciles.astype("float64").to_numpy()
    with_ebm = not args.no_ebm and ebm_available()
    if not args.no_ebm and not with_ebm:
        say(
            "  EBM skipped: interpret-core is not installed "
            "(pip install -c requirements/lock.txt -e '.[bench]')"
        )
    kinds = [*MODEL_KINDS, "compas_decile", *(["ebm"] if with_ebm else [])]
    cv = RepeatedStratifiedKFold(n_splits=args.folds, n_repeats=args.repeats, random_state=0)
    per_fold: dict[str, dict[str, list[float]]] = {
        k: {"auc": [], "brier": [], "fit_s": []} for k in kinds
    }
    pooled = {k: np.full((args.repeats, len(y)), np.nan) for k in kinds}
    say(
        f"{dataset}: {len(y)} records, base rate {y.mean():.3f}; "
        f"{args.repeats} x {args.folds}-fold CV of {', '.join(kinds)}"
    )
    started = time.perf_counter()
    for fold, (train, test) in enumerate(cv.split(X, y)):
        repeat = fold // args.folds
        X_train, X_test = X.iloc[train], X.iloc[test]
        fitted = fit_model_kinds(
            config, X_train, y[train], n_jobs=args.n_jobs, as_trained=args.as_trained
        )
        predictions: dict[str, np.ndarray] = {}
        seconds: dict[str, float] = {}
        for kind, model in fitted.items():
            predictions[kind] = model.predict_probability(X_test)
            seconds[kind] = model.fit_seconds
        if "scorecard" in seconds:
            # the scorecard is rounded from the additive model: it costs that fit as well
            seconds["scorecard"] += seconds["additive"]
        start = time.perf_counter()
        predictions["compas_decile"] = decile_probability(
            decile_values[train], y[train], decile_values[test]
        )
        seconds["compas_decile"] = time.perf_counter() - start
        if with_ebm:
            start = time.perf_counter()
            ebm = make_ebm(config.model.seed).fit(X_train, y[train])
            seconds["ebm"] = time.perf_counter() - start
            predictions["ebm"] = np.asarray(ebm.predict_proba(X_test))[:, 1]
        for kind in kinds:
            p = predictions[kind]
            per_fold[kind]["auc"].append(auc(y[test], p))
            per_fold[kind]["brier"].append(brier(y[test], p))
            per_fold[kind]["fit_s"].append(seconds[kind])
            pooled[kind][repeat, test] = p
        say(
            f"  fold {fold + 1:2d}/{args.folds * args.repeats}: "
            + ", ".join(f"{k} {per_fold[k]['auc'][-1]:.3f}" for k in kinds)
            + f" ({time.perf_counter() - started:.0f} s)"
        )
    test_share = 1.0 / args.folds
    figures: dict[str, ModelFigures] = {}
    for kind in kinds:
        eces = [expected_calibration_error(y, pooled[kind][r]) for r in range(args.repeats)]
        slopes = [calibration_slope(y, pooled[kind][r]) for r in range(args.repeats)]
        figures[kind] = ModelFigures(
            auc=corrected_t_interval(per_fold[kind]["auc"], test_share),
            brier=corrected_t_interval(per_fold[kind]["brier"], test_share),
            ece=t_interval(eces),
            slope=float(np.mean(slopes)),
            fit_s=float(np.mean(per_fold[kind]["fit_s"])),
        )
    return figures, compas_targets(dataset, figures, decile_column)


def compas_targets(
    dataset: str, figures: Mapping[str, ModelFigures], decile_column: str
) -> list[Target]:
    add = figures["additive"]
    a = add.auc["mean"]
    lgb = figures["lightgbm"].auc["mean"]
    dec = figures["compas_decile"].auc["mean"]
    card = figures["scorecard"].auc["mean"]
    targets = [
        Target(
            dataset,
            f"additive AUC >= LightGBM AUC - {AUC_MARGIN_LIGHTGBM}",
            f"{a:.4f} vs {lgb:.4f} - {AUC_MARGIN_LIGHTGBM} = {lgb - AUC_MARGIN_LIGHTGBM:.4f}",
            a >= lgb - AUC_MARGIN_LIGHTGBM,
        ),
        Target(
            dataset,
            f"additive AUC >= COMPAS decile ({decile_column}) AUC + {AUC_GAIN_OVER_DECILES}",
            f"{a:.4f} vs {dec:.4f} + {AUC_GAIN_OVER_DECILES} = {dec + AUC_GAIN_OVER_DECILES:.4f} "
            f"(gain {a - dec:+.4f})",
            a >= dec + AUC_GAIN_OVER_DECILES,
        ),
        Target(
            dataset,
            f"additive ECE <= {MAX_ECE}",
            f"{add.ece['mean']:.4f}",
            add.ece["mean"] <= MAX_ECE,
        ),
        Target(
            dataset,
            f"additive calibration slope in [{SLOPE_RANGE[0]}, {SLOPE_RANGE[1]}]",
            f"{add.slope:.3f}",
            SLOPE_RANGE[0] <= add.slope <= SLOPE_RANGE[1],
        ),
        Target(
            dataset,
            f"scorecard AUC within {SCORECARD_AUC_TOLERANCE} of the additive model",
            f"{card:.4f} vs {a:.4f} (difference {card - a:+.4f})",
            abs(card - a) <= SCORECARD_AUC_TOLERANCE,
        ),
    ]
    if "ebm" in figures:
        ebm = figures["ebm"]
        speedup = ebm.fit_s / add.fit_s
        targets += [
            Target(
                dataset,
                f"additive AUC >= EBM AUC - {EBM_AUC_MARGIN}",
                f"{a:.4f} vs {ebm.auc['mean']:.4f} (difference {a - ebm.auc['mean']:+.4f})",
                a >= ebm.auc["mean"] - EBM_AUC_MARGIN,
            ),
            Target(
                dataset,
                f"additive fits >= {EBM_MIN_SPEEDUP:.0f}x faster than EBM",
                f"{add.fit_s:.3f} s vs {ebm.fit_s:.3f} s per fold ({speedup:.1f}x)",
                speedup >= EBM_MIN_SPEEDUP,
            ),
        ]
    return targets


# --- NIJ: the official test split ------------------------------------------------------------


def run_nij(
    args: argparse.Namespace,
) -> tuple[dict[str, ModelFigures], list[Target], list[str]]:
    config = load_pipeline(PIPELINES / "nij_year1.toml")
    records, _ = load_dataset(config)
    target = config.target.column
    train_index, test_index = split_records(records, target, config.split)
    X_train = records.loc[train_index, config.features.use]
    X_test = records.loc[test_index, config.features.use]
    y_train = records.loc[train_index, target].astype("int64").to_numpy()
    y_test = records.loc[test_index, target].astype("int64").to_numpy()
    sex = records.loc[test_index, "sex"].astype(str).to_numpy()
    race = records.loc[test_index, "race_us"].astype(str).to_numpy()
    say(
        f"{NIJ_DATASET}: {len(y_train)} training and {len(y_test)} test records "
        f"(official split), test base rate {y_test.mean():.4f}"
    )
    fitted = fit_model_kinds(
        config, X_train, y_train, n_jobs=args.n_jobs, as_trained=args.as_trained
    )
    figures: dict[str, ModelFigures] = {}
    predictions: dict[str, np.ndarray] = {}
    for kind, model in fitted.items():
        p = predictions[kind] = model.predict_probability(X_test)
        overall = brier(y_test, p)
        decided = p >= 0.5
        fpr_black = false_positive_rate(
            y_test[race == "african_american"], decided[race == "african_american"]
        )
        fpr_white = false_positive_rate(y_test[race == "caucasian"], decided[race == "caucasian"])
        seconds = model.fit_seconds + (fitted["additive"].fit_seconds if kind == "scorecard" else 0)
        figures[kind] = ModelFigures(
            auc={"mean": auc(y_test, p)},
            brier={"mean": overall},
            ece={"mean": expected_calibration_error(y_test, p)},
            slope=calibration_slope(y_test, p),
            fit_s=seconds,
            extra={
                "brier_male": brier(y_test[sex == "male"], p[sex == "male"]),
                "brier_female": brier(y_test[sex == "female"], p[sex == "female"]),
                "nij_fair_score": (1.0 - overall) * (1.0 - abs(fpr_black - fpr_white)),
            },
        )
        say(f"  {kind}: Brier {overall:.4f}, AUC {figures[kind].auc['mean']:.4f}")
    # One test split gives each Brier score an interval about +-0.004 wide; the differences
    # between models, paired over the same people, are much tighter.
    differences = [
        f"minus {kind} "
        + "{mean:+.4f} [{lo:+.4f}, {hi:+.4f}]".format(
            **paired_brier_difference(y_test, predictions["additive"], p, resamples=NIJ_RESAMPLES)
        )
        for kind, p in predictions.items()
        if kind != "additive"
    ]
    notes = [
        f"Brier of the additive model minus each other model's, paired over the {len(y_test):,} "
        f"test people [95% interval, {NIJ_RESAMPLES:,} bootstrap resamples]:",
        "  " + "; ".join(differences),
    ]
    brier_additive = figures["additive"].brier["mean"]
    best_kind = min(figures, key=lambda kind: figures[kind].brier["mean"])
    targets = [
        Target(
            NIJ_DATASET,
            f"additive Brier <= {NIJ_MAX_BRIER} (test split)",
            f"{brier_additive:.4f} (lowest in this run: {best_kind} "
            f"{figures[best_kind].brier['mean']:.4f}; docs/datasets.md has what was tried)",
            brier_additive <= NIJ_MAX_BRIER,
        )
    ]
    return figures, targets, notes


# --- speed on 1,000,000 synthetic rows -------------------------------------------------------


def run_speed(args: argparse.Namespace) -> tuple[dict[str, float], list[Target]]:
    import lightgbm as lgb

    from riskkit.data.synthetic import generate_population
    from riskkit.training.pipeline import build_estimator

    config = load_pipeline(PIPELINES / "recidivism.toml")
    say(f"speed: generating {args.speed_rows:,} synthetic rows")
    frame = generate_population(args.speed_rows, seed=0)
    X = frame[config.features.use].copy()
    for column in X.columns:
        if not isinstance(X[column].dtype, pd.CategoricalDtype):
            X[column] = X[column].astype("float64")  # as validation leaves them
    y = frame[config.target.column].astype("int64").to_numpy()
    del frame
    additive = build_estimator(config).set_params(n_jobs=args.n_jobs)
    say(f"speed: fitting the additive model ({config.model.n_estimators} trees)")
    start = time.perf_counter()
    additive.fit(X, y)
    additive_s = time.perf_counter() - start
    settings = config.model
    plain = lgb.LGBMClassifier(
        n_estimators=settings.n_estimators,
        learning_rate=settings.learning_rate,
        num_leaves=settings.max_leaves_per_tree,
        min_child_samples=settings.min_child_samples,
        reg_lambda=settings.reg_lambda,
        random_state=settings.seed,
        n_jobs=args.n_jobs,
        deterministic=True,
        force_col_wise=True,
        verbose=-1,
    )
    say("speed: fitting a plain LightGBM with the same trees")
    start = time.perf_counter()
    plain.fit(X, y)
    plain_s = time.perf_counter() - start
    ratio = additive_s / plain_s
    result = {"rows": float(args.speed_rows), "additive_s": additive_s, "lightgbm_s": plain_s}
    targets = [
        Target(
            "synthetic_1m",
            f"additive fit <= {MAX_SPEED_RATIO:.0f}x a plain LightGBM fit "
            f"({args.speed_rows:,} rows, {settings.n_estimators} trees)",
            f"{additive_s:.1f} s vs {plain_s:.1f} s (ratio {ratio:.2f})",
            ratio <= MAX_SPEED_RATIO,
        )
    ]
    return result, targets


# --- output ----------------------------------------------------------------------------------


def render(
    results: Mapping[str, Mapping[str, ModelFigures]],
    speed: Mapping[str, float] | None,
    targets: Sequence[Target],
    args: argparse.Namespace,
    elapsed: float,
    skipped: Sequence[str] = (),
    notes: Mapping[str, Sequence[str]] | None = None,
) -> str:
    lines = [
        f"riskkit accuracy benchmark (python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {args.n_jobs} thread(s) per model)",
        f"COMPAS: {args.repeats} x {args.folds}-fold stratified CV (seed 0); AUC and Brier: mean "
        "over folds [95% t-interval, Nadeau-Bengio corrected];",
        "ECE (10 quantile bins) and slope: on the pooled out-of-fold predictions of each repeat, "
        "averaged [ECE: 95% t-interval over repeats].",
        "NIJ: the official test split, one fit: point figures, then the differences from the "
        "additive model with paired bootstrap intervals.",
        "EBM: interpret-core ExplainableBoostingClassifier("
        + ", ".join(f"{k}={v}" for k, v in EBM_SETTINGS.items())
        + "), other settings default.",
        "",
    ]

    def interval(figure: Mapping[str, float], digits: int) -> str:
        if "lo" not in figure:
            return f"{figure['mean']:.{digits}f}"
        return f"{figure['mean']:.{digits}f} [{figure['lo']:.{digits}f}, {figure['hi']:.{digits}f}]"

    for dataset, models in results.items():
        lines.append(f"== {dataset}")
        header = ["model", "AUC", "Brier", "ECE", "slope", "fit s"]
        extra_names: list[str] = []
        if any(m.extra for m in models.values()):
            extra_names = ["brier_male", "brier_female", "nij_fair_score"]
            header += ["Brier male", "Brier female", "NIJ fair score"]
        rows = []
        for kind, m in models.items():
            row = [
                kind,
                interval(m.auc, 3),
                interval(m.brier, 4),
                interval(m.ece, 3),
                f"{m.slope:.3f}",
                f"{m.fit_s:.3f}",
                *(f"{m.extra[name]:.4f}" for name in extra_names),
            ]
            rows.append(row)
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            lines.append(
                "  ".join(
                    [row[0].ljust(widths[0])]
                    + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
                )
            )
        lines.extend((notes or {}).get(dataset, ()))
        lines.append("")
    if speed is not None:
        lines.append(
            f"== speed on {int(speed['rows']):,} synthetic rows: additive "
            f"{speed['additive_s']:.1f} s, plain LightGBM {speed['lightgbm_s']:.1f} s, ratio "
            f"{speed['additive_s'] / speed['lightgbm_s']:.2f}"
        )
        lines.append("")
    lines.extend(f"Skipped: {line}" for line in skipped)
    if skipped:
        lines.append("")
    lines.append("Targets:")
    lines.extend(t.line() for t in targets)
    passed = sum(t.passed for t in targets)
    lines.append(f"{passed} of {len(targets)} targets pass; benchmark took {elapsed:.0f} s")
    return "\n".join(lines)


def _finite_or_none(value: Any) -> Any:
    """NaN and infinities as JSON null (strict JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument("--repeats", type=int, default=5, help="CV repeats (default 5)")
    parser.add_argument("--folds", type=int, default=5, help="CV folds (default 5)")
    parser.add_argument("--n-jobs", type=int, default=1, help="threads per model (default 1)")
    parser.add_argument("--no-ebm", action="store_true", help="leave InterpretML's EBM out")
    parser.add_argument(
        "--as-trained",
        action="store_true",
        help="fit the additive model as `riskkit train` does (tuning grid, calibration)",
    )
    parser.add_argument(
        "--speed-rows", type=int, default=SPEED_ROWS, help="rows of the speed check (1,000,000)"
    )
    parser.add_argument("--no-speed", action="store_true", help="skip the speed check")
    parser.add_argument(
        "--datasets",
        nargs="*",
        default=[*COMPAS_DATASETS, NIJ_DATASET],
        choices=[*COMPAS_DATASETS, NIJ_DATASET],
        help="datasets to run (default: all)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results: dict[str, dict[str, ModelFigures]] = {}
    targets: list[Target] = []
    skipped: list[str] = []
    notes: dict[str, list[str]] = {}
    have_data = bool(os.environ.get("RISKKIT_DATA_DIR", "").strip())
    if not have_data:
        skipped.append(
            f"RISKKIT_DATA_DIR is not set: skipping {', '.join(args.datasets)} (set it to the "
            "folder that holds compas/ and nij_georgia/, e.g. RISKKIT_DATA_DIR=../shared/data; "
            "nothing is downloaded)"
        )
        say(skipped[-1])
    else:
        for dataset in args.datasets:
            if dataset in COMPAS_DATASETS:
                pipeline_file, decile_column = COMPAS_DATASETS[dataset]
                figures, found = run_compas(dataset, pipeline_file, decile_column, args)
            else:
                figures, found, notes[dataset] = run_nij(args)
            results[dataset] = figures
            targets.extend(found)
    speed: dict[str, float] | None = None
    if not args.no_speed:
        speed, found = run_speed(args)
        targets.extend(found)
    elapsed = time.perf_counter() - started
    if args.json:
        document = {d: {k: m.to_dict() for k, m in models.items()} for d, models in results.items()}
        print(json.dumps(_finite_or_none(document), indent=2, allow_nan=False))
        for line in (line for dataset_notes in notes.values() for line in dataset_notes):
            say(line)
        for target in targets:
            say(target.line())
    else:
        print(render(results, speed, targets, args, elapsed, skipped, notes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

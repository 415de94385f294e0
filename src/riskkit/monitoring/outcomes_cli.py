"""Command-line entry points of the outcomes check and of recalibration.

:func:`monitor_outcomes` is ``riskkit monitor outcomes`` and :func:`recalibrate_command` is
``riskkit recalibrate``; :mod:`riskkit.cli` registers them. Like the rest of the command line,
this module imports only typer and the standard library at the top.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from riskkit.monitoring.outcomes import Cohort
    from riskkit.monitoring.recalibrate import Method
    from riskkit.tracking import LoadedModel

__all__ = ["DEFAULT_MONITORING_ROOT", "monitor_outcomes", "recalibrate_command"]

#: Where ``riskkit monitor outcomes`` writes by default: ``<root>/<model>/v<version>/outcomes``.
DEFAULT_MONITORING_ROOT = Path("monitoring")
_METHODS = ("auto", "platt", "isotonic")


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _fail(error: Exception, code: int = 2) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code)


def _write_rejects(cohort: Cohort, folder: Path) -> Path | None:
    from riskkit.data.io import write_records

    path = folder / "rejects.csv"
    if cohort.n_rejected:
        return write_records(cohort.rejects, path)
    path.unlink(missing_ok=True)  # a previous run's rejects would mislead
    return None


def monitor_outcomes(
    model: Annotated[
        str, typer.Option(help="NAME@ALIAS or NAME/VERSION, e.g. recidivism@champion.")
    ],
    data: Annotated[
        Path,
        typer.Option(
            help="Records of people the model scored, with their outcomes (CSV, Parquet or "
            "JSON lines; the pipeline's column names and codes)."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: monitoring/<model>/v<version>/outcomes)."),
    ] = None,
    pipeline: Annotated[
        Path | None,
        typer.Option(
            help="Pipeline TOML whose [monitoring] thresholds to use instead of the ones "
            "registered with the model."
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=20, help="Bootstrap resamples of the intervals.")
    ] = 200,
    lang: Annotated[str, typer.Option(help="Report language: es, pt or en.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="End with a JSON summary line.")] = False,
) -> None:
    """Check a model on people whose outcomes are now known: the training metrics (AUC,
    Brier, calibration, by group with intervals) against its card, and a recommendation:
    keep, recalibrate or retrain (outcomes.html, outcomes.json)."""
    from riskkit.config import load_pipeline
    from riskkit.errors import RiskkitError
    from riskkit.monitoring.outcomes import assess_outcomes, load_cohort
    from riskkit.reports.i18n import messages
    from riskkit.reports.outcomes_report import (
        finding_text,
        headline,
        outcomes_document,
        write_outcomes,
    )
    from riskkit.tracking import load_model, version_metrics

    try:
        messages("outcomes", lang)
        thresholds = None if pipeline is None else load_pipeline(pipeline).monitoring
        loaded = load_model(model)
        bundle = loaded.bundle
        config = bundle.config
        _say(f"reading {data} for {loaded.reference} (pipeline {config.name!r})")
        cohort = load_cohort(config, data)
        _say(f"{cohort.n_read} record(s) read: {cohort.n_valid} used, {cohort.n_rejected} rejected")
        probability = bundle.estimator.predict_proba(cohort.X)[:, 1]
        assessment = assess_outcomes(
            cohort.y,
            probability,
            config=config,
            card_metrics=version_metrics(loaded.name, loaded.version),
            sensitive=cohort.sensitive,
            thresholds=thresholds,
            n_resamples=resamples,
            seed=config.split.seed,
        )
        folder = out or DEFAULT_MONITORING_ROOT / loaded.name / f"v{loaded.version}" / "outcomes"
        document = outcomes_document(
            assessment,
            model={
                "name": loaded.name,
                "version": loaded.version,
                "alias": loaded.alias,
                "reference": loaded.reference,
                "pipeline": config.name,
            },
            cohort=cohort.describe(),
        )
        files = write_outcomes(document, folder, language=lang)
        rejects = _write_rejects(cohort, folder)
    except RiskkitError as exc:
        _fail(exc, 1)
    if rejects is not None:
        files["rejects"] = rejects
        _say(f"{cohort.n_rejected} invalid record(s) left out; reasons in {rejects}")
    for finding in document["recommendation"]["findings"]:
        kind = "note" if finding["action"] is None else "reason"
        _say(f"{kind}: {finding_text(finding, 'en')}")
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "model": document["model"],
                    "recommendation": assessment.recommendation.action,
                    "n": assessment.n,
                    "rejected": cohort.n_rejected,
                    "metrics": {
                        m["name"]: {"cohort": m["cohort"], "card": m["card"]}
                        for m in document["metrics"]
                    },
                    "files": {k: str(v) for k, v in files.items()},
                }
            )
        )
    else:
        typer.echo(f"{headline(document)}; report: {files['html']}")


def recalibrate_command(
    data: Annotated[Path, typer.Option(help="Records with outcomes (CSV, Parquet or JSON lines).")],
    model: Annotated[
        str | None,
        typer.Option(help="Recalibrate a registered model: NAME@ALIAS or NAME/VERSION."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="Why the model is recalibrated (recorded with it).")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="auto, platt or isotonic (default: the pipeline's [calibration] method; auto "
            "picks the lower cross-validated log-loss)."
        ),
    ] = None,
    score_column: Annotated[
        str | None,
        typer.Option(help="Calibrate an imported instrument's score column of --data instead."),
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="Outcome column (0/1), with --score-column.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="With --model: output folder (default: models/<model>/v<new version>). With "
            "--score-column: the JSON file of the calibration map (required)."
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=20, help="Bootstrap resamples of the intervals.")
    ] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="End with a JSON summary line.")] = False,
) -> None:
    """Refit only the calibration map on a new cohort.

    For a registered model (--model) the result is registered as a new version, with the
    reason, the cohort's hash and the before/after calibration figures; 'champion' moves to it
    only if the promotion gates pass. For an imported instrument (--score-column, --label) a
    map from score to probability is saved as JSON (--out) and its table printed.
    """
    from riskkit.errors import RiskkitError

    if (model is None) == (score_column is None):
        _fail(
            ValueError(
                "name what to recalibrate: --model NAME@ALIAS (a registered model) or "
                "--score-column COLUMN with --label COLUMN and --out FILE.json (an imported "
                "instrument's score in --data)"
            )
        )
    if method is not None and method not in _METHODS:
        _fail(ValueError(f"--method must be auto, platt or isotonic, not {method!r}"))
    if reason is not None and not reason.strip():
        _fail(ValueError("--reason must not be empty; say why the model is recalibrated"))
    why = (reason or "").strip() or "(no reason given)"
    try:
        if model is not None:
            summary = _recalibrate_model(
                model,
                data,
                reason=why,
                method=method,  # type: ignore[arg-type]
                out=out,
                resamples=resamples,
            )
        else:
            if label is None or out is None:
                _fail(ValueError("--score-column needs --label COLUMN and --out FILE.json"))
            assert score_column is not None
            summary = _calibrate_score(
                data,
                score_column=score_column,
                label=label,
                reason=why,
                method=method or "auto",  # type: ignore[arg-type]
                out=out,
            )
    except RiskkitError as exc:
        _fail(exc, 1)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(summary["headline"])


def _recalibrate_model(
    reference: str,
    data: Path,
    *,
    reason: str,
    method: Method | None,
    out: Path | None,
    resamples: int,
) -> dict[str, Any]:
    from riskkit import tracking
    from riskkit.json_values import finite_json
    from riskkit.metrics import auc
    from riskkit.monitoring.outcomes import load_cohort
    from riskkit.monitoring.recalibrate import recalibrate, register_recalibration
    from riskkit.reports.model_card import render_recalibration_card
    from riskkit.training.pipeline import write_card

    loaded = tracking.load_model(reference)
    config = loaded.bundle.config
    _say(f"reading {data} for {loaded.reference} (pipeline {config.name!r})")
    cohort = load_cohort(config, data)
    _say(f"{cohort.n_read} record(s) read: {cohort.n_valid} used, {cohort.n_rejected} rejected")
    champion = tracking.champion(loaded.name)
    champion_auc = None
    if champion is not None:
        probability, outcomes = _champion_probability(loaded, champion.version, cohort, data)
        champion_auc = float(auc(outcomes, probability))
        _say(f"champion v{champion.version}: AUC {champion_auc:.3f} on this cohort")
    result = recalibrate(
        loaded.bundle.estimator,
        config,
        cohort.X,
        cohort.y,
        sensitive=cohort.sensitive,
        method=method,
        champion_auc=champion_auc,
        champion_version=None if champion is None else champion.version,
        n_resamples=resamples,
    )
    before, after = result.before["ece"].value, result.after.overall["ece"].value
    _say(
        f"calibration: {result.fit.method} (cross-validated log-loss "
        f"{', '.join(f'{k} {v:.4f}' for k, v in result.fit.cv_log_loss.items())}); "
        f"ECE {before:.3f} -> {after:.3f} (cross-validated)"
    )
    _say(result.decision.summary())
    registered = register_recalibration(loaded, cohort, result, reason=reason)
    recalibrated_at = datetime.now(UTC).isoformat(timespec="seconds")
    folder = out or Path("models") / registered.name / f"v{registered.version}"
    folder.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "kind": "riskkit.recalibration",
        "model": registered.name,
        "version": registered.version,
        "alias": registered.alias,
        "recalibrated_from": {"version": loaded.version, "reference": loaded.reference},
        "reason": reason,
        "recalibrated_at": recalibrated_at,
        "run_id": registered.run_id,
        "tracking_uri": registered.tracking_uri,
        "cohort": cohort.describe(),
        **result.summary(),
    }
    files = {"recalibration": folder / "recalibration.json"}
    files["recalibration"].write_text(
        json.dumps(finite_json(document), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    parent_card = tracking.version_file_text(loaded.name, loaded.version, "model_card.md")
    files.update(
        write_card(
            folder,
            card=render_recalibration_card(finite_json(document), parent_card),
            title=f"{registered.name} v{registered.version}",
        )
    )
    tracking.attach_files(
        registered.run_id, [files["recalibration"], files["card"], files["card_html"]]
    )
    rejects = _write_rejects(cohort, folder)
    if rejects is not None:
        files["rejects"] = rejects
        _say(f"{cohort.n_rejected} invalid record(s) left out; reasons in {rejects}")
    state = "promoted to champion" if registered.alias else "registered, not promoted"
    return {
        "headline": (
            f"{registered.name} v{registered.version} ({state}), recalibrated from "
            f"v{loaded.version}: ECE {before:.3f} -> {after:.3f}; {files['recalibration']}"
        ),
        "model": registered.name,
        "version": registered.version,
        "alias": registered.alias,
        "promoted": result.decision.promoted,
        "promotion": result.decision.summary(),
        "recalibrated_from": loaded.version,
        "method": result.fit.method,
        "reason": reason,
        "before": finite_json({k: v.value for k, v in result.before.items()}),
        "after": finite_json({k: result.after.overall[k].value for k in result.before}),
        "run_id": registered.run_id,
        "files": {k: str(v) for k, v in files.items()},
    }


def _champion_probability(
    loaded: LoadedModel, champion_version: int, cohort: Cohort, data: Path
) -> tuple[Any, Any]:
    """The champion's probabilities on the cohort and the outcomes they go with."""
    from riskkit import tracking
    from riskkit.monitoring.outcomes import load_cohort

    if champion_version == loaded.version:
        return loaded.bundle.estimator.predict_proba(cohort.X)[:, 1], cohort.y
    champion = tracking.load_model(f"{loaded.name}@{tracking.CHAMPION}").bundle
    features = champion.config.features.use
    if set(features) <= set(cohort.records.columns):
        return champion.estimator.predict_proba(cohort.records[features])[:, 1], cohort.y
    own = load_cohort(champion.config, data)
    return champion.estimator.predict_proba(own.X)[:, 1], own.y


def _calibrate_score(
    data: Path,
    *,
    score_column: str,
    label: str,
    reason: str,
    method: Method,
    out: Path,
) -> dict[str, Any]:
    from riskkit.data.io import read_records, write_records
    from riskkit.monitoring.outcomes import file_sha256
    from riskkit.monitoring.recalibrate import calibrate_score_column

    frame = read_records(data).frame
    result = calibrate_score_column(
        frame, score_column=score_column, label_column=label, method=method, source=str(data)
    )
    sha256, n_bytes = file_sha256(data)
    document = {
        **result.to_dict(),
        "reason": reason,
        "data": {"source": str(data), "sha256": sha256, "bytes": n_bytes, "read": len(frame)},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    files = {"map": str(out)}
    if len(result.rejects):
        files["rejects"] = str(write_records(result.rejects, out.parent / "rejects.csv"))
        _say(f"{len(result.rejects)} row(s) left out; reasons in {files['rejects']}")
    typer.echo(result.render_table())
    metrics = result.metrics
    return {
        "headline": (
            f"{score_column} -> probability of {label}: {result.fit.method} on {result.n} "
            f"people, cross-validated ECE {metrics['cv_ece']:.3f}; map in {out}"
        ),
        "score_column": score_column,
        "label": label,
        "method": result.fit.method,
        "n": result.n,
        "rejected": len(result.rejects),
        "metrics": document["metrics"],
        "files": files,
    }

"""``riskkit monitor drift``: compare a new cohort with a registered model's training part.

The typer app :data:`monitor_app` is added to the ``riskkit`` command line as ``monitor``. Start-up
must stay fast: only typer and the standard library are imported at the top; the command imports
what it needs when it runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from riskkit.monitoring.drift import DriftReport

__all__ = ["DriftRun", "monitor_app", "run_drift"]

monitor_app = typer.Typer(
    help="Watch a model in use: drift of the population it scores, outcomes, overrides.",
    no_args_is_help=True,
)


@monitor_app.callback()
def monitor_callback() -> None:
    """Watch a model in use: drift of the population it scores, outcomes, overrides."""


@dataclass(frozen=True)
class DriftRun:
    """What ``riskkit monitor drift`` produced.

    Attributes
    ----------
    model : str
        ``NAME@alias (vN)`` or ``NAME/N``.
    version : int
        The model version compared against.
    report : DriftReport
        The comparison.
    n_read, n_rejected : int
        Records read, and those invalid (in ``rejects.csv``, never compared).
    out_dir : Path
        Where the files went.
    files : dict of str to Path
        ``json``, ``html`` and, when rows were invalid, ``rejects``.
    """

    model: str
    version: int
    report: DriftReport
    n_read: int
    n_rejected: int
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON line ``--json`` prints."""
        score = self.report.score
        return {
            "kind": "drift",
            "model": self.model,
            "version": self.version,
            "drifted": self.report.drifted,
            "features_that_matter": [f.name for f in self.report.mattering],
            "score": None
            if score is None
            else {
                "psi": score.psi,
                "p_value": score.p_value,
                "level": score.level,
                "matters": score.matters,
            },
            "records": {
                "read": self.n_read,
                "valid": self.report.n_new,
                "rejected": self.n_rejected,
            },
            "out_dir": str(self.out_dir),
            "files": {name: str(path) for name, path in self.files.items()},
        }


def default_out_dir(model_name: str, today: str | None = None) -> Path:
    """``monitoring/<model>/drift-<YYYY-MM-DD>`` (today, UTC, when ``today`` is not given)."""
    day = today or datetime.now(UTC).date().isoformat()
    return Path("monitoring") / model_name / f"drift-{day}"


def run_drift(
    model: str,
    data: str | Path,
    *,
    out: str | Path | None = None,
    language: str = "es",
) -> DriftRun:
    """Compare the records in ``data`` with a registered model's training part and write the
    report (``drift.json``, ``drift.html``, and ``rejects.csv`` when rows are invalid).

    Parameters
    ----------
    model : str
        ``NAME@ALIAS`` or ``NAME/VERSION`` of a risk model.
    data : str or Path
        The new cohort's records (CSV, Parquet or JSON lines), read, mapped and validated as
        for scoring.
    out : str or Path, optional
        Output folder; ``monitoring/<model>/drift-<date>`` by default.
    language : {"es", "pt", "en"}
        Language of the report's words.

    Returns
    -------
    DriftRun

    Raises
    ------
    RiskkitError
        When the model is missing, is a needs model, or was registered without a reference
        profile (retrain it); when the file cannot be used at all (``DataValidationError``) or
        holds no valid record (the invalid ones are still written to ``rejects.csv``).
    """
    from riskkit.data.io import write_records
    from riskkit.data.sources import load_records
    from riskkit.errors import DataValidationError, RiskkitError
    from riskkit.monitoring.drift import drift_report
    from riskkit.reports.drift_report import DriftMeta, drift_document, render_drift_html
    from riskkit.reports.i18n import messages
    from riskkit.tracking import load_model

    messages("drift", language)  # an unknown language fails before any work
    loaded = load_model(model)
    bundle = loaded.bundle
    label = f"{loaded.reference} (v{loaded.version})" if loaded.alias else loaded.reference
    if bundle.reference is None:
        raise RiskkitError(
            f"model {label} has no reference profile of its training data: it was registered "
            "before drift monitoring existed. Retrain it (riskkit train PIPELINE) to store one "
            "with the model, then run the drift check against the new version."
        )
    config = bundle.config
    records = load_records(config, data, purpose="score")
    validation = records.validation
    if validation.file_problems:
        raise DataValidationError(validation.problems, source=records.source)
    out_dir = Path(out) if out is not None else default_out_dir(loaded.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if len(validation.rejects):
        files["rejects"] = write_records(validation.rejects, out_dir / "rejects.csv")
    valid = validation.valid
    if len(valid) == 0:
        raise RiskkitError(
            f"{records.source} holds no valid record to compare ({validation.n_input} read, "
            f"{len(validation.rejects)} rejected; reasons in {out_dir / 'rejects.csv'})"
        )
    X = valid[config.features.use]
    probability = bundle.estimator.predict_proba(X)[:, 1]
    report = drift_report(bundle.reference, X, config.monitoring, probability=probability)
    meta = DriftMeta(
        model=label,
        data=records.source,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        n_read=validation.n_input,
        n_rejected=len(validation.rejects),
        band_labels={b.name: b.labels.get(language, b.name) for b in config.bands},  # type: ignore[call-overload]
    )
    files["json"] = out_dir / "drift.json"
    files["json"].write_text(
        json.dumps(drift_document(report, meta, language=language), indent=2, allow_nan=False),
        encoding="utf-8",
    )
    files["html"] = out_dir / "drift.html"
    files["html"].write_text(render_drift_html(report, meta, language=language), encoding="utf-8")
    return DriftRun(
        model=label,
        version=loaded.version,
        report=report,
        n_read=validation.n_input,
        n_rejected=len(validation.rejects),
        out_dir=out_dir,
        files=files,
    )


@monitor_app.command("drift")
def drift_command(
    model: Annotated[
        str, typer.Option(help="NAME@ALIAS or NAME/VERSION, e.g. recidivism@champion.")
    ],
    data: Annotated[Path, typer.Option(help="The new cohort's records (CSV, Parquet, JSONL).")],
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: monitoring/<model>/drift-<date>)."),
    ] = None,
    lang: Annotated[str, typer.Option(help="Report language: es, pt or en.")] = "es",
    as_json: Annotated[bool, typer.Option("--json", help="End with a JSON summary line.")] = False,
) -> None:
    """Population stability index and a chi-square test per feature and for the score, against
    the training data profile stored with the model; writes drift.json and drift.html (and
    rejects.csv for invalid rows)."""
    from riskkit.errors import RiskkitError

    try:
        run = run_drift(model, data, out=out, language=lang)
    except RiskkitError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if run.n_rejected:
        typer.echo(
            f"{run.n_rejected} invalid record(s) not compared; reasons in {run.files['rejects']}",
            err=True,
        )
    report = run.report
    if as_json:
        typer.echo(json.dumps(run.summary(), allow_nan=False))
        return
    moved = ", ".join(f"{f.name} (PSI {f.psi:.3f})" for f in report.mattering) or "none"
    score = (
        ""
        if report.score is None
        else f"; score PSI {report.score.psi:.3f}{' (matters)' if report.score.matters else ''}"
    )
    typer.echo(
        f"{run.model}: {report.n_new} records compared; drift that matters: {moved}{score}; "
        f"report in {run.files['html']}"
    )

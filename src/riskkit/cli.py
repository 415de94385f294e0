"""The ``riskkit`` command line.

Start-up must stay fast: this module imports only typer and the standard library at the top;
every command imports what it needs when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from riskkit import __version__

app = typer.Typer(
    name="riskkit",
    help="Interpretable recidivism-risk models, fairness audits and scored case reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Check, generate and inspect case records.", no_args_is_help=True)
app.add_typer(data_app, name="data")

LANGUAGE_HELP = "Report language: es, pt or en."


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _fail(error: Exception, code: int = 2) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"riskkit {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """riskkit: build, audit and apply interpretable recidivism-risk models."""


@data_app.command("validate")
def data_validate(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or JSON-lines file of records.")],
    pipeline: Annotated[Path, typer.Option("--pipeline", "-p", help="Pipeline TOML.")],
    purpose: Annotated[
        str, typer.Option(help="What the records are for: train, score or audit.")
    ] = "train",
    rejects: Annotated[
        Path | None, typer.Option(help="Write invalid rows with their reasons to this file.")
    ] = None,
) -> None:
    """Check a file of records against a pipeline's schema and list every problem."""
    from riskkit.config import load_pipeline
    from riskkit.data.io import write_records
    from riskkit.data.sources import load_records
    from riskkit.errors import RiskkitError

    if purpose not in ("train", "score", "audit"):
        _fail(ValueError(f"--purpose must be train, score or audit, not {purpose!r}"))
    try:
        config = load_pipeline(pipeline)
        loaded = load_records(config, file, purpose=purpose)  # type: ignore[arg-type]
    except RiskkitError as exc:
        _fail(exc, 1)
    result = loaded.validation
    if loaded.encoding == "latin-1":
        _say(f"note: {file} is not UTF-8; it was read as Latin-1 (ISO-8859-1)")
    for problem in result.problems:
        typer.echo(str(problem))
    if result.ignored_columns:
        _say(f"columns not used by pipeline {config.name!r}: {', '.join(result.ignored_columns)}")
    if rejects is not None and len(result.rejects):
        write_records(result.rejects, rejects)
        _say(f"invalid rows written to {rejects}")
    _say(result.summary())
    if result.problems:
        raise typer.Exit(1)
    _say(f"{file}: all records valid for pipeline {config.name!r}")


@data_app.command("synth")
def data_synth(
    out: Annotated[Path, typer.Option(help="Output file (.csv, .parquet or .jsonl).")],
    rows: Annotated[int, typer.Option(min=1, help="Number of people.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 0,
) -> None:
    """Generate a synthetic population of people released from prison."""
    from riskkit.data.io import write_records
    from riskkit.data.synthetic import generate_population
    from riskkit.errors import RiskkitError

    try:
        frame = generate_population(rows, seed=seed)
        write_records(frame, out)
    except RiskkitError as exc:
        _fail(exc)
    _say(f"{rows} people written to {out}")


@app.command("train")
def train_command(
    pipeline: Annotated[
        Path, typer.Argument(help="Pipeline TOML, e.g. pipelines/recidivism.toml.")
    ],
    data: Annotated[
        Path | None, typer.Option(help="Records file to use instead of the pipeline's source.")
    ] = None,
    models_dir: Annotated[Path, typer.Option(help="Where model cards and metrics go.")] = Path(
        "models"
    ),
    as_json: Annotated[
        bool, typer.Option("--json", help="End with one JSON line describing the result.")
    ] = False,
) -> None:
    """Train, calibrate, evaluate and register a model; 'champion' moves if the gates pass."""
    from riskkit.config import load_pipeline
    from riskkit.errors import RiskkitError
    from riskkit.training.pipeline import train

    try:
        config = load_pipeline(pipeline)
        result = train(config, data=data, models_dir=models_dir, progress=_say)
    except RiskkitError as exc:
        _fail(exc, 1)
    if result.n_rejected:
        _say(f"{result.n_rejected} invalid record(s) left out; see {result.files['rejects']}")
    if as_json:
        typer.echo(json.dumps(result.summary()))
    else:
        typer.echo(
            f"{result.model_name} v{result.version} ({result.promotion}): "
            f"test AUC {result.metrics['test_auc']:.3f}, Brier {result.metrics['test_brier']:.4f}; "
            f"card: {result.files['card']}"
        )


@app.command("compare")
def compare_command(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline TOML.")],
    data: Annotated[
        Path | None, typer.Option(help="Records file to use instead of the pipeline's source.")
    ] = None,
    resamples: Annotated[int, typer.Option(min=20, help="Bootstrap resamples.")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Compare additive, scorecard, logistic and unrestricted LightGBM models on one split.

    Shows what interpretability costs, with bootstrap intervals.
    """
    from riskkit.config import load_pipeline
    from riskkit.errors import RiskkitError
    from riskkit.training.compare import compare_models, render_comparison

    try:
        config = load_pipeline(pipeline)
        comparison = compare_models(config, data, progress=_say, n_resamples=resamples)
    except RiskkitError as exc:
        _fail(exc, 1)
    if as_json:
        typer.echo(json.dumps(comparison.to_dict()))
    else:
        typer.echo(render_comparison(comparison))


@app.command("score")
def score_command(
    model: Annotated[
        str, typer.Option(help="NAME@ALIAS or NAME/VERSION, e.g. recidivism@champion.")
    ],
    input_file: Annotated[Path, typer.Option("--input", help="Records to score.")],
    out: Annotated[Path, typer.Option(help="Output folder for the per-person JSON and HTML.")],
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "es",
    html: Annotated[bool, typer.Option(help="Write an HTML report per person.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="End with a JSON summary line.")] = False,
) -> None:
    """Score records with a registered model: one JSON and one HTML report per person."""
    from riskkit.errors import RiskkitError
    from riskkit.reports.i18n import messages
    from riskkit.scoring.batch import score_file
    from riskkit.tracking import load_model

    try:
        messages("case", lang)
        loaded = load_model(model)
        summary = score_file(loaded, input_file, out, language=lang, html=html, progress=_say)
    except RiskkitError as exc:
        _fail(exc, 1)
    if summary.rejects_path is not None:
        _say(
            f"{summary.n_rejected} invalid record(s) not scored; reasons in {summary.rejects_path}"
        )
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))
    else:
        typer.echo(
            f"{summary.n_scored} scored, {summary.n_rejected} rejected, {summary.n_input} read; "
            f"reports in {summary.out_dir}"
        )


@app.command("audit")
def audit_command(
    model: Annotated[str, typer.Option(help="NAME@ALIAS or NAME/VERSION.")],
    data: Annotated[Path, typer.Option(help="Records with outcomes and sensitive attributes.")],
    sensitive: Annotated[str, typer.Option(help="Comma-separated attributes, e.g. sex,ethnicity.")],
    out: Annotated[Path, typer.Option(help="Output folder for audit.json and audit.html.")],
    threshold: Annotated[
        float | None,
        typer.Option(help="Flagging threshold; default: the lower edge of the highest band."),
    ] = None,
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
) -> None:
    """Audit a registered model's scores by group (fairlearn's MetricFrame)."""
    from riskkit.errors import RiskkitError
    from riskkit.fairness.model_audit import audit_model
    from riskkit.tracking import load_model

    columns = [c.strip() for c in sensitive.split(",") if c.strip()]
    try:
        loaded = load_model(model)
        result = audit_model(
            loaded, data, sensitive=columns, out_dir=out, threshold=threshold, language=lang
        )
    except RiskkitError as exc:
        _fail(exc, 1)
    if result.n_rejected:
        _say(
            f"{result.n_rejected} invalid record(s) left out; reasons in {result.files['rejects']}"
        )
    typer.echo(
        f"audited {result.n_audited} records at threshold {result.threshold:.2f}: "
        + ", ".join(str(p) for p in result.files.values())
    )


@app.command("demo")
def demo_command(
    workdir: Annotated[Path, typer.Option(help="Folder for every demo output.")] = Path(
        "demo_output"
    ),
    pipeline: Annotated[Path, typer.Option(help="Pipeline TOML to train.")] = Path(
        "pipelines/recidivism.toml"
    ),
    rows: Annotated[int, typer.Option(min=1000, help="Size of the training population.")] = 20_000,
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "es",
) -> None:
    """Run the whole path on a synthetic population: records in, a registered interpretable
    model, an audit and scored case reports out. Offline; about a minute."""
    from riskkit.demo import run_demo
    from riskkit.errors import RiskkitError

    try:
        outputs = run_demo(workdir=workdir, pipeline=pipeline, rows=rows, language=lang, say=_say)
    except RiskkitError as exc:
        _fail(exc, 1)
    typer.echo("\nDemo finished. Outputs:")
    for label, path in outputs.items():
        typer.echo(f"  {label:<28} {path}")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="riskkit")


if __name__ == "__main__":  # pragma: no cover
    main()

"""The ``riskkit`` command line.

Start-up must stay fast: this module imports only typer and the standard library at the top;
every command imports what it needs when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

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
    """Train, calibrate, evaluate and register a model; 'champion' moves if the gates pass.

    A needs pipeline ([model] kind = "needs") trains one model per need domain and prints each
    domain's held-out AUC and Brier.
    """
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
        typer.echo(result.headline())


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
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf",
            help="Also write a PDF report per person, and the caseload and facility PDFs "
            "(slower: about a second a person).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="End with a JSON summary line.")] = False,
    needs: Annotated[
        str | None,
        typer.Option(help="A registered needs model (NAME@ALIAS) for each person's needs profile."),
    ] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(help="Jurisdiction catalogue TOML for each person's case plan."),
    ] = None,
    override: Annotated[
        str | None, typer.Option(help="A case worker's band for this one person (with --reason).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the band was overridden.")] = None,
    log: Annotated[
        str | None,
        typer.Option(
            help="Append every score to this score log (SQLAlchemy URL, e.g. "
            "sqlite:///scores.db); person ids are pseudonymised with RISKKIT_LOG_KEY."
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Who is scoring, for the log (default: $USER).")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="local (reports per person) or spark: a Parquet folder in, a Parquet folder "
            "of scores (probability, band, points, top factors) and rejects out, on Apache "
            "Spark (pip install 'riskkit[spark]'; docs/spark.md)."
        ),
    ] = "local",
) -> None:
    """Score records with a registered model: one JSON and one HTML report per person (and a
    PDF with --pdf), the caseload by band and the facility summary (caseload.html,
    facility.html, facility.json)."""
    from riskkit.errors import RiskkitError
    from riskkit.reports.i18n import messages
    from riskkit.scoring.batch import score_file
    from riskkit.tracking import load_model

    if engine not in ("local", "spark"):
        _fail(ValueError(f"--engine {engine!r}: choose local or spark"))
    if engine == "spark":
        if log is not None or override is not None or needs is not None or pdf:
            _fail(
                ValueError(
                    "--engine spark writes the scores table only: --log, --override, --needs "
                    "and --pdf work with the local engine"
                )
            )
        from riskkit.scoring.spark import score_with_spark

        try:
            spark_summary = score_with_spark(model, input_file, out)
        except RiskkitError as exc:
            _fail(exc, 1)
        typer.echo(json.dumps(spark_summary.to_dict(), default=str))
        return

    if (override is None) != (reason is None):
        _fail(ValueError("--override BAND and --reason TEXT go together: give both or neither"))
    try:
        messages("case", lang)
        loaded = load_model(model)
        needs_model = None
        if needs is not None:
            needs_model = load_model(needs).needs_model
        plans = None
        if catalogue is not None:
            from riskkit.scoring.catalogue import load_catalogue

            plans = load_catalogue(catalogue, band_names=loaded.bundle.config.band_names())
        import getpass

        score_log = None if log is None else _open_log(log)
        summary = score_file(
            loaded,
            input_file,
            out,
            language=lang,
            html=html,
            pdf=pdf,
            progress=_say,
            show_progress=True,
            log=score_log,
            user=user or getpass.getuser(),
            needs_model=needs_model,
            catalogue=plans,
            override=None if override is None or reason is None else (override, reason),
        )
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


audit_app = typer.Typer(
    help="Fairness audits: by group and intersection, with intervals; sign and verify them.",
    invoke_without_command=True,
)
app.add_typer(audit_app, name="audit")


def _references(values: list[str]) -> dict[str, str]:
    references = {}
    for value in values:
        attribute, sep, group = value.partition("=")
        if not sep or not attribute.strip() or not group.strip():
            _fail(ValueError(f"--reference {value!r} must read ATTRIBUTE=GROUP, e.g. race=white"))
        references[attribute.strip()] = group.strip()
    return references


@audit_app.callback()
def audit_command(
    ctx: typer.Context,
    data: Annotated[
        Path | None, typer.Option(help="Records with outcomes and sensitive attributes.")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Audit a registered model: NAME@ALIAS or NAME/VERSION.")
    ] = None,
    score_column: Annotated[
        str | None,
        typer.Option(help="Audit an existing score column of --data instead of a model."),
    ] = None,
    label: Annotated[
        str | None, typer.Option(help="Outcome column (0/1), with --score-column.")
    ] = None,
    sensitive: Annotated[
        str | None,
        typer.Option(help="Comma-separated attributes, e.g. race,sex (default: the pipeline's)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Score at or above which a person counts as high risk; default for a model: "
            "the pipeline's [audit] threshold or the lower edge of the highest band."
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(help="punitive or assistive (default for a model: the pipeline's)."),
    ] = None,
    reference: Annotated[
        list[str] | None, typer.Option(help="Reference group, ATTRIBUTE=GROUP (repeatable).")
    ] = None,
    min_group_size: Annotated[
        int | None, typer.Option(min=1, help="Smaller groups are 'too small to judge'.")
    ] = None,
    resamples: Annotated[
        int | None, typer.Option(min=50, help="Bootstrap resamples (default 1000).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: audits/<model>/v<version> or audits/<score>)."),
    ] = None,
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
) -> None:
    """Audit a registered model's scores, or any existing score column, by group."""
    if ctx.invoked_subcommand is not None:
        return
    from riskkit.errors import RiskkitError

    if (model is None) == (score_column is None):
        _fail(
            ValueError(
                "name what to audit: --model NAME@ALIAS (a registered model) or --score-column "
                "COLUMN with --label and --threshold (a score already in --data)"
            )
        )
    if data is None:
        _fail(ValueError("--data FILE is required: the records with outcomes to audit"))
    if purpose not in (None, "punitive", "assistive"):
        _fail(ValueError(f"--purpose must be punitive or assistive, not {purpose!r}"))
    columns = [c.strip() for c in (sensitive or "").split(",") if c.strip()]
    references = _references(reference or [])
    try:
        if model is not None:
            from riskkit.fairness.model_audit import audit_model
            from riskkit.tracking import load_model

            loaded = load_model(model)
            result = audit_model(
                loaded,
                data,
                sensitive=columns or None,
                out_dir=out,
                threshold=threshold,
                language=lang,
                purpose=purpose,  # type: ignore[arg-type]
                reference_groups=references or None,
                minimum_group_size=min_group_size,
                n_resamples=resamples,
                say=_say,
            )
        else:
            from riskkit.fairness.model_audit import audit_score_column

            if label is None or threshold is None or not columns:
                _fail(
                    ValueError(
                        "--score-column needs --label COLUMN (the 0/1 outcome), --threshold "
                        "NUMBER (e.g. 5 for deciles) and --sensitive COLUMNS"
                    )
                )
            assert score_column is not None
            result = audit_score_column(
                data,
                score_column=score_column,
                label_column=label,
                sensitive=columns,
                threshold=threshold,
                out_dir=out,
                language=lang,
                purpose=purpose,  # type: ignore[arg-type]
                reference_groups=references or None,
                minimum_group_size=min_group_size or 30,
                n_resamples=resamples or 1000,
                say=_say,
            )
    except RiskkitError as exc:
        _fail(exc, 1)
    if result.n_rejected:
        _say(
            f"{result.n_rejected} record(s) could not be audited; reasons in "
            f"{result.files['rejects']}"
        )
    for flag in result.flags:
        _say(f"flag: {flag}")
    typer.echo(
        f"audited {result.n_audited} of {result.n_input} records at threshold "
        f"{result.threshold:g}: " + ", ".join(str(p) for p in result.files.values())
    )


@audit_app.command("sign")
def audit_sign(
    audit_dir: Annotated[Path, typer.Argument(help="Folder written by `riskkit audit`.")],
    auditor: Annotated[str, typer.Option(help="The auditor's name.")],
    decision: Annotated[str, typer.Option(help="approve or reject.")],
    comment: Annotated[str, typer.Option(help="Reasons, conditions or reservations.")] = "",
    lang: Annotated[str, typer.Option(help=LANGUAGE_HELP)] = "en",
) -> None:
    """Sign an audit: record the decision with a hash of audit.json, and re-render the
    report with the sign-off block filled in."""
    from riskkit.errors import RiskkitError
    from riskkit.fairness.model_audit import rerender_audit
    from riskkit.fairness.signoff import sign_audit

    try:
        signoff = sign_audit(audit_dir, auditor=auditor, decision=decision, comment=comment)
        files = rerender_audit(audit_dir, language=lang)
    except RiskkitError as exc:
        _fail(exc, 1)
    typer.echo(
        f"{signoff.decision} by {signoff.auditor} at {signoff.signed_at}; audit.json sha256 "
        f"{signoff.audit_sha256}: " + ", ".join(str(p) for p in files.values())
    )


@audit_app.command("verify")
def audit_verify(
    audit_dir: Annotated[Path, typer.Argument(help="Folder written by `riskkit audit`.")],
) -> None:
    """Check that audit.json is unchanged since it was signed (exit 1 if not)."""
    from riskkit.errors import RiskkitError
    from riskkit.fairness.signoff import verify_audit

    try:
        result = verify_audit(audit_dir)
    except RiskkitError as exc:
        _fail(exc, 1)
    if not result.signoffs:
        typer.echo(f"{audit_dir}: not signed yet")
        raise typer.Exit(1)
    for signoff in result.mismatched:
        typer.echo(
            f"CHANGED: audit.json differs from the file {signoff.auditor} signed at "
            f"{signoff.signed_at} (sha256 then {signoff.audit_sha256}, now {result.audit_sha256})"
        )
    if result.mismatched:
        raise typer.Exit(1)
    typer.echo(
        f"ok: audit.json unchanged since {len(result.signoffs)} sign-off(s); sha256 "
        f"{result.audit_sha256}"
    )


log_app = typer.Typer(
    help="The score log: every score and override, hash-chained; verify, export, replay.",
    no_args_is_help=True,
)
app.add_typer(log_app, name="log")

LOG_URL_HELP = "The score log: a SQLAlchemy URL (default sqlite:///scores.db in this folder)."
LOG_KEY_VARIABLE = "RISKKIT_LOG_KEY"


def _open_log(url: str, *, pseudonymise: bool = True) -> Any:
    """The score log, keyed from ``RISKKIT_LOG_KEY`` (hex) for pseudonymised person ids."""
    import os

    from riskkit.audit_log import ScoreLog
    from riskkit.errors import RiskkitError

    key_text = os.environ.get(LOG_KEY_VARIABLE, "").strip()
    key = None
    if key_text:
        try:
            key = bytes.fromhex(key_text)
        except ValueError:
            raise RiskkitError(
                f"{LOG_KEY_VARIABLE} must be hexadecimal (e.g. the output of "
                '`python -c "import secrets; print(secrets.token_hex(32))"`)'
            ) from None
    elif pseudonymise:
        raise RiskkitError(
            f"the score log stores person ids pseudonymised with a secret key: set "
            f"{LOG_KEY_VARIABLE} to one (create it once with "
            '`python -c "import secrets; print(secrets.token_hex(32))"` and keep it secret)'
        )
    return ScoreLog(url, pseudonym_key=key, pseudonymise=pseudonymise)


@log_app.command("verify")
def log_verify(
    url: Annotated[str, typer.Option("--log", help=LOG_URL_HELP)] = "sqlite:///scores.db",
) -> None:
    """Check the chain: any edited, deleted or reordered entry is named (exit 1)."""
    from riskkit.errors import RiskkitError

    try:
        with _open_log(url, pseudonymise=False) as log:
            result = log.verify()
    except RiskkitError as exc:
        _fail(exc, 1)
    typer.echo(str(result))
    if not result.ok:
        raise typer.Exit(1)


@log_app.command("export")
def log_export(
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    url: Annotated[str, typer.Option("--log", help=LOG_URL_HELP)] = "sqlite:///scores.db",
    start: Annotated[
        str | None, typer.Option("--from", help="First date (YYYY-MM-DD), inclusive.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last date (YYYY-MM-DD), inclusive.")
    ] = None,
) -> None:
    """Write the log's entries (optionally between two dates) to CSV for auditors."""
    from riskkit.errors import RiskkitError

    try:
        with _open_log(url, pseudonymise=False) as log:
            rows = log.export_csv(out, start=start, end=end)
    except RiskkitError as exc:
        _fail(exc, 1)
    typer.echo(f"{rows} entries written to {out}")


@log_app.command("replay")
def log_replay(
    entry_id: Annotated[int, typer.Argument(help="The log entry to reproduce.")],
    url: Annotated[str, typer.Option("--log", help=LOG_URL_HELP)] = "sqlite:///scores.db",
    model: Annotated[
        str | None,
        typer.Option(help="Model to replay with (default: the logged NAME/VERSION)."),
    ] = None,
) -> None:
    """Score a logged entry again with the registered model and say whether it matches."""
    from riskkit.errors import RiskkitError
    from riskkit.tracking import load_model

    try:
        with _open_log(url, pseudonymise=False) as log:
            entry = log.get(entry_id)
            reference = model or f"{entry.model_name}/{entry.model_version}"
            result = log.replay(entry_id, load_model(reference))
    except RiskkitError as exc:
        _fail(exc, 1)
    typer.echo(str(result))
    if not result.matches:
        raise typer.Exit(1)


def _register_monitoring() -> None:
    """``riskkit monitor`` (drift, overrides) from the monitoring package (typer only at
    import; each command imports what it needs when it runs)."""
    from riskkit.monitoring.cli import monitor_app
    from riskkit.monitoring.outcomes_cli import monitor_outcomes, recalibrate_command
    from riskkit.monitoring.overrides_cli import monitor_overrides

    monitor_app.command("outcomes")(monitor_outcomes)
    monitor_app.command("overrides")(monitor_overrides)
    app.add_typer(monitor_app, name="monitor")
    app.command("recalibrate")(recalibrate_command)


_register_monitoring()


keys_app = typer.Typer(
    help="API keys for the service: one per person, with a role; stored hashed.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")
KEYS_HELP = "The API key file (default riskkit-keys.json in this folder)."


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="analyst, case_worker, auditor or admin.")],
    name: Annotated[str, typer.Option(help="Whose key: the name the score log records.")],
    keys: Annotated[Path, typer.Option("--keys", help=KEYS_HELP)] = Path("riskkit-keys.json"),
) -> None:
    """Create a key and print it once, alone on the last line (only its hash is kept)."""
    from riskkit.errors import RiskkitError
    from riskkit.service.keys import KeyStore

    try:
        key, secret = KeyStore(keys).create(name, role)
    except RiskkitError as exc:
        _fail(exc, 1)
    _say(f"key {key.name!r} with role {key.role} stored (hashed) in {keys}")
    _say("copy it now: it is not shown again (revoke with `riskkit keys revoke NAME`)")
    typer.echo(secret)


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    keys: Annotated[Path, typer.Option("--keys", help=KEYS_HELP)] = Path("riskkit-keys.json"),
) -> None:
    """Revoke a key: it stops working at once, also in a running server."""
    from riskkit.errors import RiskkitError
    from riskkit.service.keys import KeyStore

    try:
        key = KeyStore(keys).revoke(name)
    except RiskkitError as exc:
        _fail(exc, 1)
    typer.echo(f"key {key.name!r} ({key.role}) revoked at {key.revoked_at}")


@keys_app.command("list")
def keys_list(
    keys: Annotated[Path, typer.Option("--keys", help=KEYS_HELP)] = Path("riskkit-keys.json"),
) -> None:
    """The keys: name, role, created, revoked (never the secrets)."""
    from riskkit.errors import RiskkitError
    from riskkit.service.keys import KeyStore

    try:
        listed = KeyStore(keys).keys()
    except RiskkitError as exc:
        _fail(exc, 1)
    for key in listed:
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
        typer.echo(f"{key.name}\t{key.role}\tcreated {key.created_at}\t{state}")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="Risk model to serve (NAME@ALIAS); repeat for several. Default: "
            "every registered model's champion."
        ),
    ] = None,
    needs: Annotated[
        str | None, typer.Option(help="Needs model (NAME@ALIAS) for each person's profile.")
    ] = None,
    catalogue: Annotated[
        Path | None, typer.Option(help="Jurisdiction catalogue TOML for case plans.")
    ] = None,
    log: Annotated[str, typer.Option(help=LOG_URL_HELP)] = "sqlite:///scores.db",
    keys: Annotated[Path, typer.Option("--keys", help=KEYS_HELP)] = Path("riskkit-keys.json"),
    audits: Annotated[
        list[Path] | None,
        typer.Option(help="Folder of audits to list (repeatable). Default: audits/ and audit/."),
    ] = None,
    lang: Annotated[str, typer.Option(help="The pages' default language.")] = "es",
    pseudonymise: Annotated[
        bool, typer.Option(help="Store person ids pseudonymised in the log.")
    ] = True,
    secure_cookies: Annotated[
        bool,
        typer.Option(help="Session cookie only over HTTPS (browsers count localhost as secure)."),
    ] = True,
    max_records: Annotated[int, typer.Option(min=1, help="Most records per request.")] = 1000,
    max_body_mb: Annotated[float, typer.Option(help="Largest request body, in MB.")] = 2.0,
) -> None:
    """Serve the champion models over HTTP: the JSON API (/v1, OpenAPI at /docs) and pages
    for case workers and auditors (/), with every score and override in the score log."""
    import logging
    import os

    from riskkit.errors import RiskkitError
    from riskkit.reports.i18n import messages

    try:
        messages("service", lang)
        key_file = None
        if pseudonymise and not os.environ.get(LOG_KEY_VARIABLE, "").strip():
            key_file = _local_log_key(Path("riskkit-log.key"))
        score_log = _open_log(log, pseudonymise=pseudonymise)
        import uvicorn

        from riskkit.service.app import create_app
        from riskkit.service.engine import ScoringEngine, ServiceSettings

        settings = ServiceSettings(
            models=tuple(model or ()),
            needs=needs,
            catalogue=catalogue,
            log_url=log,
            pseudonymise=pseudonymise,
            keys_path=keys,
            audit_dirs=tuple(audits) if audits else (Path("audits"), Path("audit")),
            language=lang,
            max_records=max_records,
            max_body_bytes=int(max_body_mb * 1_000_000),
            session_secret=os.environ.get("RISKKIT_SESSION_SECRET") or None,
            secure_cookies=secure_cookies,
        )
        engine = ScoringEngine(settings, score_log)
        application = create_app(settings, engine)
    except RiskkitError as exc:
        _fail(exc, 1)
    if key_file is not None:
        _say(
            f"note: person ids are pseudonymised with the key in {key_file}; for a real "
            f"deployment keep the key away from the log and pass it in {LOG_KEY_VARIABLE}"
        )
    if not keys.is_file():
        _say(
            f"note: no API keys yet; create one with `riskkit keys create --role case_worker "
            f"--name NAME --keys {keys}`"
        )
    _say(f"serving {', '.join(engine.model_names)} on http://{host}:{port}/ (API docs at /docs)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)


def _local_log_key(path: Path) -> Path:
    """Create (once) and load a pseudonym key file beside the log, for the embedded default."""
    import os
    import secrets

    if not path.is_file():
        path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        path.chmod(0o600)
    os.environ[LOG_KEY_VARIABLE] = path.read_text(encoding="utf-8").strip()
    return path


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
    typer.echo(
        f"\nTo open the case worker's and auditor's pages: cd {workdir}, create a key with "
        "`riskkit keys create --role case_worker --name YOUR.NAME`, run `riskkit serve` and "
        "open http://127.0.0.1:8000/ (README: The service)."
    )


def main() -> None:
    """Console-script entry point."""
    app(prog_name="riskkit")


if __name__ == "__main__":  # pragma: no cover
    main()

"""``riskkit monitor overrides``: override rates by group and by case worker, flagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["monitor_overrides"]


def monitor_overrides(
    log: Annotated[
        str, typer.Option(help="The score log (SQLAlchemy URL).")
    ] = "sqlite:///scores.db",
    model: Annotated[
        str | None,
        typer.Option(
            help="The registered model (NAME@ALIAS) whose bands and [monitoring] thresholds "
            "to use; without it, overrides are not split by direction and defaults apply."
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First date (YYYY-MM-DD), inclusive.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last date (YYYY-MM-DD), inclusive.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the comparison as JSON.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Override rates by protected group and by case worker against the rest, flagged where
    they differ beyond the pipeline's monitoring thresholds (exit 1 when any is flagged)."""
    from riskkit.audit_log import ScoreLog
    from riskkit.config import MonitoringConfig
    from riskkit.errors import RiskkitError
    from riskkit.monitoring.overrides import compare_override_rates

    try:
        config = MonitoringConfig()
        bands = None
        if model is not None:
            from riskkit.tracking import load_model

            pipeline = load_model(model).config
            config, bands = pipeline.monitoring, pipeline.band_names()
        # counting needs no person ids, so no pseudonym key is needed to read the log
        with ScoreLog(log, pseudonym_key=None, pseudonymise=False) as score_log:
            rates = score_log.override_rates(start=start, end=end, band_order=bands)
    except RiskkitError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    comparisons = compare_override_rates(rates, config)
    flagged = [c for c in comparisons if c.flagged]
    document = {
        "log": log,
        "model": model,
        "from": start,
        "to": end,
        "thresholds": {
            "override_rate_gap": config.override_rate_gap,
            "p_value": config.p_value,
            "min_scores": config.min_scores,
        },
        "comparisons": [c.to_dict() for c in comparisons],
        "flagged": len(flagged),
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(document, ensure_ascii=False))
    else:
        typer.echo(
            f"{'attribute':<14} {'group':<22} {'measure':<10} {'scores':>7} "
            f"{'rate':>7} {'rest':>7} {'p':>8}"
        )
        for c in comparisons:
            if c.measure == "moved_up" and bands is None:
                continue
            mark = "  FLAG" if c.flagged else ""
            typer.echo(
                f"{c.attribute:<14} {c.group[:22]:<22} {c.measure:<10} {c.n_scores:>7} "
                f"{c.rate:>7.1%} {c.rest_rate:>7.1%} {c.p_value:>8.2g}{mark}"
            )
        typer.echo(
            f"{len(flagged)} flagged (gap over {config.override_rate_gap:.0%} and p < "
            f"{config.p_value}, at least {config.min_scores} scores on each side)"
        )
    if flagged:
        raise typer.Exit(1)

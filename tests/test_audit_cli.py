"""`riskkit audit` on an existing score column, and `riskkit audit sign` / `verify`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskkit.cli import app
from riskkit.fairness.signoff import read_signoffs

runner = CliRunner()


def _scores_file(folder: Path) -> Path:
    """400 people with a 1-10 score, an outcome, race and sex; two rows cannot be audited."""
    rng = np.random.default_rng(3)
    n = 400
    score = rng.integers(1, 11, size=n)
    outcome = (rng.random(n) < score / 12).astype(int)
    frame = pd.DataFrame(
        {
            "decile": score.astype(object),
            "recid": outcome.astype(object),
            "race": rng.choice(["A", "B"], size=n),
            "sex": rng.choice(["F", "M"], size=n),
        }
    )
    frame.loc[5, "recid"] = "unknown"
    frame.loc[9, "decile"] = None
    path = folder / "scores.csv"
    frame.to_csv(path, index=False)
    return path


def _audit(data: Path, out: Path, *extra: str) -> object:
    return runner.invoke(
        app,
        [
            "audit",
            "--data",
            str(data),
            "--score-column",
            "decile",
            "--label",
            "recid",
            "--threshold",
            "5",
            "--sensitive",
            "race,sex",
            "--resamples",
            "100",
            "--out",
            str(out),
            *extra,
        ],
    )


def test_score_column_audit_writes_every_file_and_counts_rejects(tmp_path: Path) -> None:
    data = _scores_file(tmp_path)
    result = _audit(data, tmp_path / "audit", "--purpose", "punitive", "--lang", "pt")
    assert result.exit_code == 0, result.output
    assert "audited 398 of 400 records at threshold 5" in result.output
    report = json.loads((tmp_path / "audit" / "audit.json").read_text(encoding="utf-8"))
    assert report["schema_version"] == "2"
    assert report["n"] == 398
    assert report["metadata"]["records"] == {"read": 400, "audited": 398, "rejected": 2}
    assert report["lead_metric"] == "fpr"
    assert {g["attribute"] for g in report["groups"]} == {"race", "sex", "race × sex"}
    rejects = pd.read_csv(tmp_path / "audit" / "rejects.csv")
    assert sorted(rejects["reason"]) == ["decile: missing or not a number", "recid: not 0/1"]
    html = (tmp_path / "audit" / "audit.html").read_text(encoding="utf-8")
    assert "Auditoria de equidade" in html


def test_score_column_audit_names_a_missing_column(tmp_path: Path) -> None:
    data = _scores_file(tmp_path)
    result = runner.invoke(
        app,
        [
            "audit",
            "--data",
            str(data),
            "--score-column",
            "decil",
            "--label",
            "recid",
            "--threshold",
            "5",
            "--sensitive",
            "race",
            "--out",
            str(tmp_path / "audit"),
        ],
    )
    assert result.exit_code == 1
    assert "score column 'decil' is not in" in result.output
    assert "did you mean 'decile'?" in result.output


def test_audit_needs_exactly_one_thing_to_audit(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "--data", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "--model NAME@ALIAS" in result.output and "--score-column" in result.output


def test_sign_records_the_hash_and_verify_detects_a_change(tmp_path: Path) -> None:
    out = tmp_path / "audit"
    assert _audit(_scores_file(tmp_path), out).exit_code == 0
    unsigned = runner.invoke(app, ["audit", "verify", str(out)])
    assert unsigned.exit_code == 1 and "not signed yet" in unsigned.output

    signed = runner.invoke(
        app,
        [
            "audit",
            "sign",
            str(out),
            "--auditor",
            "Ana Souza",
            "--decision",
            "approve",
            "--comment",
            "Gaps within tolerance.",
            "--lang",
            "es",
        ],
    )
    assert signed.exit_code == 0, signed.output
    (signoff,) = read_signoffs(out)
    assert signoff.auditor == "Ana Souza" and signoff.decision == "approve"
    html = (out / "audit.html").read_text(encoding="utf-8")
    assert "Ana Souza" in html and "aprobada" in html and signoff.audit_sha256 in html
    assert runner.invoke(app, ["audit", "verify", str(out)]).exit_code == 0

    report = out / "audit.json"
    report.write_text(report.read_text(encoding="utf-8").replace('"n": 398', '"n": 399'))
    changed = runner.invoke(app, ["audit", "verify", str(out)])
    assert changed.exit_code == 1
    assert "CHANGED" in changed.output and "Ana Souza" in changed.output


def test_sign_refuses_an_unknown_decision(tmp_path: Path) -> None:
    out = tmp_path / "audit"
    assert _audit(_scores_file(tmp_path), out).exit_code == 0
    result = runner.invoke(
        app, ["audit", "sign", str(out), "--auditor", "Ana", "--decision", "maybe"]
    )
    assert result.exit_code == 1
    assert "decision 'maybe' is not one of approve, reject" in result.output
    assert read_signoffs(out) == ()


def test_propublica_error_rates_reproduced_from_the_command_line(
    data_root: Path, tmp_path: Path
) -> None:
    # ProPublica (2016), all 7,214 rows of the two-year file, decile_score >= 5 as "high risk":
    # FPR 44.85% and FNR 27.99% for Black defendants, FPR 23.45% and FNR 47.72% for white ones.
    source = data_root / "compas" / "compas-scores-two-years.csv"
    result = runner.invoke(
        app,
        [
            "audit",
            "--data",
            str(source),
            "--score-column",
            "decile_score",
            "--label",
            "two_year_recid",
            "--threshold",
            "5",
            "--sensitive",
            "race",
            "--reference",
            "race=Caucasian",
            "--purpose",
            "punitive",
            "--resamples",
            "200",
            "--out",
            str(tmp_path / "compas"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "compas" / "audit.json").read_text(encoding="utf-8"))
    assert report["n"] == 7214
    groups = {g["group"]: g for g in report["groups"] if g["attribute"] == "race"}
    black, white = groups["African-American"], groups["Caucasian"]
    assert round(100 * black["fpr"]["value"], 2) == pytest.approx(44.85)
    assert round(100 * black["fnr"]["value"], 2) == pytest.approx(27.99)
    assert round(100 * white["fpr"]["value"], 2) == pytest.approx(23.45)
    assert round(100 * white["fnr"]["value"], 2) == pytest.approx(47.72)
    assert white["is_reference"]
    # The FPR gap is the report's lead flag (punitive use).
    first = report["flags"][0]
    assert (first["group"], first["metric"]) == ("African-American", "fpr")
    assert "flag: race = African-American: fpr" in result.output

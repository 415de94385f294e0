"""The notebooks run from top to bottom without error (they are documentation that must not rot)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Execute a notebook; return the text of its outputs (after checking none is an error)."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    return json.dumps(
        [o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs]
    )


def test_analyst_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _run(ROOT / "notebooks" / "analyst_retrain.ipynb", tmp_path, monkeypatch)
    assert "recidivism v 1" in text  # the retrained model was registered
    assert "additive" in text and "lightgbm" in text  # the comparison table printed


def test_auditor_notebook_runs(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _run(ROOT / "notebooks" / "auditor_review.ipynb", tmp_path, monkeypatch)
    assert "COMPAS decile" in text and "riskkit" in text  # the side-by-side table printed
    assert "african_american" in text
    assert "unchanged since signed: True" in text  # the audit was written, signed, verified


def test_notebooks_are_committed_without_outputs() -> None:
    assert NOTEBOOKS, "no notebook found"
    for path in NOTEBOOKS:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def test_case_worker_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _run(ROOT / "notebooks" / "case_worker_report.ipynb", tmp_path, monkeypatch)
    assert "sum of the factors" in text  # the explanation adds up
    assert "waterfall drawn" in text and "supervision:" in text
    assert "final_band" in text and "report written" in text  # the override was recorded

"""The command line must start fast: heavy packages are imported only by the commands that
need them. (The time itself is measured by benchmarks/cli_startup.py, not here.)"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "lightgbm", "mlflow", "sklearn", "fairlearn", "shap", "pydantic")


def test_help_imports_no_heavy_package() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from riskkit.cli import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "riskkit.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("demo", "data", "train", "score", "audit"):
        assert command in out.stdout

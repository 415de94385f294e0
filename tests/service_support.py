"""What the service tests share: an in-process app on a small model, and a real ``riskkit
serve`` process on a trained, registered model."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("analyst", "case_worker", "auditor", "admin")
#: The pseudonym key the test servers use (hex, 32 bytes).
TEST_LOG_KEY = "ab" * 32


@dataclass
class ServiceSetting:
    """An app on a small in-memory model, its log and one key per role (and a second case
    worker, ``case_worker_2``)."""

    app: Any
    engine: Any
    keys: dict[str, str]
    records: list[dict[str, object]]
    folder: Path

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def build_service(
    folder: Path, *, max_records: int = 1000, max_body_bytes: int = 2_000_000
) -> ServiceSetting:
    """An app serving a small risk model (fitted in-process, no MLflow) with its score log in
    ``folder``; records are raw synthetic cases as a client would send them."""
    from riskkit.audit_log import ScoreLog
    from riskkit.service.app import create_app
    from riskkit.service.engine import ScoringEngine, ServiceSettings
    from riskkit.service.keys import KeyStore
    from tests.conftest import small_scoring_setting

    model, _cases = small_scoring_setting(folder, trees=30, train_rows=3000, case_rows=40, seed=11)
    with (folder / "cases.csv").open(encoding="utf-8") as handle:
        records: list[dict[str, object]] = [dict(row) for row in csv.DictReader(handle)]
    settings = ServiceSettings(
        log_url=f"sqlite:///{folder / 'scores.db'}",
        keys_path=folder / "keys.json",
        audit_dirs=(folder / "audits",),
        language="en",
        max_records=max_records,
        max_body_bytes=max_body_bytes,
        session_secret="test-session-secret",
        secure_cookies=False,
    )
    log = ScoreLog(settings.log_url, pseudonym_key=bytes.fromhex(TEST_LOG_KEY))
    engine = ScoringEngine(settings, log, models=[model])
    store = KeyStore(settings.keys_path)
    keys = {role: store.create(f"{role}-user", role)[1] for role in ROLES}
    keys["case_worker_2"] = store.create("second-case-worker", "case_worker")[1]
    return ServiceSetting(
        app=create_app(settings, engine), engine=engine, keys=keys, records=records, folder=folder
    )


# -- a real server ---------------------------------------------------------------------------
def train_registered_model(folder: Path) -> dict[str, str]:
    """Train the recidivism pipeline (small) into an MLflow store in ``folder``; returns the
    environment a server or CLI needs to use it."""
    text = (ROOT / "pipelines" / "recidivism.toml").read_text(encoding="utf-8")
    text = text.replace("n_estimators = 400", "n_estimators = 60")
    (folder / "pipeline.toml").write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}",
        "RISKKIT_LOG_KEY": TEST_LOG_KEY,
        "PYTHONWARNINGS": "ignore",
    }
    riskkit = [sys.executable, "-m", "riskkit.cli"]
    for command in (
        ["data", "synth", "--rows", "3000", "--seed", "5", "--out", "train.csv"],
        ["data", "synth", "--rows", "60", "--seed", "6", "--out", "cases.csv"],
        ["train", "pipeline.toml", "--data", "train.csv"],
    ):
        subprocess.run(
            riskkit + command, cwd=folder, env=env, check=True, capture_output=True, timeout=600
        )
    return env


def create_key(folder: Path, env: dict[str, str], role: str, name: str) -> str:
    """``riskkit keys create`` in ``folder``: the key (the last line printed)."""
    done = subprocess.run(
        [sys.executable, "-m", "riskkit.cli", "keys", "create", "--role", role, "--name", name],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running_server(
    folder: Path, env: dict[str, str], *extra: str, timeout: float = 120.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``riskkit serve`` in ``folder`` on a free port; yields its base URL and process, and
    stops it (SIGTERM, then SIGKILL) afterwards. Its output goes to ``folder/server.log``."""
    port = free_port()
    output = (folder / "server.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "riskkit.cli",
            "serve",
            "--port",
            str(port),
            "--lang",
            "en",
            "--no-secure-cookies",
            *extra,
        ],
        cwd=folder,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"riskkit serve exited with {process.returncode}; see {folder / 'server.log'}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"riskkit serve did not answer in {timeout:.0f} s")
            time.sleep(0.3)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.close()

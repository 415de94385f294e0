"""A real ``riskkit serve`` killed while a batch is being scored loses the whole batch or none
of it, and serves on after a restart with its log's chain intact; concurrent clients all land
in the log."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from riskkit.audit_log import ScoreLog
from tests.service_support import TEST_LOG_KEY, create_key, running_server, train_registered_model

pytestmark = pytest.mark.slow

BATCH = 1000


@dataclass(frozen=True)
class Trained:
    """A folder with a trained, registered model, its environment and a case worker's key."""

    folder: Path
    env: dict[str, str]
    key: str
    batch: list[dict[str, Any]]
    cases: list[dict[str, Any]]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    folder = tmp_path_factory.mktemp("restart")
    env = train_registered_model(folder)
    synth = ["data", "synth", "--rows", str(BATCH), "--seed", "7", "--out", "batch.csv"]
    subprocess.run(
        [sys.executable, "-m", "riskkit.cli", *synth],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    key = create_key(folder, env, "case_worker", "restart-worker")
    return Trained(folder, env, key, _rows(folder / "batch.csv"), _rows(folder / "cases.csv"))


def _entries(url: str) -> int:
    with ScoreLog(url, pseudonym_key=bytes.fromhex(TEST_LOG_KEY)) as log:
        return len(log)


def _verify(trained: Trained, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "riskkit.cli", "log", "verify", "--log", url],
        cwd=trained.folder,
        env=trained.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass
class _InFlight:
    """A batch request sent from a thread: set ``sent`` once its body is out."""

    sent: threading.Event = field(default_factory=threading.Event)
    status: int | None = None
    error: BaseException | None = None

    def send(self, url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        def trace(event: str, _info: Mapping[str, Any]) -> None:
            if event == "http11.send_request_body.complete":
                self.sent.set()

        try:
            with httpx.Client(timeout=120) as client:
                response = client.post(url, json=body, headers=headers, extensions={"trace": trace})
            self.status = response.status_code
        except httpx.HTTPError as error:  # the server died under the request
            self.error = error


def _wait_for_write_lock(database: Path, finished: Callable[[], bool], *, held: bool) -> bool:
    """Poll until another connection holds ``database``'s write lock (``held``: the server is
    in its append transaction) or holds it no more (not ``held``: the transaction is over);
    False when ``finished()`` first."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        while not finished():
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    raise
                if held:
                    return True
            else:
                probe.execute("ROLLBACK")
                if not held:
                    return True
            time.sleep(0.001)
        return False
    finally:
        probe.close()


@pytest.mark.parametrize("when", ["after-0.3s", "in-the-transaction", "after-the-commit"])
def test_a_killed_server_logs_the_whole_batch_or_none(trained: Trained, when: str) -> None:
    database = trained.folder / f"killed-{when}.db"
    url = f"sqlite:///{database}"
    request = _InFlight()
    with running_server(trained.folder, trained.env, "--log", url) as (base, process):
        sender = threading.Thread(
            target=request.send,
            args=(f"{base}/v1/score", {"records": trained.batch}, trained.headers),
        )
        sender.start()
        assert request.sent.wait(timeout=60), "the batch was never sent"

        def answered() -> bool:
            return not sender.is_alive()

        seen: list[bool] = []
        if when == "after-0.3s":
            time.sleep(0.3)
        else:  # the moment the server begins the transaction that appends the batch
            seen.append(_wait_for_write_lock(database, answered, held=True))
        if when == "after-the-commit":  # ... and the moment it has committed it
            seen.append(_wait_for_write_lock(database, answered, held=False))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        sender.join(timeout=60)
        assert not sender.is_alive()
    assert process.returncode == -signal.SIGKILL

    with running_server(trained.folder, trained.env, "--log", url) as (base, _process):
        verified = _verify(trained, url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        logged = _entries(url)
        # shown with pytest -rP: where the kill landed
        print(f"answer {request.status}, write lock held/released {seen}, {logged} entries")
        assert logged in (0, BATCH), f"a partial batch was logged: {logged} of {BATCH}"
        if when == "after-the-commit" and all(seen):
            assert logged == BATCH
        if request.status is not None:  # answered before the kill: committed, all of it
            assert request.status == 200
            assert logged == BATCH
        else:
            assert request.error is not None
        after = httpx.post(
            f"{base}/v1/score",
            json={"records": [trained.cases[0]]},
            headers=trained.headers,
            timeout=60,
        )
        assert after.status_code == 200, after.text
        assert after.json()["results"][0]["entry_id"] == logged + 1
    verified = _verify(trained, url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{logged + 1} entries" in verified.stdout
    assert _entries(url) == logged + 1


def test_concurrent_single_records_all_land_in_the_log(trained: Trained) -> None:
    url = f"sqlite:///{trained.folder / 'concurrent.db'}"
    threads, per_thread = 4, 25
    statuses: list[list[int]] = [[] for _ in range(threads)]
    entry_ids: list[list[int]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []

    def client(number: int, base: str) -> None:
        try:
            with httpx.Client(base_url=base, headers=trained.headers, timeout=120) as http:
                for i in range(per_thread):
                    record = trained.cases[(number * per_thread + i) % len(trained.cases)]
                    response = http.post("/v1/score", json={"records": [record]})
                    statuses[number].append(response.status_code)
                    if response.status_code == 200:
                        entry_ids[number] += [r["entry_id"] for r in response.json()["results"]]
        except Exception as error:  # reported by the assertion below
            failures.append(error)

    with running_server(trained.folder, trained.env, "--log", url) as (base, _process):
        workers = [threading.Thread(target=client, args=(n, base)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=600)
        assert not any(worker.is_alive() for worker in workers)
    assert failures == []
    assert [s for per in statuses for s in per] == [200] * (threads * per_thread)
    ids = sorted(i for per in entry_ids for i in per)
    assert ids == list(range(1, threads * per_thread + 1))
    assert _entries(url) == threads * per_thread
    verified = _verify(trained, url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{threads * per_thread} entries" in verified.stdout

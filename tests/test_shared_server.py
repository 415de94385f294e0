"""The team set-up of docs/team_setup.md, for real: PostgreSQL on loopback as the backend store
of an ``mlflow server`` with a local artifact root; ``riskkit train`` and ``riskkit score``
through ``MLFLOW_TRACKING_URI=http://127.0.0.1:PORT``; and the score log in the same PostgreSQL
(``riskkit log verify``, ``export`` and ``replay``, and threads appending at once).

PostgreSQL runs as a throwaway cluster in a temporary folder (``initdb``, ``pg_ctl``), as the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root). Without the
server binaries the module is skipped: install Debian's ``postgresql`` package (``.ci/run``
does, as root). Every server started here is stopped, and its folder removed, even when a test
fails.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from riskkit.audit_log import GENESIS_HASH, ScoreLog
from riskkit.scoring.results import FactorContribution, ModelIdentity, ScoreResult
from tests.service_support import free_port
from tests.test_audit_log import (
    assert_long_values_are_refused,
    assert_one_keyed_append_among_racing_writers,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: The Debian package that provides initdb, pg_ctl and postgres.
DEBIAN_PACKAGE = "postgresql"
#: The cluster's superuser (trust authentication, loopback only: a test cluster, not a team's).
SUPERUSER = "riskkit"
LOG_KEY = "cd" * 32
TRAIN_ROWS, CASE_ROWS = 3000, 20
THREADS, APPENDS = 4, 25
RISKKIT = [sys.executable, "-m", "riskkit.cli"]


# -- PostgreSQL ------------------------------------------------------------------------------
def _postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres of one PostgreSQL version: initdb's on
    PATH when there is one, else Debian's newest ``/usr/lib/postgresql/<version>/bin``."""
    folders = []
    on_path = shutil.which("initdb")
    if on_path:
        folders.append(Path(on_path).resolve().parent)

    def version(folder: Path) -> int:
        name = folder.parent.name
        return int(name) if name.isdigit() else -1

    folders += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for folder in folders:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _cluster_owner() -> dict[str, Any]:
    """``subprocess`` options to run PostgreSQL as an unprivileged user: none when the tests
    are not root; the ``postgres`` user (Debian's package creates it) when they are."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip(
            "the tests run as root, which PostgreSQL refuses, and there is no 'postgres' user "
            f"to run it as: install Debian's {DEBIAN_PACKAGE} package (it creates one; .ci/run "
            "does) or create a system user named postgres"
        )
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass(frozen=True)
class Postgres:
    """A running cluster on 127.0.0.1."""

    port: int

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database (MLflow and the score log both take it)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database; its SQLAlchemy URL."""
        dsn = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


@contextlib.contextmanager
def _running_postgres(binaries: Path) -> Iterator[Postgres]:
    """initdb a cluster in a new temporary folder, start it on a free loopback port; stop it
    and remove the folder afterwards, whatever happened."""
    owner = _cluster_owner()
    # not under pytest's tmp_path: its folders are private to the user running the tests, and
    # the cluster's owner must be able to reach its data folder
    folder = Path(tempfile.mkdtemp(prefix="riskkit-pg-"))
    data, socket_dir = folder / "data", folder / "socket"
    socket_dir.mkdir()
    if owner:
        for path in (folder, socket_dir):
            os.chown(path, owner["user"], owner["group"])

    def pg(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binaries / args[0]), *args[1:]],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **owner,
        )

    port = free_port()
    started = False
    try:
        done = pg(
            "initdb",
            "--pgdata",
            str(data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}\n{done.stderr}"
        options = f"-h 127.0.0.1 -p {port} -k '{socket_dir}' -c fsync=off"  # read by sh
        start = pg(
            "pg_ctl",
            "--pgdata",
            str(data),
            "--log",
            str(folder / "postgres.log"),
            "--options",
            options,
            "--wait",
            "--timeout",
            "60",
            "start",
        )
        started = start.returncode == 0
        log_file = folder / "postgres.log"
        server_log = log_file.read_text(encoding="utf-8") if log_file.is_file() else ""
        assert started, f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n{server_log}"
        yield Postgres(port)
    finally:
        if started or (data / "postmaster.pid").is_file():
            stop = pg("pg_ctl", "--pgdata", str(data), "--mode", "fast", "--wait", "stop")
            if stop.returncode != 0 and (data / "postmaster.pid").is_file():
                # SIGQUIT: PostgreSQL's immediate shutdown (the postmaster stops its children)
                pid = int((data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)
        shutil.rmtree(folder, ignore_errors=True)


# -- the MLflow tracking server --------------------------------------------------------------
@dataclass(frozen=True)
class Server:
    """PostgreSQL, and an MLflow tracking server using it, with its local artifact root."""

    postgres: Postgres
    tracking_uri: str
    mlflow_database: str
    artifacts: Path
    folder: Path


@contextlib.contextmanager
def _running_mlflow(
    folder: Path, backend: str, artifacts: Path, timeout: float = 120.0
) -> Iterator[str]:
    """``mlflow server`` on a free loopback port, its output in ``folder/mlflow-server.log``;
    yields its URL and stops it (its whole process group: SIGTERM, then SIGKILL)."""
    port = free_port()
    log_path = folder / "mlflow-server.log"
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend,
        "--artifacts-destination",
        str(artifacts),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=folder,
            # MLflow's job runner (a pool of huey consumers for its GenAI evaluation jobs) is
            # not used by riskkit; off, the server starts faster and with fewer processes
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise AssertionError(
                        f"mlflow server exited with {process.returncode}:\n"
                        + log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise AssertionError(f"mlflow server did not answer in {timeout:.0f} s")
                time.sleep(0.3)
            yield url
        finally:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip(
            "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found on PATH or "
            f"under /usr/lib/postgresql/*/bin: install the Debian package {DEBIAN_PACKAGE} "
            f"(apt-get install {DEBIAN_PACKAGE}; .ci/run does this as root)"
        )
    with _running_postgres(binaries) as running:
        yield running


@pytest.fixture(scope="module")
def server(postgres: Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("team")
    artifacts = folder / "artifacts"
    backend = postgres.create_database("mlflow")
    with _running_mlflow(folder, backend, artifacts) as url:
        yield Server(postgres, url, backend, artifacts, folder)


# -- riskkit through the server --------------------------------------------------------------
def _env(server: Server) -> dict[str, str]:
    return {**os.environ, "MLFLOW_TRACKING_URI": server.tracking_uri, "RISKKIT_LOG_KEY": LOG_KEY}


def _riskkit(server: Server, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*RISKKIT, *args],
        cwd=server.folder,
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"riskkit {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def trained(server: Server) -> dict[str, Any]:
    """``riskkit train`` of a small recidivism pipeline through the server; its JSON summary."""
    text = (ROOT / "pipelines" / "recidivism.toml").read_text(encoding="utf-8")
    assert "n_estimators = 400" in text and "[uncertainty]" not in text
    # fewer trees and no bootstrap refits for the uncertainty interval: a quick model
    text = text.replace("n_estimators = 400", "n_estimators = 60")
    text += "\n[uncertainty]\nn_bootstrap = 0\n"
    (server.folder / "pipeline.toml").write_text(text, encoding="utf-8")
    for name, rows, seed in (("train.csv", TRAIN_ROWS, 5), ("cases.csv", CASE_ROWS, 6)):
        _riskkit(server, "data", "synth", "--rows", str(rows), "--seed", str(seed), "--out", name)
    done = _riskkit(server, "train", "pipeline.toml", "--data", "train.csv", "--json")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def test_training_registers_the_model_on_the_server_with_its_alias(
    server: Server, trained: dict[str, Any]
) -> None:
    from mlflow.tracking import MlflowClient

    assert trained["promoted"] is True, trained["promotion"]
    card = (server.folder / trained["output_dir"] / "model_card.md").read_text(encoding="utf-8")
    assert f"in `{server.tracking_uri}`" in card  # the run went to the server
    client = MlflowClient(tracking_uri=server.tracking_uri)
    champion = client.get_model_version_by_alias("recidivism", "champion")
    assert int(champion.version) == trained["version"] == 1
    assert champion.run_id == trained["run_id"]
    tags = client.get_model_version("recidivism", champion.version).tags
    assert re.fullmatch(r"[0-9a-f]{64}", tags["sha256_booster.txt"])
    # the registry lives in PostgreSQL, not in a file beside the server
    engine = sa.create_engine(server.mlflow_database)
    try:
        with engine.connect() as conn:
            aliases = conn.execute(
                sa.text("SELECT alias, version FROM registered_model_aliases WHERE name = :name"),
                {"name": "recidivism"},
            ).all()
    finally:
        engine.dispose()
    assert [(a, int(v)) for a, v in aliases] == [("champion", 1)]
    assert not list(server.folder.glob("*.db")) and not (server.folder / "mlruns").exists()
    # the artifacts went through the server into its local artifact root
    stored = {path.name for path in server.artifacts.rglob("*") if path.is_file()}
    assert {"booster.txt", "model.json", "pipeline.json", "hashes.json"} <= stored
    assert client.get_run(trained["run_id"]).info.artifact_uri.startswith("mlflow-artifacts:/")


def test_scoring_through_the_server_logs_to_postgres(
    server: Server, trained: dict[str, Any]
) -> None:
    log = server.postgres.create_database("scores")
    done = _riskkit(
        server,
        "score",
        "--model",
        "recidivism@champion",
        "--input",
        "cases.csv",
        "--out",
        "scored",
        "--no-html",
        "--json",
        "--log",
        log,
        "--user",
        "ana",
    )
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["scored"], summary["rejected"]) == (CASE_ROWS, 0)
    verify = _riskkit(server, "log", "verify", "--log", log)
    assert f"score log intact: {CASE_ROWS} entries" in verify.stdout
    export = _riskkit(server, "log", "export", "--out", "export.csv", "--log", log)
    assert f"{CASE_ROWS} entries written" in export.stdout
    with (server.folder / "export.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["id"]) for row in rows] == list(range(1, CASE_ROWS + 1))
    assert {(r["model_name"], r["model_version"], r["model_alias"]) for r in rows} == {
        ("recidivism", str(trained["version"]), "champion")
    }
    assert {r["user"] for r in rows} == {"ana"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["person"]) for r in rows)  # pseudonymised
    # the logged score is reproduced with the version loaded back from the server
    replay = _riskkit(server, "log", "replay", "1", "--log", log)
    assert "matches" in replay.stdout and "DOES NOT" not in replay.stdout


def _result(person: str) -> ScoreResult:
    return ScoreResult(
        person_id=person,
        probability=0.42,
        band="medium",
        reference_probability=0.35,
        outcome="rearrest_24m",
        contributions=(FactorContribution("prior_convictions", 3, 0.05, False),),
        model=ModelIdentity(name="recidivism", version=1, alias="champion"),
        scored_at="2026-01-15T09:30:00+00:00",
    )


@pytest.mark.parametrize("shared", [True, False], ids=["one-log-shared", "one-log-per-thread"])
def test_threads_appending_at_once_keep_one_chain_on_postgres(
    postgres: Postgres, shared: bool
) -> None:
    """4 threads x 25 appends, all at once, on a new database: through one shared ScoreLog
    (as the service does), or each thread opening its own (as separate processes do, the new
    log included). Each append locks the head row (SELECT ... FOR UPDATE), so none fails and
    the chain does not fork."""
    url = postgres.create_database(f"scores_{'shared' if shared else 'per_thread'}")
    key = bytes.fromhex(LOG_KEY)
    errors: list[BaseException] = []
    ready = threading.Barrier(THREADS)
    common = ScoreLog(url, pseudonym_key=key) if shared else None

    def write(writer: int) -> None:
        try:
            ready.wait(timeout=30)
            # (not `common or ...`: an empty ScoreLog is falsy, it has a length)
            log = ScoreLog(url, pseudonym_key=key) if common is None else common
            try:
                for i in range(APPENDS):
                    log.append_score(
                        _result(f"T{writer}-{i}"),
                        user=f"writer{writer}",
                        role="case_worker",
                        record={"prior_convictions": 3},
                    )
            finally:
                if common is None:
                    log.close()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if common is not None:
        common.close()
    assert not errors, errors
    with ScoreLog(url, pseudonym_key=key) as log:
        check = log.verify()
        assert check.ok and check.entries == THREADS * APPENDS == len(log), str(check)
        entries = list(log.entries())
        assert [e.id for e in entries] == list(range(1, THREADS * APPENDS + 1))
        assert entries[0].prev_hash == GENESIS_HASH
        assert log.head() == (THREADS * APPENDS, entries[-1].entry_hash)
        for writer in range(THREADS):
            mine = [e for e in entries if e.user == f"writer{writer}"]
            # each thread's appends are all there, in the order it made them
            assert [e.person for e in mine] == [
                log.pseudonym(f"T{writer}-{i}") for i in range(APPENDS)
            ]


@pytest.mark.parametrize("length", [200, 201])
def test_postgres_refuses_the_same_long_values_as_sqlite(postgres: Postgres, length: int) -> None:
    """Without the log's own check PostgreSQL would raise its own error (value too long for
    the column) where SQLite stores the value: now both refuse it with the same message."""
    url = postgres.create_database(f"scores_long_{length}")
    with ScoreLog(url, pseudonym_key=None, pseudonymise=False) as log:
        assert_long_values_are_refused(log, length)


def test_writers_racing_with_one_key_log_it_once_on_postgres(postgres: Postgres) -> None:
    """The request key is looked up after the head row is locked, so on PostgreSQL too one
    writer appends a retried request and the others find it."""
    url = postgres.create_database("scores_request_keys")
    key = bytes.fromhex(LOG_KEY)
    assert_one_keyed_append_among_racing_writers(lambda: ScoreLog(url, pseudonym_key=key))

"""Load on a real ``riskkit serve``: concurrent clients scoring one record per request.

Starts ``riskkit serve`` (one uvicorn process) on a trained, registered model and, on loopback:

* ``--clients`` (50) clients each send ``POST /v1/score`` with one record (a row of the
  folder's ``cases.csv``) and a case worker's key, again and again, for ``--seconds`` (30);
* then the same clients send ``GET /healthz`` for as long: the reference, what HTTP and the
  server cost without scoring (it reads the score log's head and nothing else).

Each request is timed from send to the whole response; any answer other than 200 (or a score
answer without exactly one result), and any exception (a client timeout included), is an error.

The clients share one asyncio event loop in this process, each with its own keep-alive
connection, so client and server share the machine's cores; the client's own CPU use is
printed beside the server's, and each phase says which side was the limit. By default each
client is a minimal HTTP/1.1 connection on asyncio streams (about 0.3 ms of CPU a request on a
2-core machine); ``--client httpx`` uses one ``httpx.AsyncClient`` per client instead, which
costs about 4 ms of CPU a request there and so limits the healthz reference itself (compare the
two to see it).

After the run the server is stopped, the log's chain is checked with ``riskkit log verify`` and
its new entries are counted: one per successful score request (warm-up requests included).

Targets: p95 under 50 ms for one record's JSON result, and zero errors. The ratio of the
scoring p95 to the healthz p95 (same clients, same run) is printed as well: how much scoring
adds to the cost of HTTP and the server alone. Each client sends its next request as soon as
the last is answered, so requests queue at the server and a request's latency is about
clients / throughput (Little's law): with 50 clients, a p95 under 50 ms needs the server to
answer about 1,000 requests a second.

Run: ``.venv/bin/python benchmarks/service_load.py [--seconds 30] [--clients 50]
[--folder DIR] [--client wire|httpx] [--json]``. Without ``--folder`` a small model is trained
into a temporary folder first (about half a minute); a folder given is reused when it holds
``mlflow.db`` and ``cases.csv`` from an earlier run (or tests/service_support's
``train_registered_model``), and trained into otherwise. With ``--json`` the table goes to
stderr and stdout gets one JSON object. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import math
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.service_support import (  # noqa: E402  (the repository root is on the path only now)
    TEST_LOG_KEY,
    create_key,
    running_server,
    train_registered_model,
)

from riskkit.audit_log import ScoreLog  # noqa: E402

TARGET_P95_MS = 50.0
WARMUP_REQUESTS = 5
#: A uvicorn process using this much CPU is the limit (Python runs one thread at a time).
SERVER_BOUND_CORES = 0.8

#: One request: method, path, JSON body (bytes) or None.
Call = tuple[str, str, bytes | None]


# -- clients ------------------------------------------------------------------------------------
class Connection(Protocol):
    async def send(self, call: Call) -> tuple[int, bytes]: ...

    async def close(self) -> None: ...


class WireConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: just enough HTTP for this
    benchmark (Content-Length or chunked bodies, ``Connection: close``), and cheap, so that the
    load generator spends little of the cores it shares with the server."""

    def __init__(self, base: str, headers: dict[str, str], timeout: float) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, call: Call) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(call)
        except BaseException:
            await self.close()  # a half-read answer leaves the connection unusable
            raise

    async def _exchange(self, call: Call) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        method, path, body = call
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write((head + "\r\n").encode("latin-1") + (body or b""))
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        if "content-length" in fields:
            answer = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding") == "chunked":
            answer = await self._chunked()
        else:
            answer = await self.reader.read()
            fields["connection"] = "close"
        if fields.get("connection") == "close":
            await self.close()
        return status, answer

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        chunks: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            chunks.append((await self.reader.readexactly(size + 2))[:-2])

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class HttpxConnection:
    """One ``httpx.AsyncClient`` (one keep-alive connection) per client."""

    def __init__(self, base: str, headers: dict[str, str], timeout: float) -> None:
        self.client = httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout)

    async def send(self, call: Call) -> tuple[int, bytes]:
        method, path, body = call
        headers = {"Content-Type": "application/json"} if body is not None else None
        response = await self.client.request(method, path, content=body, headers=headers)
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


CLIENTS: dict[str, Callable[[str, dict[str, str], float], Connection]] = {
    "wire": WireConnection,
    "httpx": HttpxConnection,
}


# -- measuring ----------------------------------------------------------------------------------
@dataclass
class Phase:
    """What one endpoint's run gave."""

    name: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The nearest-rank percentile of the successful requests' latencies (NaN if none)."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.nan
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def cores(self, cpu_seconds: float) -> float:
        return cpu_seconds / self.seconds if self.seconds else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.ok + self.error_count,
            "ok": self.ok,
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(self.per_second, 2),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms, default=math.nan), 2),
            "client_cpu_cores": round(self.cores(self.client_cpu_s), 3),
            "server_cpu_cores": round(self.cores(self.server_cpu_s), 3),
        }


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc (Linux)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return math.nan
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Check = Callable[[int, bytes], str | None]


def plain_ok(status: int, _answer: bytes) -> str | None:
    """None for a good answer, else what was wrong with it."""
    return None if status == 200 else f"HTTP {status}"


def one_score(status: int, answer: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}"
    if len(json.loads(answer)["results"]) != 1:
        return "not one result for one record"
    return None


async def run_phase(
    name: str,
    calls: Callable[[int, int], Call],
    check: Check,
    connect: Callable[[], Connection],
    *,
    clients: int,
    seconds: float,
    server_pid: int,
) -> Phase:
    """``clients`` connections sending ``calls(client, n)`` back to back until ``seconds``
    have passed; the requests under way then are waited for and counted."""
    phase = Phase(name)
    started = time.perf_counter()
    deadline = started + seconds

    async def client(number: int) -> None:
        connection = connect()
        sent = 0
        try:
            while time.perf_counter() < deadline:
                call = calls(number, sent)
                sent += 1
                begun = time.perf_counter()
                try:
                    status, answer = await connection.send(call)
                    problem = check(status, answer)
                except Exception as error:  # every failure is counted; none stops the run
                    problem = type(error).__name__
                if problem is None:
                    phase.latencies_ms.append(1000 * (time.perf_counter() - begun))
                else:
                    phase.errors[problem] += 1
        finally:
            await connection.close()

    client_cpu = time.process_time()
    server_cpu = process_cpu_seconds(server_pid)
    await asyncio.gather(*(client(n) for n in range(clients)))
    phase.seconds = time.perf_counter() - started
    phase.client_cpu_s = time.process_time() - client_cpu
    phase.server_cpu_s = process_cpu_seconds(server_pid) - server_cpu
    return phase


def log_entries(url: str) -> int:
    with ScoreLog(url, pseudonym_key=bytes.fromhex(TEST_LOG_KEY)) as log:
        return len(log)


def environment(folder: Path) -> dict[str, str]:
    """What ``train_registered_model`` returns, for a folder it trained before."""
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}",
        "RISKKIT_LOG_KEY": TEST_LOG_KEY,
        "PYTHONWARNINGS": "ignore",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per endpoint")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--folder", type=Path, help="a trained folder to reuse")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="wire", help="HTTP client")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout, s")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    folder = (args.folder or Path(tempfile.mkdtemp(prefix="riskkit-service-load-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "mlflow.db").is_file() and (folder / "cases.csv").is_file():
        env = environment(folder)
    else:
        say(f"training a small model into {folder} (about half a minute)")
        env = train_registered_model(folder)
    with (folder / "cases.csv").open(encoding="utf-8", newline="") as handle:
        bodies = [
            json.dumps({"records": [dict(row)]}).encode("utf-8") for row in csv.DictReader(handle)
        ]
    key = create_key(folder, env, "case_worker", f"load-{secrets.token_hex(4)}")
    log_url = f"sqlite:///{folder / 'scores.db'}"
    entries_before = log_entries(log_url) if (folder / "scores.db").is_file() else 0
    load_before = os.getloadavg()

    def score(number: int, sent: int) -> Call:
        return ("POST", "/v1/score", bodies[(number * 7 + sent) % len(bodies)])

    def healthz(_number: int, _sent: int) -> Call:
        return ("GET", "/healthz", None)

    async def measure(base: str, pid: int) -> tuple[int, Phase, Phase]:
        def connect() -> Connection:
            return CLIENTS[args.client](base, {"Authorization": f"Bearer {key}"}, args.timeout)

        warm_ok = 0
        warm = connect()
        try:  # the first requests import and cache things
            for sent in range(WARMUP_REQUESTS):
                warm_ok += one_score(*await warm.send(score(0, sent))) is None
                await warm.send(healthz(0, sent))
        finally:
            await warm.close()
        options = {"clients": args.clients, "seconds": args.seconds, "server_pid": pid}
        say(f"POST /v1/score: {args.clients} clients for {args.seconds:g} s")
        scoring = await run_phase("POST /v1/score (1 record)", score, one_score, connect, **options)
        say(f"GET /healthz: {args.clients} clients for {args.seconds:g} s")
        reference = await run_phase(
            "GET /healthz (reference)", healthz, plain_ok, connect, **options
        )
        return warm_ok, scoring, reference

    say(f"starting riskkit serve in {folder}")
    with running_server(folder, env) as (base, process):
        warm_ok, scoring, reference = asyncio.run(measure(base, process.pid))

    verified = subprocess.run(
        [sys.executable, "-m", "riskkit.cli", "log", "verify", "--log", log_url],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    verify_text = " ".join((verified.stdout.strip() or verified.stderr.strip()).splitlines()[-1:])
    added = log_entries(log_url) - entries_before
    expected = warm_ok + scoring.ok
    ratio = scoring.percentile(95) / reference.percentile(95)

    say(
        f"\nriskkit service load: python {platform.python_version()}, {os.cpu_count()} cores "
        f"shared by the {args.clients} clients ({args.client}, one asyncio process) and the "
        f"server (one uvicorn process); load average before the run {load_before[0]:.2f}"
    )
    say(
        "| endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| client CPU (cores) | server CPU (cores) |"
    )
    say("|---|---|---|---|---|---|---|---|---|---|")
    for phase in (scoring, reference):
        s = phase.summary()
        say(
            f"| {phase.name} | {s['requests']} | {s['errors']} | {s['requests_per_s']:.1f} "
            f"| {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} "
            f"| {s['client_cpu_cores']:.2f} | {s['server_cpu_cores']:.2f} |"
        )
    for phase in (scoring, reference):
        if phase.errors:
            say(f"errors in {phase.name}: {dict(phase.errors)}")
    say(f"scoring p95 / healthz p95: {ratio:.1f}x")
    queued_ms = 1000 * args.clients / scoring.per_second if scoring.per_second else math.inf
    say(
        f"closed loop: latency is about clients / throughput ({args.clients} / "
        f"{scoring.per_second:.1f} = {queued_ms:.0f} ms for scoring); a p95 under "
        f"{TARGET_P95_MS:.0f} ms with {args.clients} clients needs about "
        f"{1000 * args.clients / TARGET_P95_MS:,.0f} answers a second"
    )
    for phase in (scoring, reference):
        server, client = phase.cores(phase.server_cpu_s), phase.cores(phase.client_cpu_s)
        say(
            f"{phase.name}: server {server:.2f} cores, load generator {client:.2f}; "
            + (
                "the server was the limit (one process: about one core, the GIL)"
                if server >= SERVER_BOUND_CORES
                else "the server was NOT saturated: the load generator (or other load on the "
                "machine) limited this"
            )
        )
    say(
        f"score log: {added} new entries for {expected} successful score requests "
        f"({warm_ok} of them warm-up); riskkit log verify (exit {verified.returncode}): "
        f"{verify_text}"
    )
    checks = [
        (
            scoring.percentile(95) < TARGET_P95_MS,
            f"scoring p95 {scoring.percentile(95):.1f} ms < {TARGET_P95_MS:.0f} ms",
        ),
        (
            scoring.error_count == 0 and reference.error_count == 0,
            f"zero errors (scoring {scoring.error_count}, healthz {reference.error_count})",
        ),
        (
            added == expected and verified.returncode == 0,
            f"log entries {added} == successful score requests {expected}, chain verifies",
        ),
    ]
    for passed, text in checks:
        say(f"{'PASS' if passed else 'FAIL'}  {text}")
    if args.json:
        print(
            json.dumps(
                {
                    "clients": args.clients,
                    "client": args.client,
                    "seconds": args.seconds,
                    "cores": os.cpu_count(),
                    "load_average_before": load_before[0],
                    "score": scoring.summary(),
                    "healthz": reference.summary(),
                    "p95_ratio": round(ratio, 2),
                    "warmup_requests": warm_ok,
                    "log_entries_added": added,
                    "successful_score_requests": expected,
                    "chain_verifies": verified.returncode == 0,
                    "passed": all(passed for passed, _ in checks),
                }
            )
        )
    return 0 if all(passed for passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

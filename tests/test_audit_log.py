"""The hash-chained score log: appends, tampering, pseudonyms, export, replay, concurrency."""

from __future__ import annotations

import csv
import multiprocessing
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import riskkit.audit_log as audit_log
from riskkit.audit_log import GENESIS_HASH, LoggedRequest, ScoreLog, ScoreSet, canonical_json
from riskkit.data.schema import MAX_ID_LENGTH
from riskkit.errors import RiskkitError
from riskkit.scoring.results import FactorContribution, ModelIdentity, Override, ScoreResult
from tests.conftest import small_scoring_setting

KEY = b"k" * 32
ROOT = Path(__file__).resolve().parent.parent


def _result(person: str = "P1", probability: float = 0.42, band: str = "medium") -> ScoreResult:
    return ScoreResult(
        person_id=person,
        probability=probability,
        band=band,
        reference_probability=0.35,
        outcome="rearrest_24m",
        contributions=(
            FactorContribution("prior_convictions", 3, 0.05, False),
            FactorContribution("age", 31, 0.02, False),
        ),
        model=ModelIdentity(name="recidivism", version=3, alias="champion"),
        scored_at="2026-01-15T09:30:00+00:00",
    )


RECORD = {"id": "P1", "name": "Ana Pérez", "age": 31, "prior_convictions": 3, "notes": "free text"}


def _log(tmp_path: Path, **options: Any) -> ScoreLog:
    options.setdefault("pseudonym_key", KEY)
    return ScoreLog(f"sqlite:///{tmp_path / 'scores.db'}", **options)


def _filled(tmp_path: Path, n: int = 10) -> ScoreLog:
    log = _log(tmp_path)
    for i in range(n):
        person = f"P{i}"
        log.append_score(
            _result(person, probability=i / (n + 1)),
            user="ana",
            role="case_worker",
            record={**RECORD, "id": person},
        )
    return log


def _raw(log: ScoreLog, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(log.url)
    with engine.begin() as conn:
        result = conn.execute(sa.text(sql), params)
        rows = list(result) if result.returns_rows else []
    engine.dispose()
    return rows


def test_append_and_verify(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert log.verify().ok and log.verify().head_hash == GENESIS_HASH
    first = log.append_score(_result(), user="ana", role="case_worker", record=RECORD)
    second = log.append_override(
        first.id, "high", "  Recent threats to the victim.  ", user="ben", role="case_worker"
    )
    assert (first.id, second.id) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.entry_hash
    assert first.kind == "score" and first.final_band == "medium" and first.override_reason is None
    assert second.kind == "override" and second.refers_to == 1 and second.band == "medium"
    assert second.final_band == "high" and second.override_reason == "Recent threats to the victim."
    assert first.input_hash == audit_log._sha256(canonical_json(RECORD))
    # only the model's inputs are kept: no name, no free text
    assert first.input_values == {"age": 31, "prior_convictions": 3}
    assert "Ana" not in first.inputs and "free text" not in first.inputs
    assert first.recorded_at.endswith("+00:00") and first.model_version == 3
    check = log.verify()
    assert check.ok and check.entries == 2 and check.first_bad_id is None
    assert (check.head_id, check.head_hash) == (2, second.entry_hash) == log.head()
    assert log.get(2) == second and len(log) == 2
    assert "intact: 2 entries" in str(check)


def test_a_result_with_an_override_keeps_both_bands(tmp_path: Path) -> None:
    log = _log(tmp_path)
    changed = ScoreResult(**{**_result().__dict__, "override": Override("low", "Housing found")})
    entry = log.append_score(changed, user="ana", role="case_worker", record=RECORD)
    assert (entry.band, entry.final_band, entry.override_reason) == (
        "medium",
        "low",
        "Housing found",
    )


def test_edited_output_is_named(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    _raw(log, "UPDATE score_log SET probability = 0.01, final_band = 'low' WHERE id = 7")
    check = log.verify()
    assert not check.ok and check.first_bad_id == 7 and check.entries == 6
    assert "edited" in (check.problem or "")
    assert "broken at entry 7" in str(check)


def test_deleted_entry_is_named(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    _raw(log, "DELETE FROM score_log WHERE id = 5")
    check = log.verify()
    assert not check.ok and check.first_bad_id == 5
    assert "entry 5 is missing (deleted): entry 6 follows entry 4" in (check.problem or "")


def test_deleted_last_entries_are_named(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    _raw(log, "DELETE FROM score_log WHERE id >= 9")
    check = log.verify()
    assert not check.ok and check.first_bad_id == 9
    assert "entries 9-10 were deleted" in (check.problem or "")


def test_swapped_entries_are_named(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    columns = [c.name for c in audit_log._entries.columns if c.name != "id"]
    rows = {r[0]: r for r in _raw(log, "SELECT * FROM score_log WHERE id IN (4, 8)")}
    for target, source in ((4, 8), (8, 4)):
        values = dict(zip(["id", *columns], rows[source], strict=True))
        assignments = ", ".join(f'"{c}" = :{c}' for c in columns)
        _raw(
            log,
            f"UPDATE score_log SET {assignments} WHERE id = :target",
            target=target,
            **{c: values[c] for c in columns},
        )
    check = log.verify()
    assert not check.ok and check.first_bad_id == 4
    assert "reordered" in (check.problem or "")


def test_rehashed_edit_is_caught_at_the_next_entry(tmp_path: Path) -> None:
    log = _filled(tmp_path, 4)
    edited = audit_log.LogEntry(**{**log.get(2).to_dict(), "final_band": "low"})
    rehashed = edited.computed_hash()
    _raw(log, "UPDATE score_log SET final_band = 'low', entry_hash = :h WHERE id = 2", h=rehashed)
    check = log.verify()
    assert not check.ok and check.first_bad_id == 3


def test_pseudonyms(tmp_path: Path) -> None:
    log = _log(tmp_path)
    entry = log.append_score(_result("P1"), user="ana", role="case_worker", record=RECORD)
    assert entry.person != "P1" and "P1" not in entry.person and len(entry.person) == 64
    assert entry.person_pseudonymised
    again = ScoreLog(log.url, pseudonym_key=KEY)
    assert again.pseudonym("P1") == entry.person
    assert ScoreLog(log.url, pseudonym_key=b"x" * 32).pseudonym("P1") != entry.person
    assert [e.id for e in again.entries(person="P1")] == [1]
    plain = ScoreLog(log.url, pseudonym_key=None, pseudonymise=False)
    kept = plain.append_score(_result("P1"), user="ana", role="case_worker", record=RECORD)
    assert kept.person == "P1" and not kept.person_pseudonymised and plain.verify().ok


def test_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(RiskkitError, match=r"no pseudonym key was given; create one .*secrets"):
        ScoreLog(f"sqlite:///{tmp_path / 'a.db'}", pseudonym_key=None)
    with pytest.raises(RiskkitError, match="at least 16 bytes, found 3 bytes"):
        ScoreLog(f"sqlite:///{tmp_path / 'a.db'}", pseudonym_key=b"abc")
    with pytest.raises(RiskkitError, match="not a database URL"):
        ScoreLog("nonsense://", pseudonym_key=KEY)


def test_bad_appends_are_refused(tmp_path: Path) -> None:
    log = _log(tmp_path)
    with pytest.raises(RiskkitError, match=r"lacks the model input\(s\) \['age'\]"):
        log.append_score(_result(), user="ana", role="case_worker", record={"prior_convictions": 1})
    with pytest.raises(RiskkitError, match="names who asked"):
        log.append_score(_result(), user=" ", role="case_worker", record=RECORD)
    score = log.append_score(_result(), user="ana", role="case_worker", record=RECORD)
    with pytest.raises(RiskkitError, match="needs a reason"):
        log.append_override(score.id, "high", "  ", user="ana", role="case_worker")
    with pytest.raises(RiskkitError, match="'extreme' is not one of the pipeline's bands"):
        log.append_override(
            score.id, "extreme", "why", user="a", role="r", band_names=["low", "high"]
        )
    override = log.append_override(score.id, "high", "why", user="a", role="r")
    with pytest.raises(RiskkitError, match="entry 2 is an entry of kind 'override'"):
        log.append_override(override.id, "low", "why", user="a", role="r")
    with pytest.raises(RiskkitError, match="entry 9 is no entry"):
        log.append_override(9, "low", "why", user="a", role="r")
    with pytest.raises(RiskkitError, match="has no entry 9"):
        log.get(9)
    assert len(log) == 2 and log.verify().ok


def test_filters_and_csv_export_by_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(datetime(2026, 1, d, 12, tzinfo=UTC) for d in range(1, 11))
    monkeypatch.setattr(audit_log, "_now", lambda: next(clock))
    log = _filled(tmp_path, 6)  # 1-6 January
    log.append_override(2, "high", "New charge", user="ben", role="case_worker")  # 7 January
    path = tmp_path / "export.csv"
    written = log.export_csv(path, start=date(2026, 1, 2), end=date(2026, 1, 4))
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert written == 3 and [r["id"] for r in rows] == ["2", "3", "4"]
    assert rows[0]["recorded_at"] == "2026-01-02T12:00:00.000000+00:00"
    assert float(rows[0]["probability"]) == log.get(2).probability
    assert log.export_csv(tmp_path / "all.csv") == 7
    assert [e.id for e in log.entries(start="2026-01-05T12:00:00+00:00")] == [5, 6, 7]
    assert [e.id for e in log.entries(end=datetime(2026, 1, 2, 12, tzinfo=UTC))] == [1]
    assert [e.id for e in log.entries(overridden=True)] == [7]
    assert len(list(log.entries(overridden=False))) == 6
    assert [e.id for e in log.entries(final_band="high")] == [7]
    assert len(list(log.entries(model_version=3, band="medium", batch=2))) == 7
    assert list(log.entries(model_version=4)) == []
    with pytest.raises(RiskkitError, match="has no time zone"):
        list(log.entries(start=datetime(2026, 1, 1)))
    with pytest.raises(RiskkitError, match="not an ISO 8601 date"):
        list(log.entries(end="last tuesday"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    folder = tmp_path_factory.mktemp("audit_log")
    return small_scoring_setting(folder, trees=40, train_rows=1500, case_rows=30, seed=31)


def test_replay_matches_for_the_same_model(tmp_path: Path, trained: tuple[Any, Any]) -> None:
    from dataclasses import replace

    from riskkit.scoring.score import score_cases
    from riskkit.tracking import LoadedModel

    model, cases = trained
    scored = score_cases(model, cases)
    log = _log(tmp_path)
    for i in range(len(cases)):
        record = cases.iloc[i].to_dict()
        log.append_score(scored[i], user="ana", role="case_worker", record=record)
    assert log.verify().ok
    for entry_id in range(1, len(cases) + 1):
        replay = log.replay(entry_id, model)
        assert replay.matches and replay.same_model, str(replay)
        assert abs(replay.replayed_probability - replay.logged_probability) <= 1e-12
    assert "matches" in str(log.replay(1, model))
    # a different model version is reported as such, and a changed score does not match
    other = LoadedModel(name="recidivism", version=4, alias=None, stored=model.stored)
    assert not log.replay(1, other).same_model and log.replay(1, other).matches
    changed = replace(scored[0], probability=scored[0].probability / 2 + 0.01)
    entry = log.append_score(
        changed, user="ana", role="case_worker", record=cases.iloc[0].to_dict()
    )
    assert not log.replay(entry.id, model).matches
    assert "DOES NOT match" in str(log.replay(entry.id, model))


def _write_many(url: str, writer: int, count: int) -> None:
    log = ScoreLog(url, pseudonym_key=KEY)
    for i in range(count):
        person = f"W{writer}-{i}"
        log.append_score(
            _result(person, probability=(i % 100) / 100),
            user=f"writer{writer}",
            role="case_worker",
            record={**RECORD, "id": person},
        )
    log.close()


def test_concurrent_writer_processes_keep_one_chain(tmp_path: Path) -> None:
    """4 processes x 100 appends here; benchmarks/log_concurrency.py runs 8 x 500."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    ScoreLog(url, pseudonym_key=KEY).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(url, w, 100)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    log = ScoreLog(url, pseudonym_key=KEY)
    check = log.verify()
    assert check.ok and check.entries == 400 == len(log), str(check)
    assert {e.user for e in log.entries()} == {f"writer{w}" for w in range(4)}
    assert _raw(log, "PRAGMA journal_mode")[0][0] == "wal"


def test_threads_sharing_one_log(tmp_path: Path) -> None:
    log = _log(tmp_path)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for i in range(50):
                log.append_score(
                    _result(f"T{writer}-{i}"), user=f"t{writer}", role="r", record=RECORD
                )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(log) == 200 and log.verify().ok


def test_a_failed_append_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _filled(tmp_path, 3)

    def broken() -> datetime:
        raise RuntimeError("clock failed")

    monkeypatch.setattr(audit_log, "_now", broken)
    with pytest.raises(RuntimeError, match="clock failed"):
        log.append_score(_result(), user="ana", role="case_worker", record=RECORD)
    monkeypatch.undo()
    assert len(log) == 3 and log.head()[0] == 3 and log.verify().ok


def test_a_log_that_fails_to_open_releases_its_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disposed: list[sa.Engine] = []
    real_create_engine = sa.create_engine

    def recording_engine(*args: Any, **kwargs: Any) -> sa.Engine:
        engine = real_create_engine(*args, **kwargs)
        real_dispose = engine.dispose

        def dispose(close: bool = True) -> None:
            disposed.append(engine)
            real_dispose(close)

        engine.dispose = dispose  # type: ignore[method-assign]
        return engine

    def broken_create_all(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.OperationalError("CREATE TABLE", {}, Exception("disk I/O error"))

    monkeypatch.setattr(audit_log.sa, "create_engine", recording_engine)
    monkeypatch.setattr(audit_log._metadata, "create_all", broken_create_all)
    with pytest.raises(sa.exc.OperationalError, match="disk I/O error"):
        ScoreLog(f"sqlite:///{tmp_path / 'scores.db'}", pseudonym_key=KEY)
    assert len(disposed) == 1 and disposed[0].pool.checkedout() == 0


@pytest.mark.parametrize("length", [200, 201])
def test_an_entry_longer_than_its_column_is_refused_before_the_database_sees_it(
    tmp_path: Path, length: int
) -> None:
    """PostgreSQL enforces the columns' sizes and SQLite does not: the log checks them itself,
    so both refuse the same entries, with the same message (tests/test_shared_server.py runs
    this on PostgreSQL)."""
    assert_long_values_are_refused(_log(tmp_path, pseudonymise=False), length)


def assert_long_values_are_refused(log: ScoreLog, length: int) -> None:
    """Append a score whose (not pseudonymised) person id is ``length`` characters long: at
    most 200 goes in whole; beyond that nothing is logged and the error names the field."""
    person = "P" * length
    if length <= MAX_ID_LENGTH:
        entry = log.append_score(
            _result(person), user="ana", role="case_worker", record={**RECORD, "id": person}
        )
        assert log.get(entry.id).person == person and log.verify().ok
        return
    before = log.head()
    with pytest.raises(
        RiskkitError,
        match=rf"the log entry's person 'P{{57}}\.\.\.' is {length} characters long; the score "
        rf"log holds at most {MAX_ID_LENGTH} \(nothing was logged",
    ):
        log.append_score(
            _result(person), user="ana", role="case_worker", record={**RECORD, "id": person}
        )
    assert log.head() == before and log.verify().ok


def test_the_logs_person_column_holds_the_longest_valid_id() -> None:
    assert audit_log._TEXT_LIMITS["person"] == MAX_ID_LENGTH
    assert audit_log._TEXT_LIMITS["user"] >= 100  # API key names are at most 100 characters


# -- requests named by a key (the service's Idempotency-Key) --------------------------------------
def _keyed(
    key: str | None,
    *,
    user: str = "ana",
    request_hash: str | None = "a" * 64,
    persons: tuple[str, ...] = ("P1", "P2"),
) -> ScoreSet:
    return ScoreSet(
        results=[_result(p) for p in persons],
        records=[{**RECORD, "id": p} for p in persons],
        user=user,
        role="case_worker",
        request_key=key,
        request_hash=request_hash if key is not None else None,
    )


def test_a_keyed_request_is_logged_once_per_user_and_key(tmp_path: Path) -> None:
    log = _log(tmp_path)
    first, again, other_user, unkeyed = log.append_score_sets(
        [
            _keyed("k-1"),
            _keyed("k-1", request_hash="b" * 64),
            _keyed("k-1", user="ben"),
            _keyed(None),
        ]
    )
    assert isinstance(first, list) and [e.id for e in first] == [1, 2]
    # the second set of the same call finds the first one's key: nothing appended for it
    assert isinstance(again, LoggedRequest)
    assert again.entry_ids == (1, 2) and again.request_hash == "a" * 64 and again.user == "ana"
    assert again.recorded_at == first[0].recorded_at
    assert isinstance(other_user, list) and [e.id for e in other_user] == [3, 4]
    assert isinstance(unkeyed, list) and [e.id for e in unkeyed] == [5, 6]
    later = log.append_score_sets([_keyed("k-1")])[0]
    assert later == again == log.logged_request("ana", "k-1")
    assert log.logged_request("ana", "k-2") is None
    assert log.logged_request("ben", "k-1").entry_ids == (3, 4)  # type: ignore[union-attr]
    assert len(log) == 6 and log.verify().ok
    # the client's key is kept only as its hash
    stored = {row[0] for row in _raw(log, "SELECT key_hash FROM score_requests")}
    assert stored == {audit_log._sha256("k-1")}


def test_a_score_set_names_its_request_with_a_key_and_a_hash_or_neither(tmp_path: Path) -> None:
    log = _log(tmp_path)
    with pytest.raises(RiskkitError, match=r"both request_key and request_hash, or with neither"):
        log.append_score_sets([_keyed("k-1", request_hash=None)])
    with pytest.raises(RiskkitError, match=r"a keyed request needs at least one score"):
        log.append_score_sets([_keyed("k-1", persons=())])
    assert len(log) == 0


def test_a_log_made_before_request_keys_gains_their_table(tmp_path: Path) -> None:
    _filled(tmp_path, 2).close()
    _raw(_log(tmp_path), "DROP TABLE score_requests")  # as a log written by an older riskkit
    log = _log(tmp_path)
    appended = log.append_score_sets([_keyed("k-1")])[0]
    assert [e.id for e in appended] == [3, 4]  # type: ignore[union-attr]
    assert log.logged_request("ana", "k-1") is not None and log.verify().ok


def test_writers_racing_with_one_key_log_it_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scores.db'}"
    assert_one_keyed_append_among_racing_writers(lambda: ScoreLog(url, pseudonym_key=KEY))


def assert_one_keyed_append_among_racing_writers(
    open_log: Callable[[], ScoreLog], writers: int = 4
) -> None:
    """``writers`` threads, each with its own ScoreLog (as separate service workers have),
    append the same keyed request at once: one appends it, every other finds it."""
    with open_log():
        pass  # the tables exist before the race
    ready = threading.Barrier(writers)
    outcomes: list[list[Any] | LoggedRequest] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with open_log() as log:
                ready.wait(timeout=30)
                outcomes.append(log.append_score_sets([_keyed("retried-request")])[0])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    appended = [o for o in outcomes if isinstance(o, list)]
    found = [o for o in outcomes if isinstance(o, LoggedRequest)]
    assert len(appended) == 1 and len(found) == writers - 1
    ids = tuple(e.id for e in appended[0])
    assert all(o.entry_ids == ids for o in found)
    with open_log() as log:
        assert len(log) == len(ids) and log.verify().ok

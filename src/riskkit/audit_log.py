"""The append-only, hash-chained log of scores and overrides.

Every score a person receives and every override a case worker records is appended to one table
(SQLite by default, any SQLAlchemy URL otherwise). Each entry carries the SHA-256 of the previous
entry, and its own hash covers all of its fields, so :meth:`ScoreLog.verify` finds the first entry
that was edited, deleted or moved. An entry keeps what is needed to reproduce the score (the model
name and version and the model's inputs, never names or free text) and to contest it (who asked,
when, with which role, the output and any override with its reason).

Person identifiers are pseudonymised with a keyed HMAC-SHA256 unless the deployment turns that
off. Make a key once per deployment and keep it secret and stable (the same person gets the same
pseudonym only under the same key)::

    python -c "import secrets; print(secrets.token_hex(32))"

Concurrency: on SQLite the log runs in WAL mode with a busy timeout, and an append reads the last
hash and inserts the new entry inside one ``BEGIN IMMEDIATE`` transaction, so writers in several
threads or processes are serialised and the chain never forks. On other databases the append
locks the head row with ``SELECT ... FOR UPDATE`` and the entry id is the primary key, so a
race can fail but cannot fork the chain. On PostgreSQL (at its default isolation, read
committed) a writer waits for the lock and then reads the new head, so appends are serialised
and none fails; opening a new log there also takes an advisory lock, so that processes opening
it at once do not all try to create its tables. tests/test_shared_server.py tests this on
PostgreSQL (threads appending at once); other server databases are not tested.

A request that a client names with a key (the service's ``Idempotency-Key``) is also noted in
a second table, ``score_requests``: the user, the SHA-256 of the key, a hash of what was asked
and the entries appended for it. A retry with the same key finds them there and nothing is
logged twice (:meth:`ScoreLog.append_score_sets`). That table is an index for retries and sits
outside the chain; the entries it points to are the evidence.

What the chain proves: anyone who can only edit, delete or reorder rows is detected. Anyone who
can rewrite the whole table can also recompute every hash; keep a copy of :meth:`ScoreLog.head`
outside the database (printed, or in another system) to detect that.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy import event

from riskkit.errors import RiskkitError

if TYPE_CHECKING:
    from riskkit.scoring.results import ScoreResult
    from riskkit.tracking import LoadedModel

__all__ = [
    "GENESIS_HASH",
    "LogEntry",
    "LoggedRequest",
    "OverrideRate",
    "Replay",
    "ScoreLog",
    "ScoreSet",
    "Verification",
    "canonical_json",
    "new_pseudonym_key",
]

#: The "previous hash" of the first entry.
GENESIS_HASH: Final = "0" * 64
#: How long a writer waits for the SQLite write lock before giving up (milliseconds).
BUSY_TIMEOUT_MS: Final = 60_000
#: Replayed probabilities must agree with the logged one within this.
REPLAY_TOLERANCE: Final = 1e-12
#: Shortest pseudonym key accepted (bytes).
MIN_KEY_BYTES: Final = 16

Kind = Literal["score", "override"]
TimeBound = datetime | date | str | None

_metadata = sa.MetaData()
_entries = sa.Table(
    "score_log",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("recorded_at", sa.String(40), nullable=False, index=True),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("model_alias", sa.String(200), nullable=True),
    # riskkit.data.schema.MAX_ID_LENGTH (not imported: it would pull the config into the log)
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("person_pseudonymised", sa.Boolean, nullable=False),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("inputs", sa.Text, nullable=False),
    sa.Column("probability", sa.Float(precision=53), nullable=False),
    sa.Column("band", sa.String(100), nullable=False),
    sa.Column("final_band", sa.String(100), nullable=False),
    sa.Column("override_reason", sa.Text, nullable=True),
    sa.Column("scored_at", sa.String(40), nullable=False),
    sa.Column("refers_to", sa.Integer, nullable=True),
    sa.Column("groups", sa.Text, nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)
_head = sa.Table(
    "score_log_head",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_id", sa.Integer, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)
# Requests a client named with a key (the service's Idempotency-Key), so that a retry is
# answered with the entries already logged instead of logging the scores again. An index for
# retries, outside the hash chain: the entries it points to are the evidence.
_requests = sa.Table(
    "score_requests",
    _metadata,
    sa.Column("user", sa.String(200), primary_key=True),
    # SHA-256 of the client's key: a key is the client's text, which the log does not keep
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("first_entry", sa.Integer, nullable=False),
    sa.Column("last_entry", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.String(40), nullable=False),
)
_IMMEDIATE = "riskkit_begin_immediate"
#: PostgreSQL advisory lock key held while a log's tables are created (any fixed bigint).
_CREATE_LOCK: Final = 0x7269736B6B6974  # "riskkit"


def canonical_json(value: object) -> str:
    """The canonical JSON text of ``value``: sorted keys, no spaces, UTF-8, no NaN.

    Values that JSON lacks are converted first (numpy scalars to numbers, missing values to
    null, dates to ISO 8601, anything else to its string).
    """
    return json.dumps(
        _plain_json(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain_json(value: object) -> object:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise RiskkitError(
                f"value {value!r} is not finite; the log stores finite numbers or missing "
                "values (validate the record against the pipeline's schema first)"
            )
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v) for v in value]
    kind = type(value)
    if kind.__name__ in {"NAType", "NaTType"}:  # pandas' missing values
        return None
    if kind.__module__ == "numpy" and hasattr(value, "item"):
        return _plain_json(value.item())
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def new_pseudonym_key() -> bytes:
    """A new random 32-byte key for pseudonymising person identifiers."""
    import secrets

    return secrets.token_bytes(32)


def _now() -> datetime:
    """The time recorded with an entry (a function so tests can set the clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class LogEntry:
    """One entry of the score log.

    Attributes
    ----------
    id : int
        Position in the log, from 1, without gaps.
    recorded_at : str
        When the entry was appended (ISO 8601, UTC, microseconds).
    user, role : str
        Who asked, and with which role.
    kind : {"score", "override"}
        A score, or a case worker's override of an earlier score (``refers_to``).
    model_name, model_version, model_alias
        The registered model that produced the score.
    person : str
        The person's id, pseudonymised (HMAC-SHA256, hex) unless ``person_pseudonymised`` is
        false.
    input_hash : str
        SHA-256 of the canonical JSON of the whole input record.
    inputs : str
        Canonical JSON of the model's inputs (the features the score used), for replay.
    probability : float
    band, final_band : str
        The model's band and the band used after any override.
    override_reason : str or None
    scored_at : str
        The time the score carries (``ScoreResult.scored_at``).
    refers_to : int or None
        For an override, the id of the score entry it overrides.
    groups : str or None
        Canonical JSON of the person's sensitive attributes (the pipeline's audit groups) when
        the record carried them, so auditors can compare override rates across groups; never
        a model input.
    prev_hash, entry_hash : str
        SHA-256 of the previous entry and of this one (all fields above plus ``prev_hash``).
    """

    id: int
    recorded_at: str
    user: str
    role: str
    kind: str
    model_name: str
    model_version: int
    model_alias: str | None
    person: str
    person_pseudonymised: bool
    input_hash: str
    inputs: str
    probability: float
    band: str
    final_band: str
    override_reason: str | None
    scored_at: str
    refers_to: int | None
    groups: str | None
    prev_hash: str
    entry_hash: str = field(default="")

    @property
    def input_values(self) -> dict[str, object]:
        """The logged model inputs, by feature."""
        values: dict[str, object] = json.loads(self.inputs)
        return values

    @property
    def group_values(self) -> dict[str, object]:
        """The logged sensitive attributes, by name (empty when none were logged)."""
        values: dict[str, object] = {} if self.groups is None else json.loads(self.groups)
        return values

    def computed_hash(self) -> str:
        """SHA-256 of the canonical JSON of every field except ``entry_hash``."""
        fields = asdict(self)
        del fields["entry_hash"]
        return _sha256(canonical_json(fields))

    def to_dict(self) -> dict[str, Any]:
        """The entry as a plain dictionary (one column per field)."""
        return asdict(self)

    @classmethod
    def _from_row(cls, row: sa.RowMapping) -> LogEntry:
        return cls(
            id=int(row["id"]),
            recorded_at=str(row["recorded_at"]),
            user=str(row["user"]),
            role=str(row["role"]),
            kind=str(row["kind"]),
            model_name=str(row["model_name"]),
            model_version=int(row["model_version"]),
            model_alias=None if row["model_alias"] is None else str(row["model_alias"]),
            person=str(row["person"]),
            person_pseudonymised=bool(row["person_pseudonymised"]),
            input_hash=str(row["input_hash"]),
            inputs=str(row["inputs"]),
            probability=float(row["probability"]),
            band=str(row["band"]),
            final_band=str(row["final_band"]),
            override_reason=None if row["override_reason"] is None else str(row["override_reason"]),
            scored_at=str(row["scored_at"]),
            refers_to=None if row["refers_to"] is None else int(row["refers_to"]),
            groups=None if row["groups"] is None else str(row["groups"]),
            prev_hash=str(row["prev_hash"]),
            entry_hash=str(row["entry_hash"]),
        )


@dataclass(frozen=True)
class Verification:
    """What :meth:`ScoreLog.verify` found.

    Attributes
    ----------
    ok : bool
        True when every entry is intact and in place.
    entries : int
        Entries read.
    first_bad_id : int or None
        The first entry that is edited, missing or out of place.
    problem : str or None
        What is wrong with it, in words.
    head_id, head_hash
        The last entry's id and hash as read (0 and :data:`GENESIS_HASH` for an empty log);
        keep them outside the database to detect a rewrite of the whole log.
    """

    ok: bool
    entries: int
    first_bad_id: int | None
    problem: str | None
    head_id: int
    head_hash: str

    def __str__(self) -> str:
        if self.ok:
            return f"score log intact: {self.entries} entries, head {self.head_hash}"
        return f"score log broken at entry {self.first_bad_id}: {self.problem}"


@dataclass(frozen=True)
class Replay:
    """A logged score computed again with a registered model.

    Attributes
    ----------
    entry_id : int
    model : str
        The model used for the replay (``NAME@alias`` or ``NAME/version``).
    same_model : bool
        Whether it is the name and version that produced the logged score.
    logged_probability, replayed_probability : float
    logged_band, replayed_band : str
    matches : bool
        Probabilities within :data:`REPLAY_TOLERANCE` and the same band.
    """

    entry_id: int
    model: str
    same_model: bool
    logged_probability: float
    replayed_probability: float
    logged_band: str
    replayed_band: str
    matches: bool

    def __str__(self) -> str:
        verdict = "matches" if self.matches else "DOES NOT match"
        note = "" if self.same_model else " (a different model version than the one logged)"
        return (
            f"entry {self.entry_id} replayed with {self.model}{note}: {verdict}; probability "
            f"{self.logged_probability!r} logged, {self.replayed_probability!r} now; band "
            f"{self.logged_band!r} logged, {self.replayed_band!r} now"
        )


@dataclass(frozen=True)
class ScoreSet:
    """Scores one user asked for, to append together (see :meth:`ScoreLog.append_score_sets`).

    ``request_key`` names the request the scores answer (a client's idempotency key, unique
    per user) and ``request_hash`` what was asked (the caller's hash of the request); a set
    whose key the log already holds for that user is not appended again.
    """

    results: Sequence[ScoreResult]
    records: Sequence[Mapping[str, object]]
    user: str
    role: str
    groups: Sequence[Mapping[str, object] | None] | None = None
    request_key: str | None = None
    request_hash: str | None = None


@dataclass(frozen=True)
class LoggedRequest:
    """A request whose scores the log holds under the key its client gave it.

    Attributes
    ----------
    user : str
        Who sent it.
    request_hash : str
        The hash of what was asked, as the caller computed it when the scores were logged.
    entry_ids : tuple of int
        The score entries appended for it, in order.
    recorded_at : str
        When they were appended (ISO 8601, UTC).
    """

    user: str
    request_hash: str
    entry_ids: tuple[int, ...]
    recorded_at: str


@dataclass(frozen=True)
class OverrideRate:
    """How many of one group's scores a case worker overrode to another band (``n_up`` to a
    higher, more restrictive band, ``n_down`` to a lower one, when the band order is known)."""

    attribute: str
    group: str
    n_scores: int
    n_overridden: int
    n_up: int = 0
    n_down: int = 0

    @property
    def rate(self) -> float:
        """Share of the group's scores overridden to another band."""
        return self.n_overridden / self.n_scores if self.n_scores else 0.0


class ScoreLog:
    """The append-only, hash-chained log of scores and overrides.

    Parameters
    ----------
    url : str
        A SQLAlchemy database URL; a SQLite file by default (created when missing, WAL mode).
    pseudonym_key : bytes or None
        The secret key for pseudonymising person ids (HMAC-SHA256); at least 16 bytes.
        Required when ``pseudonymise`` is true (see :func:`new_pseudonym_key`).
    pseudonymise : bool
        Store person ids pseudonymised (the default); false stores them as given, for
        deployments whose rules allow it.

    Raises
    ------
    RiskkitError
        When pseudonymising without a usable key.

    Notes
    -----
    One instance may be shared by threads (each append takes its own pooled connection). Do
    not share an instance across processes (make one per process, after any fork).
    """

    def __init__(
        self,
        url: str = "sqlite:///scores.db",
        *,
        pseudonym_key: bytes | None,
        pseudonymise: bool = True,
    ) -> None:
        if pseudonymise:
            if pseudonym_key is None:
                raise RiskkitError(
                    "the score log pseudonymises person ids but no pseudonym key was given; "
                    "create one once per deployment with "
                    '`python -c "import secrets; print(secrets.token_hex(32))"`, keep it '
                    "secret, and pass it as pseudonym_key=bytes.fromhex(KEY) (or turn "
                    "pseudonymisation off with pseudonymise=False where the rules allow it)"
                )
            if not isinstance(pseudonym_key, bytes) or len(pseudonym_key) < MIN_KEY_BYTES:
                found = (
                    f"{len(pseudonym_key)} bytes"
                    if isinstance(pseudonym_key, bytes)
                    else type(pseudonym_key).__name__
                )
                raise RiskkitError(
                    f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes, found {found}; "
                    "create one with "
                    '`python -c "import secrets; print(secrets.token_hex(32))"` and pass '
                    "bytes.fromhex(KEY)"
                )
        self._key = pseudonym_key if pseudonymise else None
        self.pseudonymise = pseudonymise
        self.url = url
        try:
            self._engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as error:
            raise RiskkitError(
                f"score log URL {url!r} is not a database URL SQLAlchemy can open ({error}); "
                "use e.g. sqlite:///scores.db or postgresql+psycopg://user@host/db"
            ) from error
        self._sqlite = self._engine.dialect.name == "sqlite"
        try:
            if self._sqlite:
                _configure_sqlite(self._engine)
            with self._write() as conn:
                if self._engine.dialect.name == "postgresql":
                    # processes opening a new log at once: one creates the tables and the head
                    # row while the others wait here, then find them (DDL is transactional)
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_CREATE_LOCK)))
                _metadata.create_all(conn, checkfirst=True)
                if conn.execute(sa.select(_head.c.id)).first() is None:
                    conn.execute(_head.insert().values(id=1, last_id=0, last_hash=GENESIS_HASH))
        except BaseException:
            self._engine.dispose()  # no pooled connection outlives a log that failed to open
            raise

    # -- connections ------------------------------------------------------------------------
    def _write(self) -> _Transaction:
        """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite)."""
        conn = self._engine.connect()
        if self._sqlite:
            conn = conn.execution_options(**{_IMMEDIATE: True})
        return _Transaction(conn)

    def close(self) -> None:
        """Close the log's pooled connections."""
        self._engine.dispose()

    def __enter__(self) -> ScoreLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appending --------------------------------------------------------------------------
    def pseudonym(self, person_id: str) -> str:
        """The stored form of a person id: its HMAC-SHA256 (hex) under the log's key, or the
        id itself when pseudonymisation is off."""
        if self._key is None:
            return str(person_id)
        return hmac.new(self._key, str(person_id).encode("utf-8"), hashlib.sha256).hexdigest()

    def append_score(
        self,
        result: ScoreResult,
        *,
        user: str,
        role: str,
        record: Mapping[str, object],
        groups: Mapping[str, object] | None = None,
    ) -> LogEntry:
        """Append one score.

        Parameters
        ----------
        result : ScoreResult
            The score (from :func:`riskkit.scoring.score.score_cases`).
        user, role : str
            Who asked for it, and with which role.
        record : mapping
            The validated input record the score was computed from. All of it is hashed
            (``input_hash``); only the model's inputs (the features in ``result``) are stored.
        groups : mapping, optional
            The person's sensitive attributes (the pipeline's audit groups), stored apart from
            the inputs so override rates can be compared across groups.

        Returns
        -------
        LogEntry
            The entry as stored, with its id and hash.

        Raises
        ------
        RiskkitError
            When the record lacks one of the model's inputs, or ``user`` or ``role`` is empty.
        """
        return self.append_scores(
            [result],
            user=user,
            role=role,
            records=[record],
            groups=None if groups is None else [groups],
        )[0]

    def append_scores(
        self,
        results: Sequence[ScoreResult],
        *,
        user: str,
        role: str,
        records: Sequence[Mapping[str, object]],
        groups: Sequence[Mapping[str, object] | None] | None = None,
    ) -> list[LogEntry]:
        """Append several scores in one transaction: all of them or, on any failure, none.

        The same as :meth:`append_score` for each ``(result, record, groups)``, with one
        write lock and one commit for the lot (a service scoring a batch does this).
        """
        appended = self.append_score_sets(
            [ScoreSet(results=results, records=records, groups=groups, user=user, role=role)]
        )[0]
        assert isinstance(appended, list)  # a set without a request key is always appended
        return appended

    def append_score_sets(self, sets: Sequence[ScoreSet]) -> list[list[LogEntry] | LoggedRequest]:
        """Append several sets of scores, each with its own user and role, in one transaction:
        all of them or, on any failure, none (the service appends the requests it scored
        together this way).

        Returns
        -------
        list
            Per set, in order: the entries appended, or, for a set with a ``request_key`` the
            log already holds for its user (logged earlier, or by an earlier set of this call),
            the :class:`LoggedRequest` found instead: nothing is appended for that set. Compare
            its ``request_hash`` with the set's to tell a retry from a key used twice.
        """
        prepared: list[tuple[ScoreSet, list[tuple[dict[str, Any], str, str]]]] = []
        for batch in sets:
            _require_actor(batch.user, batch.role)
            results, records, groups = batch.results, batch.records, batch.groups
            if len(records) != len(results) or (groups is not None and len(groups) != len(results)):
                raise RiskkitError(
                    f"append_scores needs one record (and one groups mapping, when given) per "
                    f"result: {len(results)} results, {len(records)} records"
                )
            if (batch.request_key is None) != (batch.request_hash is None):
                raise RiskkitError(
                    "a score set names its request with both request_key and request_hash, or "
                    f"with neither (found request_key={batch.request_key!r}, "
                    f"request_hash={batch.request_hash!r})"
                )
            if batch.request_key is not None and not results:
                raise RiskkitError("a keyed request needs at least one score to log")
            prepared.append(
                (
                    batch,
                    [
                        (
                            self._score_fields(
                                result, record, None if groups is None else groups[i]
                            ),
                            batch.user,
                            batch.role,
                        )
                        for i, (result, record) in enumerate(zip(results, records, strict=True))
                    ],
                )
            )
        with self._write() as conn:
            return _append_sets(conn, prepared)

    def _score_fields(
        self,
        result: ScoreResult,
        record: Mapping[str, object],
        groups: Mapping[str, object] | None,
    ) -> dict[str, Any]:
        features = [c.feature for c in result.contributions]
        missing = [f for f in features if f not in record]
        if missing:
            raise RiskkitError(
                f"the record lacks the model input(s) {missing} that person "
                f"{result.person_id!r} was scored on; log the record the score was computed "
                "from (the validated record, with every model input)"
            )
        override = result.override
        return {
            "kind": "score",
            "model_name": result.model.name,
            "model_version": int(result.model.version),
            "model_alias": result.model.alias,
            "person": self.pseudonym(result.person_id),
            "person_pseudonymised": self._key is not None,
            "input_hash": _sha256(canonical_json(dict(record))),
            "inputs": canonical_json({f: record[f] for f in sorted(features)}),
            "probability": _probability(result.probability),
            "band": result.band,
            "final_band": result.final_band,
            "override_reason": None if override is None else override.reason,
            "scored_at": result.scored_at,
            "refers_to": None,
            "groups": canonical_json(dict(groups)) if groups else None,
        }

    def append_override(
        self,
        score_id: int,
        band: str,
        reason: str,
        *,
        user: str,
        role: str,
        band_names: tuple[str, ...] | list[str] | None = None,
    ) -> LogEntry:
        """Append a case worker's override of a logged score.

        Parameters
        ----------
        score_id : int
            The id of the score entry overridden (find it with ``entries(person=...)``).
        band : str
            The band the case worker uses instead.
        reason : str
            Why; kept with the entry.
        user, role : str
            Who recorded it, and with which role.
        band_names : sequence of str, optional
            The pipeline's bands; when given, ``band`` must be one of them.

        Returns
        -------
        LogEntry
            The override entry: the score's model, person, inputs and probability, its band in
            ``band``, the override in ``final_band`` and ``override_reason``, and
            ``refers_to=score_id``.

        Raises
        ------
        RiskkitError
            When the reason is empty, the band is not one of ``band_names``, or ``score_id`` is
            not a score entry.
        """
        _require_actor(user, role)
        if not reason.strip():
            raise RiskkitError(
                "an override needs a reason: it is kept with the score so the decision can "
                "be reviewed"
            )
        if band_names is not None and band not in band_names:
            raise RiskkitError(
                f"override band {band!r} is not one of the pipeline's bands {list(band_names)}"
            )
        with self._write() as conn:
            row = conn.execute(sa.select(_entries).where(_entries.c.id == score_id)).first()
            if row is None or row._mapping["kind"] != "score":
                found = "no entry" if row is None else f"an entry of kind {row._mapping['kind']!r}"
                raise RiskkitError(
                    f"entry {score_id} is {found}; an override refers to a score entry (find "
                    "the person's scores with ScoreLog.entries(person=ID, kind='score'))"
                )
            score = LogEntry._from_row(row._mapping)
            fields: dict[str, Any] = {
                "kind": "override",
                "model_name": score.model_name,
                "model_version": score.model_version,
                "model_alias": score.model_alias,
                "person": score.person,
                "person_pseudonymised": score.person_pseudonymised,
                "input_hash": score.input_hash,
                "inputs": score.inputs,
                "probability": score.probability,
                "band": score.band,
                "final_band": band,
                "override_reason": reason.strip(),
                "scored_at": score.scored_at,
                "refers_to": score.id,
                "groups": score.groups,
            }
            return _append(conn, fields, user=user, role=role)

    # -- reading ----------------------------------------------------------------------------
    def get(self, entry_id: int) -> LogEntry:
        """The entry with this id.

        Raises
        ------
        RiskkitError
            When there is none.
        """
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(_entries).where(_entries.c.id == entry_id)).first()
        if row is None:
            raise RiskkitError(
                f"the score log has no entry {entry_id}; list entries with "
                "ScoreLog.entries() (riskkit log export)"
            )
        return LogEntry._from_row(row._mapping)

    def head(self) -> tuple[int, str]:
        """The last entry's id and hash as recorded in the head row (``(0, GENESIS_HASH)``
        for an empty log). Keep a copy outside the database to detect a rewritten log."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(_head.c.last_id, _head.c.last_hash)).one()
        return int(row[0]), str(row[1])

    def logged_request(self, user: str, request_key: str) -> LoggedRequest | None:
        """The request ``user`` logged scores for under ``request_key``, or None."""
        with self._engine.connect() as conn:
            return _logged_request(conn, user, _sha256(request_key))

    def __len__(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(_entries)).scalar_one())

    def entries(
        self,
        *,
        start: TimeBound = None,
        end: TimeBound = None,
        model_name: str | None = None,
        model_version: int | None = None,
        band: str | None = None,
        final_band: str | None = None,
        overridden: bool | None = None,
        person: str | None = None,
        refers_to: int | None = None,
        batch: int = 1000,
    ) -> Iterator[LogEntry]:
        """The entries that pass every filter given, in log order.

        Parameters
        ----------
        start, end : datetime, date or ISO 8601 str, optional
            Appended at or after ``start`` and before ``end``; a date ``end`` includes that
            whole day (UTC). Datetimes must carry a time zone.
        model_name, model_version : optional
            The model that produced the score.
        band, final_band : str, optional
            The model's band, or the band used after any override.
        overridden : bool, optional
            True: override entries only; False: score entries only.
        person : str, optional
            A person id as given to scoring (it is pseudonymised here as when appending).
        refers_to : int, optional
            The overrides of this score entry.
        batch : int
            Entries read per query.
        """
        conditions = self._conditions(
            start=start,
            end=end,
            model_name=model_name,
            model_version=model_version,
            band=band,
            final_band=final_band,
            overridden=overridden,
            person=person,
            refers_to=refers_to,
        )
        after = 0
        while True:
            query = (
                sa.select(_entries)
                .where(_entries.c.id > after, *conditions)
                .order_by(_entries.c.id)
                .limit(batch)
            )
            with self._engine.connect() as conn:
                rows = [LogEntry._from_row(r._mapping) for r in conn.execute(query)]
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].id

    def latest(
        self,
        limit: int = 50,
        *,
        before: int | None = None,
        start: TimeBound = None,
        end: TimeBound = None,
        model_version: int | None = None,
        band: str | None = None,
        overridden: bool | None = None,
    ) -> list[LogEntry]:
        """At most ``limit`` entries, newest first, with ids below ``before`` (for paging);
        the filters are those of :meth:`entries`."""
        conditions = self._conditions(
            start=start, end=end, model_version=model_version, band=band, overridden=overridden
        )
        if before is not None:
            conditions.append(_entries.c.id < int(before))
        query = (
            sa.select(_entries)
            .where(*conditions)
            .order_by(_entries.c.id.desc())
            .limit(max(1, int(limit)))
        )
        with self._engine.connect() as conn:
            return [LogEntry._from_row(r._mapping) for r in conn.execute(query)]

    def override_rates(
        self,
        *,
        start: TimeBound = None,
        end: TimeBound = None,
        band_order: Sequence[str] | None = None,
    ) -> list[OverrideRate]:
        """How often scores were overridden: by model band, by the case worker who made the
        score, and by each logged sensitive group.

        A score counts as overridden when its latest override names a band other than the
        model's. Scores appended between ``start`` and ``end`` count (as in :meth:`entries`);
        an override counts for its score whenever it was recorded. With ``band_order`` (the
        pipeline's bands, lowest risk first), overrides are also counted by direction: to a
        higher band (more restrictive) or a lower one.

        Returns
        -------
        list of OverrideRate
            One per (attribute, group): ``attribute`` is ``"band"``, ``"case_worker"`` or a
            sensitive attribute's name; sorted by attribute, then group.
        """
        conditions = self._conditions(start=start, end=end, overridden=False)
        scores: dict[int, tuple[str, str, str | None]] = {}
        final: dict[int, str] = {}
        with self._engine.connect() as conn:
            query = sa.select(
                _entries.c.id, _entries.c.band, _entries.c.user, _entries.c.groups
            ).where(*conditions)
            for entry_id, band, user, groups in conn.execute(query):
                scores[int(entry_id)] = (str(band), str(user), groups)
            overrides = (
                sa.select(_entries.c.refers_to, _entries.c.final_band)
                .where(_entries.c.kind == "override")
                .order_by(_entries.c.id)
            )
            for refers_to, final_band in conn.execute(overrides):
                final[int(refers_to)] = str(final_band)
        rank = {name: position for position, name in enumerate(band_order or ())}
        counts: dict[tuple[str, str], list[int]] = {}
        for entry_id, (band, user, groups) in scores.items():
            used = final.get(entry_id, band)
            changed = used != band
            up = changed and band in rank and used in rank and rank[used] > rank[band]
            down = changed and band in rank and used in rank and rank[used] < rank[band]
            keys = [("band", band), ("case_worker", user)]
            if groups:
                keys += [(str(k), str(v)) for k, v in json.loads(groups).items()]
            for key in keys:
                tally = counts.setdefault(key, [0, 0, 0, 0])
                tally[0] += 1
                tally[1] += int(changed)
                tally[2] += int(up)
                tally[3] += int(down)
        return [
            OverrideRate(
                attribute=key[0], group=key[1], n_scores=n, n_overridden=k, n_up=u, n_down=d
            )
            for key, (n, k, u, d) in sorted(counts.items())
        ]

    def _conditions(
        self,
        *,
        start: TimeBound = None,
        end: TimeBound = None,
        model_name: str | None = None,
        model_version: int | None = None,
        band: str | None = None,
        final_band: str | None = None,
        overridden: bool | None = None,
        person: str | None = None,
        refers_to: int | None = None,
    ) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if start is not None:
            conditions.append(_entries.c.recorded_at >= _bound(start, "start"))
        if end is not None:
            conditions.append(_entries.c.recorded_at < _bound(end, "end"))
        if model_name is not None:
            conditions.append(_entries.c.model_name == model_name)
        if model_version is not None:
            conditions.append(_entries.c.model_version == int(model_version))
        if band is not None:
            conditions.append(_entries.c.band == band)
        if final_band is not None:
            conditions.append(_entries.c.final_band == final_band)
        if overridden is not None:
            conditions.append(_entries.c.kind == ("override" if overridden else "score"))
        if person is not None:
            conditions.append(_entries.c.person == self.pseudonym(person))
        if refers_to is not None:
            conditions.append(_entries.c.refers_to == int(refers_to))
        return conditions

    def export_csv(
        self, path: str | Path, *, start: TimeBound = None, end: TimeBound = None
    ) -> int:
        """Write the entries appended between ``start`` and ``end`` to a CSV file for auditors.

        One row per entry, one column per :class:`LogEntry` field (``inputs`` as JSON), UTF-8.
        ``start`` and ``end`` are as in :meth:`entries`.

        Returns
        -------
        int
            The number of entries written.
        """
        names = [f for f in LogEntry.__dataclass_fields__]
        count = 0
        with Path(path).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=names)
            writer.writeheader()
            for entry in self.entries(start=start, end=end):
                row = entry.to_dict()
                row["probability"] = repr(entry.probability)
                writer.writerow(row)
                count += 1
        return count

    # -- checking ---------------------------------------------------------------------------
    def verify(self, *, batch: int = 5000) -> Verification:
        """Recompute the chain and find the first entry that was edited, deleted or moved.

        Returns
        -------
        Verification
            ``ok``, or the first bad entry's id and what is wrong with it.
        """
        expected_id, previous_hash, count = 1, GENESIS_HASH, 0

        def bad(entry_id: int, problem: str) -> Verification:
            return Verification(False, count, entry_id, problem, expected_id - 1, previous_hash)

        after = 0
        while True:
            query = (
                sa.select(_entries)
                .where(_entries.c.id > after)
                .order_by(_entries.c.id)
                .limit(batch)
            )
            with self._engine.connect() as conn:
                rows = [LogEntry._from_row(r._mapping) for r in conn.execute(query)]
            for entry in rows:
                if entry.id != expected_id:
                    return bad(
                        expected_id,
                        f"entry {expected_id} is missing (deleted): entry {entry.id} follows "
                        f"entry {expected_id - 1}",
                    )
                if entry.prev_hash != previous_hash:
                    return bad(
                        entry.id,
                        f"its previous-entry hash is not entry {entry.id - 1}'s hash: entries "
                        "were reordered, removed or inserted before it",
                    )
                if entry.computed_hash() != entry.entry_hash:
                    return bad(
                        entry.id,
                        "its contents do not match its hash: the entry was edited",
                    )
                count += 1
                expected_id += 1
                previous_hash = entry.entry_hash
            if len(rows) < batch:
                break
            after = rows[-1].id
        head_id, head_hash = self.head()
        last_id = expected_id - 1
        if head_id > last_id:
            return bad(
                last_id + 1,
                f"the log ends at entry {last_id} but its head records {head_id} entries: "
                f"entries {last_id + 1}-{head_id} were deleted",
            )
        if head_id != last_id or head_hash != previous_hash:
            return bad(
                head_id,
                f"the head row (entry {head_id}, hash {head_hash}) does not match the last "
                f"entry ({last_id}, {previous_hash}): the head or the log was changed",
            )
        return Verification(True, count, None, None, last_id, previous_hash)

    def replay(self, entry_id: int, model: LoadedModel) -> Replay:
        """Score a logged entry's inputs again with ``model`` and compare.

        Parameters
        ----------
        entry_id : int
            A score or override entry.
        model : LoadedModel
            The registered model to replay with (normally the logged name and version, from
            :func:`riskkit.tracking.load_model`).

        Returns
        -------
        Replay
            Whether the probability (within :data:`REPLAY_TOLERANCE`) and the band match.
        """
        import pandas as pd

        from riskkit.scoring.score import score_cases

        entry = self.get(entry_id)
        values = entry.input_values
        frame = pd.DataFrame([values])
        for name, value in values.items():
            # numbers and missing values as float columns; text stays as it is (the model casts
            # it to its own categories, as when scoring)
            if value is None or isinstance(value, (int, float)):
                frame[name] = pd.to_numeric(frame[name]).astype("float64")
        frame[model.bundle.config.data.id_column] = entry.person
        result = score_cases(model, frame)[0]
        matches = (
            abs(result.probability - entry.probability) <= REPLAY_TOLERANCE
            and result.band == entry.band
        )
        return Replay(
            entry_id=entry.id,
            model=model.reference,
            same_model=(model.name, model.version) == (entry.model_name, entry.model_version),
            logged_probability=entry.probability,
            replayed_probability=result.probability,
            logged_band=entry.band,
            replayed_band=result.band,
            matches=matches,
        )


class _Transaction:
    """``with``: a connection and its transaction, committed on success, closed always."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sa.Connection:
        self._transaction = self.conn.begin()
        return self.conn

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if kind is None:
                self._transaction.commit()
            else:
                self._transaction.rollback()
        finally:
            self.conn.close()


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL mode, a busy timeout, and BEGIN emitted by us (``BEGIN IMMEDIATE`` for writes)
    rather than by the sqlite3 driver, which would begin only at the first INSERT."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver leaves BEGIN to us
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _append(conn: sa.Connection, fields: dict[str, Any], *, user: str, role: str) -> LogEntry:
    """Read the head, insert the next entry and move the head, in the caller's transaction."""
    return _append_many(conn, [(fields, user, role)])[0]


def _append_many(
    conn: sa.Connection, rows: Sequence[tuple[dict[str, Any], str, str]]
) -> list[LogEntry]:
    """Append entries in order, in the caller's transaction: the head is read (and locked)
    once, the chain computed here, the rows inserted in one statement and the head moved."""
    last_id, last_hash = _lock_head(conn)
    entries = _chained(rows, last_id, last_hash)
    _insert(conn, entries)
    return entries


def _append_sets(
    conn: sa.Connection,
    sets: Sequence[tuple[ScoreSet, Sequence[tuple[dict[str, Any], str, str]]]],
) -> list[list[LogEntry] | LoggedRequest]:
    """:func:`_append_many` for sets of rows, skipping a set whose request key is logged
    already. The keys are looked up after the head is locked, so two writers cannot both log
    the same request."""
    last_id, last_hash = _lock_head(conn)
    outcomes: list[list[LogEntry] | LoggedRequest] = []
    entries: list[LogEntry] = []
    requests: dict[tuple[str, str], dict[str, Any]] = {}
    for batch, rows in sets:
        key = None if batch.request_key is None else (batch.user, _sha256(batch.request_key))
        if key is not None:
            pending = requests.get(key)
            found = _logged_request(conn, *key) if pending is None else _request_of_row(pending)
            if found is not None:
                outcomes.append(found)
                continue
        appended = _chained(rows, last_id, last_hash)
        if appended:
            last_id, last_hash = appended[-1].id, appended[-1].entry_hash
        if key is not None:
            requests[key] = {
                "user": batch.user,
                "key_hash": key[1],
                "request_hash": batch.request_hash,
                "first_entry": appended[0].id,
                "last_entry": appended[-1].id,
                "recorded_at": appended[0].recorded_at,
            }
        entries += appended
        outcomes.append(appended)
    _insert(conn, entries)
    if requests:
        conn.execute(_requests.insert(), list(requests.values()))
    return outcomes


def _lock_head(conn: sa.Connection) -> tuple[int, str]:
    head = conn.execute(
        sa.select(_head.c.last_id, _head.c.last_hash).where(_head.c.id == 1).with_for_update()
    ).one()
    return int(head[0]), str(head[1])


def _chained(
    rows: Sequence[tuple[dict[str, Any], str, str]], last_id: int, last_hash: str
) -> list[LogEntry]:
    """The entries for ``rows``, chained on from the entry ``last_id`` with hash ``last_hash``."""
    entries = []
    for fields, user, role in rows:
        entry = LogEntry(
            id=last_id + 1,
            recorded_at=_now().astimezone(UTC).isoformat(timespec="microseconds"),
            user=user,
            role=role,
            prev_hash=last_hash,
            **fields,
        )
        entry = LogEntry(**{**entry.to_dict(), "entry_hash": entry.computed_hash()})
        entries.append(entry)
        last_id, last_hash = entry.id, entry.entry_hash
    for entry in entries:
        _require_lengths(entry)
    return entries


def _insert(conn: sa.Connection, entries: Sequence[LogEntry]) -> None:
    """Insert chained entries and move the head to the last of them."""
    if entries:
        conn.execute(_entries.insert(), [e.to_dict() for e in entries])
        conn.execute(
            _head.update()
            .where(_head.c.id == 1)
            .values(last_id=entries[-1].id, last_hash=entries[-1].entry_hash)
        )


def _logged_request(conn: sa.Connection, user: str, key_hash: str) -> LoggedRequest | None:
    row = conn.execute(
        sa.select(_requests).where(_requests.c.user == user, _requests.c.key_hash == key_hash)
    ).first()
    return None if row is None else _request_of_row(dict(row._mapping))


def _request_of_row(row: Mapping[str, Any]) -> LoggedRequest:
    return LoggedRequest(
        user=str(row["user"]),
        request_hash=str(row["request_hash"]),
        entry_ids=tuple(range(int(row["first_entry"]), int(row["last_entry"]) + 1)),
        recorded_at=str(row["recorded_at"]),
    )


#: The log's bounded text columns and their sizes. PostgreSQL enforces them and SQLite would
#: not, so they are checked here: a log holds the same entries whichever database is behind it.
_TEXT_LIMITS: Final = {
    c.name: int(c.type.length)
    for c in _entries.columns
    if isinstance(c.type, sa.String) and c.type.length is not None
}


def _require_lengths(entry: LogEntry) -> None:
    for name, limit in _TEXT_LIMITS.items():
        value = getattr(entry, name)
        if isinstance(value, str) and len(value) > limit:
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise RiskkitError(
                f"the log entry's {name} {shown!r} is {len(value)} characters long; the score "
                f"log holds at most {limit} (nothing was logged; shorten it at its source)"
            )


def _require_actor(user: str, role: str) -> None:
    if not str(user).strip() or not str(role).strip():
        raise RiskkitError(
            f"every log entry names who asked and with which role; found user={user!r}, "
            f"role={role!r} (pass the authenticated user's name and role)"
        )


def _probability(value: float) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise RiskkitError(
            f"probability {value!r} is not between 0 and 1; log results of score_cases"
        )
    return number


def _bound(value: datetime | date | str, which: str) -> str:
    """A time bound as the ISO 8601 UTC text the log compares with."""
    if isinstance(value, str):
        try:
            parsed: datetime | date = datetime.fromisoformat(value)
        except ValueError as error:
            raise RiskkitError(
                f"{which} {value!r} is not an ISO 8601 date or time; write e.g. 2026-01-31 or "
                "2026-01-31T12:00:00+00:00"
            ) from error
        if len(value) == 10:  # a plain date
            parsed = parsed.date()  # type: ignore[union-attr]
        value = parsed
    if not isinstance(value, datetime):
        day = datetime(value.year, value.month, value.day, tzinfo=UTC)
        value = day + timedelta(days=1) if which == "end" else day
    if value.tzinfo is None:
        raise RiskkitError(
            f"{which} {value.isoformat()} has no time zone; give an aware datetime (e.g. "
            "datetime(..., tzinfo=UTC)) or a date"
        )
    return value.astimezone(UTC).isoformat(timespec="microseconds")

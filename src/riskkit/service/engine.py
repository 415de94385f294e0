"""What the service does, apart from HTTP: validate records, score them, log every score and
override, and rebuild a logged score's report.

Everything here is plain Python (no FastAPI), so the API and the pages share it and tests can
call it directly.
"""

from __future__ import annotations

import queue
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from riskkit.errors import RiskkitError, ValidationProblem

if TYPE_CHECKING:
    import pandas as pd

    from riskkit.audit_log import LogEntry, LoggedRequest, ScoreLog
    from riskkit.config import PipelineConfig
    from riskkit.data.schema import ColumnSpec, RecordSchema
    from riskkit.estimators.needs import NeedsModel
    from riskkit.scoring.catalogue import Catalogue
    from riskkit.scoring.results import ScoreResult
    from riskkit.tracking import LoadedModel

__all__ = ["RecordProblemsError", "ScoredEntry", "ScoringEngine", "ServiceSettings"]

#: Results kept in memory for their reports (beyond these, a report is rebuilt from the log).
REPORT_CACHE: Final = 2_000
#: Types a record's value may have in a JSON body.
_SCALARS: Final = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class ServiceSettings:
    """How a service is set up (``riskkit serve`` options).

    Attributes
    ----------
    models : tuple of str
        Risk models to serve (``NAME@ALIAS`` or ``NAME/VERSION``); empty: every registered
        model whose ``champion`` alias points at a risk model (unless the engine is given the
        loaded models themselves).
    needs : str or None
        A needs model (``NAME@ALIAS``) giving each person's needs profile.
    catalogue : Path or None
        The jurisdiction's catalogue (case plans).
    log_url : str
        The score log (SQLAlchemy URL).
    pseudonym_key : bytes or None
        Key for pseudonymising person ids in the log (required unless ``pseudonymise`` is off).
    pseudonymise : bool
        Store person ids pseudonymised in the log.
    keys_path : Path
        The API key file (see :mod:`riskkit.service.keys`).
    audit_dirs : tuple of Path
        Folders searched (recursively) for audits (``audit.json``) to list.
    language : str
        The pages' default language (es, pt or en).
    max_records : int
        Most records one ``POST /v1/score`` may carry.
    max_body_bytes : int
        Largest request body accepted (413 beyond).
    session_secret : str or None
        Signs the pages' session cookie; None makes a random one at start (sessions then end
        when the server restarts).
    secure_cookies : bool
        Send the session cookie only over HTTPS (browsers treat http://localhost as secure).
    """

    models: tuple[str, ...] = ()
    needs: str | None = None
    catalogue: Path | None = None
    log_url: str = "sqlite:///scores.db"
    pseudonym_key: bytes | None = None
    pseudonymise: bool = True
    keys_path: Path = Path("riskkit-keys.json")
    audit_dirs: tuple[Path, ...] = (Path("audits"), Path("audit"))
    language: str = "es"
    max_records: int = 1_000
    max_body_bytes: int = 2_000_000
    session_secret: str | None = None
    secure_cookies: bool = True


class RecordProblemsError(RiskkitError):
    """Submitted records (or an override) broke the schema: every problem, none of the
    values; ``what`` says what was refused and what was not done."""

    def __init__(
        self,
        problems: Sequence[ValidationProblem],
        *,
        what: str = "the records; nothing was scored",
    ) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in {what}")

    def to_list(self) -> list[dict[str, Any]]:
        """The problems as ``{"record", "field", "problem"}`` (record numbered from 1; the
        value itself is left out so an error never repeats a person's data)."""
        return [{"record": p.row, "field": p.column, "problem": p.rule} for p in self.problems]


@dataclass(frozen=True)
class ScoredEntry:
    """A score as logged: the log entry's id and the full result (``replayed``: logged for an
    earlier request with the same key, and not logged again)."""

    entry_id: int
    result: ScoreResult
    recorded_at: str
    replayed: bool = False


@dataclass(frozen=True)
class _Checked:
    """Several requests validated together: per request, its rows ``(start, stop)`` in
    ``valid`` or its problems."""

    outcomes: list[tuple[int, int] | RecordProblemsError]
    valid: pd.DataFrame


@dataclass(frozen=True)
class _Request:
    records: list[Mapping[str, object]]
    user: str
    role: str
    model: str | None
    future: Future[list[ScoredEntry]]
    key: str | None = None
    request_hash: str | None = None


@dataclass
class _Served:
    model: LoadedModel
    schema: RecordSchema
    sensitive: tuple[str, ...] = field(default=())


class ScoringEngine:
    """The models, the score log and the reports of one running service.

    Parameters
    ----------
    settings : ServiceSettings
    log : ScoreLog
        The score log every score and override is appended to.
    models : sequence of LoadedModel, optional
        The risk models, already loaded (instead of ``settings.models`` from MLflow).
    needs_model : NeedsModel, optional
        The needs model, already loaded (its inputs are then not validated apart).

    Raises
    ------
    RiskkitError
        When no risk model can be found, or a named model, needs model or catalogue cannot
        be loaded.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        log: ScoreLog,
        *,
        models: Sequence[LoadedModel] | None = None,
        needs_model: NeedsModel | None = None,
    ) -> None:
        from riskkit.data.schema import RecordSchema
        from riskkit.tracking import load_model

        self.settings = settings
        self.log = log
        loaded_models = list(models or ())
        references = () if loaded_models else settings.models or tuple(champion_references())
        if not references and not loaded_models:
            from riskkit.tracking import tracking_uri

            raise RiskkitError(
                f"no registered risk model has a champion in the MLflow store {tracking_uri()}; "
                "train one (riskkit train pipelines/recidivism.toml, or riskkit demo and serve "
                "from demo_output/) or name models with --model NAME@ALIAS"
            )
        self._served: dict[str, _Served] = {}
        for reference in references:
            loaded_models.append(load_model(reference))
        for loaded in loaded_models:
            reference = loaded.reference
            if loaded.kind != "risk":
                raise RiskkitError(
                    f"{reference} is a needs model; serve it with --needs, and risk models "
                    "with --model"
                )
            config = loaded.bundle.config
            self._served[loaded.name] = _Served(
                model=loaded,
                schema=RecordSchema.for_pipeline(config, purpose="score"),
                sensitive=tuple(config.sensitive.attributes),
            )
        self.needs_model: NeedsModel | None = needs_model
        self.needs_schema: RecordSchema | None = None
        self.needs_reference: str | None = None
        if settings.needs is not None and needs_model is None:
            needs = load_model(settings.needs)
            self.needs_model = needs.needs_model
            from riskkit.training.needs import needs_schema

            full = needs_schema(needs.needs_bundle.config, [])
            self.needs_schema = RecordSchema(
                columns=tuple(c for c in full.columns if c.role in ("id", "feature")),
                purpose="score",
            )
            self.needs_reference = needs.reference
        self.catalogue: Catalogue | None = None
        if settings.catalogue is not None:
            from riskkit.scoring.catalogue import load_catalogue

            first = next(iter(self._served.values())).model.bundle.config
            self.catalogue = load_catalogue(settings.catalogue, band_names=first.band_names())
        self._versions: dict[tuple[str, int], LoadedModel] = {
            (s.model.name, s.model.version): s.model for s in self._served.values()
        }
        self._cache: OrderedDict[int, ScoreResult] = OrderedDict()
        self._lock = threading.Lock()
        self._waiting: queue.Queue[_Request] = queue.Queue()
        self._worker: threading.Thread | None = None

    # -- models -----------------------------------------------------------------------------
    @property
    def model_names(self) -> list[str]:
        """The risk models served, by name."""
        return list(self._served)

    def served(self, name: str | None) -> LoadedModel:
        """The served risk model ``name`` (the only one when ``name`` is None)."""
        return self._choose(name).model

    def _choose(self, name: str | None) -> _Served:
        if name is None:
            if len(self._served) == 1:
                return next(iter(self._served.values()))
            raise RecordProblemsError(
                [
                    ValidationProblem(
                        None,
                        "model",
                        None,
                        f"several models are served ({', '.join(self._served)}); name one",
                    )
                ]
            )
        if name not in self._served:
            raise RecordProblemsError(
                [
                    ValidationProblem(
                        None,
                        "model",
                        None,
                        f"no model of that name is served; served: {', '.join(self._served)}",
                    )
                ]
            )
        return self._served[name]

    def form_columns(self, name: str | None = None) -> list[ColumnSpec]:
        """The fields a record for model ``name`` has (the model's schema, then any the needs
        model reads as well), for the case worker's form."""
        schema = self._choose(name).schema
        columns = [c for c in schema.columns if c.role != "target"]
        if self.needs_schema is not None:
            known = {c.name for c in columns}
            columns += [
                c
                for c in self.needs_schema.columns
                if c.name not in known and c.role in ("feature",)
            ]
        return columns

    def config(self, name: str | None = None) -> PipelineConfig:
        """The pipeline of the served model ``name``."""
        return self._choose(name).model.bundle.config

    def config_for(self, name: str, version: int) -> PipelineConfig:
        """The pipeline of a registered model version (one a logged score names)."""
        return self._model_version(name, version).bundle.config

    # -- scoring ----------------------------------------------------------------------------
    def validate(
        self, records: Sequence[Mapping[str, object]], model: str | None = None
    ) -> pd.DataFrame:
        """The records typed and checked against the model's schema (and the needs model's).

        Raises
        ------
        RecordProblemsError
            Listing every problem in every record; nothing is scored when there is one.
        """
        checked = self._validate_requests([records], model)
        outcome = checked.outcomes[0]
        if isinstance(outcome, RecordProblemsError):
            raise outcome
        return checked.valid.iloc[outcome[0] : outcome[1]].reset_index(drop=True)

    def _validate_requests(
        self, requests: Sequence[Sequence[Mapping[str, object]]], model: str | None
    ) -> _Checked:
        """Validate several requests' records for one model in one pass (the fixed cost of a
        pass is paid once): each request gets its own problems, numbered within it, or its
        rows' place in the valid frame. Ids are made distinct per request first, so the same
        person scored in two requests is not a duplicate."""
        import pandas as pd

        from riskkit.data.mapping import map_columns
        from riskkit.data.validation import validate_records

        served = self._choose(model)
        config = served.model.bundle.config
        id_column = config.data.id_column
        outcomes: list[tuple[int, int] | RecordProblemsError] = []
        merged: list[dict[str, object]] = []
        owners: list[tuple[int, int]] = []  # (request, row within it) of each merged row
        for number, records in enumerate(requests):
            problems = [
                ValidationProblem(row, str(key), None, "must be a number, text, true/false or null")
                for row, record in enumerate(records, start=1)
                for key, value in record.items()
                if not isinstance(value, _SCALARS)
            ]
            keys = {str(k) for record in records for k in record}
            problems += [
                ValidationProblem(None, c.display_name, None, "required column is missing")
                for c in served.schema.columns
                if c.required and c.name not in keys and c.source_name not in keys
            ]
            if problems:
                outcomes.append(RecordProblemsError(problems))
                continue
            outcomes.append((0, 0))
            for row, record in enumerate(records, start=1):
                copied = dict(record)
                text = _id_text(copied.get(id_column))
                if text is not None:
                    copied[id_column] = f"{number}{_ID_SEPARATOR}{text}"
                merged.append(copied)
                owners.append((number, row))
        if not merged:
            return _Checked(outcomes=outcomes, valid=pd.DataFrame())
        frame = map_columns(pd.DataFrame.from_records(merged), config)
        validation = validate_records(frame, served.schema)
        found = list(validation.problems)
        needs_valid = None
        extra = self._needs_extra(served)
        if extra is not None:
            needs_validation = validate_records(frame, extra)
            found += needs_validation.problems
            needs_valid = needs_validation.valid
        if any(p.row is None for p in found):
            # a problem of the whole merged input: check the requests one by one instead
            if len(requests) > 1:
                return self._validate_one_by_one(requests, model)
            outcomes[0] = RecordProblemsError([_local(p, owners) for p in found])
            return _Checked(outcomes=outcomes, valid=pd.DataFrame())
        by_request: dict[int, list[ValidationProblem]] = {}
        for problem in sorted(found, key=lambda p: p.row or 0):
            assert problem.row is not None
            by_request.setdefault(owners[problem.row - 1][0], []).append(_local(problem, owners))
        for number, problems in by_request.items():
            outcomes[number] = RecordProblemsError(problems)
        valid = validation.valid.copy()
        if needs_valid is not None:
            for column in needs_valid.columns:
                valid[column] = needs_valid[column]
        keep = pd.Series([owners[r - 1][0] not in by_request for r in valid.index], dtype=bool)
        valid = valid.loc[keep.to_numpy()].reset_index(drop=True)
        valid[id_column] = valid[id_column].str.split(_ID_SEPARATOR, n=1).str[1]
        start = 0
        for number, outcome in enumerate(outcomes):
            if isinstance(outcome, RecordProblemsError):
                continue
            size = len(requests[number])
            outcomes[number] = (start, start + size)
            start += size
        return _Checked(outcomes=outcomes, valid=valid)

    def _validate_one_by_one(
        self, requests: Sequence[Sequence[Mapping[str, object]]], model: str | None
    ) -> _Checked:
        import pandas as pd

        outcomes: list[tuple[int, int] | RecordProblemsError] = []
        frames = []
        start = 0
        for records in requests:
            checked = self._validate_requests([records], model)
            outcome = checked.outcomes[0]
            if isinstance(outcome, RecordProblemsError):
                outcomes.append(outcome)
                continue
            frames.append(checked.valid)
            outcomes.append((start, start + len(checked.valid)))
            start += len(checked.valid)
        valid = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return _Checked(outcomes=outcomes, valid=valid)

    def _needs_extra(self, served: _Served) -> RecordSchema | None:
        """The needs model's inputs the risk model's schema does not already check."""
        from riskkit.data.schema import RecordSchema

        if self.needs_schema is None:
            return None
        known = set(served.schema.names())
        columns = tuple(
            c for c in self.needs_schema.columns if c.role == "feature" and c.name not in known
        )
        return RecordSchema(columns=columns, purpose="score") if columns else None

    def score(
        self,
        records: Sequence[Mapping[str, object]],
        *,
        user: str,
        role: str,
        model: str | None = None,
        request_key: str | None = None,
    ) -> list[ScoredEntry]:
        """Validate, score and log records; all of them, or none when one is invalid.

        Raises
        ------
        RecordProblemsError
            When a record breaks the schema (nothing is scored or logged).
        """
        return self.submit(
            records, user=user, role=role, model=model, request_key=request_key
        ).result()

    def submit(
        self,
        records: Sequence[Mapping[str, object]],
        *,
        user: str,
        role: str,
        model: str | None = None,
        request_key: str | None = None,
    ) -> Future[list[ScoredEntry]]:
        """:meth:`score`, answered later: the requests waiting when the scoring thread is free
        are scored together (one pass over the model, one log transaction), so a service under
        load pays the fixed cost of a pass once per batch rather than once per request. Each
        request stays all-or-nothing: an invalid record fails its own request only.

        A ``request_key`` (the client's idempotency key) makes a retry safe: when ``user``
        logged scores under the same key before, for the same records and model, the answer
        is those entries (``replayed``), and nothing is scored or logged again. The same key
        with other records or another model is refused.

        Raises
        ------
        RecordProblemsError
            At once, when there are no records or more than ``settings.max_records``; later,
            when ``request_key`` was used for another request.
        """
        if not records:
            raise RecordProblemsError(
                [ValidationProblem(None, "records", None, "there are no records")]
            )
        if len(records) > self.settings.max_records:
            raise RecordProblemsError(
                [
                    ValidationProblem(
                        None,
                        "records",
                        None,
                        f"{len(records)} records sent; send at most {self.settings.max_records} "
                        "per request",
                    )
                ]
            )
        request = _Request(
            list(records),
            user,
            role,
            model,
            Future(),
            key=request_key,
            request_hash=None if request_key is None else _request_hash(records, model),
        )
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._score_waiting, name="riskkit-scoring", daemon=True
                )
                self._worker.start()
        self._waiting.put(request)
        return request.future

    def _score_waiting(self) -> None:
        """The scoring thread: take every waiting request (up to ``max_records`` records in
        all) and score them together."""
        while True:
            batch = [self._waiting.get()]
            total = len(batch[0].records)
            while total < self.settings.max_records:
                try:
                    waiting = self._waiting.get_nowait()
                except queue.Empty:
                    break
                batch.append(waiting)
                total += len(waiting.records)
            try:
                outcomes = self._score_together(batch)
            except Exception as error:  # every request in the batch hears of it
                outcomes = [error] * len(batch)
            for request, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    request.future.set_exception(outcome)
                else:
                    request.future.set_result(outcome)

    def _score_together(self, batch: Sequence[_Request]) -> list[list[ScoredEntry] | BaseException]:
        from riskkit.audit_log import ScoreSet
        from riskkit.scoring.score import score_cases

        outcomes: list[list[ScoredEntry] | BaseException] = [[] for _ in batch]
        sets: list[tuple[int, ScoreSet]] = []
        by_model: dict[str, list[int]] = {}
        for position, request in enumerate(batch):
            if request.key is not None:
                try:
                    found = self.log.logged_request(request.user, request.key)
                    if found is not None:
                        outcomes[position] = self._answered(request, found)
                        continue
                except Exception as error:  # this request's own failure, not the batch's
                    outcomes[position] = error
                    continue
            try:
                name = self._choose(request.model).model.name
            except RecordProblemsError as error:
                outcomes[position] = error
                continue
            by_model.setdefault(name, []).append(position)
        for name, members in by_model.items():
            served = self._served[name]
            checked = self._validate_requests([batch[p].records for p in members], name)
            if len(checked.valid) == 0:
                for p, outcome in zip(members, checked.outcomes, strict=True):
                    if isinstance(outcome, RecordProblemsError):
                        outcomes[p] = outcome
                continue
            scored = score_cases(
                served.model, checked.valid, needs_model=self.needs_model, catalogue=self.catalogue
            )
            records = [
                {str(k): v for k, v in row.items()}
                for row in checked.valid.to_dict(orient="records")
            ]
            for p, outcome in zip(members, checked.outcomes, strict=True):
                if isinstance(outcome, RecordProblemsError):
                    outcomes[p] = outcome
                    continue
                start, stop = outcome
                rows = records[start:stop]
                sets.append(
                    (
                        p,
                        ScoreSet(
                            results=[scored.result(i, recourse=False) for i in range(start, stop)],
                            records=rows,
                            user=batch[p].user,
                            role=batch[p].role,
                            groups=[
                                {n: row[n] for n in served.sensitive if _present(row.get(n))}
                                for row in rows
                            ],
                            request_key=batch[p].key,
                            request_hash=batch[p].request_hash,
                        ),
                    )
                )
        sets.sort(key=lambda item: item[0])
        logged = self.log.append_score_sets([s for _, s in sets]) if sets else []
        with self._lock:
            for (_, score_set), entries in zip(sets, logged, strict=True):
                if isinstance(entries, list):
                    for entry, result in zip(entries, score_set.results, strict=True):
                        self._cache[entry.id] = result
                        self._cache.move_to_end(entry.id)
            while len(self._cache) > REPORT_CACHE:
                self._cache.popitem(last=False)
        for (p, score_set), entries in zip(sets, logged, strict=True):
            if not isinstance(entries, list):  # logged meanwhile, by another request or worker
                try:
                    outcomes[p] = self._answered(batch[p], entries)
                except Exception as error:
                    outcomes[p] = error
                continue
            outcomes[p] = [
                ScoredEntry(entry_id=e.id, result=r, recorded_at=e.recorded_at)
                for e, r in zip(entries, score_set.results, strict=True)
            ]
        return outcomes

    def _answered(
        self, request: _Request, found: LoggedRequest
    ) -> list[ScoredEntry] | RecordProblemsError:
        """The answer to a request whose key the log holds: the logged entries when it asks
        for the same thing, a refusal when the key was used for something else."""
        from dataclasses import replace

        first, last = found.entry_ids[0], found.entry_ids[-1]
        if found.request_hash != request.request_hash:
            return RecordProblemsError(
                [
                    ValidationProblem(
                        None,
                        "Idempotency-Key",
                        None,
                        f"this key was used at {found.recorded_at} for another request (other "
                        f"records or another model; score log entries {first} to {last}); send "
                        "a new key with each new request and reuse a key only to retry the "
                        "same request",
                    )
                ],
                what="the request; nothing was scored",
            )
        answered = []
        for entry_id, record in zip(found.entry_ids, request.records, strict=True):
            entry = self.log.get(entry_id)
            with self._lock:
                cached = self._cache.get(entry_id)
            if cached is None:
                # rebuilt from the log, it names the person by the log's pseudonym
                model = self._model_version(entry.model_name, entry.model_version)
                person = _id_text(record.get(model.bundle.config.data.id_column))
                cached = replace(self._rebuild(entry), person_id=person or entry.person)
            answered.append(
                ScoredEntry(
                    entry_id=entry_id, result=cached, recorded_at=entry.recorded_at, replayed=True
                )
            )
        return answered

    # -- reports and overrides ----------------------------------------------------------------
    def score_entry(self, entry_id: int) -> LogEntry:
        """The score entry ``entry_id`` (an override entry's score when given an override).

        Raises
        ------
        LookupError
            When the log has no such entry.
        """
        try:
            entry = self.log.get(entry_id)
        except RiskkitError:
            raise LookupError(entry_id) from None
        if entry.kind == "override" and entry.refers_to is not None:
            return self.log.get(entry.refers_to)
        return entry

    def report(self, entry_id: int) -> tuple[LogEntry, ScoreResult, LogEntry | None]:
        """A logged score's full result (with what would change the band and the latest
        override), its log entry, and that override's entry.

        While the result is in memory it carries the person's id and needs profile as scored;
        otherwise it is rebuilt from the log (the registered model and the logged inputs) and
        names the person by the log's pseudonym, without the needs profile.

        Raises
        ------
        LookupError
            When the log has no such entry.
        """
        from dataclasses import replace

        from riskkit.scoring.results import Override

        entry = self.score_entry(entry_id)
        with self._lock:
            cached = self._cache.get(entry.id)
        result = cached if cached is not None else self._rebuild(entry)
        result = self._with_recourse(entry, result)
        override = None
        for later in self.log.entries(refers_to=entry.id, overridden=True):
            override = later
        if override is not None:
            result = replace(
                result,
                override=Override(band=override.final_band, reason=override.override_reason or ""),
            )
        return entry, result, override

    def _model_version(self, name: str, version: int) -> LoadedModel:
        from riskkit.tracking import load_model

        key = (name, version)
        with self._lock:
            found = self._versions.get(key)
        if found is None:
            found = load_model(f"{name}/{version}")
            with self._lock:
                self._versions[key] = found
        return found

    def _frame(self, entry: LogEntry, model: LoadedModel) -> pd.DataFrame:
        import pandas as pd

        values = entry.input_values
        frame = pd.DataFrame([values])
        for name, value in values.items():
            if value is None or isinstance(value, (int, float)):
                frame[name] = pd.to_numeric(frame[name]).astype("float64")
        frame[model.bundle.config.data.id_column] = entry.person
        return frame

    def _rebuild(self, entry: LogEntry) -> ScoreResult:
        from riskkit.scoring.score import score_cases

        model = self._model_version(entry.model_name, entry.model_version)
        scored = score_cases(
            model,
            self._frame(entry, model),
            catalogue=self.catalogue,
            scored_at=datetime.fromisoformat(entry.scored_at),
        )
        return scored.result(0, recourse=False)

    def _with_recourse(self, entry: LogEntry, result: ScoreResult) -> ScoreResult:
        from dataclasses import replace

        if result.recourse is not None:
            return result
        from riskkit.scoring.score import score_cases

        model = self._model_version(entry.model_name, entry.model_version)
        scored = score_cases(model, self._frame(entry, model))
        return replace(result, recourse=scored.result(0).recourse)

    def override(self, entry_id: int, band: str, reason: str, *, user: str, role: str) -> LogEntry:
        """Record a case worker's override of a logged score.

        Raises
        ------
        LookupError
            When the log has no such score.
        RecordProblemsError
            When the band is not one of the model's or the reason is empty.
        """
        entry = self.score_entry(entry_id)
        model = self._model_version(entry.model_name, entry.model_version)
        bands = model.bundle.config.band_names()
        problems = []
        if band not in bands:
            problems.append(
                ValidationProblem(None, "band", None, f"must be one of {', '.join(bands)}")
            )
        if not reason.strip():
            problems.append(
                ValidationProblem(
                    None, "reason", None, "an override needs a reason, kept with the score"
                )
            )
        if problems:
            raise RecordProblemsError(problems, what="the override; nothing was recorded")
        return self.log.append_override(
            entry.id, band, reason, user=user, role=role, band_names=bands
        )


def champion_references() -> list[str]:
    """``NAME@champion`` for every registered model whose champion is a risk model."""
    from riskkit import tracking

    found = []
    for model in tracking.registered_models():
        if tracking.CHAMPION not in model.aliases:
            continue
        reference = f"{model.name}@{tracking.CHAMPION}"
        number = model.aliases[tracking.CHAMPION]
        kind = next((v.kind for v in model.versions if v.version == number), None)
        if kind is None:  # registered before the kind was tagged: look inside
            kind = tracking.load_model(reference).kind
        if kind == "risk":
            found.append(reference)
    return sorted(found)


def _request_hash(records: Sequence[Mapping[str, object]], model: str | None) -> str:
    """SHA-256 of what a request asks for: its records as sent, and the model it names."""
    import hashlib
    import json

    # the body's values as parsed (JSON scalars, NaN and infinities included: validation,
    # not this hash, refuses those)
    text = json.dumps(
        {"model": model, "records": list(records)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _present(value: object) -> bool:
    """False for a missing value (None, NaN, pandas' NA or NaT)."""
    import math

    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


#: Joins a request's number to a record's id while requests are validated together.
_ID_SEPARATOR: Final = "\x1f"
_ROWS = re.compile(r"rows ([\d, ]+) share it")


def _id_text(value: object) -> str | None:
    """An id as validation reads it: stripped text, None when missing or blank."""
    if not _present(value):
        return None
    text = str(value).strip()
    return text or None


def _local(problem: ValidationProblem, owners: Sequence[tuple[int, int]]) -> ValidationProblem:
    """A problem found in several requests' merged records, numbered within its request."""
    from dataclasses import replace

    if problem.row is None:
        return problem
    offset = owners[problem.row - 1][1] - problem.row
    rule = _ROWS.sub(
        lambda m: (
            "rows " + ", ".join(str(int(r) + offset) for r in m.group(1).split(", ")) + " share it"
        ),
        problem.rule,
    )
    value = problem.value
    if value is not None and _ID_SEPARATOR in value:
        value = value.split(_ID_SEPARATOR, 1)[1]
    return replace(problem, row=owners[problem.row - 1][1], rule=rule, value=value)

"""The FastAPI application: the JSON API under ``/v1``, the pages, and the safety layers around
them (body size cap, errors without stack traces or record contents)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import traceback
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, status
from fastapi import Path as FastPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riskkit import __version__
from riskkit.errors import ValidationProblem
from riskkit.service.auth import (
    UNAUTHENTICATED,
    LoginRequiredError,
    Principal,
    authenticate,
    require,
)
from riskkit.service.engine import RecordProblemsError, ScoringEngine, ServiceSettings
from riskkit.service.keys import KeyStore

__all__ = ["create_app"]

logger = logging.getLogger("riskkit.service")
LANGUAGES: Final = ("es", "pt", "en")
#: Entry ids are SQL integers: larger numbers are refused as invalid rather than looked up.
MAX_ID: Final = 2**63 - 1
#: Longest ``Idempotency-Key`` accepted (a UUID has 36 characters).
MAX_REQUEST_KEY: Final = 200
Value = str | int | float | bool | None


# -- request and response bodies ----------------------------------------------------------------
class ScoreRequest(BaseModel):
    """Records to score: one, or up to the service's limit (1,000 by default)."""

    model_config = ConfigDict(extra="forbid")
    records: list[dict[str, Value]] = Field(
        min_length=1,
        description="Case records: field name to value, as in the CLI's record files.",
    )
    model: str | None = Field(
        default=None, description="The served model's name; needed only when several are served."
    )


class ScoredRecord(BaseModel):
    """One person's score, as logged."""

    entry_id: int = Field(description="The score log entry; the report is /v1/reports/{entry_id}.")
    report: str
    result: dict[str, Any] = Field(
        description="Probability, interval, band, contributions in probability points, needs "
        "and case plan, and the model version (riskkit's ScoreResult, schema 2)."
    )


class ScoreResponse(BaseModel):
    results: list[ScoredRecord]


class OverrideRequest(BaseModel):
    """A case worker's decision to use another band for a logged score."""

    model_config = ConfigDict(extra="forbid")
    entry_id: int = Field(ge=1, le=MAX_ID, description="The score log entry overridden.")
    band: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)


class OverrideResponse(BaseModel):
    entry_id: int
    refers_to: int
    band: str
    final_band: str
    reason: str
    recorded_at: str


class Problem(BaseModel):
    record: int | None = None
    field: str | None = None
    problem: str


class ProblemResponse(BaseModel):
    detail: str
    problems: list[Problem]


class ErrorResponse(BaseModel):
    detail: str


def _responses(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents (every protected route can answer 401, 403, 413
    and 422)."""
    texts = {
        401: "No valid API key (send 'Authorization: Bearer KEY').",
        403: "The key's role may not use this.",
        404: "No such object (or not one the caller may see).",
        413: "The request body is over the service's limit.",
        422: "The request or a record broke the schema: every problem, no values.",
    }
    answers: dict[int | str, dict[str, Any]] = {}
    for code in (401, 403, 413, 422, *codes):
        answers[code] = {
            "model": ProblemResponse if code == 422 else ErrorResponse,
            "description": described.get(f"d{code}", texts[code]),
        }
    return answers


# -- safety layers --------------------------------------------------------------------------------
class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_large = JSONResponse(
            {"detail": f"the request body is over {self.limit:,} bytes; send fewer records"},
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_large(scope, receive, send)
            return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        # no length announced (chunked): read the body up to the limit before the app runs
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.limit:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


class RequireKey:
    """Answer API requests without a valid key with 401 before their body is read (the roles
    are checked per route)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and str(scope.get("path", "")).startswith("/v1/")
            and authenticate(Request(scope)) is None
        ):
            response = JSONResponse(
                {"detail": UNAUTHENTICATED},
                status_code=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class SafeErrors:
    """Answer any unexpected error with a plain 500 and an error id; log the id, the error's
    type and where it happened, never its message or the request (they may hold records)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            error_id = secrets.token_hex(6)
            frames = traceback.extract_tb(error.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
            logger.error(
                "error %s: %s at %s (%s %s)",
                error_id,
                type(error).__name__,
                where,
                scope.get("method"),
                scope.get("path"),
            )
            if not started:
                response = JSONResponse(
                    {"detail": f"internal error {error_id}; the server log has its cause"},
                    status_code=500,
                )
                await response(scope, receive, send)


def _validation_problems(error: RequestValidationError) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    for item in error.errors():
        if item.get("type") == "json_invalid":
            problems.append({"record": None, "field": None, "problem": "the body is not JSON"})
            continue
        location = [str(part) for part in item.get("loc", ()) if part != "body"]
        record = None
        if len(location) >= 2 and location[0] == "records" and location[1].isdigit():
            record = int(location[1]) + 1
            location = location[2:]
        problems.append(
            {"record": record, "field": ".".join(location) or None, "problem": item.get("msg")}
        )
    return problems


# -- the application --------------------------------------------------------------------------
def create_app(settings: ServiceSettings, engine: ScoringEngine | None = None) -> FastAPI:
    """The service.

    Parameters
    ----------
    settings : ServiceSettings
    engine : ScoringEngine, optional
        Built from ``settings`` (models from the MLflow store, the score log) when not given.
    """
    from riskkit.audit_log import ScoreLog
    from riskkit.service.pages import router as pages_router

    if engine is None:
        log = ScoreLog(
            settings.log_url,
            pseudonym_key=settings.pseudonym_key,
            pseudonymise=settings.pseudonymise,
        )
        engine = ScoringEngine(settings, log)
    app = FastAPI(
        title="riskkit",
        version=__version__,
        summary="Interpretable recidivism-risk scores with their explanation, logged.",
        description=(
            "Score case records with the registered champion model; every score and override "
            "is appended to a hash-chained log. Authenticate with `Authorization: Bearer KEY` "
            "(keys come from `riskkit keys create --role ROLE --name NAME`)."
        ),
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.keys = KeyStore(settings.keys_path)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {
                "detail": "the request does not match the API schema",
                "problems": _validation_problems(error),
            },
            status_code=422,
        )

    @app.exception_handler(RecordProblemsError)
    async def _invalid_records(_request: Request, error: RecordProblemsError) -> JSONResponse:
        return JSONResponse({"detail": str(error), "problems": error.to_list()}, status_code=422)

    @app.exception_handler(LoginRequiredError)
    async def _login_first(request: Request, _error: LoginRequiredError) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/v1/") and "text/html" in request.headers.get(
            "accept", ""
        ):
            return HTMLResponse(
                "<!doctype html><meta charset='utf-8'><meta name='viewport' "
                "content='width=device-width, initial-scale=1'><title>riskkit</title>"
                f"<p>{escape(str(error.detail))}</p><p><a href='/'>riskkit</a></p>",
                status_code=error.status_code,
                headers=error.headers,
            )
        if error.status_code == 400:  # FastAPI could not read the body (e.g. not UTF-8)
            return JSONResponse(
                {
                    "detail": "the request body cannot be read",
                    "problems": [
                        {"record": None, "field": None, "problem": "send JSON text in UTF-8"}
                    ],
                },
                status_code=422,
            )
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )

    _add_api(app)
    app.include_router(pages_router)
    app.add_middleware(SafeErrors)
    app.add_middleware(RequireKey)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret or secrets.token_urlsafe(32),
        session_cookie="riskkit_session",
        max_age=8 * 3600,
        same_site="strict",
        https_only=settings.secure_cookies,
    )
    return app


def _engine(request: Request) -> ScoringEngine:
    engine: ScoringEngine = request.app.state.engine
    return engine


def _add_api(app: FastAPI) -> None:
    @app.get("/healthz", tags=["service"])
    async def healthz(request: Request) -> dict[str, Any]:
        """Liveness: the service is up and the score log answers. No authentication."""
        engine = _engine(request)
        engine.log.head()
        return {"status": "ok", "version": __version__}

    @app.post(
        "/v1/score",
        response_model=ScoreResponse,
        response_class=JSONResponse,
        responses=_responses(),
        tags=["scores"],
    )
    async def score(
        body: ScoreRequest,
        request: Request,
        principal: Annotated[Principal, Depends(require("score"))],
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description=(
                    "Makes a retry safe: a request sent again with the same key (same caller, "
                    "same records and model) is answered with the scores already logged for "
                    "it, with the header `Idempotent-Replayed: true`, and nothing is logged "
                    "twice. The same key with another body is refused (422). 1 to "
                    f"{MAX_REQUEST_KEY} visible ASCII characters: a new UUID per request."
                ),
            ),
        ] = None,
    ) -> Response:
        """Score one record or a batch: every record is validated with the CLI's record
        schema first (422 with every problem, nothing scored, when one is invalid); each score
        is appended to the score log under the caller's key name and role."""
        if idempotency_key is not None:
            _require_request_key(idempotency_key)
        scored = await asyncio.wrap_future(
            _engine(request).submit(
                body.records,
                user=principal.name,
                role=principal.role,
                model=body.model,
                request_key=idempotency_key,
            )
        )
        # built directly: the results are plain JSON already, and a second validation of
        # every result would cost more than the HTTP around it (the schema still documents it)
        content = {
            "results": [
                {
                    "entry_id": s.entry_id,
                    "report": f"/v1/reports/{s.entry_id}",
                    "result": s.result.to_dict(),
                }
                for s in scored
            ]
        }
        return Response(
            json.dumps(content, ensure_ascii=False, allow_nan=False),
            media_type="application/json",
            headers={"Idempotent-Replayed": "true"} if scored and scored[0].replayed else None,
        )

    @app.get(
        "/v1/reports/{entry_id}",
        tags=["scores"],
        responses={
            200: {
                "content": {"application/json": {}, "text/html": {}, "application/pdf": {}},
                "description": "The case report.",
            },
            **_responses(404),
        },
    )
    def report(
        entry_id: Annotated[int, FastPath(ge=1, le=MAX_ID)],
        request: Request,
        principal: Annotated[Principal, Depends(require("reports"))],
        format: Annotated[Literal["json", "html", "pdf"] | None, Query()] = None,
        lang: Annotated[Literal["es", "pt", "en"] | None, Query()] = None,
    ) -> Response:
        """A logged score's report, as JSON, HTML or PDF (``?format=`` or the Accept header),
        in ``lang`` (es, pt, en). A case worker sees the reports of the scores they made."""
        chosen = format or _negotiate(request.headers.get("accept", ""))
        entry, result, override = visible_report(request, principal, entry_id)
        language = lang or _engine(request).settings.language
        config = _engine(request).config_for(entry.model_name, entry.model_version)
        if chosen == "html":
            from riskkit.reports.case_report import render_case_html

            return HTMLResponse(render_case_html(result, config=config, language=language))
        if chosen == "pdf":
            from riskkit.reports.case_report import render_case_pdf

            return Response(
                render_case_pdf(result, config=config, language=language),
                media_type="application/pdf",
                headers={"Content-Disposition": f'inline; filename="report-{entry.id}.pdf"'},
            )
        return JSONResponse(
            {
                "entry_id": entry.id,
                "recorded_at": entry.recorded_at,
                "user": entry.user,
                "override_entry_id": None if override is None else override.id,
                "result": result.to_dict(),
            }
        )

    @app.post(
        "/v1/overrides",
        status_code=201,
        response_model=OverrideResponse,
        responses=_responses(404),
        tags=["scores"],
    )
    def override(
        body: OverrideRequest,
        request: Request,
        principal: Annotated[Principal, Depends(require("overrides"))],
    ) -> OverrideResponse:
        """Record a case worker's override of a score they made, with the reason; it is
        appended to the score log (the score itself is never changed)."""
        visible_report(request, principal, body.entry_id, rebuild=False)
        entry = _engine(request).override(
            body.entry_id, body.band, body.reason, user=principal.name, role=principal.role
        )
        assert entry.refers_to is not None
        return OverrideResponse(
            entry_id=entry.id,
            refers_to=entry.refers_to,
            band=entry.band,
            final_band=entry.final_band,
            reason=entry.override_reason or "",
            recorded_at=entry.recorded_at,
        )

    @app.get("/v1/models", tags=["models"], responses=_responses())
    def models(
        request: Request, _principal: Annotated[Principal, Depends(require("models"))]
    ) -> dict[str, Any]:
        """The registered models, their versions and aliases, with which are served and a
        link to each version's model card."""
        from riskkit.service.catalog import registered_models

        return {
            "served": _engine(request).model_names,
            "models": registered_models(),
        }

    @app.get(
        "/v1/models/{name}/versions/{version}/card",
        tags=["models"],
        responses={
            200: {"content": {"text/html": {}}, "description": "The model card."},
            **_responses(404, d404="No such model version, or it has no card."),
        },
    )
    def model_card(
        name: str,
        version: Annotated[int, FastPath(ge=1, le=MAX_ID)],
        _principal: Annotated[Principal, Depends(require("models"))],
    ) -> HTMLResponse:
        """A registered version's model card (HTML)."""
        from riskkit.service.catalog import model_card_html

        text = model_card_html(name, version)
        if text is None:
            raise HTTPException(404, f"model {name!r} has no version {version} with a card")
        return HTMLResponse(text)

    @app.get("/v1/audits", tags=["audits"], responses=_responses())
    def audits(
        request: Request, _principal: Annotated[Principal, Depends(require("audits"))]
    ) -> dict[str, Any]:
        """The fairness audits found in the service's audit folders."""
        from riskkit.service.catalog import find_audits

        return {"audits": [a.summary() for a in find_audits(_engine(request).settings.audit_dirs)]}

    @app.get(
        "/v1/audits/{audit_id}",
        tags=["audits"],
        responses={
            200: {
                "content": {"application/json": {}, "text/html": {}, "application/pdf": {}},
                "description": "The audit.",
            },
            **_responses(404, d404="No such audit, or not in that format."),
        },
    )
    def audit(
        audit_id: str,
        request: Request,
        _principal: Annotated[Principal, Depends(require("audits"))],
        format: Annotated[Literal["json", "html", "pdf"] | None, Query()] = None,
    ) -> Response:
        """One audit: its audit.json, or its HTML or PDF report (``?format=`` or Accept)."""
        from riskkit.service.catalog import find_audit

        found = find_audit(_engine(request).settings.audit_dirs, audit_id)
        if found is None:
            raise HTTPException(404, f"no audit {audit_id!r}; list them at /v1/audits")
        chosen = format or _negotiate(request.headers.get("accept", ""))
        path = found.files.get(chosen)
        if path is None:
            raise HTTPException(404, f"audit {audit_id} has no {chosen.upper()} report")
        media = {
            "json": "application/json",
            "html": "text/html; charset=utf-8",
            "pdf": "application/pdf",
        }
        return Response(path.read_bytes(), media_type=media[chosen])


def _require_request_key(key: str) -> None:
    """Refuse an ``Idempotency-Key`` the service could not keep as given."""
    if 1 <= len(key) <= MAX_REQUEST_KEY and all("!" <= c <= "~" for c in key):
        return
    if not key:
        found = "an empty key"
    elif len(key) > MAX_REQUEST_KEY:
        found = f"{len(key)} characters"
    else:
        found = "spaces, control or non-ASCII characters"
    raise RecordProblemsError(
        [
            ValidationProblem(
                None,
                "Idempotency-Key",
                None,
                f"must be 1 to {MAX_REQUEST_KEY} visible ASCII characters, found {found}; send a "
                "new UUID with each request (e.g. Python's uuid.uuid4())",
            )
        ],
        what="the request; nothing was scored",
    )


def visible_report(
    request: Request, principal: Principal, entry_id: int, *, rebuild: bool = True
) -> tuple[Any, Any, Any]:
    """The report of a score the caller may see (404 otherwise: a case worker sees their own
    scores only, and is not told whether others exist)."""
    engine = _engine(request)
    try:
        entry = engine.score_entry(entry_id)
    except LookupError:
        raise HTTPException(404, f"no score {entry_id} in the log") from None
    if principal.role == "case_worker" and entry.user != principal.name:
        raise HTTPException(404, f"no score {entry_id} in the log")
    if not rebuild:
        return entry, None, None
    return engine.report(entry.id)


def _negotiate(accept: str) -> Literal["json", "html", "pdf"]:
    """The format an Accept header prefers among JSON, HTML and PDF (JSON when it names none)."""
    best: tuple[float, Literal["json", "html", "pdf"]] = (0.0, "json")
    media = {"application/json": "json", "text/html": "html", "application/pdf": "pdf"}
    for part in accept.split(","):
        kind, *params = (p.strip() for p in part.split(";"))
        if kind not in media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > best[0]:
            best = (quality, media[kind])  # type: ignore[assignment]
    return best[1]

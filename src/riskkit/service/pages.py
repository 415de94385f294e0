"""The server-rendered pages: sign-in, a case worker's form and report with the override form,
and the auditor's score log, override rates and audits. Plain HTML forms, no script, usable
on a phone; every form carries a per-session token against cross-site requests."""

from __future__ import annotations

import hmac
import io
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from riskkit.service.auth import (
    ACCESS,
    SESSION_KEY,
    Principal,
    authenticate,
    require,
)
from riskkit.service.engine import RecordProblemsError, ScoringEngine

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LANGUAGE_NAMES: Final = (("es", "Español"), ("pt", "Português"), ("en", "English"))
LOG_PAGE: Final = 50


def _engine(request: Request) -> ScoringEngine:
    engine: ScoringEngine = request.app.state.engine
    return engine


def _language(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.session.get("lang")
    if wanted in ("es", "pt", "en"):
        return str(wanted)
    return _engine(request).settings.language


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def _check_csrf(request: Request, token: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, token):
        raise HTTPException(403, "the form expired or came from another site; reload the page")


def _page(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    title_key: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    from riskkit.reports.i18n import messages
    from riskkit.reports.rendering import render

    lang = _language(request)
    text = messages("service", lang)
    nav: list[tuple[str, str]] = []
    if principal is not None:
        role = principal.role
        if role in ACCESS["score"]:
            nav.append(("/cases/new", text["nav_score"]))
        if role in ACCESS["log"]:
            nav += [("/log", text["nav_log"]), ("/log/overrides", text["nav_overrides"])]
        if role in ACCESS["audits"]:
            nav.append(("/audits", text["nav_audits"]))
        if role in ACCESS["models"]:
            nav.append(("/models", text["nav_models"]))
    html = render(
        template,
        lang=lang,
        text=text,
        title=text[title_key],
        principal=principal,
        nav=nav,
        csrf=_csrf(request),
        signed_in_as=""
        if principal is None
        else text["signed_in_as"].format(name=principal.name, role=principal.role),
        languages=LANGUAGE_NAMES,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


# -- sign in and out ----------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _page(
        request, "service_login.html", None, title_key="login_title", failed=False, next=_safe(next)
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    key: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    lang: Annotated[str, Form(max_length=5)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    _check_csrf(request, csrf)
    found = request.app.state.keys.authenticate(key.strip())
    if lang in ("es", "pt", "en"):
        request.session["lang"] = lang
    if found is None:
        return _page(
            request,
            "service_login.html",
            None,
            title_key="login_title",
            status_code=401,
            failed=True,
            next=_safe(next),
        )
    language = request.session.get("lang")
    request.session.clear()  # a new session on sign-in: nothing carries over
    request.session[SESSION_KEY] = found.key_hash
    request.session["csrf"] = secrets.token_urlsafe(24)
    if language:
        request.session["lang"] = language
    return RedirectResponse(_safe(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    _check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    principal = authenticate(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    for area, target in (("score", "/cases/new"), ("log", "/log"), ("audits", "/audits")):
        if principal.role in ACCESS[area]:
            return RedirectResponse(target, status_code=303)
    return RedirectResponse("/models", status_code=303)


def _safe(target: str) -> str:
    """Only same-site paths are followed after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


# -- case worker: score, report, override ----------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    required: bool
    nullable: bool
    input_type: str
    step: str | None
    minimum: float | None
    maximum: float | None
    choices: tuple[tuple[str, str], ...]
    value: str


def _fields(
    engine: ScoringEngine, model: str | None, lang: str, values: dict[str, str]
) -> list[_Field]:
    from riskkit.features.registry import default_registry
    from riskkit.reports.i18n import messages

    registry = default_registry()
    text = messages("service", lang)
    fields = []
    for column in engine.form_columns(model):
        feature = registry[column.name] if column.role != "id" and column.name in registry else None
        label = feature.label(lang) if feature is not None else column.name
        choices: tuple[tuple[str, str], ...] = ()
        if column.kind == "categorical":
            labels = feature.category_labels if feature is not None else {}
            choices = tuple((c, labels[c][lang] if c in labels else c) for c in column.categories)
        elif column.kind == "binary":
            choices = (("1", text["yes"]), ("0", text["no"]))
        input_type = {"numeric": "number", "integer": "number", "date": "date"}.get(
            column.kind, "text"
        )
        fields.append(
            _Field(
                name=column.name,
                label=label,
                required=column.required,
                nullable=column.nullable,
                input_type=input_type,
                step="1"
                if column.kind == "integer"
                else ("any" if column.kind == "numeric" else None),
                minimum=column.minimum,
                maximum=column.maximum,
                choices=choices,
                value=values.get(column.name, ""),
            )
        )
    return fields


def _problem_lines(error: RecordProblemsError, labels: dict[str, str]) -> list[dict[str, Any]]:
    lines = []
    for item in error.to_list():
        field = item["field"]
        name = field.split(" (")[0] if isinstance(field, str) else None
        lines.append({**item, "label": labels.get(name or "", field)})
    return lines


@router.get("/cases/new")
def score_form(
    request: Request, principal: Annotated[Principal, Depends(require("score", page=True))]
) -> HTMLResponse:
    engine = _engine(request)
    model = engine.model_names[0]
    return _page(
        request,
        "service_score.html",
        principal,
        title_key="score_title",
        fields=_fields(engine, model, _language(request), {}),
        models=engine.model_names,
        model=model,
        problems=[],
        many=False,
    )


@router.post("/cases", response_model=None)
async def score_submitted(
    request: Request, principal: Annotated[Principal, Depends(require("score", page=True))]
) -> Response:
    form = await request.form()
    _check_csrf(request, str(form.get("csrf", "")))
    engine = _engine(request)
    model = str(form.get("model") or engine.model_names[0])
    if model not in engine.model_names:
        model = engine.model_names[0]
    values = {
        str(k): str(v).strip()
        for k, v in form.items()
        if k not in ("csrf", "model") and isinstance(v, str)
    }
    record: dict[str, object] = {k: (v if v != "" else None) for k, v in values.items()}
    return _score_records(request, principal, [record], model, values)


@router.post("/cases/upload", response_model=None)
async def score_uploaded(
    request: Request,
    principal: Annotated[Principal, Depends(require("score", page=True))],
    file: UploadFile,
    csrf: Annotated[str, Form(max_length=100)] = "",
    model: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _check_csrf(request, csrf)
    engine = _engine(request)
    chosen = model if model in engine.model_names else engine.model_names[0]
    content = await file.read()
    try:
        records = _read_upload(file.filename or "", content)
    except ValueError as error:
        problems = RecordProblemsError([_file_problem(str(error))])
        return _score_page_with_problems(request, principal, chosen, problems, {}, many=True)
    return _score_records(request, principal, records, chosen, {}, many=True)


def _file_problem(rule: str) -> Any:
    from riskkit.errors import ValidationProblem

    return ValidationProblem(None, None, None, rule)


def _read_upload(name: str, content: bytes) -> list[dict[str, object]]:
    """Records from an uploaded CSV, JSON (a list of objects, or ``{"records": [...]}``) or
    JSON-lines file, every value as text (the record schema types them)."""
    import json

    import pandas as pd

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text; save it as UTF-8 CSV or JSON") from None
    stripped = text.lstrip()
    lowered = name.lower()
    rows: Any
    try:
        if lowered.endswith(".jsonl"):
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        elif lowered.endswith(".json") or stripped.startswith(("[", "{")):
            data = json.loads(text)
            rows = data.get("records") if isinstance(data, dict) else data
        else:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            rows = [
                {k: (v if v != "" else None) for k, v in row.items()}
                for row in frame.to_dict(orient="records")
            ]
    except (ValueError, pd.errors.ParserError):
        raise ValueError(
            "the file could not be read as CSV (with a header row) or JSON records"
        ) from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError('a JSON file must hold a list of records or {"records": [...]}')
    return rows


def _score_page_with_problems(
    request: Request,
    principal: Principal,
    model: str,
    error: RecordProblemsError,
    values: dict[str, str],
    *,
    many: bool,
) -> HTMLResponse:
    engine = _engine(request)
    fields = _fields(engine, model, _language(request), values)
    labels = {f.name: f.label for f in fields}
    return _page(
        request,
        "service_score.html",
        principal,
        title_key="score_title",
        status_code=422,
        fields=fields,
        models=engine.model_names,
        model=model,
        problems=_problem_lines(error, labels),
        many=many,
    )


def _score_records(
    request: Request,
    principal: Principal,
    records: list[dict[str, object]],
    model: str,
    values: dict[str, str],
    *,
    many: bool = False,
) -> Response:
    engine = _engine(request)
    lang = _language(request)
    try:
        scored = engine.score(records, user=principal.name, role=principal.role, model=model)
    except RecordProblemsError as error:
        return _score_page_with_problems(request, principal, model, error, values, many=many)
    if len(scored) == 1:
        return RedirectResponse(f"/cases/{scored[0].entry_id}?lang={lang}", status_code=303)
    rows = [
        {
            "entry_id": s.entry_id,
            "person_id": s.result.person_id,
            "probability": f"{s.result.probability:.3f}",
            "band": s.result.band,
        }
        for s in scored
    ]
    return _page(request, "service_scored.html", principal, title_key="scored_title", rows=rows)


@router.get("/cases/{entry_id}")
def case_page(
    entry_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require("reports", page=True))],
    recorded: str = "",
) -> HTMLResponse:
    return _case_response(request, principal, entry_id, recorded=recorded)


def _case_response(
    request: Request,
    principal: Principal,
    entry_id: int,
    *,
    recorded: str = "",
    problems: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from riskkit.reports.case_report import band_label, render_case_html
    from riskkit.reports.i18n import messages
    from riskkit.reports.rendering import render
    from riskkit.service.app import visible_report

    engine = _engine(request)
    lang = _language(request)
    text = messages("service", lang)
    entry, result, _override = visible_report(request, principal, entry_id)
    config = engine.config_for(entry.model_name, entry.model_version)
    report = render_case_html(result, config=config, language=lang)
    tools = render(
        "service_case_tools.html",
        text=text,
        lang=lang,
        entry_id=entry.id,
        languages=LANGUAGE_NAMES,
        can_override=principal.role in ACCESS["overrides"],
        csrf=_csrf(request),
        bands=[(b, band_label(config, b, lang)) for b in config.band_names()],
        current_band=result.final_band,
        problems=problems or [],
        recorded=text["override_recorded"].format(band=band_label(config, recorded, lang))
        if recorded in config.band_names()
        else "",
    )
    signed = text["signed_in_as"].format(name=principal.name, role=principal.role)
    bar = (
        '<nav style="background:#1f3b57;color:#fff;padding:.6rem 1rem;font-family:system-ui,'
        'sans-serif;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center">'
        '<a style="color:#fff" href="/">riskkit</a>'
        f"<span>{_escape(signed)}</span>"
        '<form method="post" action="/logout" style="display:inline;margin:0">'
        f'<input type="hidden" name="csrf" value="{_escape(_csrf(request))}">'
        '<button type="submit" style="background:none;border:0;color:#fff;font:inherit;'
        f'text-decoration:underline;padding:0;cursor:pointer">{_escape(text["logout"])}</button>'
        "</form></nav>"
    )
    html = _insert_after_body(report, bar)
    html = html.replace("</body>", tools + "</body>", 1)
    return HTMLResponse(html, status_code=status_code)


def _escape(value: str) -> str:
    from markupsafe import escape

    return str(escape(value))


def _insert_after_body(html: str, fragment: str) -> str:
    start = html.find("<body")
    end = html.find(">", start)
    if start < 0 or end < 0:
        return fragment + html
    return html[: end + 1] + fragment + html[end + 1 :]


@router.post("/cases/{entry_id}/override", response_model=None)
def override_submitted(
    entry_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require("overrides", page=True))],
    band: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    lang: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    from riskkit.service.app import visible_report

    _check_csrf(request, csrf)
    if lang in ("es", "pt", "en"):
        request.session["lang"] = lang
    entry, _, _ = visible_report(request, principal, entry_id, rebuild=False)
    try:
        _engine(request).override(entry.id, band, reason, user=principal.name, role=principal.role)
    except RecordProblemsError as error:
        lines = [f"{p['field']}: {p['problem']}" for p in error.to_list()]
        return _case_response(request, principal, entry.id, problems=lines, status_code=422)
    query = urlencode({"recorded": band, "lang": _language(request)})
    return RedirectResponse(f"/cases/{entry.id}?{query}", status_code=303)


# -- auditor: the log, override rates, audits ------------------------------------------------
@router.get("/log")
def log_page(
    request: Request,
    principal: Annotated[Principal, Depends(require("log", page=True))],
    start: str = "",
    end: str = "",
    version: str = "",
    band: str = "",
    kind: str = "",
    before: str = "",
) -> HTMLResponse:
    from riskkit.errors import RiskkitError
    from riskkit.reports.i18n import messages

    engine = _engine(request)
    text = messages("service", _language(request))
    problems: list[str] = []
    version_number = _positive(version, text["filter_version"], problems)
    before_id = _positive(before, "before", problems)
    overridden = {"scores": False, "overrides": True}.get(kind)
    entries = []
    if not problems:
        try:
            entries = engine.log.latest(
                LOG_PAGE,
                before=before_id,
                start=start or None,
                end=end or None,
                model_version=version_number,
                band=band or None,
                overridden=overridden,
            )
        except RiskkitError as error:
            problems.append(str(error))
    filters = {"start": start, "end": end, "version": version, "band": band, "kind": kind}
    older = ""
    if len(entries) == LOG_PAGE:
        older = "/log?" + urlencode({**filters, "before": entries[-1].id})
    bands = sorted({b for name in engine.model_names for b in engine.config(name).band_names()})
    return _page(
        request,
        "service_log.html",
        principal,
        title_key="log_title",
        entries=entries,
        filters=filters,
        problems=problems,
        bands=bands,
        kinds=[
            ("", text["kind_any"]),
            ("scores", text["kind_scores"]),
            ("overrides", text["kind_overrides"]),
        ],
        older=older,
    )


def _positive(value: str, name: str, problems: list[str]) -> int | None:
    if not value.strip():
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        problems.append(f"{name}: must be a whole number from 1")
        return None
    return number


@router.get("/log/overrides")
def overrides_page(
    request: Request,
    principal: Annotated[Principal, Depends(require("log", page=True))],
    start: str = "",
    end: str = "",
) -> HTMLResponse:
    from riskkit.errors import RiskkitError
    from riskkit.monitoring.overrides import compare_override_rates
    from riskkit.reports.i18n import messages

    engine = _engine(request)
    config = engine.config(engine.model_names[0])
    thresholds = config.monitoring
    problems: list[str] = []
    rates: list[Any] = []
    try:
        rates = engine.log.override_rates(
            start=start or None, end=end or None, band_order=config.band_names()
        )
    except RiskkitError as error:
        problems.append(str(error))
    flagged = {
        (c.attribute, c.group) for c in compare_override_rates(rates, thresholds) if c.flagged
    }
    note = messages("service", _language(request))["flags_note"].format(
        gap=f"{thresholds.override_rate_gap:.0%}", p=thresholds.p_value, n=thresholds.min_scores
    )
    return _page(
        request,
        "service_overrides.html",
        principal,
        title_key="overrides_title",
        rates=rates,
        flagged=flagged,
        flags_note=note,
        filters={"start": start, "end": end},
        problems=problems,
    )


@router.get("/audits")
def audits_page(
    request: Request, principal: Annotated[Principal, Depends(require("audits", page=True))]
) -> HTMLResponse:
    from riskkit.service.catalog import find_audits

    audits = []
    for listing in find_audits(_engine(request).settings.audit_dirs):
        summary = listing.summary()
        model = summary.get("model") or {}
        summary["model_text"] = (
            f"{model.get('name')} v{model.get('version')}"
            if isinstance(model, dict) and model.get("name")
            else str(summary.get("score") or "")
        )
        audits.append(summary)
    return _page(request, "service_audits.html", principal, title_key="audits_title", audits=audits)


@router.get("/audits/{audit_id}")
def audit_page(
    audit_id: str,
    request: Request,
    _principal: Annotated[Principal, Depends(require("audits", page=True))],
    format: str = "html",
) -> Response:
    from riskkit.service.catalog import find_audit

    found = find_audit(_engine(request).settings.audit_dirs, audit_id)
    chosen = format if format in ("html", "pdf", "json") else "html"
    if found is None or chosen not in found.files:
        raise HTTPException(404, "no such audit report")
    media = {
        "json": "application/json",
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
    }
    return Response(found.files[chosen].read_bytes(), media_type=media[chosen])


@router.get("/models")
def models_page(
    request: Request, principal: Annotated[Principal, Depends(require("models", page=True))]
) -> HTMLResponse:
    from riskkit.service.catalog import registered_models

    return _page(
        request,
        "service_models.html",
        principal,
        title_key="models_title",
        models=registered_models(),
        served=_engine(request).model_names,
    )


@router.get("/models/{name}/{version}/card")
def model_card_page(
    name: str,
    version: int,
    _principal: Annotated[Principal, Depends(require("models", page=True))],
) -> HTMLResponse:
    from riskkit.service.catalog import model_card_html

    text = model_card_html(name, version)
    if text is None:
        raise HTTPException(404, "no such model card")
    return HTMLResponse(text)

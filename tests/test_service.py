"""The service in-process: every endpoint × role, validation and errors, reports, overrides and
the score log, the pages' sign-in and forms, and the key commands."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from riskkit.cli import app as cli_app
from tests.service_support import ROLES, ServiceSetting, build_service

MAX_RECORDS = 50
MAX_BODY = 200_000


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> ServiceSetting:
    folder = tmp_path_factory.mktemp("service")
    return build_service(folder, max_records=MAX_RECORDS, max_body_bytes=MAX_BODY)


@pytest.fixture(scope="module")
def client(setting: ServiceSetting) -> TestClient:
    return TestClient(setting.app)


@pytest.fixture(scope="module")
def scored_entry(setting: ServiceSetting, client: TestClient) -> int:
    """A score made by the case worker, for the report and override checks."""
    response = client.post(
        "/v1/score", json={"records": setting.records[:1]}, headers=setting.headers("case_worker")
    )
    assert response.status_code == 200, response.text
    entry_id: int = response.json()["results"][0]["entry_id"]
    return entry_id


# -- every endpoint × role ------------------------------------------------------------------------
# (method, route, path called, allowed roles, status for an allowed role). "{score}" is a case
# worker's score. Allowed roles get the endpoint's success (or 404 for an object that does not
# exist); every other role gets 403, and no key 401 (pages: 303 to the sign-in form).
ALL = {"analyst", "case_worker", "auditor", "admin"}
MATRIX: list[tuple[str, str, str, set[str], int]] = [
    ("POST", "/v1/score", "/v1/score", {"case_worker", "admin"}, 200),
    (
        "GET",
        "/v1/reports/{entry_id}",
        "/v1/reports/{score}",
        {"case_worker", "auditor", "admin"},
        200,
    ),
    ("POST", "/v1/overrides", "/v1/overrides", {"case_worker"}, 201),
    ("GET", "/v1/models", "/v1/models", ALL, 200),
    (
        "GET",
        "/v1/models/{name}/versions/{version}/card",
        "/v1/models/nothing/versions/1/card",
        ALL,
        404,
    ),
    ("GET", "/v1/audits", "/v1/audits", {"analyst", "auditor", "admin"}, 200),
    (
        "GET",
        "/v1/audits/{audit_id}",
        "/v1/audits/000000000000",
        {"analyst", "auditor", "admin"},
        404,
    ),
    ("GET", "/cases/new", "/cases/new", {"case_worker", "admin"}, 200),
    ("GET", "/cases/{entry_id}", "/cases/{score}", {"case_worker", "auditor", "admin"}, 200),
    ("GET", "/log", "/log", {"auditor", "admin"}, 200),
    ("GET", "/log/overrides", "/log/overrides", {"auditor", "admin"}, 200),
    ("GET", "/audits", "/audits", {"analyst", "auditor", "admin"}, 200),
    (
        "GET",
        "/audits/{audit_id}",
        "/audits/000000000000",
        {"analyst", "auditor", "admin"},
        404,
    ),
    ("GET", "/models", "/models", ALL, 200),
    ("GET", "/models/{name}/{version}/card", "/models/nothing/1/card", ALL, 404),
]
#: Routes checked by other tests: open to all (health, docs, sign-in) or the forms' targets.
OTHER_ROUTES = {
    "/healthz",
    "/login",
    "/logout",
    "/",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/cases",
    "/cases/upload",
    "/cases/{entry_id}/override",
}


def _call(
    client: TestClient,
    setting: ServiceSetting,
    method: str,
    path: str,
    headers: dict[str, str],
    score: int,
) -> Any:
    url = path.replace("{score}", str(score))
    body: dict[str, Any] | None = None
    if url == "/v1/score":
        body = {"records": setting.records[1:2]}
    elif url == "/v1/overrides":
        body = {"entry_id": score, "band": "high", "reason": "matrix check"}
    return client.request(method, url, json=body, headers=headers, follow_redirects=False)


@pytest.mark.parametrize(("method", "route", "path", "allowed", "expected"), MATRIX)
def test_each_endpoint_admits_only_its_roles(
    setting: ServiceSetting,
    client: TestClient,
    scored_entry: int,
    method: str,
    route: str,
    path: str,
    allowed: set[str],
    expected: int,
) -> None:
    for role in ROLES:
        response = _call(client, setting, method, path, setting.headers(role), scored_entry)
        wanted = expected if role in allowed else 403
        assert response.status_code == wanted, (role, route, response.text[:300])
    anonymous = _call(client, setting, method, path, {}, scored_entry)
    if route.startswith("/v1/"):
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
    else:
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/login?next=")
    wrong_key = _call(
        client, setting, method, path, {"Authorization": "Bearer rk_not-a-key"}, scored_entry
    )
    assert wrong_key.status_code == anonymous.status_code


def test_the_matrix_covers_every_route(setting: ServiceSetting) -> None:
    in_matrix = {(method, route) for method, route, _, _, _ in MATRIX}
    for route in setting.app.routes:
        path = getattr(route, "path", "")
        if path in OTHER_ROUTES:
            continue
        for method in getattr(route, "methods", set()) - {"HEAD"}:
            assert (method, path) in in_matrix, f"{method} {path} is not in the role matrix"


def test_healthz_is_open_and_says_nothing_about_records(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_a_case_worker_sees_only_their_own_scores(
    setting: ServiceSetting, client: TestClient, scored_entry: int
) -> None:
    other = client.get(f"/v1/reports/{scored_entry}", headers=setting.headers("case_worker_2"))
    assert other.status_code == 404
    override = client.post(
        "/v1/overrides",
        json={"entry_id": scored_entry, "band": "low", "reason": "not mine"},
        headers=setting.headers("case_worker_2"),
    )
    assert override.status_code == 404


def test_a_revoked_key_stops_working_at_once(setting: ServiceSetting, client: TestClient) -> None:
    from riskkit.service.keys import KeyStore

    store = KeyStore(setting.folder / "keys.json")
    _key, secret = store.create("short-lived", "analyst")
    assert (
        client.get("/v1/models", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    store.revoke("short-lived")
    assert (
        client.get("/v1/models", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


# -- validation, limits and errors ----------------------------------------------------------------
def test_invalid_records_get_422_with_every_problem_and_no_values(
    setting: ServiceSetting, client: TestClient
) -> None:
    good = dict(setting.records[2])
    bad = dict(setting.records[3])
    bad["age"] = "sixty-seven"
    bad["offence_type"] = "unheard-of-offence"
    del bad["prior_convictions"]
    before = len(setting.engine.log)
    response = client.post(
        "/v1/score", json={"records": [good, bad]}, headers=setting.headers("case_worker")
    )
    assert response.status_code == 422
    body = response.json()
    fields = {(p["record"], p["field"]) for p in body["problems"]}
    assert (2, "age") in fields
    assert (2, "offence_type") in fields
    assert "nothing was scored" in body["detail"]
    assert "sixty-seven" not in response.text
    assert "unheard-of-offence" not in response.text
    assert len(setting.engine.log) == before  # all or nothing


def test_a_malformed_body_lists_where_without_echoing_the_input(
    setting: ServiceSetting, client: TestClient
) -> None:
    response = client.post(
        "/v1/score",
        json={"records": [{"age": {"nested": "secret-value-123"}}], "extra": 1},
        headers=setting.headers("case_worker"),
    )
    assert response.status_code == 422
    assert response.json()["problems"]
    assert "secret-value-123" not in response.text


def test_too_many_records_and_too_large_bodies_are_refused(
    setting: ServiceSetting, client: TestClient
) -> None:
    many = [dict(setting.records[0], person_id=f"P{i}") for i in range(MAX_RECORDS + 1)]
    response = client.post("/v1/score", json={"records": many}, headers=setting.headers("admin"))
    assert response.status_code == 422
    assert f"at most {MAX_RECORDS}" in response.text
    huge = {"records": [dict(setting.records[0], note="x" * (MAX_BODY + 10))]}
    response = client.post("/v1/score", json=huge, headers=setting.headers("admin"))
    assert response.status_code == 413
    chunked = client.post(
        "/v1/score",
        content=iter([b'{"records": [', b" " * (MAX_BODY + 10), b"]}"]),
        headers={**setting.headers("admin"), "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413


def test_an_unexpected_error_is_a_bare_500_and_the_log_has_no_record(
    setting: ServiceSetting,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("person SYN-SECRET-42 has age 67")

    monkeypatch.setattr(setting.engine, "submit", broken)
    quiet = TestClient(setting.app, raise_server_exceptions=False)
    with caplog.at_level(logging.INFO):
        response = quiet.post(
            "/v1/score", json={"records": setting.records[:1]}, headers=setting.headers("admin")
        )
    assert response.status_code == 500
    assert re.fullmatch(r"internal error [0-9a-f]{12}; .*", response.json()["detail"])
    assert "SYN-SECRET-42" not in response.text
    assert "Traceback" not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError" in logged
    assert "SYN-SECRET-42" not in logged
    assert "Traceback" not in caplog.text


# -- scores, reports, overrides and the log --------------------------------------------------------
def test_scores_come_with_explanation_interval_and_model_and_are_logged(
    setting: ServiceSetting, client: TestClient
) -> None:
    records = setting.records[4:7]
    response = client.post(
        "/v1/score", json={"records": records}, headers=setting.headers("case_worker")
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["result"]["person_id"] for r in results] == [r["person_id"] for r in records]
    for item in results:
        result = item["result"]
        points = sum(c["points"] for c in result["contributions"])
        assert points == pytest.approx(result["probability"] - result["reference_probability"])
        assert result["model"]["name"] == "recidivism"
        entry = setting.engine.log.get(item["entry_id"])
        assert entry.user == "case_worker-user"
        assert entry.role == "case_worker"
        assert entry.probability == result["probability"]
        assert entry.person != result["person_id"]  # pseudonymised
        assert set(entry.group_values) <= {"sex", "ethnicity", "nationality"}
        assert entry.group_values  # the synthetic records carry the audit groups
    assert setting.engine.log.verify().ok


@contextlib.contextmanager
def _scoring_held(engine: Any) -> Iterator[threading.Event]:
    """The scoring thread waits at its next batch until the event is set, so the requests
    sent meanwhile are scored together."""
    blocker = threading.Event()
    original = engine._score_together

    def held(batch: Any) -> Any:
        blocker.wait(10)
        return original(batch)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "_score_together", held)
        try:
            yield blocker
        finally:
            blocker.set()


def test_requests_scored_together_stay_all_or_nothing_each(setting: ServiceSetting) -> None:
    """Requests waiting together are one batch: each keeps its own user, and an invalid
    record fails only its own request."""
    from riskkit.service.engine import RecordProblemsError

    engine = setting.engine
    bad = dict(setting.records[20], age="old")
    with _scoring_held(engine) as blocker:
        first = engine.submit(setting.records[19:20], user="ana", role="case_worker")
        time.sleep(0.2)  # the scoring thread now holds the first request
        waiting = [
            engine.submit(setting.records[21:23], user="bea", role="case_worker"),
            engine.submit([bad], user="caro", role="case_worker"),
            engine.submit(setting.records[23:24], user="dora", role="admin"),
        ]
        blocker.set()
        assert len(first.result(20)) == 1
        together = [future.exception(20) or future.result() for future in waiting]
    assert [len(r) for r in together if isinstance(r, list)] == [2, 1]
    assert isinstance(together[1], RecordProblemsError)
    ids = [e.entry_id for r in together if isinstance(r, list) for e in r]
    assert ids == list(range(ids[0], ids[0] + 3))  # one transaction, in request order
    users = [engine.log.get(i).user for i in ids]
    assert users == ["bea", "bea", "dora"]
    assert engine.log.verify().ok


def test_requests_validated_together_keep_their_own_problems(setting: ServiceSetting) -> None:
    """The same person in two requests is no duplicate; a duplicate or a missing column in one
    request is that request's problem, numbered within it, exactly as when it comes alone."""
    from riskkit.service.engine import RecordProblemsError, _Request

    engine = setting.engine
    same = setting.records[25]
    twice = [setting.records[26], setting.records[27], dict(setting.records[26])]
    no_age = [{k: v for k, v in setting.records[28].items() if k != "age"}]
    batch = [
        _Request([same], "ana", "case_worker", None, None),  # type: ignore[arg-type]
        _Request(twice, "ana", "case_worker", None, None),  # type: ignore[arg-type]
        _Request([dict(same)], "bea", "case_worker", None, None),  # type: ignore[arg-type]
        _Request(no_age, "caro", "case_worker", None, None),  # type: ignore[arg-type]
    ]
    outcomes = engine._score_together(batch)
    assert isinstance(outcomes[0], list)
    assert isinstance(outcomes[2], list)
    assert outcomes[0][0].result.person_id == outcomes[2][0].result.person_id == same["person_id"]
    for number, records in ((1, twice), (3, no_age)):
        together = outcomes[number]
        assert isinstance(together, RecordProblemsError)
        with pytest.raises(RecordProblemsError, match="nothing was scored") as alone:
            engine.validate(records)
        assert together.to_list() == alone.value.to_list()
    assert outcomes[1].to_list()[0] == {  # type: ignore[union-attr]
        "record": 1,
        "field": "person_id",
        "problem": "duplicate id (rows 1, 3 share it); ids must be unique",
    }
    assert outcomes[3].to_list() == [  # type: ignore[union-attr]
        {"record": None, "field": "age", "problem": "required column is missing"}
    ]


def _with_key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def test_a_retry_with_the_same_idempotency_key_is_answered_from_the_log(
    setting: ServiceSetting, client: TestClient
) -> None:
    log = setting.engine.log
    records = setting.records[30:32]
    key = str(uuid.uuid4())
    headers = _with_key(setting.headers("case_worker"), key)
    before = len(log)
    first = client.post("/v1/score", json={"records": records}, headers=headers)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    ids = [r["entry_id"] for r in first.json()["results"]]
    assert len(log) == before + 2
    # the client never saw the answer and sends the request again
    retry = client.post("/v1/score", json={"records": records}, headers=headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    # answered by another worker (nothing in memory): rebuilt from the log
    setting.engine._cache.clear()
    rebuilt = client.post("/v1/score", json={"records": records}, headers=headers)
    assert rebuilt.status_code == 200 and rebuilt.headers["Idempotent-Replayed"] == "true"
    for was, now in zip(first.json()["results"], rebuilt.json()["results"], strict=True):
        assert now["entry_id"] == was["entry_id"]
        assert now["result"]["person_id"] == was["result"]["person_id"]  # not the pseudonym
        assert now["result"]["probability"] == pytest.approx(
            was["result"]["probability"], abs=1e-12
        )
        assert now["result"]["band"] == was["result"]["band"]
        assert now["result"]["scored_at"] == was["result"]["scored_at"]
    assert len(log) == before + 2
    # a key belongs to its caller, and a request without one is always scored
    admin = client.post(
        "/v1/score", json={"records": records}, headers=_with_key(setting.headers("admin"), key)
    )
    unkeyed = client.post("/v1/score", json={"records": records}, headers=setting.headers("admin"))
    new_ids = [r["entry_id"] for r in admin.json()["results"] + unkeyed.json()["results"]]
    assert "Idempotent-Replayed" not in admin.headers
    assert min(new_ids) > max(ids) and len(set(new_ids)) == 4
    assert len(log) == before + 6 and log.verify().ok


def test_an_idempotency_key_sent_again_with_another_request_is_refused(
    setting: ServiceSetting, client: TestClient
) -> None:
    log = setting.engine.log
    headers = _with_key(setting.headers("case_worker"), str(uuid.uuid4()))
    first = client.post("/v1/score", json={"records": setting.records[32:33]}, headers=headers)
    assert first.status_code == 200
    before = len(log)
    other = client.post("/v1/score", json={"records": setting.records[33:34]}, headers=headers)
    assert other.status_code == 422
    (problem,) = other.json()["problems"]
    assert problem["field"] == "Idempotency-Key"
    entry = first.json()["results"][0]["entry_id"]
    assert (
        f"for another request (other records or another model; score log entries {entry} to "
        in (problem["problem"])
    )
    assert "send a new key with each new request" in problem["problem"]
    assert len(log) == before


@pytest.mark.parametrize(
    ("key", "found"),
    [
        ("", "an empty key"),
        ("k" * 201, "201 characters"),
        ("two words", "spaces, control or non-ASCII characters"),
    ],
)
def test_a_malformed_idempotency_key_is_refused(
    setting: ServiceSetting, client: TestClient, key: str, found: str
) -> None:
    before = len(setting.engine.log)
    response = client.post(
        "/v1/score",
        json={"records": setting.records[34:35]},
        headers=_with_key(setting.headers("case_worker"), key),
    )
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["field"] == "Idempotency-Key"
    assert problem["problem"].startswith(
        f"must be 1 to 200 visible ASCII characters, found {found}; send a new UUID"
    )
    assert len(setting.engine.log) == before


def test_one_key_twice_in_a_batch_is_scored_and_logged_once(setting: ServiceSetting) -> None:
    """A client that retries while its first request still waits: both are in one batch, the
    first is logged and the second answered with its entries."""
    engine = setting.engine
    records = setting.records[35:37]
    before = len(engine.log)
    with _scoring_held(engine) as blocker:
        holding = engine.submit(setting.records[37:38], user="ana", role="case_worker")
        time.sleep(0.2)  # the scoring thread now holds this request
        sent, resent = (
            engine.submit(records, user="eva", role="case_worker", request_key="k-35")
            for _ in range(2)
        )
        blocker.set()
        holding.result(20)
        first, second = sent.result(20), resent.result(20)
    assert [e.entry_id for e in second] == [e.entry_id for e in first]
    assert [e.replayed for e in first] == [False, False]
    assert [e.replayed for e in second] == [True, True]
    assert [e.result for e in second] == [e.result for e in first]
    assert len(engine.log) == before + 3 and engine.log.verify().ok


def test_reports_come_as_json_html_or_pdf_in_the_reader_language(
    setting: ServiceSetting, client: TestClient, scored_entry: int
) -> None:
    headers = setting.headers("auditor")
    as_json = client.get(f"/v1/reports/{scored_entry}", headers=headers)
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_json.json()["entry_id"] == scored_entry
    by_accept = client.get(
        f"/v1/reports/{scored_entry}", headers={**headers, "Accept": "text/html"}
    )
    assert by_accept.headers["content-type"].startswith("text/html")
    english = client.get(f"/v1/reports/{scored_entry}?format=html&lang=en", headers=headers)
    spanish = client.get(f"/v1/reports/{scored_entry}?format=html&lang=es", headers=headers)
    assert '<html lang="en"' in english.text
    assert '<html lang="es"' in spanish.text
    assert english.text != spanish.text
    pdf = client.get(f"/v1/reports/{scored_entry}?format=pdf", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    missing = client.get("/v1/reports/999999", headers=headers)
    assert missing.status_code == 404


def test_an_override_is_appended_with_its_reason_and_shows_in_the_report(
    setting: ServiceSetting, client: TestClient
) -> None:
    headers = setting.headers("case_worker")
    score = client.post("/v1/score", json={"records": setting.records[8:9]}, headers=headers)
    entry_id = score.json()["results"][0]["entry_id"]
    model_band = score.json()["results"][0]["result"]["band"]
    other = next(b for b in ("low", "medium", "high", "very_high") if b != model_band)
    refused = client.post(
        "/v1/overrides",
        json={"entry_id": entry_id, "band": "nonexistent", "reason": "x"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "band"
    assert refused.json()["detail"] == "1 problem(s) in the override; nothing was recorded"
    response = client.post(
        "/v1/overrides",
        json={"entry_id": entry_id, "band": other, "reason": "Verified job offer"},
        headers=headers,
    )
    assert response.status_code == 201
    override = response.json()
    assert override["refers_to"] == entry_id
    assert override["band"] == model_band
    assert override["final_band"] == other
    report = client.get(f"/v1/reports/{entry_id}", headers=setting.headers("auditor")).json()
    assert report["result"]["band"] == model_band
    assert report["result"]["final_band"] == other
    assert report["result"]["override"]["reason"] == "Verified job offer"
    assert report["override_entry_id"] == override["entry_id"]
    rates = setting.engine.log.override_rates()
    by_band = {r.group: r for r in rates if r.attribute == "band"}
    assert by_band[model_band].n_overridden >= 1
    assert setting.engine.log.verify().ok


def test_a_report_is_rebuilt_from_the_log_when_not_in_memory(
    setting: ServiceSetting, client: TestClient, scored_entry: int
) -> None:
    cached = client.get(f"/v1/reports/{scored_entry}", headers=setting.headers("auditor")).json()
    setting.engine._cache.clear()
    rebuilt = client.get(f"/v1/reports/{scored_entry}", headers=setting.headers("auditor")).json()
    assert rebuilt["result"]["probability"] == pytest.approx(
        cached["result"]["probability"], abs=1e-12
    )
    assert rebuilt["result"]["band"] == cached["result"]["band"]
    assert rebuilt["result"]["person_id"] == setting.engine.log.get(scored_entry).person


def test_models_and_audits_are_listed(
    setting: ServiceSetting, client: TestClient, mlflow_store: str
) -> None:
    models = client.get("/v1/models", headers=setting.headers("analyst")).json()
    assert models["served"] == ["recidivism"]
    audit_folder = setting.folder / "audits" / "recidivism" / "v3"
    audit_folder.mkdir(parents=True, exist_ok=True)
    data = {"groups": [], "purpose": "punitive", "flags": [1, 2], "n": 10, "metadata": {}}
    (audit_folder / "audit.json").write_text(json.dumps(data), encoding="utf-8")
    (audit_folder / "audit.html").write_text("<p>audit report</p>", encoding="utf-8")
    listed = client.get("/v1/audits", headers=setting.headers("auditor")).json()["audits"]
    assert [a["flags"] for a in listed] == [2]
    one = listed[0]
    assert one["formats"] == ["html", "json"]
    html = client.get(f"/v1/audits/{one['id']}?format=html", headers=setting.headers("auditor"))
    assert html.text == "<p>audit report</p>"
    as_json = client.get(f"/v1/audits/{one['id']}", headers=setting.headers("auditor"))
    assert as_json.json()["purpose"] == "punitive"
    no_pdf = client.get(f"/v1/audits/{one['id']}?format=pdf", headers=setting.headers("auditor"))
    assert no_pdf.status_code == 404


# -- pages ----------------------------------------------------------------------------------------------
def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "the page has no form token"
    return match.group(1)


def test_sign_in_score_and_override_through_the_pages(setting: ServiceSetting) -> None:
    browser = TestClient(setting.app)
    page = browser.get("/cases/new", follow_redirects=True)
    assert "/login" in str(page.url)
    token = _csrf(page.text)
    failed = browser.post("/login", data={"key": "rk_wrong", "csrf": token, "lang": "en"})
    assert failed.status_code == 401
    assert "not valid" in failed.text
    signed = browser.post(
        "/login",
        data={"key": setting.keys["case_worker"], "csrf": token, "lang": "en", "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    form = browser.get("/cases/new")
    assert form.status_code == 200
    token = _csrf(form.text)
    record = {k: str(v) for k, v in setting.records[10].items()}
    refused = browser.post("/cases", data={**record, "csrf": "forged"})
    assert refused.status_code == 403
    bad = browser.post("/cases", data={**record, "age": "200", "csrf": token})
    assert bad.status_code == 422
    assert "not scored" in bad.text
    done = browser.post("/cases", data={**record, "csrf": token}, follow_redirects=False)
    assert done.status_code == 303
    report_url = done.headers["location"]
    entry_id = int(report_url.split("/")[2].split("?")[0])
    report = browser.get(report_url)
    assert record["person_id"] in report.text
    assert "Record an override" in report.text
    token = _csrf(report.text)
    overridden = browser.post(
        f"/cases/{entry_id}/override",
        data={"band": "high", "reason": "Seen in person", "csrf": token, "lang": "en"},
    )
    assert overridden.status_code == 200
    assert "Override recorded" in overridden.text
    entry = setting.engine.log.latest(1)[0]
    assert (entry.kind, entry.refers_to, entry.final_band) == ("override", entry_id, "high")
    assert entry.user == "case_worker-user"
    browser.post("/logout", data={"csrf": _csrf(overridden.text)})
    assert "/login" in str(browser.get("/cases/new").url)


def test_an_auditor_filters_the_log_and_sees_override_rates(
    setting: ServiceSetting, client: TestClient, scored_entry: int
) -> None:
    headers = setting.headers("auditor")
    page = client.get("/log?kind=scores", headers=headers)
    assert page.status_code == 200
    assert "<td>score</td>" in page.text
    assert "<td>override</td>" not in page.text
    band = setting.engine.log.get(scored_entry).band
    filtered = client.get(f"/log?band={band}&kind=scores", headers=headers)
    rows = re.findall(r"<tr><td><a href=\"/cases/\d+\">(\d+)</a>", filtered.text)
    assert rows
    assert all(setting.engine.log.get(int(r)).band == band for r in rows)
    bad = client.get("/log?version=zero&start=not-a-date", headers=headers)
    assert bad.status_code == 200
    assert "must be a whole number" in bad.text
    rates = client.get("/log/overrides", headers=headers)
    assert "<td>band</td>" in rates.text
    assert "<td>sex</td>" in rates.text


def test_secure_cookies_are_marked_secure(setting: ServiceSetting) -> None:
    from riskkit.service.app import create_app

    secure = dataclasses.replace(setting.engine.settings, secure_cookies=True)
    browser = TestClient(create_app(secure, setting.engine), base_url="https://testserver")
    token = _csrf(browser.get("/login").text)
    signed = browser.post(
        "/login",
        data={"key": setting.keys["auditor"], "csrf": token},
        follow_redirects=False,
    )
    assert "secure" in signed.headers["set-cookie"].lower()


def test_uploading_a_file_scores_every_record(setting: ServiceSetting, client: TestClient) -> None:
    import csv
    import io

    buffer = io.StringIO()
    rows = setting.records[12:15]
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    browser = TestClient(setting.app)
    token = _csrf(browser.get("/login").text)
    browser.post("/login", data={"key": setting.keys["case_worker"], "csrf": token})
    token = _csrf(browser.get("/cases/new").text)
    response = browser.post(
        "/cases/upload",
        data={"csrf": token},
        files={"file": ("cases.csv", buffer.getvalue().encode(), "text/csv")},
    )
    assert response.status_code == 200
    for row in rows:
        assert str(row["person_id"]) in response.text
    junk = browser.post(
        "/cases/upload",
        data={"csrf": token},
        files={"file": ("cases.json", b'{"records": 5}', "application/json")},
    )
    assert junk.status_code == 422
    assert "list of records" in junk.text


# -- key commands -------------------------------------------------------------------------------------
def test_keys_create_prints_the_key_alone_last_and_stores_only_its_hash(tmp_path: Path) -> None:
    runner = CliRunner()
    keys = tmp_path / "keys.json"
    created = runner.invoke(
        cli_app, ["keys", "create", "--role", "auditor", "--name", "olga", "--keys", str(keys)]
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"rk_[A-Za-z0-9_-]{43}", secret)
    stored = keys.read_text(encoding="utf-8")
    assert secret not in stored
    assert json.loads(stored)["keys"][0]["role"] == "auditor"
    assert keys.stat().st_mode & 0o077 == 0
    again = runner.invoke(
        cli_app, ["keys", "create", "--role", "auditor", "--name", "olga", "--keys", str(keys)]
    )
    assert again.exit_code == 1
    assert "already named 'olga'" in again.output
    wrong = runner.invoke(
        cli_app, ["keys", "create", "--role", "judge", "--name", "x", "--keys", str(keys)]
    )
    assert wrong.exit_code == 1
    assert "unknown role 'judge'" in wrong.output
    revoked = runner.invoke(cli_app, ["keys", "revoke", "olga", "--keys", str(keys)])
    assert revoked.exit_code == 0
    listed = runner.invoke(cli_app, ["keys", "list", "--keys", str(keys)])
    assert "revoked" in listed.stdout
    twice = runner.invoke(cli_app, ["keys", "revoke", "olga", "--keys", str(keys)])
    assert twice.exit_code == 1
    assert "already revoked" in twice.output

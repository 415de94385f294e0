"""Property-based fuzzing of the service's JSON API: every operation of its OpenAPI schema with
requests schemathesis generates (valid and invalid), as a role allowed on it and as callers who
are not; ids at the limits of a 64-bit integer; and POST /v1/score with records of random values
(hypothesis).

The properties: no 5xx; only the statuses the service means to send; no Python traceback in a
body; a 422 lists its ``problems``; answers conform to the schema (status, content type, body);
and a 422 for records never repeats a submitted value.

schemathesis' pytest loader (``schemathesis.pytest.from_fixture``) does not run under pytest 9
(it sets ``Node._nodeid``, which pytest 9 removed), so the operations are listed here, a test
checks the list against the schema, and each test draws its cases from the operation's
strategy. Runs are reproducible (derandomized) and bounded: shrinking is off, and a failing
example notes its request as a curl command instead.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service_support import ServiceSetting, build_service

Operation = tuple[str, str]

#: Every operation of the schema: a role allowed on it (None: no authentication) and roles
#: that are not.
OPERATIONS: Final[dict[Operation, tuple[str | None, tuple[str, ...]]]] = {
    ("GET", "/healthz"): (None, ()),
    ("POST", "/v1/score"): ("case_worker", ("analyst", "auditor")),
    ("GET", "/v1/reports/{entry_id}"): ("case_worker", ("analyst",)),
    ("POST", "/v1/overrides"): ("case_worker", ("admin", "auditor")),
    ("GET", "/v1/models"): ("analyst", ()),
    ("GET", "/v1/models/{name}/versions/{version}/card"): ("case_worker", ()),
    ("GET", "/v1/audits"): ("auditor", ("case_worker",)),
    ("GET", "/v1/audits/{audit_id}"): ("auditor", ("case_worker",)),
}
#: Operations with parameters or a body, which invalid data can be made for.
WITH_INPUT: Final = [op for op in OPERATIONS if "{" in op[1] or op[0] == "POST"]
#: Every status the service means to answer with.
STATUSES: Final = frozenset({200, 201, 401, 403, 404, 405, 413, 422})
#: Scores the fixture logs before the fuzzing: entries 1..8 by case_worker, 9..10 by
#: case_worker_2 (whose reports case_worker must not see).
OWN_SCORES: Final = 8
OTHER_SCORES: Final = 2
BANDS: Final = ("low", "medium", "high")
#: Integers at the edges of what a database column (SQLite: 64 bits) holds.
LIMITS: Final = (0, -1, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**30)
#: schemathesis' checks, run on every answer (a 401 or 403 must be documented too).
CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
TRACEBACK_MARKS: Final = ("Traceback", 'File "')

FUZZ: Final = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
DENIED_FUZZ: Final = settings(FUZZ, max_examples=10)
RECORDS_FUZZ: Final = settings(FUZZ, max_examples=50)


class Fuzzing:
    """The service under test and the case strategies of its operations. Its repr is short
    (hypothesis prints a failing example's arguments, and warns when that runs long)."""

    def __init__(self, setting: ServiceSetting, schema: Any) -> None:
        self.setting = setting
        self.schema = schema
        self._strategies: dict[tuple[Operation, GenerationMode], Any] = {}

    def __repr__(self) -> str:
        return "Fuzzing(the service in tests.service_support)"

    def cases(self, operation: Operation, mode: GenerationMode) -> Any:
        """The operation's cases, from one strategy per operation and mode (a strategy built
        anew for each example would make hypothesis' replays inconsistent)."""
        if (operation, mode) not in self._strategies:
            method, path = operation
            self._strategies[operation, mode] = self.schema[path][method].as_strategy(
                generation_mode=mode
            )
        return self._strategies[operation, mode]

    def headers(self, caller: str | None) -> dict[str, str]:
        if caller is None or caller == "anonymous":
            return {}
        if caller == "unknown key":
            return {"Authorization": "Bearer not-a-key-of-this-service"}
        return self.setting.headers(caller)


@pytest.fixture(scope="module")
def fuzzing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzing]:
    """The service on a small model, with an empty MLflow store (for /v1/models), one audit
    on disk and a few scores in its log."""
    folder = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
        setting = build_service(folder)
        audit = folder / "audits" / "first"
        audit.mkdir(parents=True)
        (audit / "audit.json").write_text(
            json.dumps({"groups": {}, "metadata": {"model": "recidivism/3"}, "flags": []}),
            encoding="utf-8",
        )
        (audit / "audit.html").write_text("<!doctype html><p>audit</p>", encoding="utf-8")
        client = TestClient(setting.app)
        for role, records in (
            ("case_worker", setting.records[:OWN_SCORES]),
            ("case_worker_2", setting.records[OWN_SCORES : OWN_SCORES + OTHER_SCORES]),
        ):
            done = client.post(
                "/v1/score", json={"records": records}, headers=setting.headers(role)
            )
            assert done.status_code == 200, done.text
        yield Fuzzing(setting, schemathesis.openapi.from_asgi("/openapi.json", setting.app))


def assert_service_properties(response: Any) -> None:
    """What every answer must satisfy, whoever asks and whatever they send."""
    status = response.status_code
    text = response.content.decode("utf-8", errors="replace")
    assert status < 500, f"server error {status}: {text[:500]}"
    assert status in STATUSES, f"unexpected status {status}: {text[:500]}"
    for mark in TRACEBACK_MARKS:
        assert mark not in text, f"a traceback in a {status} answer: {text[:2000]}"
    if status == 422:
        body = json.loads(text)
        assert isinstance(body.get("problems"), list), f"a 422 without problems: {text[:500]}"


def _steer(case: Any, data: st.DataObject) -> None:
    """Now and then point a generated id at a score that is in the log (a random one hardly
    ever is); an override then gets a real band, so successful answers are fuzzed too."""
    if not data.draw(st.booleans(), label="use a logged score"):
        return
    entry_id = data.draw(st.integers(1, OWN_SCORES + OTHER_SCORES), label="entry_id")
    if case.path_parameters and "entry_id" in case.path_parameters:
        case.path_parameters["entry_id"] = entry_id
    if isinstance(case.body, dict) and "entry_id" in case.body:
        case.body["entry_id"] = entry_id
        case.body["band"] = data.draw(st.sampled_from(BANDS), label="band")


def _send(case: Any, headers: dict[str, str], expected: set[int] | None = None) -> Any:
    """Send the case: the service's own properties first (and an ``expected`` status), then
    schemathesis' checks against the schema."""
    response = case.call(headers=headers)
    assert_service_properties(response)
    if expected is not None:
        assert response.status_code in expected, response.text[:500]
    case.validate_response(response, checks=CHECKS, headers=headers)
    return response


def _fuzz(case: Any, headers: dict[str, str], expected: set[int] | None = None) -> None:
    """:func:`_send` from a hypothesis test, noting the request (schemathesis' cases print
    as nothing in hypothesis' report) and counting the statuses."""
    note(f"request: {case.as_curl_command(headers=headers)}")
    response = _send(case, headers, expected)
    event(f"status {response.status_code}")


def test_operations_cover_the_schema(fuzzing: Fuzzing) -> None:
    """The operations fuzzed here are exactly the schema's (a new one must be added here)."""
    listed = set()
    for result in fuzzing.schema.get_all_operations():
        operation = result.ok()
        listed.add((operation.method.upper(), operation.path))
    assert listed == set(OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "mode"),
    [(op, GenerationMode.POSITIVE) for op in OPERATIONS]
    + [(op, GenerationMode.NEGATIVE) for op in WITH_INPUT],
    ids=lambda value: value.value if isinstance(value, GenerationMode) else " ".join(value),
)
@FUZZ
@given(data=st.data())
def test_operation_as_an_allowed_role(
    fuzzing: Fuzzing, operation: Operation, mode: GenerationMode, data: st.DataObject
) -> None:
    """Valid and invalid requests from a role allowed on the operation."""
    case = data.draw(fuzzing.cases(operation, mode), label="case")
    if mode is GenerationMode.POSITIVE:
        _steer(case, data)
    _fuzz(case, fuzzing.headers(OPERATIONS[operation][0]))


@pytest.mark.parametrize(
    ("operation", "caller"),
    [
        (op, caller)
        for op, (allowed, refused) in OPERATIONS.items()
        if allowed is not None
        for caller in ("anonymous", "unknown key", *refused)
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
@DENIED_FUZZ
@given(data=st.data())
def test_operation_refuses_other_callers(
    fuzzing: Fuzzing, operation: Operation, caller: str, data: st.DataObject
) -> None:
    """Without a key or with an unknown one: 401; with a role not allowed: 403; never an
    answer that tells what the log holds, whatever the request (valid or not)."""
    modes = [GenerationMode.POSITIVE]
    if operation in WITH_INPUT:
        modes.append(GenerationMode.NEGATIVE)
    mode = data.draw(st.sampled_from(modes), label="mode")
    case = data.draw(fuzzing.cases(operation, mode), label="case")
    refusal = 403 if caller in fuzzing.setting.keys else 401
    if mode is GenerationMode.POSITIVE:
        _steer(case, data)
        _fuzz(case, fuzzing.headers(caller), expected={refusal})
    else:
        # A request without a valid key is refused (401) before its body is read; the role is
        # checked after FastAPI has read the body, so a malformed body from a known key with
        # another role is refused as malformed (422). Negative cases may also drop or garble
        # the Authorization header the schema documents (401).
        _fuzz(case, fuzzing.headers(caller), expected={refusal, 401, 422})


#: Requests naming an integer id, by operation: the id path parameter or body.
WITH_ID: Final[dict[Operation, Callable[[int], dict[str, Any]]]] = {
    ("GET", "/v1/reports/{entry_id}"): lambda n: {"path_parameters": {"entry_id": n}},
    ("POST", "/v1/overrides"): lambda n: {
        "body": {"entry_id": n, "band": "low", "reason": "an id at a limit"}
    },
    ("GET", "/v1/models/{name}/versions/{version}/card"): lambda n: {
        "path_parameters": {"name": "recidivism", "version": n}
    },
}


@pytest.mark.parametrize("value", LIMITS)
@pytest.mark.parametrize("operation", list(WITH_ID), ids=" ".join)
def test_ids_at_integer_limits(fuzzing: Fuzzing, operation: Operation, value: int) -> None:
    """Ids the schema allows (any integer) at the limits of a 64-bit database column, which
    random ids seldom reach: not found (404) or refused (422), never a server error."""
    method, path = operation
    case = fuzzing.schema[path][method].Case(**WITH_ID[operation](value))
    _send(case, fuzzing.headers(OPERATIONS[operation][0]), expected={404, 422})


# -- records of random values -------------------------------------------------------------------
SCALARS: Final = (
    st.text(max_size=12)
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)


def _value_texts(value: object) -> set[str]:
    """How a submitted value could appear in a body (text as sent, numbers as written)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, bool) or value is None:
        return set()
    texts = {str(value), json.dumps(value)}
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        texts.add(str(int(value)))
    return texts


def _answer_text(response: Any) -> str:
    """An answer as sent, and every string in it as decoded from JSON (escapes undone)."""
    strings: list[str] = [response.text]

    def collect(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(response.json())
    return "\n".join(strings)


def _post_records(client: TestClient, headers: dict[str, str], records: list[Any]) -> Any:
    """POST records as Python writes JSON: NaN and Infinity as bare words, which strict JSON
    lacks but the server's JSON parser reads."""
    return client.post(
        "/v1/score",
        content=json.dumps({"records": records}, allow_nan=True).encode("utf-8"),
        headers={**headers, "Content-Type": "application/json"},
    )


@RECORDS_FUZZ
@given(data=st.data())
def test_score_records_of_random_values(fuzzing: Fuzzing, data: st.DataObject) -> None:
    """Records of the real fields holding random values, alone or over a valid record: scored
    (200) or refused with the problems (422), and a 422 repeats none of the values.

    A value found in a 422 may be a word of the service's own messages (a field name, an
    allowed category, a range): each such value is sent again replaced by a marker, and it
    was repeated only if the marker is in the new answer."""
    setting = fuzzing.setting
    names = sorted(setting.records[0])
    fields = st.sampled_from(names)
    record = st.dictionaries(fields, SCALARS, max_size=len(names)) | st.builds(
        lambda base, changed: {**base, **changed},
        st.sampled_from(setting.records[:5]),
        st.dictionaries(fields, SCALARS, max_size=3),
    )
    records = data.draw(st.lists(record, min_size=1, max_size=3), label="records")
    client = TestClient(setting.app)
    headers = setting.headers("case_worker")
    response = _post_records(client, headers, records)
    event(f"status {response.status_code}")
    assert_service_properties(response)
    assert response.status_code in (200, 422), response.text[:500]
    if response.status_code != 422:
        return
    answer = _answer_text(response)
    found = [
        (number, name)
        for number, submitted in enumerate(records)
        for name, value in submitted.items()
        if any(len(text) >= 4 and text in answer for text in _value_texts(value))
    ]
    event("a value is in the 422" if found else "no value is in the 422")
    if not found:
        return
    marked = copy.deepcopy(records)
    markers = {}
    for index, (number, name) in enumerate(found):
        marker = f"zq{index}\u2603echo\u2603{index}qz"
        markers[marker] = records[number][name]
        marked[number][name] = marker
    again = _post_records(client, headers, marked)
    assert_service_properties(again)
    answer = _answer_text(again)
    echoed = [value for marker, value in markers.items() if marker in answer]
    assert not echoed, f"a 422 repeats submitted values {echoed!r}: {again.text[:1000]}"

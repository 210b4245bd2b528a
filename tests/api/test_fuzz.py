"""The API fuzzed from its own OpenAPI description (schemathesis), in process.

Three properties over every documented operation, over the same ``EXAMPLES`` generated
requests per operation — schema-valid ones, schema-invalid ones, valid ones aimed at what the
store holds (the seeded session, licence and a token), and for the bodies that schemas cannot
describe (JSON Lines events, a catalog, licences) real documents with one field replaced by
generated JSON:

* with an admin token, no answer is a server error, and every answer conforms to the description:
  its status is documented, and its body matches the documented schema — the one error shape of
  ``livelens.api.errors`` for every failure (schemathesis negates the token in some of its
  schema-invalid requests; those answers are checked against the documented 401);
* without a token, and
* with a wrong, revoked, expired, foreign or misplaced token, every operation answers 401.

The routes outside the description (the screen, its sign-in link and assets, the overlay, the
description itself) get a loop of generated path values: never a server error, never a success
without a valid token. ``GET /api/stream`` never ends, so it is fuzzed for its refusal only
(``test_stream.py`` tests the stream itself over a socket).

``LIVELENS_FUZZ_EXAMPLES`` lowers the count for a quick local run; the suite runs the full 500.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

import msgspec
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from livelens.api.app import create_app
from livelens.api.server import Service, open_service
from livelens.intelligence.alert_store import AlertStore
from livelens.intelligence.alerts import Alert
from livelens.settings import Settings
from livelens.sources.simulation.config import SimulationConfig
from livelens.sources.simulator import write_session
from livelens.testing import T0, jsonl, random_session_records

pytestmark = pytest.mark.slow

EXAMPLES: Final = int(os.environ.get("LIVELENS_FUZZ_EXAMPLES", "500"))
FUZZ: Final = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
OPERATIONS: Final = (
    ("POST", "/api/events"),
    ("PUT", "/api/reference"),
    ("GET", "/api/sessions"),
    ("GET", "/api/sessions/{session_id}/metrics"),
    ("GET", "/api/sessions/{session_id}/insights"),
    ("GET", "/api/sessions/{session_id}/frame"),
    ("POST", "/api/comments/analyze"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/{token_id}"),
    ("GET", "/api/licences"),
    ("PUT", "/api/licences"),
    ("POST", "/api/licences/{licence_id}/revoke"),
    ("GET", "/api/licences/violations"),
    ("POST", "/api/sessions/{session_id}/persona"),
    ("GET", "/api/sessions/{session_id}/royalties"),
    ("PUT", "/api/qa/{session_id}/catalog"),
    ("GET", "/api/qa/{session_id}"),
    ("PUT", "/api/qa/{session_id}/control"),
    ("POST", "/api/qa/{session_id}/questions"),
    ("GET", "/api/qa/{session_id}/queue"),
    ("POST", "/api/qa/{session_id}/actions"),
    ("GET", "/api/qa/{session_id}/answers"),
    ("GET", "/api/sessions/{session_id}/alerts"),
    ("GET", "/api/alerts"),
    ("POST", "/api/alerts/{alert_id}/ack"),
    ("GET", "/api/sessions/{session_id}/nowcasts"),
    ("GET", "/api/forecast/daily"),
    ("GET", "/api/products/{product_id}/price-suggestion"),
    ("POST", "/api/products/{product_id}/price-suggestion/accept"),
    ("GET", "/api/sessions/{session_id}/recommendations"),
    ("POST", "/api/sessions/{session_id}/recommendations/record"),
    ("GET", "/api/ledger"),
    ("GET", "/api/playbooks/estimates"),
    ("POST", "/api/recommendations/{recommendation_id}/fate"),
    ("GET", "/api/rooms/{room_id}/autonomy"),
    ("PUT", "/api/rooms/{room_id}/autonomy"),
    ("GET", "/api/signals/scan"),
)
STREAM: Final = ("GET", "/api/stream")
QA_STREAM: Final = ("GET", "/api/qa/{session_id}/stream")
# Server errors the fuzz finds and no one has fixed yet: each turns into a failure once fixed.
KNOWN_SERVER_ERRORS: Final[dict[tuple[str, str], str]] = {}
ADMIN_OPERATIONS: Final = [
    pytest.param(
        *operation,
        id=" ".join(operation),
        marks=[pytest.mark.xfail(reason=KNOWN_SERVER_ERRORS[operation], strict=True)]
        if operation in KNOWN_SERVER_ERRORS
        else [],
    )
    for operation in OPERATIONS
]
NOW: Final = datetime.now(UTC)
# The seeded session ended a minute ago, as a live one: what the API stamps now (a persona put on
# air, an accepted price) lands right after it, not weeks later — a session weeks long makes the
# alert scan and the screen's insight detection take minutes (read timeouts, not answers).
SESSION: Final = [
    {**record, "ts": record["ts"] + int((NOW - timedelta(minutes=7) - T0).total_seconds() * 1000)}
    for record in random_session_records(5, viewers=30, minutes=6)
]
# A simulated session that ended a minute ago: it has recommendations to decide on, and accepted
# prices land right after it (stamped now), not weeks after the session they are for. (The live
# hub expires only what it recommended itself: these, recorded after the fact, stay pending.) It
# is long enough for the data to support a real cut of PRICED (only a cut can be accepted).
LIVE: Final = SimulationConfig(
    minutes=40, peak_viewers=800, seed=6, session_id="sim-live", start=NOW - timedelta(minutes=41)
)
PRICED: Final = "sku-hoodie"
# Path values per operation where the usual real one cannot reach the working path.
REAL_PATH_IDS: Final[dict[tuple[str, str], dict[str, str]]] = {
    ("POST", "/api/products/{product_id}/price-suggestion/accept"): {"product_id": PRICED},
}


def licence(licence_id: str) -> dict[str, Any]:
    return {
        "licence_id": licence_id,
        "talent_id": "talent-1",
        "operator": "杭州某某文化传媒有限公司",
        "consent_doc_sha256": "ab" * 32,
        "face_consent": True,
        "voice_consent": True,
        "valid_from": (NOW - timedelta(days=1)).isoformat(),
        "valid_to": (NOW + timedelta(days=30)).isoformat(),
        "scope": {"platforms": ["sim"], "rooms": ["room-1"]},
        "compensation": {"fixed_fee_minor": 10_000, "royalty_pct": 2.5},
    }


REFERENCE: Final[dict[str, Any]] = {
    "products": [
        {
            "product_id": "sku-1",
            "title": "羽绒马甲",
            "category": "服装",
            "list_price_minor": 39_900,
            "floor_price_minor": 29_900,
            "attributes": {"size": ["S", "M"]},
            "faq": [{"question": "有S码吗", "answer": "有"}],
        }
    ],
    "personas": [
        {
            "persona_id": "p-fuzz",
            "display_name": "小雪",
            "licence_id": "lic-fuzz",
            "kind": "face_swap",
        }
    ],
}
QA_CATALOG: Final[dict[str, Any]] = {
    "products": [{**REFERENCE["products"][0], "aliases": ["马甲"], "stock": 30}],
    "room": {"faq": [{"question": "几点下播？", "answer": "今晚十点下播。"}]},
}
ALERT: Final = Alert(
    alert_id="al_fuzz",
    room_id="room-1",
    session_id="session-1",
    metric="gmv_minor",
    direction="below",
    trigger="jump",
    opened_minute=3,
    opened_at=NOW,
    last_minute=4,
    minutes_outside=2,
    worst_z=-3.5,
    observed=0.0,
    expected=12_000.0,
    low=4_000.0,
    high=20_000.0,
    basis="the room's earlier sessions",
)
ADMIN_CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

JSON_VALUES: Final = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def with_one_field_replaced(document: Any) -> st.SearchStrategy[Any]:
    """``document`` with one field, at any depth, replaced by generated JSON (or dropped)."""

    def paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            yield (*at, key)
            if isinstance(value, dict | list):
                yield from paths(value, (*at, key))

    def replace(path: tuple[Any, ...], value: Any, drop: bool) -> Any:
        copy = msgspec.json.decode(msgspec.json.encode(document))
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        if drop and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return copy

    return st.builds(replace, st.sampled_from(list(paths(document))), JSON_VALUES, st.booleans())


def ingest_bodies() -> st.SearchStrategy[str]:
    """A few events of the seeded session (stored already, or new), some with a field replaced."""
    record = st.sampled_from(SESSION).flatmap(
        lambda r: st.one_of(st.just(r), with_one_field_replaced(r))
    )
    return st.lists(record, min_size=1, max_size=5).map(lambda records: jsonl(records).decode())


def _ndjson(_ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    """The ingest body as sent: a generated string as is, anything else as one JSON line."""
    return value.encode() if isinstance(value, str) else msgspec.json.encode(value) + b"\n"


schemathesis.serializer("application/x-ndjson")(_ndjson)

# Bodies beyond what a schema says: real documents, each with a field replaced.
# (Each takes the ids the store holds.)
DOCUMENTS: Final[dict[tuple[str, str], Callable[[dict[str, str]], st.SearchStrategy[Any]]]] = {
    ("POST", "/api/events"): lambda _ids: ingest_bodies(),
    ("PUT", "/api/reference"): lambda _ids: with_one_field_replaced(REFERENCE),
    ("PUT", "/api/licences"): lambda _ids: with_one_field_replaced([licence("lic-mutant")]),
    ("POST", "/api/sessions/{session_id}/persona"): lambda _ids: st.just({"persona_id": "p-fuzz"}),
    ("PUT", "/api/qa/{session_id}/catalog"): lambda _ids: with_one_field_replaced(QA_CATALOG),
    ("POST", "/api/qa/{session_id}/questions"): lambda _ids: st.sampled_from(
        [{"text": t} for t in ("马甲多少钱", "有S码吗", "几点下播", "能治病吗", "13812345678")]
    ),
    ("POST", "/api/qa/{session_id}/actions"): lambda ids: st.builds(
        lambda action, text: {"answer_id": ids["answer_id"], "action": action, "text": text},
        st.sampled_from(["reject", "answer", "approve", "undo"]),
        st.sampled_from([None, "今晚十点下播", "最好的马甲"]),
    ),
    ("POST", "/api/products/{product_id}/price-suggestion/accept"): lambda _ids: st.sampled_from(
        [{"session": "sim-live"}, {"session": "sim-live", "max_discount_pct": 10}]
    ),
    ("POST", "/api/recommendations/{recommendation_id}/fate"): lambda _ids: st.sampled_from(
        [{"fate": f} for f in ("accepted", "rejected", "auto_executed", "expired")]
    ),
}
# Query parameters naming what the store holds, where a route needs them to get past a 404.
QUERIES: Final[dict[tuple[str, str], Callable[[dict[str, str]], st.SearchStrategy[Any]]]] = {
    ("GET", "/api/forecast/daily"): lambda ids: st.sampled_from(
        [
            {"product": ids["product_id"]},
            {"product": "sku-a", "horizon": 3, "timezone": "Asia/Shanghai"},
            {"category": "服装", "backtest": True},
        ]
    ),
    ("GET", "/api/products/{product_id}/price-suggestion"): lambda ids: st.sampled_from(
        [{"session": ids["session_id"]}, {"session": "sim-live", "max_discount_pct": 10}]
    ),
}


@dataclass(frozen=True)
class Fuzzed:
    service: Service
    app: FastAPI
    schema: schemathesis.BaseSchema  # its requests carry the admin token (unless negated)
    bare: schemathesis.BaseSchema  # its requests carry no token
    admin: str
    bad_tokens: dict[str, dict[str, str]]  # what is wrong -> headers and query that send it
    real_ids: dict[str, str]  # path parameter -> an id the store holds


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """One service for the module, seeded with a session, a catalog, licences and tokens."""
    folder = tmp_path_factory.mktemp("fuzz")
    service = open_service(folder / "api.duckdb", Settings(home=folder / "home"))
    other = open_service(folder / "other.duckdb", Settings(home=folder / "other-home"))
    assert service.first_admin is not None
    assert other.first_admin is not None
    admin = service.first_admin.token
    app = create_app(service.hub, service.tokens, max_body_bytes=64 * 1024)
    tokens = service.tokens
    revoked = tokens.issue("revoked", "admin", now=NOW)
    tokens.revoke(revoked.info.token_id, now=NOW)
    soon = datetime.now(UTC) + timedelta(milliseconds=20)
    expired = tokens.issue("expired", "admin", now=datetime.now(UTC), expires_at=soon)
    victim = tokens.issue("revoked again and again by the fuzzer", "viewer", now=NOW)
    admin_id = service.first_admin.info.token_id
    live = folder / "sim-live.jsonl"
    write_session(LIVE, live)
    with TestClient(app) as client, TestClient(create_app(service.hub, tokens)) as unlimited:
        for method, path, body in (
            ("POST", "/api/events", jsonl(SESSION)),
            ("PUT", "/api/reference", msgspec.json.encode(REFERENCE)),
            ("PUT", "/api/licences", msgspec.json.encode([licence("lic-fuzz"), licence("lic-2")])),
            ("PUT", "/api/qa/session-1/catalog", msgspec.json.encode(QA_CATALOG)),
            ("PUT", "/api/reference", live.with_name("sim-live.catalog.json").read_bytes()),
            ("POST", "/api/events", live.read_bytes()),  # over the fuzzed app's body limit
            ("POST", "/api/sessions/sim-live/recommendations/record", b""),
        ):
            seeder = client if len(body) <= 64 * 1024 else unlimited
            seeded = seeder.request(method, path, content=body, headers=bearer(admin))
            assert seeded.status_code == 200, seeded.text
        recommendation_id = client.get(
            "/api/ledger", params={"session": "sim-live"}, headers=bearer(admin)
        ).json()[0]["recommendation"]["recommendation_id"]
        escalated = client.post(  # a human-queue item for the operator actions to reach
            "/api/qa/session-1/questions", json={"text": "马甲能治病吗"}, headers=bearer(admin)
        ).json()["record"]
        assert escalated["status"] == "escalated"
    with service.hub.lock:  # an alert for the acknowledgements to reach
        AlertStore(service.store.con).upsert([ALERT])
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.01)
    described = app.openapi()
    as_admin = schemathesis.Config.from_dict(
        {"auth": {"openapi": {"HTTPBearer": {"bearer": admin}}}}
    )
    schema = schemathesis.openapi.from_dict(described, config=as_admin)
    bare = schemathesis.openapi.from_dict(described)
    schema.app = bare.app = app
    bad = {
        "wrong secret": f"llk_{admin_id}_{'A' * 43}",
        "unknown id": "llk_000000000000_wrong",
        "revoked": revoked.token,
        "expired": expired.token,
        "of another workspace": other.first_admin.token,
    }
    bad_tokens = {kind: {"headers": bearer(token)} for kind, token in bad.items()}
    bad_tokens["another scheme"] = {"headers": {"Authorization": f"Basic {admin}"}}
    bad_tokens["empty bearer"] = {"headers": {"Authorization": "Bearer "}}
    bad_tokens["valid, in the query (only the overlay reads it there)"] = {
        "params": {"token": admin}
    }
    yield Fuzzed(
        service=service,
        app=app,
        schema=schema,
        bare=bare,
        admin=admin,
        bad_tokens=bad_tokens,
        real_ids={
            "session_id": "session-1",
            "licence_id": "lic-2",
            "token_id": victim.info.token_id,
            "answer_id": escalated["answer_id"],  # taken from the queue by the first success
            "alert_id": ALERT.alert_id,
            "recommendation_id": recommendation_id,  # decided by the first success
            "product_id": "sku-1",
            "room_id": "room-1",
        },
    )
    asgi.shutdown_lifespans()  # schemathesis keeps the app's lifespan running between calls
    other.close()
    service.close()


def cases(
    schema: schemathesis.BaseSchema, method: str, path: str, real_ids: dict[str, str]
) -> st.SearchStrategy[schemathesis.Case]:
    """Valid and invalid requests, valid ones aimed at what the store holds, real documents."""
    operation = schema[path][method]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    ids = {**real_ids, **REAL_PATH_IDS.get((method, path), {})}
    real = {p.name: ids[p.name] for p in operation.path_parameters}
    real = {k: v for k, v in real.items() if k != "answer_id"}
    if real:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))
    queries = QUERIES.get((method, path))
    if queries is not None:
        strategies.append(
            queries(real_ids).flatmap(
                lambda query: operation.as_strategy(
                    GenerationMode.POSITIVE, path_parameters=real or None, query=query
                )
            )
        )
    documents = DOCUMENTS.get((method, path))
    if documents is not None:
        strategies.append(
            documents(real_ids).flatmap(
                lambda body: operation.as_strategy(
                    GenerationMode.POSITIVE, path_parameters=real or None, body=body
                )
            )
        )
    return st.one_of(strategies)


def run_fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], None]) -> int:
    """``check`` over ``EXAMPLES`` generated values; how many it saw."""
    seen = 0

    @FUZZ
    @given(value=strategy)
    def fuzz(value: Any) -> None:
        nonlocal seen
        seen += 1
        check(value)

    fuzz()
    return seen


def test_the_fuzzed_operations_are_every_documented_one(fuzzed: Fuzzed) -> None:
    described = fuzzed.app.openapi()
    documented = {
        (method.upper(), path)
        for path, operations in described["paths"].items()
        for method in operations
    }
    assert documented == {*OPERATIONS, STREAM, QA_STREAM}
    # every failure a route can answer is documented, with the one error shape
    for (method, path), operation in (
        ((m.upper(), p), o) for p, ops in described["paths"].items() for m, o in ops.items()
    ):
        failures = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
        expected = (
            {401, 422} if operation.get("parameters") or "requestBody" in operation else {401}
        )
        assert expected <= set(failures), (method, path)
        for response in failures.values():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    assert "HTTPValidationError" not in described["components"]["schemas"]
    success = described["paths"]["/api/sessions/{session_id}/metrics"]["get"]["responses"]["200"]
    assert success["content"]["application/json"]["schema"]["title"] == "SessionMetrics"


@pytest.mark.parametrize(("method", "path"), ADMIN_OPERATIONS)
def test_strangers_get_401_and_the_admin_no_server_error_or_answer_off_the_description(
    fuzzed: Fuzzed, method: str, path: str
) -> None:
    """The three properties over the same generated requests (generating them costs more than
    sending them): each is sent first without its token, then with a bad one (every kind in turn)
    — both answer 401 and change nothing — and then as generated, with the admin token."""
    statuses: Counter[int] = Counter()
    kinds = sorted(fuzzed.bad_tokens)
    used: Counter[str] = Counter()

    def check(case: schemathesis.Case) -> None:
        tokenless = case.derive(headers=CaseInsensitiveDict(without_token(case.headers)))
        assert_unauthenticated(tokenless.call())
        kind = kinds[sum(used.values()) % len(kinds)]
        used[kind] += 1
        assert_unauthenticated(tokenless.call(**fuzzed.bad_tokens[kind]))

        response = case.call()
        statuses[response.status_code] += 1
        assert response.status_code < 500, response.text
        case.validate_response(response, checks=ADMIN_CHECKS)
        if response.status_code >= 400:  # the shape is checked above; the status is repeated
            assert response.json()["error"]["status"] == response.status_code

    strategy = cases(fuzzed.schema, method, path, fuzzed.real_ids)
    assert run_fuzz(strategy, check) >= EXAMPLES
    # the fuzz reached the working path, not only the refusals
    assert any(200 <= status < 300 for status in statuses), statuses
    assert set(used) == set(fuzzed.bad_tokens)


def without_token(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}


def assert_unauthenticated(response: schemathesis.Response) -> None:
    assert response.status_code == 401, (response.request.url, response.text)
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response.headers["www-authenticate"] == ["Bearer"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer llk_000000000000_wrong"}],
    ids=["no token", "wrong token"],
)
def test_the_stream_refuses_without_a_valid_token(fuzzed: Fuzzed, headers: dict[str, str]) -> None:
    client = TestClient(fuzzed.app)  # not entered: the refusal needs no lifespan
    for url in ("/api/stream", "/api/qa/session-1/stream", "/api/qa/nowhere/stream"):
        for params in ({}, {"session": "session-1"}, {"token": fuzzed.admin}, {"after": "x"}):
            response = client.get(url, params=params, headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "unauthenticated"


PATH_VALUES: Final = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["screen.js", "echarts.min.js", "room-1", "session-1", "..", "%2e%2e", "/"]),
    st.text(alphabet="./%\\\x00 \r\n?#&=;", max_size=12),
)


def test_the_routes_outside_the_description_refuse_without_a_token(fuzzed: Fuzzed) -> None:
    admin = fuzzed.admin
    refused = [
        {},
        bearer("llk_000000000000_wrong"),
        {"Cookie": "livelens_token=wrong"},
        *(kind["headers"] for kind in fuzzed.bad_tokens.values() if "headers" in kind),
    ]
    seen = 0

    @FUZZ
    @given(value=PATH_VALUES)
    def fuzz(value: str) -> None:
        nonlocal seen
        seen += 1
        segment = quote(value, safe="")
        targets = [
            ("/", {"session": value}),
            ("/login", {"token": value, "session": value}),
            (f"/assets/{segment}", {}),
            (f"/overlay/{segment}", {"token": value}),
            (f"/overlay/{segment}/state", {"token": value}),
            ("/openapi.json", {"token": value}),
        ]
        for n, (url, params) in enumerate(targets):
            headers = refused[(seen + n) % len(refused)]  # each way of being refused in turn
            response = client.get(url, params=params, headers=headers, follow_redirects=False)
            assert response.status_code < 500, (url, params, response.text)
            assert response.status_code >= 400, (url, params, headers)
            response = admitted.get(url, params=params, follow_redirects=False)
            assert response.status_code < 500, (url, params, response.text)
        # the sign-in link keeps the session it was given, whatever it holds
        signed_in = admitted.get(
            "/login", params={"token": admin, "session": value}, follow_redirects=False
        )
        assert signed_in.status_code == 303
        location = urlsplit(signed_in.headers["location"])
        assert location.path == "/"
        if value:
            assert parse_qs(location.query, keep_blank_values=True)["session"] == [value]

    # two clients: the sign-in link sets a cookie that the anonymous one must never hold
    with (
        TestClient(fuzzed.app) as client,
        TestClient(fuzzed.app, headers=bearer(admin)) as admitted,
    ):
        fuzz()
        assert not client.cookies
    assert seen >= EXAMPLES


def test_a_trailing_slash_is_not_redirected_without_a_token(fuzzed: Fuzzed) -> None:
    client = TestClient(fuzzed.app)
    for url in ("/api/sessions/", "/api/tokens/x/", "/assets/screen.js/", "/overlay/room-1/"):
        assert client.get(url, follow_redirects=False).status_code >= 400, url

"""Cursors signed with the server's own key but holding hostile values answer 400, never 500.

The key signs cursors; it does not vouch for what they hold (it used to default to a public
constant). Each list endpoint's real cursor gives its scope and its number of values; the
property then signs every mix of real and hostile values (``1e400``, ``NaN``, huge integers,
odd datetimes, NUL, lone surrogates, nested JSON) with the test app's key.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from app.main import create_app
from app.settings import Settings
from tests.conftest import API_KEY, share_session
from tests.query.conftest import Corpus
from tests.query.test_search_window import COMMON

SECRET = "forged-cursor-test-secret"
MAX_CURSOR = 512  # CursorQuery's max_length: a longer cursor is a 422 before any decoding

RAW = [
    "1e400",
    "-1e400",
    "1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    str(2**63),
    str(-(2**63) - 1),
    "9" * 40,
    "1.5",
    "-0.0",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[[1]]",
    '{"a":1}',
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\u001f"',
    '""',
]
ODD_TIMES = [
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59-15:00",
    "9999-12-31T23:59:59.999999",
    "2021-09-12T10:00:00+23:59",
    "2021-09-12T10:00:00-23:59",
    "2021-09-12",
    "20210912T100000",
    "2021-W37-1",
    "2021-02-30",
    "0000-01-01",
]
offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23))
zones = st.none() | st.builds(timezone, offsets)
times = st.datetimes(timezones=zones).map(lambda d: d.isoformat())
hostile = st.one_of(
    st.sampled_from(RAW),
    st.sampled_from(ODD_TIMES).map(json.dumps),
    times.map(json.dumps),
    st.dates().map(lambda d: json.dumps(d.isoformat())),
    st.integers().map(str),
    st.floats().map(json.dumps),  # NaN and infinities print as NaN and Infinity
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(["event", "article"]).map(json.dumps),
)


@dataclass(frozen=True)
class Endpoint:
    path: str
    params: dict[str, str]
    scope: str
    values: list[Any]  # those of a real cursor


def _payload(cursor: str) -> tuple[str, list[Any]]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    scope, values = json.loads(raw[12:])
    return scope, values


def _sign(payload: str) -> str:
    data = payload.encode("utf-8")
    mac = hmac.new(SECRET.encode("utf-8"), data, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac + data).decode("ascii").rstrip("=")


@pytest.fixture
def forging_api(corpus: Corpus, corpus_session: Session) -> Iterator[TestClient]:
    settings = Settings(
        database_url=corpus.url, api_keys=API_KEY, read_cache_size=0, cursor_secret=SECRET
    )
    app = create_app(settings)
    share_session(app, corpus_session)
    with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def _endpoints(api: TestClient) -> list[Endpoint]:
    """Every list endpoint with a real second page, found on the corpus."""
    top = [e["id"] for e in api.get("/v1/entities", params={"limit": 100}).json()["items"]]
    lists: list[tuple[str, dict[str, str]]] = [
        ("/v1/articles", {}),
        ("/v1/articles", {"sort": "published_at"}),
        ("/v1/articles", {"q": COMMON}),
        ("/v1/entities", {}),
        ("/v1/entities", {"sort": "name"}),
        ("/v1/entities", {"sort": "-last_seen"}),
        ("/v1/events", {}),
        ("/v1/quotes", {}),
        ("/v1/changes", {}),
        (f"/v1/articles/{api.get('/v1/articles').json()['items'][0]['id']}/mentions", {}),
    ]
    nested = ("roles", "articles", "events", "quotes", "related", "timeline")
    found = []
    for path, params in lists + [(f"/v1/entities/{{}}/{n}", {}) for n in nested]:
        for entity_id in top if "{}" in path else [None]:
            url = path.format(entity_id)
            cursor = api.get(url, params={**params, "limit": "1"}).json()["next_cursor"]
            if cursor:
                found.append(Endpoint(url, params, *_payload(cursor)))
                break
        else:
            pytest.fail(f"no second page of {path} {params} on the corpus")
    return found


@pytest.fixture
def endpoints(forging_api: TestClient) -> list[Endpoint]:
    return _endpoints(forging_api)


def test_the_corpus_offers_every_list_a_cursor(endpoints: list[Endpoint]) -> None:
    assert len(endpoints) == 16
    assert {len(e.values) for e in endpoints} == {1, 2, 3, 4}


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_signed_hostile_values_answer_200_or_400(
    forging_api: TestClient, endpoints: list[Endpoint], data: st.DataObject
) -> None:
    for endpoint in endpoints:
        real = [json.dumps(v) for v in endpoint.values]
        n = len(real)
        size = data.draw(st.sampled_from([n, n, n, n - 1, n + 1]), label="size")
        # Real values around the hostile ones, so that each reaches its own parser.
        values = [
            real[i] if i < n and data.draw(st.booleans()) else data.draw(hostile)
            for i in range(size)
        ]
        payload = f"[{json.dumps(endpoint.scope)},[{','.join(values)}]]"
        cursor = _sign(payload)
        if len(cursor) > MAX_CURSOR:
            continue
        response = forging_api.get(
            endpoint.path, params={**endpoint.params, "limit": "2", "cursor": cursor}
        )
        assert response.status_code in (200, 400), (endpoint, payload, response.text)
        if response.status_code == 400:
            assert response.json()["type"].endswith("/invalid-cursor")

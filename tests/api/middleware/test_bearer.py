"""One reading of ``Authorization: Bearer <key>``, ``HTTPBearer``'s, for the read check, the write
check before the body, the rate limit's buckets and the read cache."""

import asyncio

import pytest
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.api.middleware.security import bearer_token
from app.settings import Settings
from tests.api.middleware.test_security import TEXT, articles, client_for

HEADERS = [
    "Bearer k1",
    "bearer k1",
    "BEARER k1",
    "Bearer  k1",
    "Bearer k1 ",
    "Bearer k1 k2",
    "Bearer",
    "Bearer ",
    "Basic k1",
    "",
    "Bearer\tk1",
    " Bearer k1",
    "Bearer    ",
    "Bearer \xa0k1\x85",
]


@pytest.mark.parametrize("header", HEADERS)
def test_the_key_is_read_as_http_bearer_reads_it(header: str) -> None:
    scope = {"type": "http", "headers": [(b"authorization", header.encode("latin-1"))]}
    expected = asyncio.run(HTTPBearer(auto_error=False)(Request(scope)))
    assert bearer_token(scope) == (expected.credentials if expected else None)


def test_the_first_header_counts() -> None:
    headers = [(b"authorization", b"Basic k1"), (b"authorization", b"Bearer k2")]
    assert bearer_token({"type": "http", "headers": headers}) is None
    assert bearer_token({"type": "http", "headers": headers[::-1]}) == "k2"


def test_no_header_is_no_key() -> None:
    assert bearer_token({"type": "http", "headers": [(b"accept", b"*/*")]}) is None


def test_a_key_with_spaces_around_it_writes_and_reads_alike(
    settings: Settings, session: Session
) -> None:
    """The write check before the body read the key unstripped and refused what the route's
    own check and the read check accept."""
    key = settings.key_list()[0]
    headers = {"Authorization": f"Bearer  {key} "}
    with client_for(settings, session) as client:
        assert client.post("/v1/articles", json={"text": TEXT}, headers=headers).status_code == 201
        assert client.get("/v1/articles", headers=headers).status_code == 200
    assert articles(session) == 1

import pytest
from fastapi.testclient import TestClient

CASES = [
    b'{"text": "Storm\\u0000 hits Lisbon on Monday."}',
    b'{"text": "Storm \\ud800 hits Lisbon on Monday."}',
    b'{"text": "Storm hits Lisbon.", "title": "a\\u0000b"}',
    b'{"text": "Storm hits Lisbon.", "source": "\\udfff"}',
    b'{"text": "Storm hits Lisbon.", "published_at": "2021-13-45"}',
    b'{"text": "Storm hits Lisbon.", "published_at": "99999-01-01T00:00:00Z"}',
    b'{"text": "Storm hits Lisbon.", "published_at": "0001-01-01T00:00:00+14:00"}',
    b'{"text": "Storm hits Lisbon.", "url": "javascript:alert(1)"}',
    b'{"text": "Storm hits Lisbon.", "url": "http://"}',
    b'{"text": "Storm hits Lisbon.", "url": "http://exa mple.org/\\u0000"}',
    b'[1,2]',
    b'"text"',
    b'null',
    b'{"text": "<b></b><i> </i>"}',
    b'{"html": "   "}',
    b'{"html": "<script>alert(1)</script>"}',
    b'{"text": "' + b'a' * 150000 + b'"}',
    b'{"text": "x", "text": "y"}',
    b'{"text": 1e999}',
    b'{"text": "' + b'[' * 5000 + b'"}',
    b'[' * 100000,
]

@pytest.mark.parametrize("body", CASES)
def test_probe(client: TestClient, body: bytes) -> None:
    r = client.post("/v1/articles", content=body, headers={"content-type": "application/json"})
    print(body[:60], r.status_code, r.text[:150])
    assert r.status_code < 500

"""Every answer carries a request id and nosniff; logs are JSON lines with that request id."""

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.logging import configure_logging


def log_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize("path", ["/healthz", "/v1/articles", "/v1/articles/999999", "/nowhere"])
def test_every_answer_has_nosniff(client: TestClient, path: str) -> None:
    assert client.get(path).headers["x-content-type-options"] == "nosniff"


def test_a_sane_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/v1/articles", headers={"X-Request-ID": "trace-42.a:b"})
    assert response.headers["x-request-id"] == "trace-42.a:b"


@pytest.mark.parametrize("given", ["", "x" * 200, "bad id with spaces", "a\tb", "<script>"])
def test_an_insane_request_id_is_replaced(client: TestClient, given: str) -> None:
    response = client.get("/v1/articles", headers={"X-Request-ID": given})
    generated = response.headers["x-request-id"]
    assert generated != given
    assert len(generated) == 32 and all(c in "0123456789abcdef" for c in generated)


def test_without_a_request_id_each_answer_gets_its_own(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert first and second and first != second


def test_problem_answers_carry_the_headers_too(client: TestClient) -> None:
    response = client.post(
        "/v1/articles", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


def test_413_from_the_body_limit_carries_the_headers(client: TestClient) -> None:
    response = client.post("/v1/articles", json={"text": "word " * 100_000})
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


def test_access_log_is_a_json_line_with_the_request_id(client: TestClient) -> None:
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    client.get("/v1/articles/999999", headers={"X-Request-ID": "req-123"})
    access = [line for line in log_lines(buffer) if line["logger"] == "newskb.access"]
    assert access[-1]["request_id"] == "req-123"
    assert access[-1]["status"] == 404
    assert access[-1]["path"] == "/v1/articles/999999"
    assert access[-1]["method"] == "GET"


def test_configuring_logging_twice_does_not_double_lines(client: TestClient) -> None:
    configure_logging("info", stream=io.StringIO())
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    client.get("/healthz")
    assert len([line for line in log_lines(buffer) if line.get("path") == "/healthz"]) == 1


def test_a_hostile_path_cannot_split_a_log_line(client: TestClient) -> None:
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    client.get("/v1/articles/\u2028\u0085fake")
    assert len(buffer.getvalue().splitlines()) == 1  # splitlines also breaks at U+2028, U+0085

"""Every answer carries a request id and nosniff; logs are JSON lines with that request id."""

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.logging import JsonFormatter, configure_logging, log_access, request_id_var


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


@pytest.fixture
def only_our_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Our JSON handler as the only one a newskb line reaches, as in a served process.

    pytest captures logs with handlers of its own, added as each test phase starts; they would
    send lines the usual way. The test body calls ``alone()`` once they are in place.
    """
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    yield buffer


def alone(monkeypatch: pytest.MonkeyPatch, buffer: io.StringIO) -> None:
    newskb = logging.getLogger("newskb")
    ours = [h for h in newskb.handlers if getattr(h, "stream", None) is buffer]
    monkeypatch.setattr(newskb, "handlers", ours)
    monkeypatch.setattr(newskb, "propagate", False)


@pytest.mark.parametrize("request_id", [None, 'req-\u00e9"1'])
@pytest.mark.parametrize(
    ("path", "client", "duration_ms"),
    [
        ("/v1/x\u2028", None, 0.1),
        ('/v1/"quoted"\\back\x01\x7f\U0001f600', "::1", 12345.6),
        ("/v1/articles/1", "127.0.0.1", 0.0),
    ],
)
def test_the_direct_access_line_is_the_line_the_formatter_writes(
    only_our_handler: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    request_id: str | None,
    path: str,
    client: str | None,
    duration_ms: float,
) -> None:
    alone(monkeypatch, only_our_handler)
    logger = logging.getLogger("newskb.access")
    fields = {"method": "GET", "path": path, "route": "/v1/{x}", "status": 200}
    fields |= {"duration_ms": duration_ms, "client": client}
    token = request_id_var.set(request_id)
    try:
        log_access(logger, **fields)  # type: ignore[arg-type]
        message = f"GET {path} 200"
        record = logger.makeRecord(logger.name, logging.INFO, "", 0, message, (), None)
        record.__dict__.update(fields)
        formatted = JsonFormatter().format(record) + "\n"
    finally:
        request_id_var.reset(token)
    direct = only_our_handler.getvalue()
    assert direct.count("\n") == 1 and direct.isascii()
    time_field = re.compile(r'^\{"time": "[^"]+"')
    assert time_field.sub("", direct) == time_field.sub("", formatted)  # byte for byte


def test_a_served_request_writes_one_access_line_without_a_log_record(
    client: TestClient, only_our_handler: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    make_record = logging.Logger.makeRecord

    def recording(self: logging.Logger, name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(name)
        return make_record(self, name, *args, **kwargs)

    monkeypatch.setattr(logging.Logger, "makeRecord", recording)
    alone(monkeypatch, only_our_handler)
    client.get("/v1/articles/999999", headers={"X-Request-ID": "req-9"})
    assert "newskb.access" not in made  # written straight to our handler
    access = [line for line in log_lines(only_our_handler) if line["logger"] == "newskb.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "req-9" and access[0]["status"] == 404


def test_other_handlers_still_get_access_records(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("info", stream=io.StringIO())
    with caplog.at_level(logging.INFO, logger="newskb.access"):
        client.get("/healthz")
    records = [r for r in caplog.records if r.name == "newskb.access"]
    assert records and records[-1].status == 200  # type: ignore[attr-defined]


def test_a_filter_on_the_way_sees_every_access_record(
    client: TestClient, only_our_handler: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone(monkeypatch, only_our_handler)
    seen: list[logging.LogRecord] = []

    def keep(record: logging.LogRecord) -> bool:
        seen.append(record)
        return True

    logger = logging.getLogger("newskb.access")
    logger.addFilter(keep)
    try:
        client.get("/healthz")
    finally:
        logger.removeFilter(keep)
    assert [r.path for r in seen] == ["/healthz"]  # type: ignore[attr-defined]
    assert '"path": "/healthz"' in only_our_handler.getvalue()


def test_log_lines_carry_no_terminal_colours() -> None:
    """uvicorn adds a coloured copy of its messages (``color_message``): never logged."""
    record = logging.makeLogRecord(
        {
            "name": "uvicorn.error",
            "levelname": "INFO",
            "msg": "Uvicorn running on \x1b[1m%s\x1b[0m",
            "args": ("http://127.0.0.1:8000",),
            "color_message": "Uvicorn running on \x1b[1m%s\x1b[0m",
        }
    )
    line = JsonFormatter().format(record)
    assert json.loads(line)["message"] == "Uvicorn running on http://127.0.0.1:8000"
    assert "color_message" not in line and "\\u001b" not in line

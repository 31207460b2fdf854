"""A client that hangs up is a 499 ("client closed request") in the log and metrics, not a 500."""

import asyncio
import io
import json
import time

import pytest
from fastapi import FastAPI
from starlette.types import Message

from app import metrics
from app.logging import configure_logging
from tests.conftest import API_KEY


def requests_counted(status: int) -> float:
    counter = metrics.HTTP_REQUESTS.labels(method="POST", route="/v1/articles", status=str(status))
    value: float = counter._value.get()
    return value


def post_then_hang_up(app: FastAPI, content_type: bytes) -> list[Message]:
    """POST /v1/articles whose client goes away before sending its body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/articles",
        "raw_path": b"/v1/articles",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", content_type),
            (b"content-length", b"1000"),
            (b"authorization", f"Bearer {API_KEY}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("content_type", [b"application/json", b"text/plain"])
def test_a_client_that_hangs_up_is_a_499(app: FastAPI, content_type: bytes) -> None:
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    before_499, before_500 = requests_counted(499), requests_counted(500)
    post_then_hang_up(app, content_type)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "newskb.access"]
    assert [line["status"] for line in access] == [499]
    assert not [line for line in lines if line["level"] == "error"]  # no traceback either
    assert requests_counted(499) == before_499 + 1
    assert requests_counted(500) == before_500


def test_the_access_log_and_the_histogram_time_the_request(app: FastAPI) -> None:
    """Duration is the request's own: the log's ``duration_ms`` and the histogram's sum grow by
    no more than the wall time around the call (they once read the process's clock instead)."""
    duration = metrics.HTTP_DURATION.labels(method="POST", route="/v1/articles")
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    summed_before = duration._sum.get()
    wall = time.perf_counter()
    post_then_hang_up(app, b"application/json")
    wall_ms = (time.perf_counter() - wall) * 1000
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    [access] = [line for line in lines if line["logger"] == "newskb.access"]
    assert 0 <= access["duration_ms"] <= wall_ms + 0.1
    assert 0 <= (duration._sum.get() - summed_before) * 1000 <= wall_ms + 0.1

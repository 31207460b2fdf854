"""A client that hangs up is a 499 ("client closed request") in the log and metrics, not a 500."""

import asyncio
import io
import json

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

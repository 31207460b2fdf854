"""Body limits: bodies over the configured size (413, before being read whole), bodies that
do not arrive in time (408), and JSON bodies that could not be stored, refused before a route
reads them."""

import asyncio
import json
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kb.intake import is_storable


def _may_be_json(scope: Scope, content_type: bytes) -> bool:
    if scope.get("method") not in ("POST", "PUT", "PATCH"):
        return False
    media_type = content_type.split(b";")[0].strip().lower()
    return media_type in (b"", b"application/json") or media_type.endswith(b"+json")


def unstorable_json(body: bytes) -> str | None:
    """Why a JSON body cannot be stored, or None (also for bodies that are not JSON at all:
    the route answers those itself)."""
    try:
        data = json.loads(body)
    except RecursionError:
        return "The body is not valid JSON: nested too deeply."
    except ValueError:
        return None
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and not is_storable(value):
            return "The JSON body holds a NUL character or an unpaired surrogate (not storable)."
    return None


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


async def _receive_by(receive: Receive, deadline: float) -> Message:
    """The next message, or ``BodyTooSlow`` once ``deadline`` (loop time) has passed."""
    try:
        async with asyncio.timeout_at(deadline):
            return await receive()
    except TimeoutError:
        raise BodyTooSlow from None


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, then counts streamed bytes, and gives the
    whole body ``read_timeout`` seconds to arrive (a stalled upload holds memory and a worker
    slot until then, not for as long as the client likes)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, read_timeout: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            # PostgreSQL text cannot hold NUL: refuse it here rather than as a driver error.
            detail = "The URL contains a NUL character (%00)."
            await send_problem(scope, send, 400, "invalid-url", "Invalid URL", detail)
            return
        # The last of each header counts (as a dict of them would keep it); one pass, no dict.
        length: bytes | None = None
        content_type: bytes | None = None
        chunked = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                length = value
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
        if length in (None, b"0") and not chunked:
            await self.app(scope, receive, send)  # no body (most GETs): nothing to count
            return
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._reject(scope, send)
            return
        deadline = asyncio.get_running_loop().time() + self.read_timeout
        if _may_be_json(scope, content_type or b""):
            try:
                await self._read_json_first(scope, receive, send, deadline)
            except BodyTooSlow:
                await self._reject_slow(scope, send)
            return
        seen = 0
        started = complete = False

        async def limited_receive() -> Message:
            nonlocal seen, complete
            if complete:  # the body is in: waiting for a disconnect has no deadline
                return await receive()
            message = await _receive_by(receive, deadline)
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
                complete = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(scope, send)
        except BodyTooSlow:
            if not started:
                await self._reject_slow(scope, send)

    async def _read_json_first(
        self, scope: Scope, receive: Receive, send: Send, deadline: float
    ) -> None:
        """JSON is parsed whole by every route anyway: read it (within the limit), refuse what
        no database can store (NUL, unpaired surrogates), then hand it on unchanged."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await _receive_by(receive, deadline)
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await self._reject(scope, send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # Parsing and walking up to the body limit of JSON is CPU work: not on the event loop.
        if (reason := await anyio.to_thread.run_sync(unstorable_json, body)) is not None:
            title = "The request body cannot be read"
            await send_problem(scope, send, 400, "invalid-body", title, reason)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        detail = f"The request body is larger than {self.max_bytes} bytes."
        await send_problem(
            scope, send, 413, "payload-too-large", "Payload too large", detail, close=True
        )

    async def _reject_slow(self, scope: Scope, send: Send) -> None:
        detail = f"The request body did not arrive within {self.read_timeout:g} seconds."
        await send_problem(
            scope, send, 408, "request-timeout", "Request timeout", detail, close=True
        )


async def send_problem(
    scope: Scope,
    send: Send,
    status: int,
    slug: str,
    title: str,
    detail: str,
    close: bool = False,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """A problem+json answer written by a pure ASGI middleware (no Request, no handler)."""
    body: dict[str, Any] = {
        "type": f"https://newskb.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope.get("path", ""),
        "errors": [],
    }
    payload = json.dumps(body).encode("utf-8")
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(payload)).encode("ascii")),
        *(headers or []),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})

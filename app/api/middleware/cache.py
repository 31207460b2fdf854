"""A per-process cache of ``GET /v1`` answers, revalidated against the change feed.

Reads outnumber writes by far, and building an answer (an article with all its facts, a page
of search hits with facets) costs 10-100 times more than sending its bytes. Every write use
case records a row in ``changes`` inside its transaction (``app.kb.changes``), so the highest
change id is a version of the whole knowledge base: an answer stored under version N is served
again while the version is still N. One cheap indexed query per request
(``app.kb.changes.VersionReader``) replaces the queries, the ORM and the serialization. Entries
expire after ``ttl`` seconds all the same, which bounds the staleness of a commit that lands
out of order later than the version's window can see.

Bounded by a number of answers and by the bytes of their bodies, least recently used first.
Pure ASGI and innermost (inside the gzip, rate-limit and request-id middleware), so limits,
request ids and compression still apply to every answer. Only complete ``200`` answers up to
``max_body`` bytes are kept; requests carrying ``If-None-Match`` go through to the route, which
answers the 304 itself.

Concurrent requests share version queries: a request waits for the next query to *start*
(never joins one already running, which could predate a write it has seen committed), so under
load one query serves a whole batch of requests. Concurrent misses of one key share one
build too: the first request builds the answer, the others (at the same version) wait for it
instead of running the same queries at once. An entry past its TTL whose version is still
current is served to the others while one request rebuilds it, so an expiry never sends a
burst of requests to the database.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware.security import wrong_key_sent
from app.kb.changes import VersionReader

CACHED_PREFIX = "/v1/"
# A job's state changes with no entry in the change feed, which revalidates cached answers.
UNCACHED_PREFIX = "/v1/jobs"


_Key = tuple[str, bytes, bytes, bytes]  # path, query string, Host, scheme


@dataclass(frozen=True, slots=True)
class _Flight:
    """An answer being built by one request, which others for the same key wait for."""

    version: tuple[int, int]
    done: asyncio.Future[None]


@dataclass(frozen=True, slots=True)
class _Entry:
    version: tuple[int, int]
    expires: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any  # the route that made the answer: a hit is labelled (metrics, logs) without routing


class ReadCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        versions: VersionReader,
        entries: int,
        max_bytes: int = 64_000_000,
        ttl: float = 300.0,
        max_body: int = 1_000_000,
        keys: list[str] | None = None,
    ) -> None:
        self.app = app
        self.keys = keys or []  # a request with a wrong key goes to the route, for its 401
        self.versions = versions
        self.entries = entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.max_body = min(max_body, max_bytes)
        self._store: OrderedDict[_Key, _Entry] = OrderedDict()
        self._bytes = 0  # of the bodies in the store
        self._flights: dict[_Key, _Flight] = {}
        self._next: asyncio.Future[tuple[int, int]] | None = None  # the batch not yet started
        self._reader: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing_on_shutdown(receive), send)
            return
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = (
            scope["path"],
            scope.get("query_string", b""),
            _header(scope, b"host"),
            scope.get("scheme", "http").encode("ascii"),
        )
        try:
            version = await self._current_version()
        except Exception:  # database unreachable: the route answers (a 503 problem), uncached
            await self.app(scope, receive, send)
            return
        entry = self._store.get(key)
        if (
            entry is not None
            and entry.version == version
            and (entry.expires > time.monotonic() or key in self._flights)
        ):
            # Fresh; or past its TTL while one request already rebuilds it: serve it meanwhile.
            await self._serve(key, entry, scope, send)
            return
        flight = self._flights.get(key)
        if flight is not None and flight.version == version:
            # The same answer is being built: wait for it rather than build it again.
            await asyncio.shield(flight.done)
            entry = self._store.get(key)
            if entry is not None and entry.version == version:
                await self._serve(key, entry, scope, send)
                return
            await self.app(scope, receive, send)  # it was not kept (an error, too large...)
            return
        flight = _Flight(version, asyncio.get_running_loop().create_future())
        self._flights[key] = flight
        try:
            await self.app(scope, receive, self._recorder(scope, key, version, send))
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
            flight.done.set_result(None)

    async def _serve(self, key: _Key, entry: _Entry, scope: Scope, send: Send) -> None:
        if key in self._store:
            self._store.move_to_end(key)
        scope["route"] = entry.route
        # A fresh list each time: the gzip middleware appends `vary` to it in place.
        headers = list(entry.headers)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})

    def _cacheable(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(CACHED_PREFIX)
            and not scope["path"].startswith(UNCACHED_PREFIX)
            and not _header(scope, b"if-none-match")
            and not wrong_key_sent(_authorization(scope), self.keys)
        )

    async def _current_version(self) -> tuple[int, int]:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        batch = self._next
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_versions())
        return await asyncio.shield(batch)

    async def _read_versions(self) -> None:
        """Run one version query per waiting batch until nobody waits."""
        try:
            while (batch := self._next) is not None:
                self._next = None
                try:
                    batch.set_result(await self.versions.read())
                except Exception as exc:  # every waiter of the batch gets the error
                    batch.set_exception(exc)
        finally:
            self._reader = None

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        async def watched() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self.close()
            return message

        return watched

    def close(self) -> None:
        self.versions.close()

    def _recorder(
        self,
        scope: Scope,
        key: _Key,
        version: tuple[int, int],
        send: Send,
    ) -> Send:
        """Pass every message on as it comes, keeping a copy of a small complete 200 answer."""
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []
        size = 0

        async def record(message: Message) -> None:
            nonlocal headers, size
            # Read before sending: the gzip middleware edits the messages in place.
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            body = bytes(message.get("body", b""))
            await send(message)
            if headers is None or message["type"] != "http.response.body":
                return
            size += len(body)
            if size > self.max_body:
                headers = None
                return
            chunks.append(body)
            if not message.get("more_body", False):
                expires = time.monotonic() + self.ttl
                self._keep(
                    key, _Entry(version, expires, headers, b"".join(chunks), scope.get("route"))
                )

        return record

    def _keep(self, key: _Key, entry: _Entry) -> None:
        if (replaced := self._store.pop(key, None)) is not None:
            self._bytes -= len(replaced.body)
        self._store[key] = entry
        self._bytes += len(entry.body)
        while len(self._store) > self.entries or self._bytes > self.max_bytes:
            _, evicted = self._store.popitem(last=False)
            self._bytes -= len(evicted.body)


def _authorization(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            return bytes(value).decode("latin-1")
    return None


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return b""

"""A per-process cache of ``GET /v1`` answers, revalidated against the change feed.

Reads outnumber writes by far, and building an answer (an article with all its facts, a page
of search hits with facets) costs 10-100 times more than sending its bytes. Every write use
case records a row in ``changes`` inside its transaction (``app.kb.changes``), so the highest
change id is a version of the whole knowledge base: an answer stored under version N is served
again while the version is still N. One cheap indexed query per request replaces the queries,
the ORM and the serialization. On PostgreSQL two writes can commit out of id order (the later
id first), so the version also counts the last ``WINDOW`` change rows: a late commit inside that
window changes the count. Entries expire after ``ttl`` seconds all the same, which bounds the
staleness of a commit later still.

Pure ASGI and innermost (inside the gzip, rate-limit and request-id middleware), so limits,
request ids and compression still apply to every answer. Only complete ``200`` answers up to
``max_body`` bytes are kept; requests carrying ``If-None-Match`` go through to the route, which
answers the 304 itself.

Concurrent requests share version queries: a request waits for the next query to *start*
(never joins one already running, which could predate a write it has seen committed), so under
load one query and one thread hop serve a whole batch of requests.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from anyio import to_thread
from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHED_PREFIX = "/v1/"
WINDOW = 1000
_VERSION = (
    "SELECT max(id), count(*) FROM changes "
    f"WHERE id > (SELECT coalesce(max(id), 0) - {WINDOW} FROM changes)"
)


@dataclass(frozen=True, slots=True)
class _Entry:
    version: tuple[int, int]
    expires: float
    headers: list[tuple[bytes, bytes]]
    body: bytes


class ReadCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Engine,
        entries: int,
        ttl: float = 300.0,
        max_body: int = 1_000_000,
    ) -> None:
        self.app = app
        self.engine = engine
        self.entries = entries
        self.ttl = ttl
        self.max_body = max_body
        self._store: OrderedDict[tuple[str, bytes, bytes, bytes], _Entry] = OrderedDict()
        self._next: asyncio.Future[tuple[int, int]] | None = None  # the batch not yet started
        self._reader: asyncio.Task[None] | None = None
        self._connection: PoolProxiedConnection | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        if entry is not None and entry.version == version and entry.expires > time.monotonic():
            self._store.move_to_end(key)
            # A fresh list each time: the gzip middleware appends `vary` to it in place.
            headers = list(entry.headers)
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": entry.body})
            return
        await self.app(scope, receive, self._recorder(key, version, send))

    def _cacheable(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(CACHED_PREFIX)
            and not _header(scope, b"if-none-match")
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
                    batch.set_result(await to_thread.run_sync(self._version))
                except Exception as exc:  # every waiter of the batch gets the error
                    batch.set_exception(exc)
        finally:
            self._reader = None

    def _version(self) -> tuple[int, int]:
        """On a connection kept for this query alone (batches run one at a time), autocommit:
        no pool checkout, no transaction, no ORM: tens of microseconds on SQLite."""
        if self._connection is None:
            connection = self.engine.raw_connection()
            if self.engine.dialect.name == "postgresql":
                connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            self._connection = connection
        try:
            cursor = self._connection.cursor()
            cursor.execute(_VERSION)
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            self._connection.invalidate()  # a fresh one next time (database restarted...)
            self._connection = None
            raise
        return (int(row[0] or 0), int(row[1])) if row else (0, 0)

    def _recorder(
        self, key: tuple[str, bytes, bytes, bytes], version: tuple[int, int], send: Send
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
                self._keep(key, _Entry(version, expires, headers, b"".join(chunks)))

        return record

    def _keep(self, key: tuple[str, bytes, bytes, bytes], entry: _Entry) -> None:
        self._store[key] = entry
        self._store.move_to_end(key)
        while len(self._store) > self.entries:
            self._store.popitem(last=False)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return b""

"""A per-process cache of ``GET /v1`` answers, revalidated against the change feed.

Reads outnumber writes by far, and building an answer (an article with all its facts, a page
of search hits with facets) costs 10-100 times more than sending its bytes. Every write use
case records a row in ``changes`` inside its transaction (``app.kb.changes``), so the highest
change id is a version of the whole knowledge base, read with one cheap indexed query per
request (``app.kb.changes.VersionReader``) that replaces the queries, the ORM and the
serialization of a cached answer.

A write drops only the answers it can change. An answer of one article, entity or event is
tagged (``app.api.cache_tags``) with every article, entity and event it shows; when the
version moves, the changes since the last one tell which articles and entities were written
(and the events a new article joins), and only the answers carrying one of those tags go,
with every untagged answer (lists, searches, counts). A re-extraction or a deletion, whose
reach the feed does not record, drops everything. So during a bulk ingest the pages of the
rest of the archive stay cached. Entries expire after ``ttl`` seconds all the same, which
bounds the staleness of a commit that lands out of order later than the version's window
can see.

Bounded by a number of answers and by the bytes of their bodies, least recently used first.
Pure ASGI, in two layers that share one store: ``recording`` sits inside the gzip middleware
and keeps answers as the routes give them; ``answering`` sits just outside it (inside the
rate-limit, key, body-limit and request-id middleware, so limits, request ids and access
lines apply to every answer) and serves a hit without passing it through gzip: it adds what
gzip would (``Vary: Accept-Encoding`` on a body gzip would compress) or, for clients that
accept gzip, the body compressed once and kept beside it. That layer skipped was a sixth of a
hit's CPU. Only complete ``200`` answers up to ``max_body`` bytes that gzip would treat as
plain JSON (no ``Content-Encoding`` or ``Vary`` of their own, a type it compresses) are kept;
requests carrying ``If-None-Match`` go through to the route, which answers the 304 itself.

Concurrent requests share version queries: a request waits for the next query to *start*
(never joins one already running, which could predate a write it has seen committed), so under
load one query serves a whole batch of requests. On SQLite a request first reads the version
reader's stamp (``PRAGMA data_version``, in the event loop): when nothing was committed since
the store was last checked, it needs no version query at all. Concurrent misses of one key share one
build too: the first request builds the answer, the others (at the same version) wait for it
instead of running the same queries at once. An entry past its TTL that no write dropped is
served to the others while one request rebuilds it, so an expiry never sends a
burst of requests to the database.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.api.cache_tags import Shown, shown_in
from app.api.middleware.security import wrong_key_sent
from app.kb.changes import EVERYTHING, Changed, VersionReader

CACHED_PREFIX = "/v1/"
# Watches and jobs change without a change-feed row (deliveries, pauses, job states), and
# watches are not public.
UNCACHED_PREFIXES = ("/v1/watches", "/v1/jobs")


_Key = tuple[str, bytes, bytes, bytes]  # path, query string, Host, scheme
GZIP_LEVEL = 9  # Starlette's GZipMiddleware default, which app.main uses
VARY = (b"vary", b"Accept-Encoding")
# What the answering layer hands the recording layer for a miss it lets through (scope key).
_RECORD = "newskb.read_cache"
# The request headers a lookup reads (the first of each counts, as Starlette reads them).
_KEY_HEADERS = frozenset({b"host", b"accept-encoding", b"if-none-match", b"authorization"})
# Media types the gzip middleware leaves alone: their answers are not kept (none is cached).
_NOT_COMPRESSED = frozenset(DEFAULT_EXCLUDED_CONTENT_TYPES)


@dataclass(frozen=True, slots=True)
class _Flight:
    """An answer being built by one request, which others for the same key wait for."""

    generation: int
    done: asyncio.Future[None]


@dataclass(slots=True, eq=False)
class _Entry:
    expires: float
    headers: list[tuple[bytes, bytes]]  # as the route gave them
    body: bytes
    route: Any  # the route that made the answer: a hit is labelled (metrics, logs) without routing
    shown: Shown | None  # what it shows; None: any write may change it (lists, searches)
    plain: list[tuple[bytes, bytes]]  # the headers as gzip passes them to a client without gzip
    gzipped: bytes | None = None  # the body compressed, once a client asked for it
    gzip_headers: list[tuple[bytes, bytes]] | None = None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class ReadCache:
    """The store, its version checks and its two ASGI layers (``answering``, ``recording``)."""

    def __init__(
        self,
        *,
        versions: VersionReader,
        entries: int,
        gzip_min_bytes: int,
        max_bytes: int = 64_000_000,
        ttl: float = 300.0,
        max_body: int = 1_000_000,
        drop_all: bool = False,
        keys: list[str] | None = None,
    ) -> None:
        # The gzip middleware's threshold: bodies from this size are compressed for clients
        # that accept gzip (once per kept answer here), and get ``Vary`` for the others.
        self.gzip_min_bytes = gzip_min_bytes
        self.keys = keys or []  # a request with a wrong key goes to the route, for its 401
        self.versions = versions
        self.entries = entries
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.max_body = min(max_body, max_bytes)
        self.drop_all = drop_all  # on any write, as if the feed told nothing of its reach
        self._store: OrderedDict[_Key, _Entry] = OrderedDict()
        self._bytes = 0  # of the bodies in the store
        # The keys of the stored answers by what they show ("event:3"; "ref:7" for an entity
        # named), and those that show no tag: a write finds what it can change without a scan.
        self._by_tag: dict[str, set[_Key]] = {}
        self._untagged: set[_Key] = set()
        self._flights: dict[_Key, _Flight] = {}
        self._next: asyncio.Future[int] | None = None  # the batch not yet started
        self._reader: asyncio.Task[None] | None = None
        self._version: tuple[int, int] | None = None  # the last version the store was checked at
        # SQLite: the version reader's stamp read just before that version (None: unknown).
        self._stamp: tuple[int, int] | None = None
        # Bumped whenever the store is checked against a new version: an answer built while
        # the generation moved may predate a write, so it is not kept.
        self._generation = 0

    def answering(self, app: ASGIApp) -> ASGIApp:
        """The layer that serves hits; outside the gzip middleware."""
        return _Answering(app, self)

    def recording(self, app: ASGIApp) -> ASGIApp:
        """The layer that keeps answers; inside the gzip middleware."""
        return _Recording(app, self)

    def key_of(self, scope: Scope) -> tuple[_Key, bool] | None:
        """The key of a cacheable request and whether it accepts gzip; None if not cacheable.

        One pass over the headers.
        """
        if scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if not path.startswith(CACHED_PREFIX) or path.startswith(UNCACHED_PREFIXES):
            return None
        found: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", ()):
            if name in _KEY_HEADERS and name not in found:
                found[name] = bytes(value)
        if found.get(b"if-none-match"):
            return None  # the route answers the 304 itself
        authorization = found.get(b"authorization")
        if authorization is not None and wrong_key_sent(authorization.decode("latin-1"), self.keys):
            return None
        key = (
            path,
            scope.get("query_string", b""),
            found.get(b"host", b""),
            scope.get("scheme", "http").encode("ascii"),
        )
        return key, b"gzip" in found.get(b"accept-encoding", b"")

    def generation_now(self) -> int | None:
        """The current generation without waiting, when the version reader's stamp proves that
        nothing was committed since the store was last checked (SQLite); None otherwise."""
        if self._stamp is None:
            return None
        try:
            stamp = self.versions.stamp()
        except Exception:  # the next version query tells (or fails, and the route answers)
            return None
        return self._generation if stamp == self._stamp else None

    async def current_generation(self) -> int:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        batch = self._next
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_versions())
        return await asyncio.shield(batch)

    async def _read_versions(self) -> None:
        """Run one version query per waiting batch until nobody waits.

        When the version moved, the store is first rid of the answers the new changes can
        alter; a failure leaves the version unchecked, to be checked again by the next batch.
        """
        try:
            while self._next is not None:
                # One turn of the event loop first: the requests already scheduled join this
                # batch instead of each starting the next query (on PostgreSQL a query costs
                # a request's worth of CPU; under load batches were of one or two requests).
                await asyncio.sleep(0)
                batch, self._next = self._next, None
                try:
                    self._stamp = None
                    stamp = self.versions.stamp()  # before the version it vouches for
                    version = await self.versions.read()
                    if version != self._version:
                        changed = await self.versions.changed_since(self._version, version)
                        self._drop(EVERYTHING if self.drop_all else changed)
                        self._version = version
                        self._generation += 1
                    self._stamp = stamp
                    batch.set_result(self._generation)
                except Exception as exc:  # every waiter of the batch gets the error
                    batch.set_exception(exc)
        finally:
            self._reader = None

    def lookup(self, key: _Key) -> _Entry | None:
        """The entry to serve: fresh, or past its TTL while one request rebuilds it."""
        entry = self._store.get(key)
        if entry is not None and (entry.expires > time.monotonic() or key in self._flights):
            return entry
        return None

    def hit(self, key: _Key, entry: _Entry, scope: Scope, gzipped: bool) -> Message:
        """Count a hit and return its start message (headers as gzip would have left them)."""
        if key in self._store:
            self._store.move_to_end(key)
        metrics.READ_CACHE_HITS.inc()
        scope["route"] = entry.route
        if gzipped:
            self._gzip(key, entry)
            headers = entry.gzip_headers
        else:
            headers = entry.plain
        # A fresh list each time: middleware outside may edit a header list in place (CORS).
        return {"type": "http.response.start", "status": 200, "headers": list(headers or ())}

    def gzips(self, entry: _Entry, accepts_gzip: bool) -> bool:
        """Whether the gzip middleware would compress this answer for this request."""
        return accepts_gzip and len(entry.body) >= self.gzip_min_bytes

    def _gzip(self, key: _Key, entry: _Entry) -> None:
        """The body compressed as the gzip middleware does (level 9), once per entry: a hit
        that compresses costs several times one that does not. Counted in the byte budget."""
        if entry.gzipped is not None:
            return
        gzipped = gzip.compress(entry.body, compresslevel=GZIP_LEVEL, mtime=0)
        entry.gzip_headers = [(k, v) for k, v in entry.headers if k.lower() != b"content-length"]
        entry.gzip_headers += [
            (b"content-encoding", b"gzip"),
            (b"content-length", str(len(gzipped)).encode("ascii")),
            VARY,
        ]
        if self._store.get(key) is entry:
            self._remove(key)
            entry.gzipped = gzipped
            self._keep(key, entry)
        else:
            entry.gzipped = gzipped  # dropped meanwhile: served, not kept

    def _drop(self, changed: Changed) -> None:
        """Remove the answers ``changed`` can alter: the untagged ones and those it names."""
        if changed.everything:
            metrics.READ_CACHE_DROPPED.inc(len(self._store))
            self._store.clear()
            self._by_tag.clear()
            self._untagged.clear()
            self._bytes = 0
            return
        doomed = set(self._untagged)
        for tag in changed.tags:
            doomed |= self._by_tag.get(tag, set())
        for entity_id, now in changed.entities.items():
            for key in self._by_tag.get(f"ref:{entity_id}", ()):
                shown = self._store[key].shown
                if shown is None or shown.refs.get(entity_id) != now:  # renamed, merged...
                    doomed.add(key)
        for key in doomed:
            self._remove(key)
        metrics.READ_CACHE_DROPPED.inc(len(doomed))

    def closing_on_shutdown(self, receive: Receive) -> Receive:
        async def watched() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self.close()
            return message

        return watched

    def close(self) -> None:
        self.versions.close()

    def recorder(
        self,
        scope: Scope,
        key: _Key,
        generation: int,
        send: Send,
    ) -> Send:
        """Pass every message on as it comes, keeping a copy of a small complete 200 answer.

        Not kept when the store was checked against a newer version meanwhile: the answer may
        have been read before a write that the check dropped its peers for.
        """
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []
        size = 0

        async def record(message: Message) -> None:
            nonlocal headers, size
            # Read before sending: the gzip middleware edits the messages in place.
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                if not _plain_json(headers):
                    headers = None
            body = bytes(message.get("body", b""))
            await send(message)
            if headers is None or message["type"] != "http.response.body":
                return
            size += len(body)
            if size > self.max_body:
                headers = None
                return
            chunks.append(body)
            if not message.get("more_body", False) and generation == self._generation:
                expires = time.monotonic() + self.ttl
                body = b"".join(chunks)
                # What the gzip middleware passes to a client without gzip: ``Vary`` added to
                # a body it would compress for others, nothing else changed.
                plain = [*headers, VARY] if len(body) >= self.gzip_min_bytes else headers
                entry = _Entry(expires, headers, body, scope.get("route"), shown_in(scope), plain)
                self._keep(key, entry)

        return record

    def _keep(self, key: _Key, entry: _Entry) -> None:
        self._remove(key)
        self._store[key] = entry
        self._bytes += entry.size
        if entry.shown is None:
            self._untagged.add(key)
        else:
            for tag in self._index_tags(entry.shown):
                self._by_tag.setdefault(tag, set()).add(key)
        while len(self._store) > self.entries or self._bytes > self.max_bytes:
            self._remove(next(iter(self._store)))  # the least recently used

    def _remove(self, key: _Key) -> None:
        entry = self._store.pop(key, None)
        if entry is None:
            return
        self._bytes -= entry.size
        if entry.shown is None:
            self._untagged.discard(key)
            return
        for tag in self._index_tags(entry.shown):
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    @staticmethod
    def _index_tags(shown: Shown) -> list[str]:
        return [*shown.tags, *(f"ref:{entity_id}" for entity_id in shown.refs)]


class _Answering:
    """Serves hits; lets misses through to the gzip middleware and ``_Recording``."""

    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cache = self.cache
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                receive = cache.closing_on_shutdown(receive)
            await self.app(scope, receive, send)
            return
        found = cache.key_of(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        key, accepts_gzip = found
        generation = cache.generation_now()
        if generation is None:
            try:
                generation = await cache.current_generation()
            except Exception:  # database unreachable: the route answers (a 503 problem), uncached
                await self.app(scope, receive, send)
                return
        entry = cache.lookup(key)
        if entry is not None:
            await self._serve(key, entry, scope, send, accepts_gzip)
            return
        flight = cache._flights.get(key)
        if flight is not None and flight.generation == generation:
            # The same answer is being built: wait for it rather than build it again.
            await asyncio.shield(flight.done)
            entry = cache._store.get(key)
            if entry is not None:
                await self._serve(key, entry, scope, send, accepts_gzip)
                return
            await self.app(scope, receive, send)  # it was not kept (an error, too large...)
            return
        metrics.READ_CACHE_MISSES.inc()
        flight = _Flight(generation, asyncio.get_running_loop().create_future())
        cache._flights[key] = flight
        scope[_RECORD] = (key, generation)
        try:
            await self.app(scope, receive, send)
        finally:
            scope.pop(_RECORD, None)
            if cache._flights.get(key) is flight:
                del cache._flights[key]
            flight.done.set_result(None)

    async def _serve(
        self, key: _Key, entry: _Entry, scope: Scope, send: Send, accepts_gzip: bool
    ) -> None:
        gzipped = self.cache.gzips(entry, accepts_gzip)
        await send(self.cache.hit(key, entry, scope, gzipped))
        body = entry.gzipped if gzipped else entry.body
        await send({"type": "http.response.body", "body": body})


class _Recording:
    """Keeps the answer of a miss the answering layer let through, as the route gave it."""

    def __init__(self, app: ASGIApp, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = scope.pop(_RECORD, None) if scope["type"] == "http" else None
        if record is None:
            await self.app(scope, receive, send)
            return
        key, generation = record
        await self.app(scope, receive, self.cache.recorder(scope, key, generation, send))


def _plain_json(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the gzip middleware treats an answer with these headers as the cache assumes:
    not encoded already, no ``Vary`` of its own, a media type it compresses."""
    for name, value in headers:
        lowered = name.lower()
        if lowered in (b"content-encoding", b"vary"):
            return False
        if lowered == b"content-type":
            media = value.decode("latin-1").partition(";")[0].strip().lower()
            if (
                media in _NOT_COMPRESSED
                or media.partition("/")[0] + "/*" in _NOT_COMPRESSED
                or media.startswith("application/grpc+")
            ):
                return False
    return True

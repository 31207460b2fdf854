"""Application factory: settings in, FastAPI app out; no I/O at import time."""

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from app import __version__
from app.api.middleware.admission import Admission
from app.api.middleware.cache import ReadCache
from app.api.middleware.context import RequestContext
from app.api.middleware.keygate import KeyBeforeBody
from app.api.middleware.limits import BodySizeLimit
from app.api.middleware.methods import MethodRules
from app.api.middleware.openapi import document_problems
from app.api.middleware.problems import install_problem_handlers
from app.api.middleware.proxy import ClientAddress, log_proxy_mode
from app.api.middleware.ratelimit import RateLimit
from app.api.middleware.security import log_auth_mode
from app.api.middleware.stored_lists import StoredLists
from app.api.routers import include_routers
from app.db.engine import (
    STATEMENT_MS,
    Deadlines,
    make_engine,
    make_health_engine,
    make_sessionmaker,
)
from app.heap import freeze_heap
from app.kb.answers import AnswerReader
from app.kb.changes import VersionReader
from app.kb.screening import IndexCache
from app.kb.sql.pagination import CursorCodec
from app.kb.webhooks import Deliverer
from app.logging import configure_logging
from app.queue import make_job_queue
from app.settings import Settings, get_settings

logger = logging.getLogger("newskb.security")

DESCRIPTION = """
NewsKB turns news articles into a knowledge base. Post an article (scraped text or HTML);
NewsKB cleans it, extracts people, organizations, places, weapons, named events, dates,
amounts, quotes and events, resolves them to entities shared across articles, and keeps
the provenance of every fact: the article and the exact character span it was read from.

Lists are paginated with `limit` and an opaque `cursor` (follow `next_cursor` or the
`Link: rel="next"` header). Errors are RFC 9457 `application/problem+json`.
"""

TAGS = [
    {"name": "index", "description": "Where to start: links to the docs and every collection."},
    {"name": "articles", "description": "Ingest, read and delete articles."},
    {"name": "entities", "description": "People, organizations, countries, places and more."},
    {"name": "events", "description": "What happened, who took part, where and when."},
    {"name": "quotes", "description": "What was said, by whom, through which channel."},
    {"name": "search", "description": "One query over articles, entities and events, faceted."},
    {"name": "watches", "description": "Saved searches: new matches, pulled or pushed."},
    {"name": "changes", "description": "Change feed for incremental sync, with tombstones."},
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "monitoring", "description": "Prometheus metrics and knowledge-base statistics."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, flush_ms=settings.access_log_flush_ms)
        log_auth_mode(settings)
        log_proxy_mode(settings)
        if not settings.cursor_secret:
            logger.warning(
                "NEWSKB_CURSOR_SECRET is not set: pagination cursors are signed with a random "
                "key of this process; they stop working when it restarts, and other worker "
                "processes reject them. Set NEWSKB_CURSOR_SECRET (`newskb serve` and the "
                "container share one key between their workers)."
            )
        # Webhook deliveries: a thread with an engine of its own, off the requests' pool.
        delivery_engine = make_engine(
            settings.database_url, pool_timeout=settings.db_pool_timeout, deadlines=deadlines
        )
        deliverer = Deliverer.from_settings(make_sessionmaker(delivery_engine), settings)
        deliverer.start()
        freeze_heap()
        try:
            yield
        finally:
            deliverer.stop()
            deliverer.close()
            delivery_engine.dispose()
            app.state.job_queue.close()
            app.state.answer_reader.close()
        app.state.engine.dispose()
        if app.state.health_engine is not app.state.engine:
            app.state.health_engine.dispose()

    # Swagger UI and ReDoc assets served from the package, not a CDN: /docs works offline.
    app = FastAPIOffline(
        title="NewsKB",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    deadlines = Deadlines(
        statement_ms=settings.db_statement_timeout_ms,
        lock_ms=settings.db_lock_timeout_ms,
        idle_in_transaction_ms=settings.db_idle_in_transaction_ms,
        connect_s=settings.db_connect_timeout,
        grace_s=settings.db_deadline_grace,
        # Connections open with the read budget: a read (most requests) sets none of its own.
        connection_ms=settings.db_read_timeout_ms,
    )
    app.state.engine = make_engine(
        settings.database_url, pool_timeout=settings.db_pool_timeout, deadlines=deadlines
    )
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.read_sessionmaker = make_sessionmaker(
        app.state.engine.execution_options(**{STATEMENT_MS: settings.db_read_timeout_ms})
    )
    app.state.health_engine = make_health_engine(app.state.engine, deadlines)
    app.state.answer_reader = AnswerReader(app.state.engine)  # GET /v1/articles/{id}
    app.state.screening_cache = IndexCache()  # POST /v1/match: the name index, per version
    # Never a known default: anyone could sign cursors with it (issue 16).
    app.state.cursor_codec = CursorCodec(settings.cursor_secret or secrets.token_urlsafe(32))
    app.state.job_queue = make_job_queue(settings)  # no I/O: the broker connects on first use
    install_problem_handlers(app)
    include_routers(app)
    # Innermost: the stored lists' plain pages, answered without the router (it takes a turn).
    app.add_middleware(StoredLists, settings=settings)
    app.add_middleware(  # a cached answer takes no turn
        Admission,
        limits={"lists": settings.concurrent_lists, "exports": settings.concurrent_exports},
        wait=settings.admission_wait,
    )
    read_cache = None
    if settings.read_cache_size and not settings.require_key_for_reads:
        read_cache = ReadCache(
            versions=VersionReader(app.state.engine),
            entries=settings.read_cache_size,
            max_bytes=int(settings.read_cache_mb * 1_000_000),
            ttl=settings.read_cache_ttl,
            drop_all=settings.read_cache_drop_all,
            keys=settings.key_list(),
            gzip_min_bytes=settings.gzip_min_bytes,
        )
        app.add_middleware(read_cache.recording)  # keeps answers as the routes give them
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)
    if read_cache is not None:
        app.add_middleware(read_cache.answering)  # a hit skips gzip (the cache does its part)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        read_timeout=settings.body_read_timeout,
    )
    app.add_middleware(KeyBeforeBody, settings=settings)  # outside the body limit: no body read
    app.add_middleware(MethodRules)
    app.add_middleware(RateLimit, settings=settings)
    if origins := settings.cors_origin_list():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=["ETag", "Link", "Location", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContext)  # its headers go on every answer
    # Outermost: the access log, the rate limit and the key check all see the resolved client.
    app.add_middleware(ClientAddress, trusted=settings.trusted_proxy_networks())
    document_problems(app)
    return app

"""The stored lists' plain pages answered before routing: ``GET /v1/events`` and
``GET /v1/entities/{id}/timeline`` with nothing but ``limit`` and ``cursor``.

Their answers are read in the event loop from stored items (``app.api.stored_lists``), yet
through the router they cost three times that read: FastAPI 0.165 matching the path against
the routes and solving the route's dependencies and parameters took about two thirds of an
uncached page's CPU (a profile at 100,000 articles). This middleware, the innermost, answers a
page whose request it can read without doubt through the same function as the route, with the
same bytes and headers, and records the route in the scope as the router would (for the
metrics' route label and the read cache). Anything else goes to the route, which answers as
before: another parameter or a repeated one, a value it would convert or refuse, an
``Authorization`` header (the read-key check), reads that need a key, a request that
OpenTelemetry traces (FastAPI's router names its span), a page the session must answer (a
merged or missing entity, a cursor that does not fit, an item not stored: the route then goes
straight to its session, ``stored_lists.LEFT_TO_SESSION``).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl

import fastapi.routing
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api import stored_lists
from app.api.deps import MAX_CURSOR_LENGTH
from app.api.middleware.routes import route_path
from app.kb.sql.pagination import MAX_LIMIT
from app.schemas.common import MAX_ID
from app.settings import Settings

EVENTS = "/v1/events"
TIMELINE = "/v1/entities/{entity_id}/timeline"
DEFAULT_LIMIT = 20  # both routes' default (a test compares these with the OpenAPI document)
_TIMELINE_PATH = re.compile(r"/v1/entities/([1-9][0-9]{0,9})/timeline")
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")  # what FastAPI reads as that very number

logger = logging.getLogger("newskb.stored_lists")


class StoredLists:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.enabled = not settings.require_key_for_reads
        self._routes: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.enabled
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope.get("fastapi.telemetry") is None  # set when OpenTelemetry is configured
        ):
            answer = await self._answer(scope)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        path = route_path(scope)
        if path == EVENTS:
            template, entity_id = EVENTS, 0
        elif (found := _TIMELINE_PATH.fullmatch(path)) is not None:
            template, entity_id = TIMELINE, int(found[1])
            if entity_id > MAX_ID:
                return None
        else:
            return None
        page = page_params(scope)
        if page is None:
            return None
        limit, cursor = page
        request = Request(scope)
        codec = request.app.state.cursor_codec
        try:
            if template == EVENTS:
                answer = await stored_lists.events_answer(
                    request, limit=limit, cursor=cursor, codec=codec
                )
            else:
                answer = await stored_lists.timeline_answer(
                    request, entity_id, limit=limit, cursor=cursor, codec=codec
                )
        except Exception:  # the route meets it too, and answers it as it answers errors
            logger.debug("a stored list's page is left to its route", exc_info=True)
            return None
        if answer is None:  # read, and the session must answer: the route need not read again
            scope[stored_lists.LEFT_TO_SESSION] = True
            return None
        scope["route"] = self._route(request.app, template)
        return answer

    def _route(self, app: Any, template: str) -> Any:
        """The route the router would have recorded in the scope (``APIRoute``)."""
        route = self._routes.get(template)
        if route is None:
            # FastAPI 0.16x keeps included routers nested; older versions list their routes flat.
            nested = getattr(fastapi.routing, "iter_route_contexts", None)
            routes = nested(app.routes) if nested else app.routes
            route = next(
                getattr(r, "original_route", r)
                for r in routes
                if getattr(r, "path", None) == template and "GET" in (r.methods or ())
            )
            self._routes[template] = route
        return route


def page_params(scope: Scope) -> tuple[int, str | None] | None:
    """``limit`` and ``cursor`` when the request asks for nothing else and FastAPI would read
    them as they are: each at most once, ``limit`` a plain number from 1 to ``MAX_LIMIT``, the
    cursor not empty and within its length, no ``Authorization`` header. None otherwise."""
    if any(name == b"authorization" for name, _ in scope["headers"]):
        return None
    query: bytes = scope.get("query_string", b"")
    if not query:
        return DEFAULT_LIMIT, None
    # As Starlette's QueryParams reads it.
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= {"limit", "cursor"}:
        return None
    limit, cursor = DEFAULT_LIMIT, given.get("cursor")
    if "limit" in given:
        if _LIMIT.fullmatch(given["limit"]) is None or int(given["limit"]) > MAX_LIMIT:
            return None
        limit = int(given["limit"])
    if cursor is not None and not 0 < len(cursor) <= MAX_CURSOR_LENGTH:
        return None
    return limit, cursor

"""Request id, security headers and one structured access-log line per request.

Pure ASGI (no ``BaseHTTPMiddleware``) so streamed bodies stay streamed. It is the outermost
middleware, so every answer, the 413 of the body limit and the 429 of the rate limit included,
carries ``X-Request-ID`` and ``X-Content-Type-Options: nosniff``. Starlette's
``ServerErrorMiddleware`` still sits outside it: the 500 handler adds ``error_headers`` itself.
It also feeds the HTTP metrics, labelled by route template (``/v1/articles/{article_id}``).

A client that hangs up before an answer is started is counted as 499 ("client closed request",
as nginx logs it), not as a 500: nothing went wrong on our side, and nobody is left to answer.
"""

from __future__ import annotations

import logging
import random
import re
import time

import fastapi.routing
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.api.middleware.routes import route_path
from app.logging import log_access, request_id_var

access_log = logging.getLogger("newskb.access")

# A client's id is echoed only when it is short and plain: no header or log injection.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff")]
CLIENT_CLOSED_REQUEST = 499


def request_id_from(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    # An identifier, not a secret: uuid4 reads os.urandom (a system call) for each request,
    # the Mersenne Twister does not. Same form: 32 hex digits.
    return f"{random.getrandbits(128):032x}"


def error_headers(scope: Scope) -> dict[str, str]:
    """The headers of ``RequestContext``, for answers written outside it (the 500 handler)."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in SECURITY_HEADERS}
    if request_id := scope.get("state", {}).get("request_id"):
        headers["X-Request-ID"] = request_id
    return headers


def route_template(scope: Scope) -> str:
    """The path template of the route that served (or would have served) the request.

    The router records its route in the scope; answers given before routing (413, 429) are
    matched here against every route's template, compiled once per app.
    """
    if (route := scope.get("route")) is not None:
        return str(route.path)
    app = scope.get("app")
    if app is None:
        return metrics.UNMATCHED
    templates: list[tuple[str, re.Pattern[str]]] | None = getattr(
        app.state, "route_templates", None
    )
    if templates is None:
        # FastAPI 0.16x keeps included routers nested; older versions list their routes flat.
        nested = getattr(fastapi.routing, "iter_route_contexts", None)
        routes = nested(app.routes) if nested else app.routes
        paths = dict.fromkeys(p for r in routes if (p := getattr(r, "path", None)))
        templates = [(path, compile_path(path)[0]) for path in paths]
        app.state.route_templates = templates
    path = route_path(scope)
    return next((t for t, regex in templates if regex.match(path)), metrics.UNMATCHED)


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        responded = disconnected = False
        metrics.HTTP_IN_PROGRESS.inc()

        async def watched_receive() -> Message:
            nonlocal disconnected
            message = await receive()
            disconnected = disconnected or message["type"] == "http.disconnect"
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                # An answer to a client already gone is not what the client got.
                status = CLIENT_CLOSED_REQUEST if disconnected else message["status"]
                responded = True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-request-id", b"x-content-type-options")
                ]
                headers += [(b"x-request-id", request_id.encode("latin-1")), *SECURITY_HEADERS]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, watched_receive, send_with_headers)
        except ClientDisconnect:
            disconnected = True  # raised by a body read or a stream: nobody left to answer
        finally:
            if disconnected and not responded:
                status = CLIENT_CLOSED_REQUEST
            route, seconds = route_template(scope), time.perf_counter() - started
            metrics.HTTP_IN_PROGRESS.dec()
            metrics.observe_request(scope.get("method", ""), route, status, seconds)
            client = scope.get("client")
            method, path = scope.get("method", ""), scope.get("path", "")
            log_access(
                access_log,
                method=method,
                path=path,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 1),
                client=client[0] if client else None,
            )
            request_id_var.reset(token)

"""The write key, checked before a body is read.

``require_write_key`` (security.py) runs as a route dependency, after FastAPI and the body limit
have read and parsed the body: an anonymous client could make the server hold megabytes per
request. This pure ASGI middleware answers a write with a missing or wrong key 401 from its
headers alone, so the body is never read. The dependency stays: it is what the schema shows and
what guards the loopback rule when no key is configured.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.middleware.limits import send_problem
from app.api.middleware.routes import route_path, route_table
from app.api.middleware.security import bearer_token, key_matches, require_write_key
from app.errors import Unauthorized
from app.settings import Settings

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def needs_write_key(scope: Scope) -> bool:
    """Whether the route this request reaches depends on ``require_write_key``."""
    app = scope.get("app")
    if app is None:
        return False
    path, method = route_path(scope), scope.get("method", "")
    return any(
        route.regex.match(path) and method in route.methods and require_write_key in route.guards
        for route in route_table(app)
    )


class KeyBeforeBody:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.keys = settings.key_list()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.keys  # no key configured: the loopback rule (a dependency) decides
            or scope.get("method") in READS
            or not needs_write_key(scope)
        ):
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is not None and key_matches(token, self.keys):
            await self.app(scope, receive, send)
            return
        detail = (
            "This operation needs an API key: `Authorization: Bearer <key>`."
            if token is None
            else "The API key is not valid."
        )
        # The body is left unread: close the connection rather than read it to reuse it.
        await send_problem(
            scope,
            send,
            Unauthorized.status,
            Unauthorized.type,
            Unauthorized.title,
            detail,
            close=True,
            headers=[(b"www-authenticate", b'Bearer realm="newskb"')],
        )

"""HEAD and OPTIONS on every route, and a complete ``Allow`` on every 405 (RFC 9110).

FastAPI routes answer only the methods they declare: HEAD on a GET route was a 405, OPTIONS
too, and Starlette's 405 lists the methods of the first route that matched the path only (a
``DELETE /v1/articles`` listed GET, not POST). Here, as pure ASGI middleware:

- HEAD is answered as the GET it mirrors, without the body (same status, same headers);
- OPTIONS is answered 204 with ``Allow`` listing every method of the path (RFC 9110 9.3.7:
  a successful OPTIONS answer carries ``Allow``); CORS preflights are answered before this,
  by ``CORSMiddleware``, when CORS is configured;
- a 405 carries ``Allow`` with every method of the path (RFC 9110 15.5.6).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.middleware.routes import allowed_methods, route_path


class MethodRules:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("app") is None:
            await self.app(scope, receive, send)
            return
        app, method, path = scope["app"], scope.get("method", ""), route_path(scope)
        if method == "OPTIONS" and (allowed := allowed_methods(app, path)):
            headers = [_allow(allowed), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_rewritten(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*kept, _allow(allowed_methods(app, path))]}
            elif message["type"] == "http.response.body" and head:
                if message.get("more_body", False):
                    return  # HEAD: headers only; the last (empty) body message ends it
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_rewritten)


def _allow(methods: list[str]) -> tuple[bytes, bytes]:
    return (b"allow", ", ".join(methods).encode("ascii"))

"""The app's routes as pure ASGI middleware needs them: path regex, methods, dependencies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fastapi.routing
from starlette.types import Scope

# Reads that carry their question in a POST body (a list of names is no URL): they take a list
# turn, need no write key, and cannot answer the problems of a write.
READS_SENT_AS_POST = frozenset({"/v1/match"})


def route_path(scope: Scope) -> str:
    """The path the routes are matched against: without the ``root_path`` a proxy mounted the
    app under (Starlette puts it in ``path`` too), as ``starlette._utils.get_route_path``,
    private, computes it."""
    path: str = scope.get("path", "")
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


@dataclass(frozen=True)
class RouteInfo:
    path: str
    regex: re.Pattern[str]
    methods: frozenset[str]
    guards: tuple[Callable[..., Any], ...]  # the route's own and its routers' dependencies


def route_table(app: Any) -> list[RouteInfo]:
    """Every HTTP route of ``app`` (a FastAPI app), computed once and kept on ``app.state``."""
    table: list[RouteInfo] | None = getattr(app.state, "route_table", None)
    if table is None:
        # FastAPI 0.16x keeps included routers nested; older versions list their routes flat.
        nested = getattr(fastapi.routing, "iter_route_contexts", None)
        routes = nested(app.routes) if nested else app.routes
        table = []
        for route in routes:
            methods, regex = getattr(route, "methods", None), getattr(route, "path_regex", None)
            if methods is None or regex is None:
                continue  # mounts (static files) and websockets
            dependencies = getattr(route, "dependencies", None) or []
            guards = tuple(d.dependency for d in dependencies if d.dependency is not None)
            table.append(RouteInfo(route.path, regex, frozenset(methods), guards))
        app.state.route_table = table
    return table


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route accepts on ``path``, with HEAD (for GET) and OPTIONS."""
    methods = {m for route in route_table(app) if route.regex.match(path) for m in route.methods}
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return sorted(methods, key=lambda m: (order.index(m) if m in order else len(order), m))

"""Admission: how many requests of each costly kind run at once, per process.

Lists and searches cost what their parameters ask for, and each holds a pooled database
connection while it runs. Unbounded, a burst of them takes every connection and the pages by
id, the writes and ``/readyz`` wait behind them. Each kind has a number of turns; a request
waits ``wait`` seconds at most for one, then answers 503 with ``Retry-After`` (the service is
busy, not broken). Pages by id, writes, health and metrics take no turn.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.middleware.limits import send_problem
from app.api.middleware.routes import READS_SENT_AS_POST

RETRY_AFTER = "2"


def kind(scope: Scope) -> str | None:
    """``exports``, ``lists`` (a ``GET /v1`` path that does not end in an id, or a
    screening) or None."""
    if scope["type"] != "http":
        return None
    path: str = scope["path"].rstrip("/")
    if scope["method"] == "POST" and path in READS_SENT_AS_POST:
        return "lists"
    if scope["method"] not in ("GET", "HEAD"):
        return None
    if not path.startswith("/v1/"):
        return None
    if path == "/v1/export":
        return "exports"
    return None if path.rsplit("/", 1)[-1].isdigit() else "lists"


class Admission:
    def __init__(self, app: ASGIApp, *, limits: dict[str, int], wait: float) -> None:
        self.app = app
        self.wait = wait
        self.limits = limits
        self._turns: dict[str, asyncio.Semaphore] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        which = kind(scope)
        if which is None or which not in self.limits:
            await self.app(scope, receive, send)
            return
        turns = self._turns.get(which)
        if turns is None:  # made in the serving event loop, on first use
            turns = self._turns[which] = asyncio.Semaphore(self.limits[which])
        if turns.locked():
            try:
                await asyncio.wait_for(turns.acquire(), timeout=self.wait)
            except TimeoutError:
                await _busy(scope, send, which)
                return
        else:
            await turns.acquire()  # free: no wait
        try:
            await self.app(scope, receive, send)
        finally:
            turns.release()


async def _busy(scope: Scope, send: Send, which: str) -> None:
    detail = f"Too many {which} are running on this server; try again shortly."
    headers = [(b"retry-after", RETRY_AFTER.encode())]
    await send_problem(scope, send, 503, "busy", "Busy", detail, headers=headers)

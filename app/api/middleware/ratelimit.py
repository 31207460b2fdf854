"""Rate limits on ``/v1``: per API key for keyed callers, per client address for the others.

Counting is the ``limits`` library's moving window. Its storage is ``NEWSKB_RATE_LIMIT_STORAGE``:
``memory://`` (the default) counts per process, so N workers allow N times the limit; a shared
store such as ``redis://host:6379`` (with the ``redis`` package installed) counts across them.
Health probes and the docs are never limited.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.middleware.limits import send_problem
from app.api.middleware.security import bearer_token, key_matches
from app.settings import Settings

LIMITED_PREFIX = "/v1/"


def parse_limit(text: str) -> RateLimitItem | None:
    """``"120/minute"`` → a limit; an empty string or ``"0"`` → no limit."""
    text = text.strip()
    if not text or text == "0":
        return None
    return parse(text)


class RateLimit:
    """Pure ASGI middleware answering 429 problem+json with ``Retry-After`` past the limit."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.keys = settings.key_list()
        self.anonymous = parse_limit(settings.rate_limit_anonymous)
        self.keyed = parse_limit(settings.rate_limit_per_key)
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or (self.anonymous is None and self.keyed is None)  # limits off: nothing to count
            or not scope.get("path", "").startswith(LIMITED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        limit, bucket = self._bucket(scope)
        if limit is None or self.limiter.hit(limit, bucket):
            await self.app(scope, receive, send)
            return
        reset_at = self.limiter.get_window_stats(limit, bucket).reset_time
        await _reject(scope, send, limit, max(1, math.ceil(reset_at - time.time())))

    def _bucket(self, scope: Scope) -> tuple[RateLimitItem | None, str]:
        token = bearer_token(scope)
        if token and self.keys and key_matches(token, self.keys):
            # The bucket is named by a hash: the key itself never sits in the limiter's store.
            return self.keyed, "key:" + hashlib.sha256(token.encode()).hexdigest()[:24]
        client = scope.get("client")
        return self.anonymous, "addr:" + (client[0] if client else "unknown")


async def _reject(scope: Scope, send: Send, limit: RateLimitItem, retry_after: int) -> None:
    detail = f"Rate limit of {limit} reached; retry after {retry_after} s."
    headers = [(b"retry-after", str(retry_after).encode("ascii"))]
    await send_problem(
        scope, send, 429, "rate-limited", "Too many requests", detail, headers=headers
    )

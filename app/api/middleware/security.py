"""API keys: every write needs one; reads can be put behind one by a setting.

Keys come from ``NEWSKB_API_KEYS`` (comma-separated, so an old and a new key can live side by
side during rotation) and are compared in constant time. With no key configured, writes are
accepted from loopback only (and not through a proxy: see ``proxy.py``), so a fresh local install
works and an exposed one is not open.

A key that is sent is always checked, on reads and writes alike, configured keys or not: a
wrong key is a 401, never silently ignored, so a client learns of a bad key on its first call.
"""

import hmac
import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from app.api.deps import SettingsDep
from app.api.middleware.proxy import keyless_writes_possible, may_write_without_key
from app.errors import Forbidden, Unauthorized
from app.settings import Settings

logger = logging.getLogger("newskb.security")
bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def key_matches(given: str, keys: list[str]) -> bool:
    # Compare against every key (no early exit), so timing says nothing about which matched.
    found = False
    for key in keys:
        found |= hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8"))
    return found


def bearer_key(authorization: str) -> str | None:
    """The key of an ``Authorization`` value ``Bearer <key>``, read as ``HTTPBearer`` reads it
    (scheme in any case, the key stripped); None for another scheme or no key."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def bearer_token(scope: Scope) -> str | None:
    """``bearer_key`` of the request's first ``Authorization`` header, as ``HTTPBearer``."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return bearer_key(value.decode("latin-1"))
    return None


async def require_write_key(
    request: Request, settings: SettingsDep, credentials: CredentialsDep
) -> None:
    keys = settings.key_list()
    if not keys and not _presented(request):
        if not may_write_without_key(settings, request.scope):
            raise Forbidden(
                "No API key is configured, so writes are accepted only from this machine, "
                "straight to a server listening on loopback, never through a proxy. "
                "Set NEWSKB_API_KEYS to accept keyed writes from elsewhere."
            )
        return
    _check(credentials.credentials if credentials else None, keys)


async def require_read_key(request: Request) -> None:
    """Reads need a key by a setting; a key sent is always checked. Every read runs this, so it
    reads the settings and the header itself: the ``SettingsDep`` and ``HTTPBearer``
    sub-dependencies that the write check declares cost about 0.025 ms of CPU each per request
    in FastAPI's solving. The schema's security on reads is written by
    ``app.api.middleware.openapi.keep_security_where_needed``."""
    settings: Settings = request.app.state.settings
    if settings.require_key_for_reads or _presented(request):
        _check(bearer_token(request.scope), settings.key_list())


def wrong_key_sent(authorization: str | None, keys: list[str]) -> bool:
    """An ``Authorization`` header was sent and it is not ``Bearer <one of keys>``."""
    if authorization is None:
        return False
    token = bearer_key(authorization)
    return token is None or not key_matches(token, keys)


def _presented(request: Request) -> bool:
    return "authorization" in request.headers


def _check(token: str | None, keys: list[str]) -> None:
    if token is None:
        raise Unauthorized("This operation needs an API key: `Authorization: Bearer <key>`.")
    if not key_matches(token, keys):
        raise Unauthorized("The API key is not valid.")


def log_auth_mode(settings: Settings) -> None:
    """Say at start-up how writes are guarded; the keys themselves are never logged."""
    keys = settings.key_list()
    if keyless_writes_possible(settings):
        logger.warning(
            "No API key configured (NEWSKB_API_KEYS is empty): writes are accepted from "
            "loopback (127.0.0.0/8, ::1) only, and never with a proxy header. Set "
            "NEWSKB_API_KEYS=<key>[,<key>...] to accept keyed writes from anywhere."
        )
    elif not keys:
        return  # proxy.log_proxy_mode says, loudly, that every write is refused
    else:
        logger.info(
            "%d API key(s) configured: writes need `Authorization: Bearer <key>`; reads %s.",
            len(keys),
            "need a key too" if settings.require_key_for_reads else "are open",
        )


WriteKey = Depends(require_write_key)
ReadKey = Depends(require_read_key)

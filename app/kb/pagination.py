"""Keyset pagination with opaque, signed cursors (tamper-evident, stable under inserts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.errors import InvalidCursor

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class CursorCodec:
    """Encodes the sort key of the last row seen; an HMAC makes a forged cursor a 400."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def encode(self, scope: str, values: Sequence[Any]) -> str:
        payload = json.dumps([scope, list(values)], separators=(",", ":")).encode("utf-8")
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(mac + payload).decode("ascii").rstrip("=")

    def decode(self, scope: str, cursor: str) -> list[Any]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (ValueError, TypeError) as exc:
            raise InvalidCursor("The cursor is not one this server issued.") from exc
        mac, payload = raw[:12], raw[12:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:12]
        if len(mac) != 12 or not hmac.compare_digest(mac, expected):
            raise InvalidCursor("The cursor is not one this server issued.")
        found_scope, values = json.loads(payload)
        if found_scope != scope:
            raise InvalidCursor("The cursor belongs to another list or sort order.")
        return list(values)

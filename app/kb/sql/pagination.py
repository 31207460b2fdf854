"""Keyset pagination with opaque, signed cursors (tamper-evident, stable under inserts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from app.errors import InvalidCursor

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    # Where to resume later even on the last page (change feeds); None when nothing was read.
    resume_cursor: str | None = None


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
        try:
            found_scope, values = json.loads(payload)
        except (ValueError, TypeError) as exc:
            raise InvalidCursor("The cursor is not one this server issued.") from exc
        if found_scope != scope or not isinstance(values, list):
            raise InvalidCursor("The cursor belongs to another list or sort order.")
        return list(values)


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset order: the SQL expression, its direction, and how to read it back."""

    column: Any
    descending: bool = False
    parse: Callable[[Any], Any] = lambda value: value
    dump: Callable[[Any], Any] = lambda value: value


def keyset_page(
    session: Session,
    query: Select[T],
    *,
    scope: str,
    keys: Sequence[SortKey],
    row_values: Callable[[T], Sequence[Any]],
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
    last_cursor: bool = False,
    rows: bool = False,
) -> Page[Any]:
    """Fetch one page after ``cursor`` in the order ``keys`` (the last key must be unique).

    ``rows=True`` returns result rows (several columns) instead of the first column's objects;
    ``last_cursor=True`` also returns a ``resume_cursor`` after the last row, even at the end.
    """
    if cursor:
        values = codec.decode(scope, cursor)
        if len(values) != len(keys):
            raise InvalidCursor("The cursor does not fit this list.")
        try:
            parsed = [key.parse(value) for key, value in zip(keys, values, strict=True)]
        except (TypeError, ValueError) as exc:
            raise InvalidCursor("The cursor does not fit this list.") from exc
        query = query.where(_after(keys, parsed))
    order = [key.column.desc() if key.descending else key.column.asc() for key in keys]
    statement = query.order_by(*order).limit(limit + 1)
    found: list[Any] = list(session.execute(statement) if rows else session.scalars(statement))
    more = len(found) > limit
    found = found[:limit]
    if not found:
        return Page(found, None, cursor if last_cursor else None)
    last = [key.dump(v) for key, v in zip(keys, row_values(found[-1]), strict=True)]
    encoded = codec.encode(scope, last)
    return Page(found, encoded if more else None, encoded if last_cursor else None)


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """(a, b, c) strictly after (x, y, z) in the keys' directions, as an OR of ANDs."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [k.column == v for k, v in zip(keys[:i], values[:i], strict=True)]
        beyond = key.column < values[i] if key.descending else key.column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)

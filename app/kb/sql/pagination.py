"""Keyset pagination with opaque, signed cursors (tamper-evident, stable under inserts).

The HMAC only proves that a cursor was signed with our key, and a key can leak (it used to
default to a public constant): every decoded value is checked as strictly as a query
parameter before it reaches SQL, so a forged cursor is a 400, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, NoReturn, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from app.errors import InvalidCursor

MAX_LIMIT = 100  # the largest page a list serves (``limit``)

T = TypeVar("T")
INT64 = 2**63  # no JSON number past this in any cursor
INT32 = 2**31  # integer sort keys: INTEGER columns
MAX_TEXT = 1000  # longer than any stored sort key (names are at most 500 characters)
_FORGED = "The cursor is not one this server issued."
_MISFIT = "The cursor does not fit this list."


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
        """The cursor's values: ``None``, booleans, 64-bit integers, finite floats and short
        texts without control characters; anything else is an ``InvalidCursor``."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (ValueError, TypeError) as exc:
            raise InvalidCursor(_FORGED) from exc
        mac, payload = raw[:12], raw[12:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:12]
        if len(mac) != 12 or not hmac.compare_digest(mac, expected):
            raise InvalidCursor(_FORGED)
        try:
            found_scope, values = json.loads(
                payload, parse_constant=_reject, parse_float=_finite, parse_int=_int64
            )
        except (ValueError, TypeError, RecursionError) as exc:
            raise InvalidCursor(_FORGED) from exc
        if found_scope != scope or not isinstance(values, list):
            raise InvalidCursor("The cursor belongs to another list or sort order.")
        for value in values:
            _check_scalar(value)
        return list(values)


def _reject(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a cursor value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _int64(text: str) -> int:
    value = int(text)
    if not -INT64 <= value < INT64:
        raise ValueError(f"{text} is out of range")
    return value


def _check_scalar(value: Any) -> None:
    if value is None or isinstance(value, bool | int | float):
        return  # numbers were range-checked while parsing
    if not isinstance(value, str):
        raise InvalidCursor(_MISFIT)
    if len(value) > MAX_TEXT or any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise InvalidCursor(_MISFIT)


def cursor_int(value: Any) -> int:
    """An integer, exactly (no float, no boolean, no text), in the range of the INTEGER
    columns that every integer sort key is (ids, counts): PostgreSQL fails on a wider one."""
    if isinstance(value, bool) or not isinstance(value, int) or not -INT32 <= value < INT32:
        raise ValueError("not a 32-bit integer")
    return value


def cursor_float(value: Any) -> float:
    """A finite number (a score); integers are accepted, as JSON may print 1.0 as 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError("not a finite number")
    return result


def cursor_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a text")
    return value


def cursor_datetime(value: Any) -> datetime:
    """An ISO 8601 time; one with an offset is moved to UTC (the databases' own offsets stop
    at ±15:59, Python's at ±23:59), which raises OverflowError past year 1 or 9999."""
    parsed = datetime.fromisoformat(cursor_text(value))
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC)


def cursor_date(value: Any) -> date:
    return date.fromisoformat(cursor_text(value))


CURSOR_ERRORS = (TypeError, ValueError, OverflowError)


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset order: the SQL expression, its direction, and how to read it back."""

    column: Any
    descending: bool = False
    parse: Callable[[Any], Any] = cursor_int  # raises TypeError, ValueError or OverflowError
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
    after = cursor_condition(keys, scope=scope, cursor=cursor, codec=codec)
    if after is not None:
        query = query.where(after)
    order = [key.column.desc() if key.descending else key.column.asc() for key in keys]
    statement = query.order_by(*order).limit(limit + 1)
    found: list[Any] = list(session.execute(statement) if rows else session.scalars(statement))
    return page_of(
        found,
        keys=keys,
        row_values=row_values,
        limit=limit,
        scope=scope,
        cursor=cursor,
        codec=codec,
        last_cursor=last_cursor,
    )


def cursor_condition(
    keys: Sequence[SortKey], *, scope: str, cursor: str | None, codec: CursorCodec
) -> ColumnElement[bool] | None:
    """The rows strictly after ``cursor`` in the order ``keys`` (None without a cursor;
    ``InvalidCursor`` when it does not fit)."""
    if not cursor:
        return None
    values = codec.decode(scope, cursor)
    if len(values) != len(keys):
        raise InvalidCursor(_MISFIT)
    try:
        parsed = [key.parse(value) for key, value in zip(keys, values, strict=True)]
    except CURSOR_ERRORS as exc:
        raise InvalidCursor(_MISFIT) from exc
    return _after(keys, parsed)


def page_of(
    found: list[Any],
    *,
    keys: Sequence[SortKey],
    row_values: Callable[[Any], Sequence[Any]],
    limit: int,
    scope: str,
    cursor: str | None,
    codec: CursorCodec,
    last_cursor: bool = False,
) -> Page[Any]:
    """The page of the ``limit + 1`` rows read after ``cursor`` (the one more tells that
    there are more), with its next cursor."""
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

"""``column IN (ids)`` for the id lists that reads compute first and then filter on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects import postgresql

_INT_ARRAY = postgresql.ARRAY(Integer)


def ids_in(column: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """On PostgreSQL one array parameter, not one per id: psycopg prepares a statement per
    text, and an expanded list makes a new text for every list length."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), _INT_ARRAY, unique=True))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]

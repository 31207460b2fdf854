"""``column IN (ids)`` for the id lists that reads compute first and then filter on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, any_, bindparam, distinct, func, select
from sqlalchemy.dialects import postgresql

INT_ARRAY = postgresql.ARRAY(Integer)


def ids_in(column: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """On PostgreSQL one array parameter, not one per id: psycopg prepares a statement per
    text, and an expanded list makes a new text for every list length."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), INT_ARRAY, unique=True))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]


def linked_to_all(owner: Any, item: Any, ids: Sequence[int], dialect: str) -> Select[tuple[int]]:
    """The ``owner`` values of a link table linked to every id of ``ids``.

    One grouped read of the link rows of those ids, whatever their number: a semi-join per id
    makes a plan that grows with the list (hundreds of ids took the planner past 30 s).
    """
    if len(ids) == 1:
        return select(owner).where(item == ids[0])
    return (
        select(owner)
        .where(ids_in(item, ids, dialect))
        .group_by(owner)
        .having(func.count(distinct(item)) == len(set(ids)))
    )

"""Small dialect-aware SQL helpers shared by the kb modules."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Dialect, Row, Table, Text, bindparam, cast, column, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLCoreOperations


def insert_rows(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    conflict: Sequence[str] = (),
    returning: tuple[SQLCoreOperations[Any], ...] = (),
) -> list[Row[Any]]:
    """INSERT many rows in one statement; with ``conflict``, ON CONFLICT DO NOTHING on those
    columns (safe under concurrent ingests). Every row must have the same keys.

    With ``returning``, those columns of the rows this statement inserted (not of the ones
    that were already there).
    """
    if not rows:
        return []
    if conflict:
        # One global order of inserted keys: two transactions then take the unique-index
        # locks in the same order, so concurrent ingests queue instead of deadlocking.
        rows = sorted(rows, key=lambda row: tuple(str(row[name]) for name in conflict))
    dialect = session.get_bind().dialect.name
    params: dict[str, str] | list[dict[str, Any]]
    names = tuple(rows[0])
    if (
        dialect == "postgresql"
        and len(rows) > 1
        and (encoded := _json_rows(table, names, rows, session.get_bind().dialect)) is not None
    ):
        statement = _insert_from_json(table, names, tuple(conflict), returning)
        params = {"rows": encoded}
    else:
        # executemany of one cached statement, not ``.values(rows)``: a multi-row VALUES is a
        # new statement for every row count, compiled again each time. SQLite runs it in C.
        statement = _insert(table, dialect, tuple(conflict))
        statement = statement.returning(*returning) if returning else statement
        params = rows
    result = session.execute(statement, params)
    return list(result) if returning else []


def insert_ignore(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    conflict: list[str],
    *,
    returning: tuple[SQLCoreOperations[Any], ...] = (),
) -> list[Row[Any]]:
    """``insert_rows`` with ON CONFLICT DO NOTHING on ``conflict``."""
    return insert_rows(session, table, rows, conflict=conflict, returning=returning)


@lru_cache(maxsize=256)
def _insert(table: Table, dialect: str, conflict: tuple[str, ...]) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_nothing(index_elements=conflict) if conflict else statement


@lru_cache(maxsize=256)
def _insert_from_json(
    table: Table,
    names: tuple[str, ...],
    conflict: tuple[str, ...],
    returning: tuple[SQLCoreOperations[Any], ...],
) -> Any:
    """``INSERT INTO t (a, b) SELECT a, b FROM json_to_recordset(:rows) AS r(a int, b text)``.

    PostgreSQL runs an executemany as one execution per row, and the driver encodes every
    parameter of every row in Python (so does it for the elements of an array parameter):
    one JSON text, encoded in C by ``json.dumps`` and decoded in C by the server, carries all
    the rows to one execution.
    """
    columns = (*names, *_python_defaults(table, names))
    source = (
        func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
        .table_valued(*(column(n, table.c[n].type) for n in columns))
        .render_derived(with_types=True)
    )
    statement = postgresql.insert(table).from_select(
        list(columns), select(*(source.c[n] for n in columns))
    )
    if conflict:
        statement = statement.on_conflict_do_nothing(index_elements=conflict)
    return statement.returning(*returning) if returning else statement


def _json_rows(
    table: Table, names: tuple[str, ...], rows: list[dict[str, Any]], dialect: Dialect
) -> str | None:
    """The rows as JSON, with the column defaults and bind conversions SQLAlchemy would apply."""
    defaults: dict[str, Any] = {}
    for name in _python_defaults(table, names):
        default: Any = table.c[name].default
        defaults[name] = default.arg(None) if default.is_callable else default.arg
    if convert := _bind_processors(table, names, dialect):
        rows = [row | {n: f(row[n]) for n, f in convert} for row in rows]
    if defaults:
        rows = [row | defaults for row in rows]
    # Dates and datetimes as ISO text, which PostgreSQL reads back into the column's type.
    try:
        return json.dumps(rows, default=_iso, allow_nan=False)
    except ValueError:  # NaN or infinity, which JSON cannot carry: such rows go one by one
        return None


@lru_cache(maxsize=256)
def _bind_processors(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> tuple[tuple[str, Any], ...]:
    """The conversions of the columns whose type changes values before sending them."""
    processors = ((n, table.c[n].type.bind_processor(dialect)) for n in names)
    return tuple((n, f) for n, f in processors if f is not None)


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@lru_cache(maxsize=256)
def _python_defaults(table: Table, names: tuple[str, ...]) -> tuple[str, ...]:
    """Columns left out of the rows whose default SQLAlchemy computes in Python."""
    return tuple(
        col.name
        for col in table.columns
        if col.name not in names
        and col.default is not None
        and (col.default.is_scalar or col.default.is_callable)
    )


def lock_names(session: Session, names: Iterable[str]) -> None:
    """Hold PostgreSQL advisory locks on ``names`` until the transaction ends.

    For rows without a natural key (events): two transactions that could create the same row
    share at least one name, so the second waits for the first to commit and then finds its
    row. Locks are taken in one sorted call so that two transactions never wait on each other.
    SQLite needs none: its writers hold the database lock (``BEGIN IMMEDIATE``).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_lock_key(name) for name in names})
    if keys:
        session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
            {"keys": keys},
        )


def try_lock_names(session: Session, names: Iterable[str]) -> set[str]:
    """``lock_names`` without waiting: the names another transaction holds are returned, not
    locked (none on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return set()
    by_key = {_lock_key(name): name for name in names}
    if not by_key:
        return set()
    rows = session.execute(
        text(
            "SELECT k, pg_try_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"
            " ORDER BY k"
        ),
        {"keys": sorted(by_key)},
    )
    return {by_key[key] for key, locked in rows if not locked}


def _lock_key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def refresh_statistics(session: Session) -> None:
    """Refresh the query planner's statistics, as a load grows tables from empty.

    Without them PostgreSQL plans for the row counts it last saw (an empty table), and a load
    must not depend on autovacuum running soon enough. A manual ANALYZE, unlike autovacuum's,
    leaves GIN pending lists alone, which every full-text search reads in full: merge them too.
    SQLite is left as it is: without ``sqlite_stat1`` its planner assumes that indexes are
    selective, which suits every query here, and statistics of a small load could mislead it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.execute(text(_CLEAN_GIN_PENDING))


_CLEAN_GIN_PENDING = """
SELECT gin_clean_pending_list(index.indexrelid::regclass)
FROM pg_index AS index
JOIN pg_class AS class ON class.oid = index.indexrelid
JOIN pg_am AS method ON method.oid = class.relam
WHERE method.amname = 'gin' AND class.relnamespace = current_schema()::regnamespace
"""

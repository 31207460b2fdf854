"""Small dialect-aware SQL helpers shared by the kb modules."""

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLCoreOperations


def insert_ignore(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    conflict: list[str],
    *,
    returning: tuple[SQLCoreOperations[Any], ...] = (),
) -> list[Row[Any]]:
    """INSERT ... ON CONFLICT DO NOTHING on both backends: safe under concurrent ingests.

    With ``returning``, those columns of the rows this statement inserted (not of the ones
    that were already there).
    """
    if not rows:
        return []
    # One global order of inserted keys: two transactions then take the unique-index locks
    # in the same order, so concurrent ingests queue instead of deadlocking.
    rows = sorted(rows, key=lambda row: tuple(str(row[column]) for column in conflict))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # executemany of one cached statement, not ``.values(rows)``: a multi-row VALUES is a new
    # statement for every row count, compiled again each time (a fifth of the write time).
    statement = insert(table).on_conflict_do_nothing(index_elements=conflict)
    if not returning:
        session.execute(statement, rows)
        return []
    return list(session.execute(statement.returning(*returning), rows))


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

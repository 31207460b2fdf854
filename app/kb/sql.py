"""Small dialect-aware SQL helpers shared by the kb modules."""

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, table: Table, rows: list[dict[str, Any]], conflict: list[str]
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on both backends: safe under concurrent ingests."""
    if not rows:
        return
    # One global order of inserted keys: two transactions then take the unique-index locks
    # in the same order, so concurrent ingests queue instead of deadlocking.
    rows = sorted(rows, key=lambda row: tuple(str(row[column]) for column in conflict))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # executemany of one cached statement, not ``.values(rows)``: a multi-row VALUES is a new
    # statement for every row count, compiled again each time (a fifth of the write time).
    statement = insert(table).on_conflict_do_nothing(index_elements=conflict)
    session.execute(statement, rows)


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

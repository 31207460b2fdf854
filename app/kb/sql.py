"""Small dialect-aware SQL helpers shared by the kb modules."""

from typing import Any

from sqlalchemy import Table
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
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict)
    session.execute(statement)

"""The index in the order of ``/v1/events`` on SQLite too (PostgreSQL has it since 0018).

Without it every page of the list sorted every event (0.5 ms of SQLite per request on the
benchmark database's 6,000 events, growing with them); with it the page is read in order up
to its LIMIT, and the keyset cursor of the next page is a range of the index. SQLAlchemy
cannot reflect an expression index on SQLite: it warns and skips it, and autogenerate never
sees it (``app.db.fts.FTS_NAMES`` hides it as well).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 12:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from app.db import fts

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE INDEX {fts.EVENT_DATE_ORDER} ON events"
        f" (coalesce(date_start, '{fts.UNDATED_EVENTS_SORT}'), id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(f"DROP INDEX IF EXISTS {fts.EVENT_DATE_ORDER}")

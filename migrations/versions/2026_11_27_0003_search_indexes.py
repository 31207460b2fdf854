"""Trigram indexes for the substring searches of the read path (PostgreSQL).

``GET /v1/search`` finds entities by a word prefix of any alias (``LIKE 'x%' OR LIKE '% x%'``)
and events by words of their summary (``lower(summary) LIKE '%x%'``). A B-tree cannot serve a
leading wildcard, so both scanned their whole table; ``pg_trgm`` GIN indexes serve both
patterns. ``pg_trgm`` ships with PostgreSQL and is a trusted extension (13+): the database owner
can create it. SQLite has no equivalent index and keeps scanning these two small tables.
Written by hand (like the full-text DDL in ``app.db.fts``), so autogenerate ignores them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from app.db import fts

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX {fts.ALIAS_TRIGRAMS} ON entity_aliases USING gin (normalized gin_trgm_ops)",
    f"CREATE INDEX {fts.SUMMARY_TRIGRAMS} ON events USING gin (lower(summary) gin_trgm_ops)",
]
DOWN = [
    f"DROP INDEX IF EXISTS {fts.SUMMARY_TRIGRAMS}",
    f"DROP INDEX IF EXISTS {fts.ALIAS_TRIGRAMS}",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWN:
            op.execute(statement)

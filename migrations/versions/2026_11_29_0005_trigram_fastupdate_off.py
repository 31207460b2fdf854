"""Trigram indexes without a pending list (PostgreSQL).

GIN indexes buffer new entries in a pending list that every search reads in full until
VACUUM (or autovacuum's analyze) merges it. Ingest looks aliases up by equality on every
article, and once statistics exist the planner serves that lookup from the alias trigram
index: with a few megabytes pending, each look-up scanned them all (~50 ms, a load 4x slower).
Aliases and event summaries are short, so inserting their trigrams directly costs little.
The full-text index of article bodies keeps its pending list (many entries per row): bulk
loads clean it as they refresh statistics (``app.kb.sql.dialect.refresh_statistics``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from app.db import fts

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (fts.ALIAS_TRIGRAMS, fts.SUMMARY_TRIGRAMS)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in INDEXES:
            op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
            op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in INDEXES:
            op.execute(f"ALTER INDEX {index} RESET (fastupdate)")

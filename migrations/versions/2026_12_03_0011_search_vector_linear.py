"""The search vector parses bodies with ``<!--`` broken apart (PostgreSQL).

PostgreSQL's text-search parser is quadratic on runs of ``<!--`` with no ``-->`` after them
(``app.db.fts.indexed_text``): such an article took the 30 s statement timeout to store. A
generated column's expression cannot be altered in PostgreSQL 15, so the column and its index
are dropped and built again (every stored article is reindexed once).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from app.db import fts

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in fts.POSTGRES_DOWN:
            op.execute(statement)
        op.execute(fts.POSTGRES_SEARCH_VECTOR)
        op.execute(_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in fts.POSTGRES_DOWN:
            op.execute(statement)
        for statement in fts.POSTGRES_UP:
            op.execute(statement)

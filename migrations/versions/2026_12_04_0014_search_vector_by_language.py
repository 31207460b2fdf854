"""Each article's search vector is built with its language's text-search configuration.

Until now every article was indexed with PostgreSQL's ``english`` configuration: a German or
Russian article was stemmed and stop-worded as English. Now ``english`` for English,
``french`` for French and ``simple`` (words as they are) for every other language
(``app.db.fts.text_search_config``); queries are parsed with each of them. The generated
column cannot be altered, so it and its index are built again (PostgreSQL only: SQLite's FTS5
``unicode61`` tokenizer does not depend on the language).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

from app.db import fts

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in fts.POSTGRES_DOWN:
            op.execute(statement)
        op.execute(fts.POSTGRES_SEARCH_VECTOR_BY_LANGUAGE)
        op.execute(_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in fts.POSTGRES_DOWN:
            op.execute(statement)
        op.execute(fts.POSTGRES_SEARCH_VECTOR)
        op.execute(_INDEX)

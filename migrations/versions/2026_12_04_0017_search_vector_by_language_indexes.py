"""One partial GIN index of the search vector per text-search configuration (PostgreSQL).

A query is matched as each configuration reads it, each reading only on the articles of its
languages (``app.kb.search.relevance.Match.condition``). With one index of every article's
vector, the French reading of "slower" ("slow") found every English article holding "slow",
which the language condition then threw away one heap row (and one TOASTed vector) at a
time: at 100,000 articles 4,340 of the 5,495 rows a date slice read. An index per
configuration, whose predicate is that reading's language condition, finds only the
articles the reading may match, and the planner need not recheck the condition. Together
the three indexes hold each article once, as the index they replace did.

Each index also holds ``published_at`` (``btree_gin``): a date slice of the newest articles
(``app.kb.search.newest``) is then intersected with a word inside the index, instead of
reading the word's whole posting list into a bitmap (a word in a tenth of a million
articles: 115,000 entries, 25-65 ms, for the ~1,200 of the slice: 1.5 ms).

The predicates are those of ``app.db.fts.language_condition`` for ``TEXT_SEARCH_CONFIGS``
as migration 0014 fixed them (``tests/query/test_explain.py`` checks that each reading
uses its index). SQLite: nothing to do (FTS5 is its own index).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = {
    "ix_articles_search_vector_en": "language IN ('en')",
    "ix_articles_search_vector_fr": "language IN ('fr')",
    "ix_articles_search_vector_other": "language NOT IN ('en', 'fr')",
}
_WHOLE = "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for name, predicate in _PARTIAL.items():
        op.execute(
            f"CREATE INDEX {name} ON articles USING gin (search_vector, published_at)"
            f" WHERE {predicate}"
        )
    op.execute("DROP INDEX IF EXISTS ix_articles_search_vector")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_WHOLE)
    for name in _PARTIAL:
        op.execute(f"DROP INDEX IF EXISTS {name}")

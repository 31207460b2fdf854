"""Full-text search DDL, written by hand per dialect (autogenerate cannot see it).

SQLite: an FTS5 external-content table over ``articles`` kept in sync by triggers.
PostgreSQL: a generated, weighted ``tsvector`` column with a GIN index.
"""

# Trigram indexes for substring search (PostgreSQL only; migration 0003).
ALIAS_TRIGRAMS = "ix_entity_aliases_normalized_trgm"
SUMMARY_TRIGRAMS = "ix_events_summary_trgm"
# The order of ``/v1/events``, an expression (migrations 0018 and 0022): SQLAlchemy cannot
# reflect an expression index on SQLite, so it lives with the hand-written DDL.
EVENT_DATE_ORDER = "ix_events_date_order"
UNDATED_EVENTS_SORT = "9999-12-31"  # undated events sort after every dated one
FTS_NAMES = (
    "articles_fts",
    "search_vector",
    "ix_articles_search_vector",
    ALIAS_TRIGRAMS,
    SUMMARY_TRIGRAMS,
    EVENT_DATE_ORDER,
)

SQLITE_UP = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, teaser, body,
        content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, teaser, body)
        VALUES (new.id, new.title, new.teaser, new.body);
    END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, teaser, body)
        VALUES ('delete', old.id, old.title, old.teaser, old.body);
    END""",
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, teaser, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, teaser, body)
        VALUES ('delete', old.id, old.title, old.teaser, old.body);
        INSERT INTO articles_fts(rowid, title, teaser, body)
        VALUES (new.id, new.title, new.teaser, new.body);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]

# As migration 0001 created them (0011 rebuilds the column from ``indexed_text``).
POSTGRES_UP = [
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(teaser, '')), 'B')
        || setweight(to_tsvector('english', body), 'C')
    ) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


def indexed_text(column: str) -> str:
    """SQL for a text column as PostgreSQL's text-search parser is given it.

    The parser reads ``<!--`` as the start of an HTML comment and, when no ``-->`` follows,
    scans to the end of the text and starts again one character later: quadratic (a body of
    14,000 ``<!--`` took seconds to index and to highlight, 160 KB hit the statement
    timeout). Breaking every ``<!--`` apart keeps the parse linear; text that never contains
    it is parsed exactly as before.
    """
    return f"replace({column}, '<!--', '<!- -')"


# Migration 0011: the search vector is built from ``indexed_text`` of each field.
POSTGRES_SEARCH_VECTOR = f"""ALTER TABLE articles ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', {indexed_text("coalesce(title, '')")}), 'A')
        || setweight(to_tsvector('english', {indexed_text("coalesce(teaser, '')")}), 'B')
        || setweight(to_tsvector('english', {indexed_text("body")}), 'C')
    ) STORED"""


# Migration 0014: each article is indexed with the text-search configuration of its language
# (``simple``, no stemming and no stop words, for a language without one here). A generated
# column's expression is fixed by its migration: a language added to this table needs a
# migration of its own (``patterns/languages.json`` names the same ones; a test holds them equal).
TEXT_SEARCH_CONFIGS = {"en": "english", "fr": "french"}
FALLBACK_CONFIG = "simple"


def text_search_config(language_column: str) -> str:
    """SQL for the ``regconfig`` an article's language is indexed with."""
    cases = " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in TEXT_SEARCH_CONFIGS.items()
    )
    return f"(CASE {language_column} {cases} ELSE '{FALLBACK_CONFIG}'::regconfig END)"


def query_configs() -> dict[str, list[str] | None]:
    """Every configuration an article may be indexed with, and the languages it indexes (None:
    every language not in ``TEXT_SEARCH_CONFIGS``). A query is parsed with each and matched
    against the articles of its languages only: an English article indexed "scientolog" must
    not match the ``simple`` reading of "-scientology"."""
    listed: dict[str, list[str]] = {}
    for code, config in TEXT_SEARCH_CONFIGS.items():
        listed.setdefault(config, []).append(code)
    return {**listed, FALLBACK_CONFIG: None}


def language_condition(language_column: str, languages: list[str] | None) -> str:
    """SQL that holds for the articles a configuration indexes (see ``query_configs``)."""
    if languages is None:
        listed = ", ".join(f"'{code}'" for code in TEXT_SEARCH_CONFIGS)
        return f"{language_column} NOT IN ({listed})"
    return f"{language_column} IN ({', '.join(repr(code) for code in languages)})"


_CONFIG = text_search_config("language")
POSTGRES_SEARCH_VECTOR_BY_LANGUAGE = f"""ALTER TABLE articles ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector({_CONFIG}, {indexed_text("coalesce(title, '')")}), 'A')
        || setweight(to_tsvector({_CONFIG}, {indexed_text("coalesce(teaser, '')")}), 'B')
        || setweight(to_tsvector({_CONFIG}, {indexed_text("body")}), 'C')
    ) STORED"""


def is_fts_object(name: str | None) -> bool:
    return name is not None and name.startswith(FTS_NAMES)


def upgrade_statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, [])


def downgrade_statements(dialect: str) -> list[str]:
    return {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, [])

"""Full-text indexing and snippets stay linear on text PostgreSQL's parser finds quadratic."""

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import fts
from app.extract.document import MAX_TEXT_CHARS
from app.kb import ingest as kb_ingest
from tests.databases import backend
from tests.factories import meeting_article

LEAD = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday. "
# The longest body extraction accepts, made of unclosed HTML comments.
COMMENTS = LEAD + "<!--" * ((MAX_TEXT_CHARS - len(LEAD)) // 4)


def test_indexed_text_breaks_every_comment_opening_and_nothing_else(session: Session) -> None:
    cleaned = session.scalar(text(f"SELECT {fts.indexed_text(':body')}"), {"body": COMMENTS})
    assert cleaned is not None and "<!--" not in cleaned
    assert len(cleaned) == len(COMMENTS) + COMMENTS.count("<!--")
    prose = "A <b>bold</b> claim & a -- dash, <!- not a comment -> here."
    assert session.scalar(text(f"SELECT {fts.indexed_text(':body')}"), {"body": prose}) == prose


def test_search_vector_is_built_from_the_indexed_text(session: Session) -> None:
    if backend() != "postgresql":
        return  # FTS5's tokenizer has no HTML states: SQLite indexes the body as it is
    expression = session.scalar(
        text(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a"
            " ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            " WHERE d.adrelid = 'articles'::regclass AND a.attname = 'search_vector'"
        )
    )
    assert expression is not None
    assert expression.count("'<!--'::text, '<!- -'::text") == 3  # title, teaser and body


def test_an_article_of_unclosed_comments_is_stored_found_and_highlighted(
    session: Session, client: TestClient
) -> None:
    """Quadratic before: 14,000 ``<!--`` took 3.5 s per search hit, and at this size the
    insert alone would take the better part of an hour (the statement timeout ends it here;
    the time itself is measured by ``benchmarks/pathological.py``)."""
    if backend() == "postgresql":
        session.execute(text("SET LOCAL statement_timeout = '120s'"))
    stored = kb_ingest.ingest_article(session, meeting_article(COMMENTS)).article
    page = client.get("/v1/articles", params={"q": "Lukashenko"}).json()
    assert [hit["id"] for hit in page["items"]] == [stored.id]
    assert "<mark>Lukashenko</mark>" in page["items"][0]["snippet"]

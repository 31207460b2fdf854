"""Exports stream: rows are read in keyset batches as chunks are asked for, never all at once."""

import gc
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.db.models import Article
from app.errors import InvalidInput
from app.kb.export import FORMATS, stream_export
from app.kb.export.loader import iter_articles

ARTICLE_BATCH = re.compile(r"FROM articles\s+WHERE articles\.id >", re.IGNORECASE)


@pytest.fixture
def article_batches(session: Session) -> Iterator[list[str]]:
    """The article batch queries sent on the session's connection."""
    seen: list[str] = []
    connection = session.connection()

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if ARTICLE_BATCH.search(statement):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


def test_nothing_is_read_before_the_first_chunk_and_one_batch_for_it(
    session: Session, article_batches: list[str]
) -> None:
    chunks = stream_export(session, "jsonl", batch_size=2, chunk_chars=1)
    assert article_batches == []
    next(chunks)
    assert len(article_batches) == 1
    rest = list(chunks)
    articles = session.scalar(select(func.count(Article.id)))
    assert articles == 6
    assert len(rest) == articles - 1
    assert len(article_batches) == articles // 2 + 1  # the last, empty batch ends the walk


def test_loaded_rows_stay_bounded_by_the_batch(session: Session) -> None:
    held = list(iter_articles(session, batch_size=100))  # everything at once, for comparison
    everything = len(session.identity_map)
    del held
    gc.collect()
    largest = 0
    for _ in stream_export(session, "jsonl", batch_size=1, chunk_chars=1):
        gc.collect()
        largest = max(largest, len(session.identity_map))
    assert everything > 300
    assert 0 < largest < everything / 2


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "ftm"])
def test_small_chunks_join_into_the_same_document(session: Session, fmt: str) -> None:
    whole = "".join(stream_export(session, fmt, chunk_chars=10**9))
    pieces = list(stream_export(session, fmt, batch_size=3, chunk_chars=256))
    assert len(pieces) > 5
    assert "".join(pieces) == whole


def test_an_unknown_format_is_refused_before_streaming(session: Session) -> None:
    with pytest.raises(InvalidInput, match="jsonl"):
        stream_export(session, "xml")

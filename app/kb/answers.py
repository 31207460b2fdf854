"""Stored article answers: ``GET /v1/articles/{id}`` reads one row instead of building it.

An article's answer (``ArticleRead`` as JSON, with its ETag) is stored in the transaction of
every write that changes it, with what it shows (``article_answer_shows``: the events, the
articles and the entities in it). A write marks what it changed, beside its change-feed record:
an ingest, a re-extraction (before its old facts go), a deletion and its copies
(``mark_article``), a rename or a merge (``mark_entities``), a repair. Last in the transaction
(``committing``), the marked articles' answers are rebuilt, then every stored answer that shows
one of them, an event they reported before or report now, or a marked entity. One level is
enough: what an answer shows of another article or of an event is built from facts, never from
another stored answer.

A row is kept with its ``format`` (the version of NewsKB, the answer's JSON schema and
``ANSWER_REVISION``): after an upgrade that changes it, reads build answers as before until
``newskb answers`` has stored them again, so an answer is never one older code built.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from typing import Any

from sqlalchemy import Engine, String, and_, bindparam, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import __version__
from app.db.loop_reads import LoopReads
from app.db.models import Article, ArticleAnswer, ArticleAnswerShows, EventEvidence
from app.db.pg_channel import Column, text_column
from app.errors import NotFound
from app.kb import pages
from app.kb.shown import Shown, shown_by
from app.kb.sql.dialect import insert_rows, lock_names
from app.kb.sql.transaction import before_commit, committing
from app.schemas.articles import ArticleRead

# Bump when the answer's bytes change while its schema does not (an order, a rounding).
ANSWER_REVISION = 1
BATCH = 200  # answers built per batch of statements (``store_all``: per transaction)
ARTICLE, EVENT, ENTITY = "article", "event", "entity"

# The article's id with its stored answer: a missing article is one statement too.
_READ = (
    select(Article.id, ArticleAnswer.body, ArticleAnswer.etag, ArticleAnswer.shown)
    .outerjoin(
        ArticleAnswer,
        and_(
            ArticleAnswer.article_id == Article.id,
            ArticleAnswer.format == bindparam("format"),
        ),
    )
    .where(Article.id == bindparam("id"))
)


@cache
def answer_format() -> str:
    """The code that builds answers: NewsKB's version, the answer's schema, the revision."""
    schema = json.dumps(ArticleRead.model_json_schema(mode="serialization"), sort_keys=True)
    digest = hashlib.sha256(f"{__version__}\n{ANSWER_REVISION}\n{schema}".encode()).hexdigest()
    return f"{__version__}-{ANSWER_REVISION}-{digest[:16]}"


def strong_etag(body: bytes) -> str:
    """The ETag of an answer's bytes (any single resource's, not only an article's)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    etag: str
    shown: Shown | str  # a stored answer's is its JSON, read only if the read cache keeps it


def article_answer(session: Session, article_id: int) -> Answer:
    """The article's answer: its stored row (one statement), else built (``NotFound``)."""
    row = session.execute(_READ, {"id": article_id, "format": answer_format()}).first()
    if row is None:
        raise NotFound(f"Article {article_id} does not exist.")
    if row.body is not None:
        return Answer(bytes(row.body), row.etag, row.shown)
    return build(session, article_id)


def build(session: Session, article_id: int) -> Answer:
    model = ArticleRead.model_validate(pages.article_page(session, article_id))
    body = model.model_dump_json().encode("utf-8")
    return Answer(body, strong_etag(body), shown_by(model))


class AnswerReader:
    """Stored answers read from the event loop (``app.db.loop_reads``): no thread hop, no
    session, no ORM, which cost a served read more CPU than the primary-key read itself.

    PostgreSQL: a connection runs one query at a time, so the requests that arrive while a
    read is in flight wait for the next one, which reads them all (one round trip for many).
    """

    def __init__(self, engine: Engine, *, enabled: bool = True) -> None:
        self._reads = LoopReads(engine)
        # An in-memory SQLite database lives in one connection, the sessions' own.
        self._enabled = enabled and engine.url.database not in (None, "", ":memory:")
        self._waiting: dict[int, list[asyncio.Future[tuple[Any, ...] | None]]] = {}
        self._reading: asyncio.Task[None] | None = None

    async def read(self, article_id: int) -> Answer | None:
        """The article's stored answer; ``NotFound`` when there is no such article; None when
        it must be built (no current row) or the read failed (the caller's session then
        answers, with its own deadline and errors)."""
        if not self._enabled:
            return None
        try:
            if self._reads.sqlite:
                found = self._reads.sqlite_rows(_LOOP_READ_SQLITE, (answer_format(), article_id))
                row = found[0] if found else None
            else:
                row = await self._together(article_id)
        except Exception:
            return None
        if row is None:
            raise NotFound(f"Article {article_id} does not exist.")
        _, body, etag, shown = row
        return None if body is None else Answer(bytes(body), etag, shown)

    async def _together(self, article_id: int) -> tuple[Any, ...] | None:
        loop = asyncio.get_running_loop()
        reading = self._reading
        if reading is not None and reading.get_loop() is not loop:  # tests run several loops
            self._waiting, reading = {}, None
        future: asyncio.Future[tuple[Any, ...] | None] = loop.create_future()
        self._waiting.setdefault(article_id, []).append(future)
        if reading is None or reading.done():
            self._reading = loop.create_task(self._read_waiting())
        return await future

    async def _read_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            ids = "{" + ",".join(str(id_) for id_ in batch) + "}"
            try:
                rows = await self._reads.rows(_LOOP_READ_POSTGRES, (answer_format(), ids), _COLUMNS)
            except Exception as exc:
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            found = {row[0]: row for row in rows}
            for id_, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(found.get(id_))

    def close(self) -> None:
        self._reads.close()


def _bytea(value: bytes) -> bytes:
    """A ``bytea`` in PostgreSQL's text form (``\\x3c7b...``)."""
    return bytes.fromhex(bytes(value)[2:].decode("ascii"))


_LOOP_READ_SQLITE = (
    "SELECT a.id, s.body, s.etag, s.shown FROM articles AS a"
    " LEFT JOIN article_answers AS s ON s.article_id = a.id AND s.format = ?"
    " WHERE a.id = ?"
)
_LOOP_READ_POSTGRES = (
    "SELECT a.id, s.body, s.etag, s.shown FROM articles AS a"
    " LEFT JOIN article_answers AS s ON s.article_id = a.id AND s.format = ?"
    " WHERE a.id = ANY(CAST(? AS integer[]))"
)
_COLUMNS: tuple[Column, ...] = (int, _bytea, text_column, text_column)


# Writes ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    """What the transaction changed, for ``_store_pending`` to rebuild before it commits."""

    articles: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)  # new articles: no answer stored yet
    shown: set[tuple[str, int]] = field(default_factory=set)  # answers showing these change
    locked: set[tuple[str, int]] = field(default_factory=set)  # of ``shown``, already locked

    def __call__(self, session: Session) -> None:
        _store_pending(session, self)


def _pending(session: Session) -> _Pending:
    return before_commit(session, "article_answers", _Pending)


def mark_article(session: Session, article_id: int, *, created: bool = False) -> None:
    """The article's answer changes, and so may every answer showing it or one of the events
    it reports now or its stored answer showed (read now: a deletion takes both away). A
    write that changes which events an article reports marks it before and after (a
    re-extraction); a new article (``created``) has no stored answer yet.

    Call it before the write's hot-row updates (``entity_stats``): it takes the locks that
    writes changing one answer queue on, and they must come first in every transaction."""
    pending = _pending(session)
    pending.articles.add(article_id)
    if created:
        pending.created.add(article_id)
    query: Any = select(literal(EVENT, String(8)), EventEvidence.event_id).where(
        EventEvidence.article_id == article_id
    )
    if not created:
        query = query.union(
            select(ArticleAnswerShows.kind, ArticleAnswerShows.object_id).where(
                ArticleAnswerShows.article_id == article_id, ArticleAnswerShows.kind != ENTITY
            )
        )
    found = {(kind, int(id_)) for kind, id_ in session.execute(query)}
    _lock(session, pending, found | {(ARTICLE, article_id)})


def _lock(session: Session, pending: _Pending, shown: set[tuple[str, int]]) -> None:
    """PostgreSQL: two transactions that change what one answer shows take turns, so the
    later one finds the earlier one's answers (``_showing``) and builds on its committed
    facts. Taken when a write marks, before it deletes any row an answer is built from (a
    deletion cascades to the answer's row) and before its hot rows: those row locks come
    after in every transaction, so no two wait on each other."""
    pending.shown |= shown
    if new := shown - pending.locked:
        lock_names(session, (f"answers:{kind}:{id_}" for kind, id_ in new))
        pending.locked |= new


def mark_entities(session: Session, entity_ids: Iterable[int]) -> None:
    """These entities' names, types or merges changed: every answer naming them changes."""
    _lock(session, _pending(session), {(ENTITY, id_) for id_ in entity_ids})


def _store_pending(session: Session, pending: _Pending) -> None:
    session.flush()
    marked = sorted(pending.articles)
    _store(session, marked, created=pending.created)
    _store(session, sorted(set(_showing(session, pending.shown)) - pending.articles))


def _showing(session: Session, shown: set[tuple[str, int]]) -> Iterator[int]:
    """The articles whose stored answers show any of ``shown``."""
    by_kind: dict[str, list[int]] = {}
    for kind, id_ in shown:
        by_kind.setdefault(kind, []).append(id_)
    for kind, ids in sorted(by_kind.items()):
        for chunk in _chunks(sorted(ids), 500):
            yield from session.scalars(
                select(ArticleAnswerShows.article_id)
                .where(ArticleAnswerShows.kind == kind, ArticleAnswerShows.object_id.in_(chunk))
                .distinct()
            )


def _store(session: Session, article_ids: Sequence[int], *, created: Iterable[int] = ()) -> None:
    """Store these articles' answers as they are now; an article gone loses its row. The
    ``created`` ones have no row yet, nor any to wait for."""
    new = set(created)
    dialect = session.get_bind().dialect.name
    format_ = answer_format()
    for chunk in _chunks(article_ids, BATCH):
        stored = [id_ for id_ in chunk if id_ not in new]
        if dialect == "postgresql" and stored:  # a concurrent rebuild of these commits first
            session.execute(
                select(ArticleAnswer.article_id)
                .where(ArticleAnswer.article_id.in_(stored))
                .order_by(ArticleAnswer.article_id)
                .with_for_update()
            )
        rows: list[dict[str, object]] = []
        shows: list[dict[str, object]] = []
        for article_id in chunk:
            try:
                answer = build(session, article_id)
            except NotFound:
                continue
            assert isinstance(answer.shown, Shown)
            shown = answer.shown.to_json()
            rows.append(
                {"article_id": article_id, "format": format_, "etag": answer.etag}
                | {"body": answer.body, "shown": shown}
            )
            shows += [
                {"kind": kind, "object_id": id_, "article_id": article_id}
                for kind, id_ in sorted(answer.shown.objects())
            ]
        built = [row["article_id"] for row in rows]
        if gone := sorted(set(chunk) - set(built)):
            session.execute(delete(ArticleAnswer).where(ArticleAnswer.article_id.in_(gone)))
        if replaced := [id_ for id_ in built if id_ not in new]:
            session.execute(
                delete(ArticleAnswerShows).where(ArticleAnswerShows.article_id.in_(replaced))
            )
        if rows:
            session.execute(_upsert(dialect), rows)  # bytes: not through ``insert_rows``
            insert_rows(session, ArticleAnswerShows.__table__, shows)  # type: ignore[arg-type]


@cache
def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ArticleAnswer)
    columns = ("format", "etag", "body", "shown")
    return statement.on_conflict_do_update(
        index_elements=["article_id"], set_={name: statement.excluded[name] for name in columns}
    )


def _chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


# Maintenance (``newskb answers``) ----------------------------------------------------------


def stale_ids(session: Session, *, everything: bool = False) -> list[int]:
    """Articles without a stored answer of the current format (every article: ``everything``)."""
    query = select(Article.id).order_by(Article.id)
    if not everything:
        current = and_(
            ArticleAnswer.article_id == Article.id, ArticleAnswer.format == answer_format()
        )
        query = query.where(~select(ArticleAnswer.article_id).where(current).exists())
    return list(session.scalars(query))


def store_all(session: Session, article_ids: Sequence[int]) -> Iterator[int]:
    """Store these articles' answers, a transaction per batch; yields how many each stored."""
    for chunk in _chunks(article_ids, BATCH):
        with committing(session):
            _store(session, chunk)
        yield len(chunk)


def differing(session: Session, article_ids: Sequence[int]) -> list[int]:
    """The articles whose stored answer (of the current format) is not what is built now."""
    wrong = []
    for article_id in article_ids:
        stored = session.execute(_READ, {"id": article_id, "format": answer_format()}).first()
        if stored is None or stored.body is None:
            continue
        try:
            built = build(session, article_id)
        except NotFound:
            continue
        if bytes(stored.body) != built.body:
            wrong.append(article_id)
    return wrong

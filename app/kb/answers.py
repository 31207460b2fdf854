"""Stored article answers: ``GET /v1/articles/{id}`` reads one row instead of building it.

An article's answer (``ArticleRead`` as JSON, with its ETag) is stored in the transaction of
every write that changes it (bulk loads and the queue's workers store new answers later:
``defer_new``), with what it shows (``article_answer_shows``: the events, the
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
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Engine, String, and_, bindparam, delete, literal, select, union
from sqlalchemy.orm import Session

from app.db.loop_reads import LoopReads
from app.db.models import (
    Article,
    ArticleAnswer,
    ArticleAnswerShows,
    Entity,
    EventEvidence,
    Role,
)
from app.db.pg_channel import Column, as_utf8, text_column, utf8_column
from app.errors import InvalidCursor, NotFound
from app.kb import entity_answers, event_items, pages
from app.kb import events as kb_events
from app.kb import timeline as kb_timeline
from app.kb.shown import Shown, shown_by
from app.kb.sql.batches import batches
from app.kb.sql.dialect import lock_names, try_lock_names
from app.kb.sql.pagination import CURSOR_ERRORS, CursorCodec, Page
from app.kb.sql.transaction import after_commit, before_commit, committing
from app.kb.stored_answer import Answer as Answer
from app.kb.stored_answer import AnswerRows, format_of
from app.kb.stored_answer import strong_etag as strong_etag
from app.schemas.articles import ArticleRead

BATCH = 200  # answers built per batch of statements (``store_all``: per transaction)
ARTICLE, EVENT, ENTITY = "article", "event", "entity"
EVENTS, TIMELINE = "events", "timeline"  # loop reads only: a page of all events, a timeline
_PERSON = "person"  # marks only: a person whose roles an article states

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


def answer_format() -> str:
    """The code that builds article answers (``stored_answer.format_of``)."""
    return format_of(ArticleRead)


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
    read is in flight wait for the next one, which reads them all (one round trip for many
    of a kind).
    """

    def __init__(self, engine: Engine, *, enabled: bool = True) -> None:
        self._reads = LoopReads(engine)
        # An in-memory SQLite database lives in one connection, the sessions' own.
        self._enabled = enabled and engine.url.database not in (None, "", ":memory:")
        # Per kind, the futures waiting for each read: an id (a batch of them is one
        # statement), or a page of events' (after, limit) (a statement each).
        self._waiting: dict[str, dict[Any, list[asyncio.Future[Any]]]] = {}
        self._reading: asyncio.Task[None] | None = None

    async def read(self, article_id: int) -> Answer | None:
        """The article's stored answer; ``NotFound`` when there is no such article; None when
        it must be built (no current row) or the read failed (the caller's session then
        answers, with its own deadline and errors)."""
        row = await self._row(ARTICLE, article_id)
        if row is None:
            return None
        if not row:
            raise NotFound(f"Article {article_id} does not exist.")
        _, body, etag, shown = row
        return None if body is None else Answer(bytes(body), etag, shown)

    async def read_entity(self, entity_id: int) -> Answer | None:
        """``read`` for an entity: its stored answer with its counts now; None also when it
        was merged (the session's answer redirects)."""
        row = await self._row(ENTITY, entity_id)
        if row is None:
            return None
        if not row:
            raise NotFound(f"Entity {entity_id} does not exist.")
        try:
            return entity_answers.from_loop_row(row)
        except ValueError:  # counts in a form it cannot read: the session builds the answer
            return None

    async def read_events(
        self, *, limit: int, cursor: str | None, codec: CursorCodec
    ) -> Page[bytes] | None:
        """A page of ``/v1/events`` without filters, its items stored; None when one is not
        stored, the cursor does not fit (the session's answer says why) or the read failed."""
        if not self._enabled:
            return None
        try:
            after = kb_events.after_cursor(codec, cursor) if cursor else None
        except (InvalidCursor, *CURSOR_ERRORS):
            return None
        rows = await self._keyed(EVENTS, (after, limit))
        return None if rows is None else kb_events.page_of_all(rows, limit=limit, codec=codec)

    async def read_timeline(
        self, entity_id: int, *, limit: int, cursor: str | None, codec: CursorCodec
    ) -> Page[kb_timeline.TimelineItem] | None:
        """A page of the entity's timeline, its event items stored; None when one is not, the
        entity is not there or was merged, the cursor does not fit (the session's answer says
        why: 404, 308, 400) or the read failed."""
        if not self._enabled:
            return None
        try:
            after = kb_timeline.loop_cursor(codec, entity_id, cursor) if cursor else None
        except InvalidCursor:
            return None
        rows = await self._keyed(TIMELINE, (entity_id, after, limit))
        return None if rows is None else kb_timeline.loop_page(entity_id, rows, limit, codec)

    async def _keyed(self, kind: str, key: Any) -> Any:
        """What ``kind``'s read of ``key`` gives (``_KEYED``); None when it failed. On
        PostgreSQL the requests waiting for the same key share one read."""
        try:
            if self._reads.sqlite:
                return await self._read_keyed(kind, key)
            return await self._together(kind, key)
        except Exception:
            return None

    async def _read_keyed(self, kind: str, key: Any) -> Any:
        if kind == EVENTS:
            after, limit = key
            read = event_items.list_read(after, limit, postgresql=not self._reads.sqlite)
            return await self._reads.rows(*read, event_items.LIST_COLUMNS)
        entity_id, after, limit = key
        postgresql = not self._reads.sqlite
        read = kb_timeline.loop_read(entity_id, after, limit, postgresql=postgresql)
        return await self._reads.rows(*read, kb_timeline.LOOP_COLUMNS)

    async def _row(self, kind: str, id_: int) -> tuple[Any, ...] | None:
        """The row read for ``id_``; ``()`` when there is no such id; None when disabled or
        the read failed."""
        if not self._enabled:
            return None
        try:
            if self._reads.sqlite:
                sql, format_ = _LOOP_READS[kind][0], _FORMATS[kind]()
                found = self._reads.sqlite_rows(sql, (format_, id_))
                return found[0] if found else ()
            return await self._together(kind, id_) or ()
        except Exception:
            return None

    async def _together(self, kind: str, key: Any) -> Any:
        loop = asyncio.get_running_loop()
        reading = self._reading
        if reading is not None and reading.get_loop() is not loop:  # tests run several loops
            self._waiting, reading = {}, None
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.setdefault(kind, {}).setdefault(key, []).append(future)
        if reading is None or reading.done():
            self._reading = loop.create_task(self._read_waiting())
        return await future

    async def _read_waiting(self) -> None:
        while self._waiting:
            kind = next(iter(self._waiting))
            batch = self._waiting.pop(kind)
            if kind in (EVENTS, TIMELINE):  # a read per key, for every request waiting for it
                for key, futures in batch.items():
                    try:
                        _settle(futures, await self._read_keyed(kind, key))
                    except Exception as exc:
                        _settle(futures, exc)
                continue
            ids = "{" + ",".join(str(id_) for id_ in batch) + "}"
            _, sql, columns = _LOOP_READS[kind]
            try:
                rows = await self._reads.rows(sql, (_FORMATS[kind](), ids), columns)
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


def _settle(futures: list[asyncio.Future[Any]], result: Any) -> None:
    for future in futures:
        if future.done():
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


LOOP_READ_SQLITE = (
    "SELECT a.id, s.body, s.etag, s.shown FROM articles AS a"
    " LEFT JOIN article_answers AS s ON s.article_id = a.id AND s.format = ?"
    " WHERE a.id = ?"
)
LOOP_READ_POSTGRES = (
    f"SELECT a.id, {as_utf8('s.body')}, s.etag, s.shown FROM articles AS a"
    " LEFT JOIN article_answers AS s ON s.article_id = a.id AND s.format = ?"
    " WHERE a.id = ANY(CAST(? AS integer[]))"
)
_COLUMNS: tuple[Column, ...] = (int, utf8_column, text_column, text_column)
_LOOP_READS: dict[str, tuple[str, str, tuple[Column, ...]]] = {
    ARTICLE: (LOOP_READ_SQLITE, LOOP_READ_POSTGRES, _COLUMNS),
    ENTITY: (
        entity_answers.LOOP_READ_SQLITE,
        entity_answers.LOOP_READ_POSTGRES,
        entity_answers.LOOP_COLUMNS,
    ),
}
_FORMATS = {ARTICLE: answer_format, ENTITY: entity_answers.answer_format}


# Writes ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    """What the transaction changed, for ``_store_pending`` to rebuild before it commits."""

    articles: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)  # new articles: no answer stored yet
    shown: set[tuple[str, int]] = field(default_factory=set)  # answers showing these change
    entities: set[int] = field(default_factory=set)  # entities whose own answers change
    created_entities: set[int] = field(default_factory=set)  # new: no answer stored yet
    locked: set[tuple[str, int]] = field(default_factory=set)  # advisory locks taken

    def __call__(self, session: Session) -> None:
        _store_pending(session, self)


def _pending(session: Session) -> _Pending:
    return before_commit(session, "article_answers", _Pending)


def mark_article(
    session: Session, article_id: int, *, created: bool = False, lock_entities: bool = True
) -> None:
    """The article's answer changes, and so may every answer showing it or one of the events
    it reports now or its stored answer showed (read now: a deletion takes both away). A
    write that changes which events an article reports marks it before and after (a
    re-extraction); a new article (``created``) has no stored answer yet.

    The persons whose roles it states (now: call it before and after their roles change)
    have answers that change too, as have the entities ``mark_entity_pages`` marked earlier
    in the transaction.

    Call it before the write's hot-row updates (``entity_stats``): it takes the locks that
    writes changing one answer queue on, and they must come first in every transaction. An
    entity's lock comes after the entity's row locks (a curation's ``FOR UPDATE``, an
    ingest's resolution), as in every writer: a call made before a resolution in the same
    transaction passes ``lock_entities=False`` and leaves them to the call after it."""
    pending = _pending(session)
    pending.articles.add(article_id)
    if created:
        pending.created.add(article_id)
    parts: list[Any] = [
        select(literal(EVENT, String(8)), EventEvidence.event_id).where(
            EventEvidence.article_id == article_id
        ),
        select(literal(_PERSON, String(8)), Role.person_id).where(Role.article_id == article_id),
    ]
    if not created:
        parts.append(
            select(ArticleAnswerShows.kind, ArticleAnswerShows.object_id).where(
                ArticleAnswerShows.article_id == article_id, ArticleAnswerShows.kind != ENTITY
            )
        )
    query = union(*parts)
    found = {(kind, int(id_)) for kind, id_ in session.execute(query)}
    persons = {id_ for kind, id_ in found if kind == _PERSON}
    found -= {(_PERSON, id_) for id_ in persons}
    pending.shown |= found
    pending.entities |= persons
    own = {(ENTITY, id_) for id_ in pending.entities - pending.created_entities}
    _lock(session, pending, found | (own if lock_entities else set()) | {(ARTICLE, article_id)})


def _lock(session: Session, pending: _Pending, objects: set[tuple[str, int]]) -> None:
    """PostgreSQL: two transactions that change what one answer shows, or one entity's own
    answer, take turns, so the later one finds the earlier one's answers (``_showing``) and
    builds on its committed facts. Taken when a write marks, before it deletes any row an
    answer is built from (a deletion cascades to the answer's row) and before its hot rows:
    those row locks come after in every transaction, so no two wait on each other."""
    if new := objects - pending.locked:
        lock_names(session, (f"answers:{kind}:{id_}" for kind, id_ in new))
        pending.locked |= new


def mark_entities(session: Session, entity_ids: Iterable[int]) -> None:
    """These entities' names, types or merges changed: every answer naming them changes,
    their own included."""
    pending, ids = _pending(session), set(entity_ids)
    shown = {(ENTITY, id_) for id_ in ids}
    pending.shown |= shown
    pending.entities |= ids
    _lock(session, pending, shown)


def mark_entity_pages(
    session: Session, entity_ids: Iterable[int], *, created: bool = False, lock: bool = True
) -> None:
    """These entities' own answers change (an alias, a role, the state a place stands for),
    not what other answers show of them; ``created`` ones have none stored yet. An ingest's
    resolution marks without ``lock``: the ``mark_article`` that follows takes the locks,
    with its own, in one sorted call."""
    pending, ids = _pending(session), set(entity_ids)
    pending.entities |= ids
    if created:
        pending.created_entities |= ids
    elif lock:
        _lock(session, pending, {(ENTITY, id_) for id_ in ids})


def _store_pending(session: Session, pending: _Pending) -> None:
    session.flush()
    later: Deferred | None = session.info.get(_DEFERRED)
    left: dict[str, set[int]] | None = None if later is None else {k: set() for k in KINDS}

    def deferred(kind: str) -> set[int] | None:
        return None if left is None else left[kind]

    marked = sorted(pending.articles)
    _store(session, marked, created=pending.created, deferred=deferred(ARTICLE))
    _store(
        session,
        sorted(set(_showing(session, pending.shown)) - pending.articles),
        deferred=deferred(ARTICLE),
    )
    # Locked when marked (the ``mark_article`` after a resolution); here only as a safety net.
    _lock(session, pending, {(ENTITY, id_) for id_ in pending.entities - pending.created_entities})
    # The answers naming a renamed or merged entity are found now, not when it was marked (one
    # built since names it too); ``store`` takes their rows ``FOR UPDATE``, no advisory lock
    # here: after the hot rows, one could close a cycle with a writer holding it.
    named = {id_ for kind, id_ in pending.shown if kind == ENTITY}
    entities = pending.entities | (entity_answers.showing(session, named) if named else set())
    entity_answers.store(
        session, sorted(entities), created=pending.created_entities, deferred=deferred(ENTITY)
    )
    # An event's item changes with the answers showing it (the events marked articles report,
    # before and now), and with the entities it names (their rows ``FOR UPDATE``, as above).
    events = {id_ for kind, id_ in pending.shown if kind == EVENT}
    event_items.store(
        session,
        sorted(events | (event_items.showing(session, named) if named else set())),
        deferred=deferred(EVENT),
    )
    if later is not None and left is not None:
        after_commit(session, partial(later.add, left))  # not before: the rows must be there


def _showing(session: Session, shown: set[tuple[str, int]]) -> Iterator[int]:
    """The articles whose stored answers show any of ``shown``."""
    by_kind: dict[str, list[int]] = {}
    for kind, id_ in shown:
        by_kind.setdefault(kind, []).append(id_)
    for kind, ids in sorted(by_kind.items()):
        for chunk in batches(sorted(ids), 500):
            yield from session.scalars(
                select(ArticleAnswerShows.article_id)
                .where(ArticleAnswerShows.kind == kind, ArticleAnswerShows.object_id.in_(chunk))
                .distinct()
            )


ROWS = AnswerRows(
    ArticleAnswer, ArticleAnswerShows, "article_id", ("format", "etag", "body", "shown")
)


def _store(
    session: Session,
    article_ids: Sequence[int],
    *,
    created: Iterable[int] = (),
    deferred: set[int] | None = None,
) -> None:
    """Store these articles' answers as they are now; an article gone loses its row. The
    ``created`` ones have no row yet, nor any to wait for; with ``deferred``, those without
    a row are left there (``AnswerRows.to_build``)."""
    new = set(created)
    format_ = answer_format()
    for ids in batches(article_ids, BATCH):
        if not (chunk := ROWS.to_build(session, ids, created=new, deferred=deferred)):
            continue
        rows: list[dict[str, Any]] = []
        shown: dict[int, Shown] = {}
        for article_id in chunk:
            try:
                answer = build(session, article_id)
            except NotFound:
                continue
            assert isinstance(answer.shown, Shown)
            shown[article_id] = answer.shown
            rows.append(
                {"article_id": article_id, "format": format_, "etag": answer.etag}
                | {"body": answer.body, "shown": answer.shown.to_json()}
            )
        ROWS.write(session, chunk, rows, shown, created=new)


# Deferred answers (bulk ingest, the queue's workers) ----------------------------------------

KINDS = (ARTICLE, ENTITY, EVENT)
_DEFERRED = "newskb.deferred_answers"


class Deferred:
    """Answers that a process's writes left unbuilt (``defer_new``) until ``store_deferred``
    stores them; shared by its threads. Only answers without a stored row are left here: a
    read builds those, byte for byte what would be stored, so none is ever stale."""

    def __init__(self) -> None:
        self._ids: dict[str, set[int]] = {kind: set() for kind in KINDS}
        self._lock = threading.Lock()

    def add(self, ids: dict[str, set[int]] | dict[str, list[int]]) -> None:
        with self._lock:
            for kind, found in ids.items():
                self._ids[kind].update(found)

    def take(self, limit: int) -> dict[str, list[int]]:
        """Up to ``limit`` ids of each kind (any of them), no longer here."""
        taken: dict[str, list[int]] = {}
        with self._lock:
            for kind, ids in self._ids.items():
                if ids:
                    taken[kind] = sorted(ids.pop() for _ in range(min(limit, len(ids))))
        return taken

    def __len__(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self._ids.values())


def defer_new(session: Session, deferred: Deferred) -> None:
    """From now on, this session's writes leave the answers without a stored row (a new
    article's, a new entity's, a new event's item) to ``deferred`` instead of building them
    in the transaction: an ingest then costs about a quarter less. Answers already stored
    are still rebuilt in the transaction that changes them."""
    session.info[_DEFERRED] = deferred


# How many answers a process may hold deferred before it stores some even while busy (a load
# or a worker that never pauses would otherwise hold them, and their pages' read cost, for
# ever): about 4,000 articles' worth, some 2 MB.
DEFERRED_LIMIT = 20_000


def store_if_too_many(session: Session, deferred: Deferred) -> int:
    """With ``DEFERRED_LIMIT`` answers deferred or more, store them down to half."""
    if len(deferred) < DEFERRED_LIMIT:
        return 0
    return store_deferred(session, deferred, stop=lambda: len(deferred) < DEFERRED_LIMIT // 2)


# Answers stored per transaction by ``store_deferred``: it holds their locks (each answer's
# own and those of what it shows, tens for an article) until it commits.
DEFERRED_BATCH = 20


def store_deferred(
    session: Session, deferred: Deferred, *, stop: Callable[[], bool] = lambda: False
) -> int:
    """Store the deferred answers, a transaction per batch of one kind, until none is left,
    ``stop()`` says so (asked between batches), or a round of batches finds every answer busy
    (the next call tries them again); returns how many were stored or found gone.

    PostgreSQL, without ever waiting for a lock: the rows the answer's row refers to (its
    article, its entity) are locked ``FOR KEY SHARE SKIP LOCKED``, as a write locks them before
    its answer locks; the answer is built once to learn what it shows, then its locks are tried
    (``answers:article:7``, ``answers:event:3``...: those a write changing any of it takes). With
    them held, a write that changes what it shows either committed before, and is in the
    rebuild that is then stored, or waits, then finds the stored row to rebuild. An answer that
    is busy (a row or a lock held by a write) is left for later; one whose rebuild shows an
    object it did not lock (a write in between) is not kept, and is tried again later."""
    stored = 0
    while not stop() and (batch := deferred.take(DEFERRED_BATCH)):
        done, remaining = 0, dict(batch)
        for kind in batch:
            ids = remaining.pop(kind)
            try:
                with committing(session):
                    left = _store_free(session, kind, ids)
            except BaseException:
                deferred.add({kind: ids, **remaining})  # this one rolled back, the rest not tried
                raise
            deferred.add({kind: left})
            done += len(ids) - len(left)
        if not done:
            break
        stored += done
    return stored


_STORES: dict[str, Callable[[Session, Sequence[int]], None]] = {
    ARTICLE: _store,
    ENTITY: entity_answers.store,
    EVENT: event_items.store,
}
_ROWS = {ARTICLE: ROWS, ENTITY: entity_answers.ROWS, EVENT: event_items.ROWS}
_PARENTS: dict[str, Any] = {ARTICLE: Article.id, ENTITY: Entity.id}  # an event item has none


def _store_free(session: Session, kind: str, ids: list[int]) -> list[int]:
    """Store the answers of these ids whose rows and locks are free; returns the others (an
    id that is gone is neither)."""
    if session.get_bind().dialect.name != "postgresql":  # one writer at a time: no race
        _STORES[kind](session, ids)
        return []
    free, busy = _parents_free(session, kind, ids)
    names = {
        id_: {f"answers:{kind}:{id_}"} | _names(shown)
        for id_, shown in _shown_now(session, kind, free).items()
    }
    wanted: set[str] = set().union(*names.values()) if names else set()
    taken = try_lock_names(session, wanted)
    busy += [id_ for id_ in free if names[id_] & taken]
    free = [id_ for id_ in free if not names[id_] & taken]
    _STORES[kind](session, free)
    held = wanted - taken
    rows = _ROWS[kind]
    key = getattr(rows.shows, rows.key)
    shown = session.execute(select(key, rows.shows.kind, rows.shows.object_id).where(key.in_(free)))
    if moved := sorted({id_ for id_, k, o in shown if f"answers:{k}:{o}" not in held}):
        # Built from what a write changed meanwhile: back to no row, which reads build.
        session.execute(delete(rows.shows).where(key.in_(moved)))
        answer_key = getattr(rows.answers, rows.key)
        session.execute(delete(rows.answers).where(answer_key.in_(moved)))
    return sorted(busy + moved)


def _parents_free(session: Session, kind: str, ids: list[int]) -> tuple[list[int], list[int]]:
    """(the ids whose row is now ``FOR KEY SHARE`` here, those a write holds); one gone is in
    neither."""
    column = _PARENTS.get(kind)
    if column is None:
        return list(ids), []
    query = select(column).where(column.in_(ids)).order_by(column)
    free = set(session.scalars(query.with_for_update(key_share=True, skip_locked=True)))
    rest = [id_ for id_ in ids if id_ not in free]
    busy = set(session.scalars(select(column).where(column.in_(rest)))) if rest else set()
    return sorted(free), sorted(busy)


def _names(objects: set[tuple[str, int]]) -> set[str]:
    return {f"answers:{kind}:{id_}" for kind, id_ in objects}


def _shown_now(session: Session, kind: str, ids: Sequence[int]) -> dict[int, set[tuple[str, int]]]:
    """What the answers of these ids show if built now (one that is gone shows nothing)."""
    if kind == ENTITY:
        found = {id_: s.objects() for id_, s in entity_answers.shown_of(session, ids).items()}
    elif kind == EVENT:
        found = {id_: s.objects() for id_, (_, s) in event_items.built(session, ids).items()}
    else:
        found = {}
        for id_ in ids:
            try:
                shown = build(session, id_).shown
            except NotFound:
                continue
            assert isinstance(shown, Shown)
            found[id_] = shown.objects()
    return {id_: found.get(id_, set()) for id_ in ids}


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


def stale_by_kind(session: Session, *, everything: bool = False) -> dict[str, list[int]]:
    """``stale_ids`` of each kind: articles, entities, events (``KINDS`` order)."""
    return {
        ARTICLE: stale_ids(session, everything=everything),
        ENTITY: entity_answers.stale_ids(session, everything=everything),
        EVENT: event_items.stale_ids(session, everything=everything),
    }


def store_all(session: Session, ids: Sequence[int], *, kind: str = ARTICLE) -> Iterator[int]:
    """Store these articles' answers (or entities', or events' items: ``kind``), as deferred
    answers are stored (``store_deferred``: safe beside concurrent writes, never waiting for
    their locks, but waiting a moment for them to end); yields how many each batch stored."""
    for chunk in batches(ids, BATCH):
        pending = Deferred()
        pending.add({kind: list(chunk)})
        while pending:
            if not store_deferred(session, pending):
                time.sleep(0.05)  # each one busy: writes hold them for a moment
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

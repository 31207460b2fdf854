"""The change feed: kb write paths record what they changed, clients read it in order.

Every write use case calls one ``record_*`` function inside its transaction, so a change is
in the feed exactly when the write committed. Deleted objects leave a tombstone row.

The feed is also the version of the whole knowledge base (``VersionReader``): the read cache
keeps an answer while the version it was built at is still current.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, union
from sqlalchemy.orm import Session

from app.db.loop_reads import LoopReads
from app.db.models import Change, Mention, Quote, Role
from app.db.pg_channel import Column, text_column
from app.errors import InvalidCursor
from app.kb.sql.dialect import insert_rows
from app.kb.sql.pagination import CursorCodec, Page, SortKey, keyset_page

ARTICLE, ENTITY = "article", "entity"
# On PostgreSQL two writes can commit out of id order (the later id first), so the version
# also counts the last VERSION_WINDOW rows: a late commit inside that window changes the count.
VERSION_WINDOW = 1000
SQLITE_BUSY_MS = 200  # the version query runs in the event loop: never wait long for a lock
POSTGRES_TIMEOUT_MS = 2000
_VERSION = (
    "SELECT max(id), count(*) FROM changes "
    f"WHERE id > (SELECT coalesce(max(id), 0) - {VERSION_WINDOW} FROM changes)"
)
# PostgreSQL: the statement's snapshot, and the version only when that snapshot differs from
# the one the last version was read in. Equal snapshots see the same committed rows, so the
# version is the same; the window's count (most of the query's server time) is then skipped
# (an InitPlan in a CASE branch runs only when the branch is taken). ``txid_current_snapshot``
# rather than ``pg_current_snapshot``: the same active snapshot, and PostgreSQL 12 has it.
_VERSION_UNLESS_SNAPSHOT = (
    "SELECT now.s, CASE WHEN now.s = $1::text THEN NULL ELSE "
    "(SELECT ARRAY[max(id)::bigint, count(*)] FROM changes "
    f"WHERE id > (SELECT coalesce(max(id), 0) - {VERSION_WINDOW} FROM changes)) END "
    "FROM (SELECT txid_current_snapshot()::text AS s) AS now"
)
_DATA_VERSION = "PRAGMA data_version"
_WINDOW = "SELECT id, kind, object_id, action FROM changes WHERE id > ? ORDER BY id"
_EVENTS_OF = "SELECT DISTINCT event_id FROM event_evidence WHERE article_id IN ({ids})"
_NAMES_OF = "SELECT id, name, type, merged_into_id FROM entities WHERE id IN ({ids})"


def _int_array(value: bytes) -> tuple[int | None, ...]:
    """A PostgreSQL integer array in text form (``{12,1000}``, ``{NULL,0}``)."""
    return tuple(None if item == b"NULL" else int(item) for item in value[1:-1].split(b","))


# How PostgreSQL's text answers to the queries above are read (``PgChannel``), by column.
_VERSION_COLUMNS: tuple[Column, ...] = (text_column, _int_array)
_WINDOW_COLUMNS: tuple[Column, ...] = (int, text_column, int, text_column)
_EVENTS_COLUMNS: tuple[Column, ...] = (int,)
_NAMES_COLUMNS: tuple[Column, ...] = (int, text_column, text_column, int)


def entity_ids_of_article(session: Session, article_id: int) -> set[int]:
    """Entities an article's facts point at: their counts change when the article does."""
    query: Any = union(
        select(Mention.entity_id).where(Mention.article_id == article_id),
        select(Role.person_id).where(Role.article_id == article_id),
        select(Role.of_id).where(Role.article_id == article_id, Role.of_id.is_not(None)),
        select(Quote.speaker_id).where(
            Quote.article_id == article_id, Quote.speaker_id.is_not(None)
        ),
    )
    return {id_ for id_ in session.scalars(query) if id_ is not None}


def record_article(
    session: Session, article_id: int, action: str, *, entity_ids: Iterable[int] | None = None
) -> None:
    """Record an article change and touch its entities (new ones as created).

    ``entity_ids``: every entity the change touched, when the caller knows them (an ingest
    does); otherwise they are read from the article's stored facts.
    """
    if entity_ids is None:
        entity_ids = entity_ids_of_article(session, article_id)
    article = {"kind": ARTICLE, "object_id": article_id, "action": action}
    _add(session, [article, *_entity_rows(session, entity_ids, "updated")])


def record_entities(session: Session, entity_ids: Iterable[int], action: str = "updated") -> None:
    """Entities never seen in the feed are recorded as created, the others with ``action``."""
    _add(session, _entity_rows(session, entity_ids, action))


def _entity_rows(session: Session, entity_ids: Iterable[int], action: str) -> list[dict[str, Any]]:
    ids = sorted(set(entity_ids))
    if not ids:
        return []
    known = set(
        session.scalars(
            select(Change.object_id)
            .where(Change.kind == ENTITY, Change.object_id.in_(ids))
            .distinct()  # a busy entity has a row per article that names it
        )
    )
    return [
        {"kind": ENTITY, "object_id": id_, "action": action if id_ in known else "created"}
        for id_ in ids
    ]


def record_merge(session: Session, entity_id: int, into_id: int) -> None:
    _add(
        session,
        [
            {"kind": ENTITY, "object_id": entity_id, "action": "merged", "merged_into_id": into_id},
            {"kind": ENTITY, "object_id": into_id, "action": "updated"},
        ],
    )


def _add(session: Session, rows: list[dict[str, Any]]) -> None:
    rows = [{"merged_into_id": None} | row for row in rows]  # every row needs every key
    insert_rows(session, Change.__table__, rows)  # type: ignore[arg-type]


def list_changes(
    session: Session,
    *,
    since: str | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[Change]:
    """Changes in feed order, after a cursor or from a timestamp (both through ``since``)."""
    query = select(Change)
    if kind:
        query = query.where(Change.kind == kind)
    scope = f"changes:{kind}"
    if since and not cursor:
        moment = _timestamp(since, codec=codec, scope=scope)
        if moment is None:
            cursor = since  # not a timestamp: a cursor from a previous page
        else:
            query = query.where(Change.at >= moment)
    return keyset_page(
        session,
        query,
        scope=scope,
        keys=[SortKey(Change.id)],
        row_values=lambda c: (c.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
        last_cursor=True,
    )


def _timestamp(value: str, *, codec: CursorCodec, scope: str) -> datetime | None:
    """The time ``since`` names; None for a cursor. A cursor may begin with four digits too
    (one in about 1,700 does), so a value shaped like a time that is not one is tried as one."""
    if not value[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        if _is_cursor(codec, scope, value):
            return None
        raise InvalidCursor(
            f"`since` is neither a cursor nor an ISO 8601 time: {value!r}."
        ) from exc


def _is_cursor(codec: CursorCodec, scope: str, value: str) -> bool:
    try:
        codec.decode(scope, value)
    except InvalidCursor:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Changed:
    """What a run of committed changes touched, as the read cache's tags name it.

    ``entities`` holds each touched entity's name and type as they are now (None when it was
    merged away): an answer that only names an entity (an article's entity list, an event's
    participants) changes only if those did, while the entity's own answer (counts, aliases,
    roles) carries the tag ``entity:<id>`` and goes whenever the entity is touched.
    """

    tags: frozenset[str]  # "article:1", "entity:7", "event:3"
    entities: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    everything: bool = False  # a change whose reach the feed does not tell: drop every answer


EVERYTHING = Changed(frozenset(), everything=True)


def article_tag(article_id: int) -> str:
    return f"article:{article_id}"


def entity_tag(entity_id: int) -> str:
    return f"entity:{entity_id}"


def event_tag(event_id: int) -> str:
    return f"event:{event_id}"


class VersionReader:
    """The knowledge base's version, ``(highest change id, rows in the last window)``.

    Read on every cached request, so read cheaply: in the event loop, on a connection of its
    own, with no thread hop (a third of a cache hit's CPU) and no ORM (``app.db.loop_reads``:
    a deadline of its own on PostgreSQL; after a failure the requests go to their routes,
    uncached, which answer 503 on their own deadlines).

    Where nothing was committed since the last read, the version is known more cheaply: on
    PostgreSQL the query skips counting the window when its snapshot equals the last one's;
    on SQLite ``stamp`` reads the connection's ``data_version`` (it moves whenever another
    connection, in any process, commits), so the read cache need not read the version at all.

    ``changed_since`` tells what the changes after a version touched, so that the cache drops
    only the answers those changes can alter.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reads = LoopReads(
            engine, sqlite_busy_ms=SQLITE_BUSY_MS, postgres_timeout_ms=POSTGRES_TIMEOUT_MS
        )
        self._window: set[int] = set()  # ids of the changes in the window of the last version
        self._snapshot = ""  # PostgreSQL: the snapshot the last version was read in
        self._last: tuple[int, int] = (0, 0)

    async def read(self) -> tuple[int, int]:
        if self.engine.dialect.name == "sqlite":
            rows = await self._rows(_VERSION)
            return (int(rows[0][0] or 0), int(rows[0][1])) if rows else (0, 0)
        [(snapshot, version)] = await self._rows(
            _VERSION_UNLESS_SNAPSHOT, (self._snapshot,), _VERSION_COLUMNS
        )
        if version is not None:  # the snapshot moved: the version was read
            self._last = (int(version[0] or 0), int(version[1]))
        self._snapshot = snapshot
        return self._last

    def stamp(self) -> tuple[int, int] | None:
        """SQLite: a mark that stays equal while no other connection commits, read without
        leaving the event loop (a few microseconds); None on PostgreSQL (no such mark without a
        round trip). Read it *before* the version it is to vouch for."""
        if self.engine.dialect.name != "sqlite":
            return None
        [(data_version,)] = self._reads.sqlite_rows(_DATA_VERSION)
        return (self._reads.connections, int(data_version))

    async def changed_since(self, old: tuple[int, int] | None, new: tuple[int, int]) -> Changed:
        """What the changes committed between two versions touched.

        The changes are the rows of ``new``'s window not seen in ``old``'s, so a commit that
        landed late with a lower id (PostgreSQL) is caught too. Without a previous version, or
        when more than a window of changes came in between, the answer is "everything".
        """
        known = self._window
        rows = await self._rows(_WINDOW, (new[0] - VERSION_WINDOW,), _WINDOW_COLUMNS)
        if old is None or new[0] - old[0] >= VERSION_WINDOW or not known:
            changed = EVERYTHING
        else:
            changed = await self._touched([row for row in rows if row[0] not in known])
        self._window = {int(row[0]) for row in rows}  # only once every query succeeded
        return changed

    async def _touched(self, rows: list[tuple[Any, ...]]) -> Changed:
        tags: set[str] = set()
        created: set[int] = set()
        entities: dict[int, str] = {}  # id → the last action on it
        for _id, kind, object_id, action in rows:
            if kind == ARTICLE and action != "created":
                return EVERYTHING  # a re-extraction or a deletion: its reach is not in the feed
            if kind == ARTICLE:
                tags.add(article_tag(object_id))
                created.add(int(object_id))
            else:
                tags.add(entity_tag(object_id))
                entities[int(object_id)] = action
        if created:  # a new article's evidence joins existing events: their answers change
            marks = ",".join(str(i) for i in sorted(created))
            events = await self._rows(_EVENTS_OF.format(ids=marks), (), _EVENTS_COLUMNS, once=True)
            tags.update(event_tag(id_) for (id_,) in events)
        names: dict[int, tuple[str, str] | None] = dict.fromkeys(entities)
        if entities:
            marks = ",".join(str(i) for i in sorted(entities))
            rows = await self._rows(_NAMES_OF.format(ids=marks), (), _NAMES_COLUMNS, once=True)
            for id_, name, type_, merged_into in rows:
                if merged_into is None and entities[id_] != "merged":
                    names[id_] = (name, type_)
        return Changed(frozenset(tags), names)

    async def _rows(
        self,
        sql: str,
        params: tuple[Any, ...] = (),
        columns: tuple[Column, ...] = (),
        *,
        once: bool = False,
    ) -> list[tuple[Any, ...]]:
        """``once``: a text made for this read (its ids written in), not worth preparing."""
        return await self._reads.rows(sql, params, columns, prepare=not once)

    def close(self) -> None:
        self._reads.close()

"""The change feed: kb write paths record what they changed, clients read it in order.

Every write use case calls one ``record_*`` function inside its transaction, so a change is
in the feed exactly when the write committed. Deleted objects leave a tombstone row.

The feed is also the version of the whole knowledge base (``VersionReader``): the read cache
keeps an answer while the version it was built at is still current.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, union
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from app.db.models import Change, Mention, Quote, Role
from app.errors import InvalidCursor
from app.kb.sql.dialect import insert_rows
from app.kb.sql.pagination import CursorCodec, Page, SortKey, keyset_page

if TYPE_CHECKING:
    import psycopg

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
    if since and not cursor:
        moment = _timestamp(since)
        if moment is None:
            cursor = since  # not a timestamp: a cursor from a previous page
        else:
            query = query.where(Change.at >= moment)
    return keyset_page(
        session,
        query,
        scope=f"changes:{kind}",
        keys=[SortKey(Change.id)],
        row_values=lambda c: (c.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
        last_cursor=True,
    )


def _timestamp(value: str) -> datetime | None:
    if not value[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidCursor(
            f"`since` is neither a cursor nor an ISO 8601 time: {value!r}."
        ) from exc


class VersionReader:
    """The knowledge base's version, ``(highest change id, rows in the last window)``.

    Read on every cached request, so read cheaply: in the event loop, on a connection of its
    own, with no thread hop (a third of a cache hit's CPU) and no ORM. SQLite answers from a
    local file in tens of microseconds, so it runs inline on a dedicated connection whose short
    busy timeout bounds any wait. PostgreSQL runs on an async psycopg connection, bounded by
    its connect and statement timeouts. A failed read drops the connection: the next read
    opens a fresh one (the database restarted...).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: PoolProxiedConnection | None = None  # SQLite
        self._async: psycopg.AsyncConnection[Any] | None = None  # PostgreSQL
        self._async_loop: asyncio.AbstractEventLoop | None = None

    async def read(self) -> tuple[int, int]:
        if self.engine.dialect.name == "sqlite":
            return self._sqlite_version()
        return await self._postgres_version()

    def _sqlite_version(self) -> tuple[int, int]:
        if self._connection is None:
            connection = self.engine.raw_connection()
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.close()
            self._connection = connection
        try:
            cursor = self._connection.cursor()
            cursor.execute(_VERSION)
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            self._connection.invalidate()  # a fresh one next time
            self._connection = None
            raise
        return (int(row[0] or 0), int(row[1])) if row else (0, 0)

    async def _postgres_version(self) -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        if self._async is not None and self._async_loop is not loop:
            self._drop_async()  # made in another event loop (tests run several)
        if self._async is None:
            import psycopg  # only PostgreSQL deployments pay for the import

            url = self.engine.url.set(drivername="postgresql")
            self._async = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False),
                autocommit=True,
                connect_timeout=5,
                options=f"-c statement_timeout={POSTGRES_TIMEOUT_MS}",
            )
            self._async_loop = loop
        try:
            cursor = await self._async.execute(_VERSION)
            row = await cursor.fetchone()
        except Exception:
            self._drop_async()  # a fresh one next time (database restarted...)
            raise
        return (int(row[0] or 0), int(row[1])) if row else (0, 0)

    def close(self) -> None:
        self._drop_async()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _drop_async(self) -> None:
        """Close the socket without awaiting: its event loop may be gone."""
        if self._async is not None:
            self._async.pgconn.finish()
        self._async, self._async_loop = None, None

"""The change feed: kb write paths record what they changed, clients read it in order.

Every write use case calls one ``record_*`` function inside its transaction, so a change is
in the feed exactly when the write committed. Deleted objects leave a tombstone row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from app.db.models import Change, Mention, Quote, Role
from app.errors import InvalidCursor
from app.kb.pagination import CursorCodec, Page, SortKey, keyset_page
from app.kb.sql import insert_rows

ARTICLE, ENTITY = "article", "entity"


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

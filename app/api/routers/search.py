"""One search over articles, entities and events, with facet counts."""

from typing import Annotated

from fastapi import Query, Request, Response

from app.api.deps import CodecDep, SessionDep, run_read
from app.api.pages import article_hits, json_answer
from app.api.params import CollapseQuery
from app.api.routers.entities import summaries
from app.api.routers.prefixed import PrefixedRouter
from app.kb import entities as kb_entities
from app.kb import events as kb_events
from app.kb.search import articles as kb_search
from app.kb.search import facets as kb_facets
from app.kb.sql.pagination import CursorCodec
from app.schemas.common import PROBLEM_RESPONSES
from app.schemas.events import EventRead
from app.schemas.search import (
    ArticleSection,
    EntitySection,
    EventSection,
    FacetCount,
    SearchFacets,
    SearchResult,
)

router = PrefixedRouter(prefix="/v1/search", tags=["search"], responses=PROBLEM_RESPONSES)


def counts(facets: list[kb_search.Facet]) -> list[FacetCount]:
    return [FacetCount(value=f.value, count=f.count) for f in facets]


@router.get("", response_model=SearchResult, summary="Search articles, entities and events")
async def search(
    session: SessionDep,
    codec: CodecDep,
    request: Request,
    q: Annotated[
        str,
        Query(
            min_length=1,
            description='Web-search syntax for articles (words, `"phrase"`, `OR`, `-word`); '
            "entities match when a word of a name or alias starts with `q`; events when "
            "their summary has every word.",
            examples=["lukashenko"],
        ),
    ],
    limit: Annotated[
        int, Query(ge=1, le=100, description="Items per section (1 to 100).", examples=[5])
    ] = 5,
    collapse: CollapseQuery = None,
) -> Response:
    """The first page of each kind, each with the `next_cursor` and `more` URL that continue
    it on its own list endpoint, plus facet counts: matching entities by type, matching
    articles by source, section and published year.

    Articles are ranked within a window: the 1,000 newest matches (every match when fewer
    match). Article facets count the same window; `articles.complete` and
    `facets.complete` say whether it held every match. Ranking and counting every match of
    a common word would cost time in proportion to the size of the knowledge base."""
    return await run_read(_search_answer, session, codec, request, q, limit, collapse)


def _search_answer(
    session: SessionDep,
    codec: CursorCodec,
    request: Request,
    q: str,
    limit: int,
    collapse: str | None,
) -> Response:
    filters = kb_search.ArticleFilters(collapse_duplicates=collapse == "duplicates")
    window = kb_search.match_window(session, q=q, filters=filters)
    articles = kb_search.search_articles(
        session,
        q=q,
        filters=filters,
        sort=None,
        limit=limit,
        cursor=None,
        codec=codec,
        window=window,
    )
    entity_q = q[:200]
    names = kb_entities.name_filter(session, q=entity_q)  # for the list and the type facets
    entities = kb_entities.list_entities(
        session, type=None, names=names, limit=limit, cursor=None, codec=codec
    )
    events = kb_events.list_events(
        session,
        type=None,
        entity_ids=[],
        status=None,
        date_from=None,
        date_to=None,
        q=entity_q,
        limit=limit,
        cursor=None,
        codec=codec,
    )
    facets = kb_facets.article_facets(session, q, filters, window=window)
    types = kb_entities.type_facets(session, names=names)

    def more(path: str, query: str, cursor: str | None, **extra: str) -> str | None:
        if cursor is None:
            return None
        url = request.url.replace(path=path, query="").include_query_params(
            q=query, limit=limit, cursor=cursor, **extra
        )
        return str(url)

    collapsed = {"collapse": collapse} if collapse else {}

    answer = SearchResult(
        q=q,
        articles=ArticleSection(
            items=article_hits(articles.items),
            next_cursor=articles.next_cursor,
            more=more("/v1/articles", q, articles.next_cursor, **collapsed),
            total=len(window.rows),
            complete=window.complete,
        ),
        entities=EntitySection(
            items=summaries(
                # the counts read with the page, as GET /v1/entities does
                (e, entities.counts.get(e.id, kb_entities.EntityCounts()))
                for e in entities.page.items
            ),
            next_cursor=entities.page.next_cursor,
            more=more("/v1/entities", entity_q, entities.page.next_cursor),
        ),
        events=EventSection(
            items=[EventRead.model_validate_json(e) for e in events.items],
            next_cursor=events.next_cursor,
            more=more("/v1/events", entity_q, events.next_cursor),
        ),
        facets=SearchFacets(
            entity_types=counts(types),
            sources=counts(facets.sources),
            sections=counts(facets.sections),
            years=counts(facets.years),
            articles_counted=facets.counted,
            complete=facets.complete,
        ),
    )
    return json_answer(answer)

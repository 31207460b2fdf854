"""Answers of the search endpoints: article hits with snippets, facets, the combined search."""

from pydantic import Field

from app.schemas.articles import ArticleSummary
from app.schemas.common import Schema
from app.schemas.entities import EntitySummary
from app.schemas.events import EventRead


class ArticleHit(ArticleSummary):
    """An article in a list; with a query, its relevance score and a highlighted snippet."""

    score: float | None = Field(
        default=None,
        description="Relevance to `q` (higher is better; comparable within one query only).",
        examples=[0.42],
    )
    snippet: str | None = Field(
        default=None,
        description="Passage around the matches, HTML-escaped, matches wrapped in `<mark>`.",
        examples=["… <mark>Lukashenko</mark> visited the Zapad military exercises …"],
    )


class FacetCount(Schema):
    value: str = Field(description="The facet value", examples=["Politics"])
    count: int = Field(description="How many results have it", examples=[12])


class SearchFacets(Schema):
    entity_types: list[FacetCount] = Field(
        description="Matching entities by type", examples=[[{"value": "person", "count": 3}]]
    )
    sources: list[FacetCount] = Field(
        description="Matching articles by source", examples=[[{"value": "DW", "count": 5}]]
    )
    sections: list[FacetCount] = Field(
        description="Matching articles by section", examples=[[{"value": "Politics", "count": 4}]]
    )
    years: list[FacetCount] = Field(
        description="Matching articles by published year (UTC)",
        examples=[[{"value": "2021", "count": 5}]],
    )
    articles_counted: int = Field(
        description="How many articles `sources`, `sections` and `years` count: every match, "
        "or the 1,000 newest when more match (the relevance window).",
        examples=[1000],
    )
    complete: bool = Field(
        description="True when every count is exact; false when more articles match than the "
        "window holds, so `sources`, `sections` and `years` count the 1,000 newest matches "
        "(`entity_types` always counts every matching entity).",
        examples=[False],
    )


class ArticleSection(Schema):
    items: list[ArticleHit] = Field(
        description="Best matching articles: relevance ranks the window, the 1,000 newest "
        "matches (all of them when fewer match)."
    )
    next_cursor: str | None = Field(
        description="Continue with `GET /v1/articles?q=...&cursor=`", examples=[None]
    )
    more: str | None = Field(
        description="URL of the next page of this list", examples=["/v1/articles?q=lukash"]
    )
    # 1,000: app.kb.search.articles.WINDOW
    total: int = Field(
        description="Matching articles when `complete`; otherwise the window size, a lower "
        "bound (counting every match of a common word would read all of them).",
        examples=[1000],
    )
    complete: bool = Field(
        description="True when the window holds every match; false when more than 1,000 "
        "articles match: older matches are then left out of the ranking (list them with "
        "`GET /v1/articles?q=...&sort=-published_at`).",
        examples=[False],
    )


class EntitySection(Schema):
    items: list[EntitySummary] = Field(description="Entities whose name or alias matches")
    next_cursor: str | None = Field(
        description="Continue with `GET /v1/entities?q=...&cursor=`", examples=[None]
    )
    more: str | None = Field(
        description="URL of the next page of this list", examples=["/v1/entities?q=lukash"]
    )


class EventSection(Schema):
    items: list[EventRead] = Field(description="Events whose summary has every word")
    next_cursor: str | None = Field(
        description="Continue with `GET /v1/events?q=...&cursor=`", examples=[None]
    )
    more: str | None = Field(
        description="URL of the next page of this list", examples=["/v1/events?q=arms"]
    )


class SearchResult(Schema):
    """Articles, entities and events for one query, with facet counts."""

    q: str = Field(description="The query as given", examples=["lukashenko"])
    articles: ArticleSection
    entities: EntitySection
    events: EventSection
    facets: SearchFacets

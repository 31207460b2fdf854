"""What the knowledge base holds: counts by kind, date range, extractor versions."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.schemas.common import Schema


class LanguageStats(Schema):
    """One language: how many articles are in it and what extraction reads from them."""

    language: str = Field(description="ISO 639 code.", examples=["fr"])
    articles: int = Field(description="Stored articles in this language.", examples=[12])
    status: Literal["extracted", "skipped"] = Field(
        description="`skipped`: no pipeline reads this language; its articles are stored and "
        "searchable, without facts.",
        examples=["extracted"],
    )
    extracts: list[str] = Field(
        description="The kinds of facts extracted from this language's articles.",
        examples=[["entities", "timexes", "quotes"]],
    )
    reason: str | None = Field(
        default=None,
        description="Why nothing is extracted, when skipped.",
        examples=["no pipeline for language 'de'"],
    )


class Stats(Schema):
    """A summary of the knowledge base, cheap enough to poll (a few COUNT/GROUP BY queries)."""

    articles: int = Field(description="Stored articles.", examples=[51])
    sources: int = Field(description="Publishers with at least one article ever.", examples=[3])
    entities: int = Field(
        description="Entities, not counting those merged into another.", examples=[812]
    )
    entities_by_type: dict[str, int] = Field(
        description="Entities (merged ones excluded) by type.",
        examples=[{"person": 240, "organization": 190, "country": 61}],
    )
    merged_entities: int = Field(
        description="Entities a curator merged into another (they answer with a redirect).",
        examples=[2],
    )
    duplicates: int = Field(
        description="Articles that are later copies of another (near-identical text at another "
        "URL), linked to the first copy; counted in `articles` too.",
        examples=[3],
    )
    versions: int = Field(
        description="Earlier texts kept when a new text came at an article's URL (not counted "
        "in `articles`).",
        examples=[1],
    )
    mentions: int = Field(description="Entity mentions (spans) in articles.", examples=[4310])
    events: int = Field(description="Events, shared across the articles reporting them.")
    events_by_type: dict[str, int] = Field(
        description="Events by type.", examples=[{"meeting": 40, "attack": 12}]
    )
    quotes: int = Field(description="Quotes, direct and reported.", examples=[390])
    amounts: int = Field(description="Money amounts and quantities.", examples=[270])
    timexes: int = Field(description="Date and time expressions.", examples=[1020])
    newest_published_at: datetime | None = Field(
        description="Latest `published_at` of any article; null when none has a date.",
        examples=["2021-09-30T00:00:00Z"],
    )
    oldest_published_at: datetime | None = Field(
        description="Earliest `published_at` of any article.", examples=["2021-09-01T00:00:00Z"]
    )
    newest_ingested_at: datetime | None = Field(
        description="When the latest article was ingested; null when the KB is empty."
    )
    oldest_ingested_at: datetime | None = Field(
        description="When the first stored article was ingested."
    )
    extractor_versions: dict[str, int] = Field(
        description="Articles by the extractor version their facts were read with.",
        examples=[{"0.9.0": 51}],
    )
    languages: list[LanguageStats] = Field(
        description="Every language with a pipeline or with stored articles, most articles "
        "first: what is extracted from it."
    )

from datetime import date, datetime
from datetime import date as date_
from typing import Any, Literal

from pydantic import Field, TypeAdapter, field_validator
from typing_extensions import TypedDict

from app.schemas.common import Schema
from app.schemas.entities import EntityRef, SpanRead
from app.schemas.facts import AmountRead


class ParticipantRead(Schema):
    entity: EntityRef
    role: str = Field(examples=["buyer"])


class EventSpanRead(SpanRead):
    main: bool = Field(
        default=False,
        description="The article reports this event as its main event (headline or lead)",
    )


class EventRead(Schema):
    id: int = Field(examples=[3])
    type: str = Field(examples=["arms_deal"])
    status: str = Field(description="occurred, ongoing or expected", examples=["expected"])
    summary: str = Field(examples=["Belarus plans to buy $1 billion of weapons from Russia"])
    trigger: str | None = Field(
        default=None,
        description="The lemma of the word that reports it; what an `other` event is",
        examples=["buy"],
    )
    date_start: date | None = Field(examples=["2021-09-12"])
    date_end: date | None = Field(examples=["2025-12-31"])
    date_precision: str | None = Field(examples=["year"])
    location: EntityRef | None = None
    participants: list[ParticipantRead] = Field(default_factory=list)
    amounts: list[AmountRead] = Field(default_factory=list)
    evidence: list[EventSpanRead] = Field(default_factory=list)


class EventArticle(Schema):
    id: int = Field(examples=[1])
    title: str | None = Field(examples=["Lukashenko plans $1bn arms deal with Russia"])
    url: str | None = Field(examples=["https://p.dw.com/p/40DrA"])
    published_at: datetime | None = Field(examples=["2021-09-12T00:00:00Z"])
    source: str | None = Field(description="Source name", examples=["DW"])

    @field_validator("source", mode="before")
    @classmethod
    def _source_name(cls, value: Any) -> Any:
        return getattr(value, "name", value)


class EventDetail(EventRead):
    """An event with the articles its evidence spans come from."""

    articles: list[EventArticle] = Field(
        default_factory=list, description="The reporting articles, oldest first"
    )


class TimelineItem(Schema):
    kind: Literal["event", "article"] = Field(examples=["event"])
    date: date_ = Field(
        description="Event start, or the article's published day", examples=["2021-09-12"]
    )
    event: EventRead | None = Field(default=None, description="For kind `event`")
    article: EventArticle | None = Field(default=None, description="For kind `article`")


class EventArticleFields(TypedDict):
    """``EventArticle``'s fields, typed as they are once validated (a test keeps them equal)."""

    id: int
    title: str | None
    url: str | None
    published_at: datetime | None
    source: str | None


class TimelineArticleFields(TypedDict):
    """A ``TimelineItem`` of kind ``article``, its fields typed as once validated."""

    kind: Literal["article"]
    date: date_
    event: None
    article: EventArticleFields


# Serializes such an item as ``TimelineItem`` would, without validating what was read typed:
# a quarter of the CPU of an uncached timeline page of articles went to the two models.
TIMELINE_ARTICLE = TypeAdapter(TimelineArticleFields)

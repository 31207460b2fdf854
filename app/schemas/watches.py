"""Watches: saved searches with their matches and webhook delivery log."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from app.extract.types import EntityType, EventType
from app.schemas.articles import ArticleSummary
from app.schemas.common import MAX_ID, Schema

MAX_FILTER_ITEMS = 10
EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]
WatchStatus = Literal["active", "paused"]


class WatchFilters(Schema):
    """Filters that combine with each other and with `q` (every given one must hold)."""

    entity_ids: list[EntityId] = Field(
        default_factory=list,
        max_length=MAX_FILTER_ITEMS,
        description="Entity ids that must all be mentioned (as `entity` of `/v1/articles`).",
        examples=[[7]],
    )
    entity_types: list[EntityType] = Field(
        default_factory=list,
        max_length=MAX_FILTER_ITEMS,
        description="The article mentions an entity of any of these types.",
        examples=[["weapon"]],
    )
    event_types: list[EventType] = Field(
        default_factory=list,
        max_length=MAX_FILTER_ITEMS,
        description="The article reports an event of any of these types.",
        examples=[["arms_deal"]],
    )
    sources: list[str] = Field(
        default_factory=list,
        max_length=MAX_FILTER_ITEMS,
        description="Source names, any of them (case-insensitive).",
        examples=[["DW"]],
    )
    section: str | None = Field(
        default=None, max_length=200, description="Section (case-insensitive).", examples=[None]
    )
    tag: str | None = Field(
        default=None, max_length=200, description="A tag (case-insensitive).", examples=[None]
    )
    language: str | None = Field(
        default=None, max_length=16, description="Language code.", examples=["en"]
    )
    published_from: date | None = Field(
        default=None, description="Published on or after this day (UTC).", examples=[None]
    )
    published_to: date | None = Field(
        default=None, description="Published on or before this day (UTC).", examples=[None]
    )


class WatchCreate(WatchFilters):
    """A saved search: `q` in the `/v1/articles` syntax and/or filters, an optional webhook."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, max_length=200, description="A label for you.", examples=["Belarus arms"]
    )
    q: str | None = Field(
        default=None,
        max_length=2000,
        description='Web-search syntax, as `q` of `/v1/articles`: words, `"phrase"`, `OR`, '
        "`-word`. Optional when a filter is given.",
        examples=['lukashenko "arms deal"'],
    )
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        description="http(s) URL that receives a signed POST per match. Loopback, private, "
        "link-local and metadata addresses are refused unless the server allows them.",
        examples=["https://hooks.example.org/newskb"],
    )


class WatchUpdate(Schema):
    """Only the fields sent change; `webhook_url: null` removes the webhook."""

    model_config = ConfigDict(extra="forbid")

    status: WatchStatus | None = Field(
        default=None,
        description="`paused` stops webhook deliveries (matches are still recorded); `active` "
        "resumes them, sending what is pending.",
        examples=["active"],
    )
    name: str | None = Field(default=None, max_length=200, examples=["Belarus arms"])
    webhook_url: str | None = Field(
        default=None, max_length=2048, examples=["https://hooks.example.org/newskb"]
    )


class WatchRead(Schema):
    id: int = Field(examples=[1])
    name: str | None = Field(description="The label given at creation.", examples=["Belarus"])
    q: str | None = Field(description="The saved query.", examples=['lukashenko "arms deal"'])
    filters: WatchFilters = Field(description="The saved filters.")
    webhook_url: str | None = Field(
        description="Where matches are POSTed; null: pull only.",
        examples=["https://hooks.example.org/newskb"],
    )
    status: WatchStatus = Field(
        description="`paused` after too many failed deliveries or by a client; matches are "
        "still recorded while paused.",
        examples=["active"],
    )
    paused_reason: str | None = Field(
        description="Why it is paused.", examples=["Paused by a client."]
    )
    consecutive_failures: int = Field(
        description="Failed delivery attempts since the last success.", examples=[0]
    )
    created_at: datetime = Field(description="Only articles ingested after it match.")
    updated_at: datetime


class WatchCreated(WatchRead):
    secret: str = Field(
        description="Signs every delivery (HMAC-SHA256). Shown only in this answer: keep it.",
        examples=["whsec_3q2+796tvu0a-ThisIsAnExampleOnly"],
    )


class WatchMatchRead(Schema):
    id: int = Field(description="Match id (increasing: the order of the list).", examples=[1])
    matched_at: datetime = Field(description="When the article was ingested and matched.")
    article: ArticleSummary


class WatchMatchPage(Schema):
    items: list[WatchMatchRead] = Field(description="Matches, oldest first.")
    next_cursor: str | None = Field(description="The next page; null on the last page.")
    resume_cursor: str | None = Field(
        description="Pass as `cursor` later to get only the matches recorded since; null "
        "when the list is empty."
    )


class WatchDeliveryRead(Schema):
    id: int = Field(description="Delivery id (the `NewsKB-Delivery` header).", examples=[1])
    match_id: int = Field(description="The match delivered.", examples=[1])
    status: Literal["pending", "delivered", "failed"] = Field(
        description="`pending` (due at `next_attempt_at`), `delivered`, or `failed` (every "
        "attempt failed).",
        examples=["delivered"],
    )
    attempts: int = Field(description="Attempts made so far.", examples=[1])
    next_attempt_at: datetime | None = Field(description="When it is tried next, if pending.")
    last_attempt_at: datetime | None = Field(description="When it was last tried.")
    response_status: int | None = Field(
        description="The HTTP status of the last answer (null: none).", examples=[204]
    )
    error: str | None = Field(
        description="Why the last attempt failed.", examples=["No answer within 5 s."]
    )
    created_at: datetime = Field(description="When the match queued it.")
    delivered_at: datetime | None = Field(description="When the receiver answered 2xx.")

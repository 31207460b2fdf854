from datetime import date

from pydantic import Field

from app.schemas.common import Schema
from app.schemas.entities import EntityRef, SpanRead
from app.schemas.facts import AmountRead


class ParticipantRead(Schema):
    entity: EntityRef
    role: str = Field(examples=["buyer"])


class EventRead(Schema):
    id: int = Field(examples=[3])
    type: str = Field(examples=["arms_deal"])
    status: str = Field(description="occurred, ongoing or expected", examples=["expected"])
    summary: str = Field(examples=["Belarus plans to buy $1 billion of weapons from Russia"])
    date_start: date | None = Field(examples=["2021-09-12"])
    date_end: date | None = Field(examples=["2025-12-31"])
    date_precision: str | None = Field(examples=["year"])
    location: EntityRef | None = None
    participants: list[ParticipantRead] = Field(default_factory=list)
    amounts: list[AmountRead] = Field(default_factory=list)
    evidence: list[SpanRead] = Field(default_factory=list)

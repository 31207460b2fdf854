from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from app.schemas.common import Schema


class EntityRef(Schema):
    id: int = Field(examples=[7])
    name: str = Field(examples=["Alexander Lukashenko"])
    type: str = Field(examples=["person"])


class EntitySummary(EntityRef):
    aliases: list[str] = Field(
        default_factory=list, description="Surface forms seen", examples=[["Lukashenko"]]
    )
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-2, countries")

    @field_validator("aliases", mode="before")
    @classmethod
    def _alias_texts(cls, value: Any) -> Any:
        return sorted({getattr(a, "alias", a) for a in value}) if value is not None else []

    mention_count: int = Field(default=0, description="Times it is named", examples=[12])
    article_count: int = Field(default=0, description="Articles naming it", examples=[3])
    last_seen: datetime | None = Field(
        default=None,
        description="Date of the newest article mentioning it (published, else ingested)",
        examples=["2021-09-12T00:00:00Z"],
    )


class RelatedEntity(EntitySummary):
    shared_articles: int = Field(
        description="Articles that mention both entities, among the newest articles of the "
        "entity asked about (see the endpoint)",
        examples=[4],
    )


class RoleRead(Schema):
    title: str = Field(examples=["Prime Minister"])
    qualifier: str | None = Field(
        default=None,
        description="When or how the title is held, as the text says: former (also for "
        "ex-), then, acting, interim, outgoing, incoming, caretaker or late; null when unsaid.",
        examples=["former"],
    )
    person: EntityRef
    of: EntityRef | None = Field(description="The country or organization, when stated.")
    evidence: "SpanRead"

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        """A stored role is its own evidence: it carries the span it was read from."""
        if hasattr(data, "person_id"):
            return {
                "title": data.title,
                "qualifier": data.qualifier,
                "person": data.person,
                "of": data.of,
                "evidence": data,
            }
        return data


class RoleSummary(RoleRead):
    """One distinct role (title + of + qualifier) of a person, with its newest statement as
    evidence."""

    evidence_count: int = Field(
        description="Statements of this role (each with its evidence span)", examples=[12]
    )
    article_count: int = Field(description="Articles that state it", examples=[9])


class SpanRead(Schema):
    article_id: int = Field(examples=[1])
    text: str = Field(description="The exact text of the span", examples=["Polish Prime Minister"])
    start: int = Field(examples=[1604])
    end: int = Field(examples=[1647])
    zone: str = Field(description="body, subhead, title, teaser or caption", examples=["body"])
    zone_index: int = Field(default=0, description="Which image, for captions")
    sentence: int = Field(default=0)
    confidence: float = Field(default=1.0, examples=[0.9])
    extractor_version: str = Field(examples=["0.2.2"])


class EntityRead(EntitySummary):
    description: str | None = Field(default=None, examples=["President of Belarus since 1994"])
    wikidata_id: str | None = Field(default=None, examples=["Q167"])
    curated: bool = Field(
        default=False, description="Edited or merged by a curator: ingests keep its name"
    )
    stands_for: EntityRef | None = Field(
        default=None, description="The state a place stands for (the Kremlin → Russia)."
    )
    roles: list[RoleSummary] = Field(
        default_factory=list,
        description="Distinct roles (title + of + qualifier), most stated first, at most 20; "
        "`evidence` is the newest statement of each. Every statement: "
        "`GET /v1/entities/{id}/roles`.",
    )
    role_count: int = Field(
        default=0, description="Distinct roles in all (more than `roles` lists when capped)"
    )
    created_at: datetime
    updated_at: datetime


class MentionRead(Schema):
    text: str = Field(examples=["Lukashenko"])
    start: int = Field(examples=[412])
    end: int = Field(examples=[422])
    sentence: int = Field(examples=[3])
    zone: str = Field(examples=["body"])
    zone_index: int = 0
    confidence: float = 1.0
    extractor_version: str = Field(examples=["0.2.2"])
    entity: EntityRef


RoleRead.model_rebuild()
RoleSummary.model_rebuild()

"""Request and answer of ``POST /v1/match`` (watchlist screening)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, StringConstraints

from app.schemas.common import Schema

if TYPE_CHECKING:
    from app.kb.screening import Screening

NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Reason = Literal["exact", "folded", "transliteration", "token_order", "initials", "edit_distance"]


class NameQueryIn(Schema):
    name: NameText = Field(description="The name to screen", examples=["Aliaksandr Lukashenka"])
    kind: Literal["person", "organization"] = Field(
        description="What the name denotes: entities of this type only", examples=["person"]
    )
    country: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="ISO 3166-1 code (alpha-2 or alpha-3) or English name. An entity whose "
        "known country differs scores 0.1 lower; one that agrees ranks first among equals.",
        examples=["BY"],
    )
    aliases: list[NameText] = Field(
        default_factory=list,
        max_length=20,
        description="Other names of the same person or organization, screened too",
        examples=[["Lukashenko"]],
    )


class MatchRequest(Schema):
    names: list[NameQueryIn] = Field(
        min_length=1, max_length=500, description="Up to 500 names, answered in this order"
    )
    limit: int = Field(default=5, ge=1, le=50, description="Matches per name, best first")
    threshold: float = Field(
        default=0.7, ge=0, le=1, description="Lowest score of a match (0 to 1)", examples=[0.7]
    )


class NameMatch(Schema):
    id: int = Field(examples=[7])
    name: str = Field(examples=["Alexander Lukashenko"])
    type: str = Field(examples=["person"])
    score: float = Field(description="1 for the same text; see `reason`", examples=[0.95])
    reason: Reason = Field(
        description="Why it matched, strictest first: `exact` (same text), `folded` (case, "
        "accents, punctuation), `transliteration` (to ASCII), `token_order` (same words), "
        '`initials` ("V. Putin", "NATO"), `edit_distance` (a few letters apart)',
        examples=["edit_distance"],
    )
    matched: str = Field(
        description="The entity's name or alias that matched", examples=["Lukashenko"]
    )
    query: str = Field(description="The query's name or alias that matched")
    country_match: bool | None = Field(
        description="Whether the entity's known country (its own, or its roles') is the "
        "query's; null when either is unknown",
        examples=[None],
    )


class NameResult(Schema):
    name: str = Field(examples=["Aliaksandr Lukashenka"])
    kind: str = Field(examples=["person"])
    country: str | None = Field(description="The query's country as ISO alpha-2", examples=["BY"])
    matches: list[NameMatch]


class MatchResponse(Schema):
    results: list[NameResult] = Field(description="One per name, in the request's order")
    entities: int = Field(description="People and organizations screened against", examples=[120])

    @classmethod
    def of(cls, screening: Screening) -> MatchResponse:
        """The answer of ``POST /v1/match`` and of ``newskb match --json``."""
        return cls(
            results=[
                NameResult(
                    name=r.query.name,
                    kind=r.query.kind,
                    country=r.country_code,
                    matches=[NameMatch.model_validate(m) for m in r.matches],
                )
                for r in screening.results
            ],
            entities=screening.entities,
        )

"""Request bodies of the curation endpoints."""

from typing import Annotated

from pydantic import Field, StringConstraints

from app.schemas.common import Schema

AliasText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class EntityUpdate(Schema):
    """Fields to change; leave a field out to keep it. `null` clears description or wikidata_id."""

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = Field(
        default=None,
        description="The canonical name; later ingests keep it",
        examples=["Alexander Lukashenko"],
    )
    description: str | None = Field(
        default=None, max_length=5000, examples=["President of Belarus since 1994"]
    )
    wikidata_id: str | None = Field(
        default=None,
        pattern=r"^Q[1-9][0-9]{0,11}$",
        description="A Wikidata item id (Q-number)",
        examples=["Q167"],
    )
    add_aliases: list[AliasText] = Field(
        default_factory=list, max_length=100, examples=[["A. Lukashenko"]]
    )
    remove_aliases: list[AliasText] = Field(
        default_factory=list, max_length=100, examples=[["Lukaschenko"]]
    )


class MergeRequest(Schema):
    into: int = Field(
        ge=1, le=2**31 - 1, description="The entity that absorbs this one", examples=[7]
    )

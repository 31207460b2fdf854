from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

# Ids are 32-bit integers: a larger one in a path, a query or a body fails in SQL, so every
# id parameter stops at this.
MAX_ID = 2**31 - 1


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Schema, Generic[T]):
    items: list[T] = Field(description="One page of results, in the list's stable order.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page.",
        examples=["q2V0aWNsZXM6LXB1Ymxpc2hlZF9hdCIsWyIyMDIxLTA5LTEyIiw0Ml1d"],
    )


class FieldError(Schema):
    loc: list[str | int] = Field(description="Where the error is (body, query, path...).")
    msg: str
    type: str


class Problem(Schema):
    """An RFC 9457 problem details object."""

    type: str = Field(examples=["https://newskb.dev/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["Article 42 does not exist."])
    instance: str | None = Field(default=None, examples=["/v1/articles/42"])
    errors: list[FieldError] = Field(default_factory=list)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for status, text in {
        400: "Bad request (a malformed cursor or query)",
        404: "Not found",
        422: "Invalid input",
    }.items()
}

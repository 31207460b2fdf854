"""The change feed's items."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.schemas.common import Schema


class ChangeRead(Schema):
    seq: int = Field(description="Position in the feed (increasing)", examples=[118])
    at: datetime = Field(description="When the change committed", examples=["2021-09-12T08:00:00Z"])
    kind: Literal["article", "entity"] = Field(examples=["entity"])
    id: int = Field(description="Id of the article or entity", examples=[7])
    action: Literal["created", "updated", "merged", "deleted"] = Field(
        description="`deleted` is a tombstone: the object is gone", examples=["merged"]
    )
    merged_into: int | None = Field(
        default=None, description="For `merged`: the surviving entity", examples=[3]
    )
    href: str | None = Field(
        description="Where to read the object now (null for a tombstone)",
        examples=["/v1/entities/3"],
    )


class ChangePage(Schema):
    items: list[ChangeRead] = Field(description="Changes in feed order")
    next_cursor: str | None = Field(
        description="Pass as `since` (or `cursor`) for the next page; null when caught up",
        examples=[None],
    )
    resume_cursor: str | None = Field(
        description="Pass as `since` later to get only what changed after this page, "
        "even when caught up",
        examples=["q2V0aWNsZXM6LXB1Ymxpc2hlZF9hdCIsWyIyMDIxLTA5LTEyIiw0Ml1d"],
    )

"""The texts an article has had: its current one and the earlier ones at the same URL."""

from datetime import datetime

from pydantic import Field

from app.schemas.common import Schema


class ArticleVersionSummary(Schema):
    number: int = Field(description="1 for the first text ingested, then 2, 3...", examples=[1])
    current: bool = Field(description="This is the article's current text.", examples=[False])
    content_hash: str = Field(description="SHA-256 of the cleaned text.")
    title: str | None = Field(examples=["Lukashenko plans $1bn arms deal with Russia"])
    word_count: int = Field(examples=[512])
    extractor_version: str = Field(
        description="The extractor that read this text (facts are kept for the current one only)."
    )
    ingested_at: datetime = Field(description="When this text came in.")
    replaced_at: datetime | None = Field(
        description="When a newer text replaced it; null for the current text."
    )


class ArticleVersionRead(ArticleVersionSummary):
    teaser: str | None
    published_at: datetime | None
    body: str = Field(description="The cleaned text of this version.")

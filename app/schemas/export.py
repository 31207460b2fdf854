"""The JSON Lines export: one article per line with every fact and its span."""

from pydantic import Field

from app.schemas.articles import ArticleRead
from app.schemas.entities import MentionRead


class ArticleExport(ArticleRead):
    content_hash: str = Field(
        description="SHA-256 of the cleaned body (whitespace folded, casefolded): the dedup key"
    )
    mentions: list[MentionRead] = Field(
        default_factory=list, description="Every entity mention, in reading order"
    )

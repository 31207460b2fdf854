from datetime import datetime
from typing import Literal, Self

from pydantic import AnyHttpUrl, Field, computed_field, model_validator

from app.extract.languages import extraction_status
from app.schemas.common import Schema
from app.schemas.entities import EntityRef, RoleRead
from app.schemas.events import EventRead
from app.schemas.facts import AmountRead, QuoteRead, TimexRead

SEED_TEXT_EXAMPLE = (
    "Lukashenko plans $1bn arms deal with Russia\n\nSeptember 12, 2021\n\n"
    "Belarusian President Alexander Lukashenko visited the Zapad military exercises underway "
    "with Russia Sunday and announced his country's plans to acquire $1 billion (€850 million) "
    "worth of weapons from Russia by 2025."
)


class ArticleCreate(Schema):
    """An article to ingest: scraped page text or HTML, plus what you know about it."""

    text: str | None = Field(
        default=None,
        description="The article as plain text (as scraped from a news page is fine).",
        examples=[SEED_TEXT_EXAMPLE],
    )
    html: str | None = Field(default=None, description="The article page as HTML.")
    url: AnyHttpUrl | None = Field(default=None, examples=["https://p.dw.com/p/40DrA"])
    title: str | None = Field(default=None, max_length=1000)
    published_at: datetime | None = Field(default=None, examples=["2021-09-12T00:00:00Z"])
    source: str | None = Field(default=None, max_length=200, examples=["DW"])
    language: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$",
        max_length=16,
        description="The article's language as a BCP 47 tag (`fr`, `pt-BR`); it wins over the "
        "detected one. Only the primary subtag is kept.",
        examples=["fr"],
    )

    @model_validator(mode="after")
    def _text_or_html(self) -> Self:
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of `text` or `html`")
        return self


class SourceRead(Schema):
    name: str = Field(examples=["DW"])
    domain: str | None = Field(examples=["dw.com"])


class ImageRead(Schema):
    caption: str
    credit: str | None = Field(examples=["BelTA/AP Photo/picture alliance"])


class ArticleSummary(Schema):
    id: int = Field(examples=[1])
    url: str | None = Field(examples=["https://p.dw.com/p/40DrA"])
    title: str | None = Field(examples=["Lukashenko plans $1bn arms deal with Russia"])
    teaser: str | None
    source: SourceRead | None
    section: str | None = Field(examples=["Politics"])
    tags: list[str] = Field(examples=[["Belarus"]])
    published_at: datetime | None
    language: str = Field(
        description="ISO 639 code: the one the client gave, else the one detected.",
        examples=["en"],
    )
    word_count: int = Field(examples=[512])
    ingested_at: datetime
    extractor_version: str


class ExtractionRead(Schema):
    """What extraction did with the article, given its language."""

    status: Literal["extracted", "skipped"] = Field(
        description="`skipped`: no pipeline reads the article's language, so no facts were "
        "extracted (the article is stored and searchable).",
        examples=["extracted"],
    )
    extracts: list[str] = Field(
        description="The kinds of facts the language's pipeline extracts.",
        examples=[["entities", "roles", "timexes", "amounts", "quotes", "events"]],
    )
    reason: str | None = Field(
        default=None,
        description="Why nothing was extracted, when skipped.",
        examples=["no pipeline for language 'de'"],
    )


class ArticleEntity(EntityRef):
    mention_count: int = Field(description="Mentions in this article", examples=[9])


class ArticleRead(ArticleSummary):
    dateline: str | None = Field(
        description='The place of the dateline that opened the story ("LOS ANGELES (Reuters) -").',
        examples=["LOS ANGELES"],
    )
    authors: list[str] = Field(examples=[["ar", "mm"]])
    agencies: list[str] = Field(examples=[["AFP", "Reuters"]])
    images: list[ImageRead]
    subheads: list[str]
    body: str = Field(description="The cleaned body; every offset points into it.")
    duplicate_of: int | None = Field(
        default=None,
        description="The first copy of this story (another URL, near-identical text); null "
        "when this article is the first or has no copy. See the duplicates guide.",
        examples=[None],
    )
    similarity: float | None = Field(
        default=None,
        description="Estimated Jaccard similarity (0 to 1) of this text's word shingles and "
        "those of `duplicate_of`; null when `duplicate_of` is.",
        examples=[None],
    )
    version: int = Field(
        default=1,
        description="The number of the current text: 1, or more once new texts came at the "
        "same URL (`GET /v1/articles/{id}/versions`).",
        examples=[1],
    )
    entities: list[ArticleEntity] = Field(default_factory=list)
    roles: list[RoleRead] = Field(default_factory=list)
    timexes: list[TimexRead] = Field(default_factory=list)
    amounts: list[AmountRead] = Field(default_factory=list)
    quotes: list[QuoteRead] = Field(default_factory=list)
    events: list[EventRead] = Field(default_factory=list)

    @computed_field(  # type: ignore[prop-decorator]
        description="Which facts the article's language gets, or that none were extracted and "
        "why (it follows from `language`)."
    )
    @property
    def extraction(self) -> ExtractionRead:
        found = extraction_status(self.language)
        return ExtractionRead(
            status=found.status, extracts=list(found.extracts), reason=found.reason
        )

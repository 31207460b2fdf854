from datetime import date

from pydantic import Field

from app.schemas.common import Schema
from app.schemas.entities import EntityRef


class TimexRead(Schema):
    text: str = Field(examples=["Monday"])
    start: int
    end: int
    zone: str = "body"
    value: str | None = Field(
        description="ISO 8601: a day, month, year, or start/end", examples=["2021-09-13"]
    )
    precision: str = Field(examples=["day"])
    anchor: date | None = Field(description="The date it was resolved against")
    range_start: date | None = None
    range_end: date | None = None
    imputed: bool = Field(description="The year was not written and was inferred")
    ambiguous: bool = Field(description="More than one reading is reasonable")
    confidence: float = 1.0


class AmountRead(Schema):
    text: str = Field(examples=["$1 billion"])
    start: int
    end: int
    zone: str = "body"
    value: float = Field(examples=[1e9])
    unit: str = Field(description="ISO 4217 code for money, else the noun", examples=["USD"])
    kind: str = Field(
        description="money, count, percent, quantity or rate (the unit names the base: "
        "'cases per 100,000 people', 'USD per gallon')",
        examples=["money"],
    )
    same_as_group: int | None = Field(
        default=None, description="Amounts of one article with the same number state one quantity"
    )
    approximate: bool = Field(
        default=False,
        description="A vague or hedged figure: 'hundreds of thousands' (the lower round value), "
        "'dozens', 'about 300'",
    )
    event_id: int | None = None


class QuoteRead(Schema):
    id: int
    article_id: int
    text: str = Field(examples=["We are not aiming our rockets at neighboring countries"])
    speaker: EntityRef | None
    speaker_description: str | None = Field(
        default=None,
        description="An unnamed speaker as the text describes them; null when the speaker is named",
        examples=["a spokesperson for the ministry"],
    )
    channel: str | None = Field(examples=["the Telegram channel of the Belarusian presidency"])
    direct: bool = Field(description="False for a short partial quote")
    start: int
    end: int
    zone: str = "body"
    confidence: float = 1.0

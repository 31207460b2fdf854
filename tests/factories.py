"""Small builders of extraction results, so kb tests do not depend on the NLP model."""

from datetime import UTC, date, datetime

from app.extract import types as x
from app.extract.pipeline import EXTRACTOR_VERSION, content_hash


def span_of(body: str, needle: str, zone: x.Zone = "body") -> x.Span:
    start = body.index(needle)
    return x.Span(start, start + len(needle), zone)


def entity(body: str, key: str, type: x.EntityType, name: str, *surfaces: str) -> x.Entity:
    forms = surfaces or (name,)
    return x.Entity(
        key=key,
        type=type,
        name=name,
        mentions=tuple(x.Mention(s, span_of(body, s)) for s in forms),
        aliases=tuple(s for s in forms if s != name),
        country_code={"Russia": "RU", "Belarus": "BY", "Poland": "PL"}.get(name),
    )


def meeting_article(
    body: str = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday.",
    *,
    day: date = date(2021, 9, 9),
    url: str | None = None,
) -> x.ExtractedArticle:
    """An article where two people meet in Russia on ``day``."""
    parsed = x.ParsedArticle(
        body=body,
        title="Leaders meet",
        url=url,
        published_at=datetime(2021, 9, 12, tzinfo=UTC),
        source_name="Test Wire",
        language="en",  # what detection finds in a real ingest
    )
    putin = entity(body, "p", "person", "Vladimir Putin")
    lukashenko = entity(body, "l", "person", "Alexander Lukashenko")
    russia = entity(body, "r", "country", "Russia")
    sentence = body.split(".")[0]
    event = x.Event(
        type="meeting",
        status="occurred",
        summary="Vladimir Putin meets Alexander Lukashenko",
        evidence=(span_of(body, sentence),),
        evidence_text=(sentence,),
        participants=(x.Participant("p", "agent"), x.Participant("l", "counterpart")),
        location_key="r",
        date_start=day,
        date_end=day,
        date_precision="day",
    )
    return x.ExtractedArticle(
        parsed=parsed,
        content_hash=content_hash(parsed),
        extractor_version=EXTRACTOR_VERSION,
        entities=(putin, lukashenko, russia),
        roles=(x.Role("p", "President", "r", span_of(body, "Vladimir Putin"), "Vladimir Putin"),),
        timexes=(
            x.Timex(
                "Thursday",
                span_of(body, "Thursday"),
                day.isoformat(),
                "day",
                date(2021, 9, 12),
                range_start=day,
                range_end=day,
            ),
        ),
        events=(event,),
    )

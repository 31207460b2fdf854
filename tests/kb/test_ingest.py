import dataclasses
import re
from datetime import date

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.db.models import (
    Article,
    Entity,
    EntityAlias,
    Event,
    EventEvidence,
    Mention,
    Role,
    Source,
    Timex,
)
from app.errors import NotFound
from app.extract import types as x
from app.kb import ingest as kb_ingest
from tests.factories import meeting_article


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_ingest_stores_article_and_every_fact(session: Session) -> None:
    result = kb_ingest.ingest_article(session, meeting_article())
    assert result.created
    assert count(session, Article) == 1
    assert count(session, Entity) == 3
    assert count(session, Mention) == 3
    assert count(session, Role) == 1
    assert count(session, Timex) == 1
    assert count(session, Event) == 1
    assert count(session, EventEvidence) == 1
    assert session.scalar(select(Source.name)) == "Test Wire"


def test_ingest_stores_a_role_qualifier(session: Session) -> None:
    article = meeting_article()
    former = dataclasses.replace(article.roles[0], qualifier="former")
    kb_ingest.ingest_article(session, dataclasses.replace(article, roles=(former,)))
    assert session.scalars(select(Role.qualifier)).all() == ["former"]


def test_reingest_same_article_creates_nothing(session: Session) -> None:
    first = kb_ingest.ingest_article(session, meeting_article())
    tables = (Article, Entity, EntityAlias, Mention, Event, EventEvidence, Timex)
    before = {model: count(session, model) for model in tables}
    second = kb_ingest.ingest_article(session, meeting_article())
    assert not second.created
    assert second.article.id == first.article.id
    assert {model: count(session, model) for model in tables} == before


def test_same_url_with_other_text_returns_the_stored_article(session: Session) -> None:
    url = "https://example.org/news/1"
    first = kb_ingest.ingest_article(session, meeting_article(url=url))
    other = meeting_article("Vladimir Putin met Alexander Lukashenko in Russia. Thursday.", url=url)
    second = kb_ingest.ingest_article(session, other)
    assert not second.created
    assert second.article.id == first.article.id
    assert count(session, Article) == 1


def test_entities_are_shared_between_articles(session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    kb_ingest.ingest_article(
        session,
        meeting_article("Vladimir Putin hosted Alexander Lukashenko in Russia on Thursday."),
    )
    assert count(session, Article) == 2
    assert count(session, Entity) == 3
    russia = session.scalars(select(Entity).where(Entity.name == "Russia")).one()
    assert russia.country_code == "RU"


def test_same_event_from_two_articles_is_one_event_with_two_evidence(session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    kb_ingest.ingest_article(
        session,
        meeting_article("Vladimir Putin hosted Alexander Lukashenko in Russia on Thursday."),
    )
    assert count(session, Event) == 1
    assert count(session, EventEvidence) == 2


def test_events_on_different_dates_stay_apart(session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    kb_ingest.ingest_article(
        session,
        meeting_article(
            "Vladimir Putin hosted Alexander Lukashenko in Russia on Thursday.",
            day=date(2021, 3, 1),
        ),
    )
    assert count(session, Event) == 2


EVENTS = re.compile(r"\bevents\b")  # the table, not entity_events


def _with_events(article: x.ExtractedArticle, *events: x.Event) -> x.ExtractedArticle:
    return dataclasses.replace(article, events=events)


def _meeting_on(article: x.ExtractedArticle, day: date, summary: str) -> x.Event:
    return dataclasses.replace(article.events[0], summary=summary, date_start=day, date_end=day)


def test_two_reports_of_one_event_in_an_article_are_one_event(session: Session) -> None:
    article = meeting_article()
    again = _meeting_on(article, date(2021, 9, 9), "Putin and Lukashenko meet again")
    kb_ingest.ingest_article(session, _with_events(article, article.events[0], again))
    assert count(session, Event) == 1
    assert count(session, EventEvidence) == 2


def test_an_article_joins_stored_events_and_adds_new_ones(session: Session) -> None:
    kb_ingest.ingest_article(session, meeting_article())
    article = meeting_article("Vladimir Putin hosted Alexander Lukashenko in Russia on Thursday.")
    later = _meeting_on(article, date(2021, 10, 1), "They meet again in October")
    kb_ingest.ingest_article(session, _with_events(article, article.events[0], later))
    dates = session.scalars(select(Event.date_start).order_by(Event.date_start)).all()
    assert dates == [date(2021, 9, 9), date(2021, 10, 1)]
    assert count(session, EventEvidence) == 3


def test_one_query_finds_the_stored_events_of_one_report_or_five(
    session: Session,
) -> None:
    """The stored events every report may join come in one query, not one per event."""
    article = meeting_article()
    kb_ingest.ingest_article(session, article)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    def event_statements(extracted: x.ExtractedArticle) -> int:
        statements.clear()
        event.listen(session.get_bind(), "before_cursor_execute", record)
        try:
            kb_ingest.ingest_article(session, extracted)
        finally:
            event.remove(session.get_bind(), "before_cursor_execute", record)
        # Not the article answers the ingest stores (``app.kb.answers``): one bundle each.
        looks = [s for s in statements if s.startswith("SELECT") and "bundle_part" not in s]
        return sum(bool(EVENTS.search(s)) for s in looks)

    one = meeting_article("Vladimir Putin welcomed Alexander Lukashenko in Russia on Thursday.")
    five = meeting_article("Vladimir Putin received Alexander Lukashenko in Russia on Thursday.")
    days = [date(2021, 9, 9), date(2021, 10, 1), date(2021, 11, 1), date(2021, 12, 1)]
    five = _with_events(five, *(_meeting_on(five, d, f"meeting {d}") for d in [*days, days[-1]]))
    assert event_statements(one) == event_statements(five) == 1


def test_failed_ingest_writes_nothing(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> dict[int, int]:
        raise RuntimeError("boom in the middle of the ingest")

    monkeypatch.setattr(kb_ingest, "_store_events", explode)
    with pytest.raises(RuntimeError):
        kb_ingest.ingest_article(session, meeting_article())
    assert count(session, Article) == 0
    assert count(session, Mention) == 0
    assert count(session, Entity) == 0


def test_delete_article_removes_its_facts_and_orphan_events(session: Session) -> None:
    article = kb_ingest.ingest_article(session, meeting_article()).article
    kb_ingest.delete_article(session, article.id)
    assert count(session, Article) == 0
    assert count(session, Mention) == 0
    assert count(session, Event) == 0


def test_delete_keeps_events_other_articles_report(session: Session) -> None:
    first = kb_ingest.ingest_article(session, meeting_article()).article
    kb_ingest.ingest_article(
        session,
        meeting_article("Vladimir Putin hosted Alexander Lukashenko in Russia on Thursday."),
    )
    kb_ingest.delete_article(session, first.id)
    assert count(session, Event) == 1
    assert count(session, EventEvidence) == 1


def test_delete_unknown_article_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        kb_ingest.delete_article(session, 999_999)


def test_replace_facts_swaps_them_for_the_new_version(session: Session) -> None:
    article = kb_ingest.ingest_article(session, meeting_article()).article
    newer = meeting_article()
    newer = type(newer)(
        parsed=newer.parsed,
        content_hash=newer.content_hash,
        extractor_version="9.9.9",
        entities=newer.entities[:1],
    )
    kb_ingest.replace_facts(session, article.id, newer)
    assert count(session, Mention) == 1
    assert count(session, Event) == 0
    assert session.scalar(select(Article.extractor_version)) == "9.9.9"
    assert set(session.scalars(select(Mention.extractor_version))) == {"9.9.9"}


def test_main_event_mark_and_trigger_word_are_stored(session: Session) -> None:
    """The article's main event marks its evidence (events are shared between articles, the
    mark is the article's); the trigger word says what the event is."""
    article = meeting_article()
    main = dataclasses.replace(article.events[0], main=True, trigger="meet")
    kb_ingest.ingest_article(session, dataclasses.replace(article, events=(main,)))
    assert session.scalar(select(Event.trigger)) == "meet"
    assert session.scalars(select(EventEvidence.main)).all() == [True]
    other = meeting_article("Vladimir Putin met Alexander Lukashenko in Russia. Thursday.")
    kb_ingest.ingest_article(session, other)  # reports the same meeting, not as its main event
    marks = session.execute(select(EventEvidence.article_id, EventEvidence.main)).all()
    assert sorted(main for _, main in marks) == [False, True]

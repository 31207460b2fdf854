"""The dialect-aware SQL helpers, on the configured backend."""

import math
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from app.db.models import Amount, Change, Source, Timex
from app.kb.ingest import ingest_article
from app.kb.sql.dialect import insert_ignore, insert_rows
from tests.factories import meeting_article

SOURCES: Table = Source.__table__  # type: ignore[assignment]
TIMEXES: Table = Timex.__table__  # type: ignore[assignment]
CHANGES: Table = Change.__table__  # type: ignore[assignment]
AMOUNTS: Table = Amount.__table__  # type: ignore[assignment]


def test_insert_ignore_returns_only_the_rows_it_inserted(session: Session) -> None:
    insert_ignore(session, SOURCES, [{"name": "Old Paper", "domain": None}], ["name"])
    rows: list[dict[str, str | None]] = [
        {"name": "Old Paper", "domain": None},
        {"name": "New Paper", "domain": "new.example"},
    ]
    inserted = insert_ignore(session, SOURCES, rows, ["name"], returning=(Source.name,))
    assert [row.name for row in inserted] == ["New Paper"]
    stored = session.scalars(select(Source.name).order_by(Source.name)).all()
    assert stored == ["New Paper", "Old Paper"]


def test_insert_ignore_without_returning_returns_nothing(session: Session) -> None:
    rows: list[dict[str, str | None]] = [{"name": "Paper", "domain": None}]
    assert insert_ignore(session, SOURCES, rows, ["name"]) == []
    assert session.scalars(select(Source.name)).all() == ["Paper"]


def test_insert_rows_fills_python_defaults_and_keeps_every_value(session: Session) -> None:
    """On PostgreSQL many rows go in as column arrays: defaults must still be computed."""
    rows: list[dict[str, str | None]] = [
        {"name": f"Paper {i}", "domain": None if i % 2 else f"p{i}.example"} for i in range(5)
    ]
    assert insert_rows(session, SOURCES, rows) == []
    stored = session.execute(
        select(Source.name, Source.domain, Source.created_at).order_by(Source.name)
    ).all()
    assert [(name, domain) for name, domain, _ in stored] == [
        (row["name"], row["domain"]) for row in rows
    ]
    assert all(created is not None and created.tzinfo is not None for *_, created in stored)


def test_insert_rows_with_conflicts_and_returning_on_many_rows(session: Session) -> None:
    insert_rows(session, SOURCES, [{"name": "B", "domain": None}], conflict=["name"])
    rows: list[dict[str, str | None]] = [
        {"name": name, "domain": None} for name in ("C", "B", "A", "D")
    ]
    inserted = insert_rows(session, SOURCES, rows, conflict=["name"], returning=(Source.name,))
    assert sorted(row.name for row in inserted) == ["A", "C", "D"]
    assert session.scalars(select(Source.name).order_by(Source.name)).all() == list("ABCD")


def test_insert_rows_of_nothing_sends_nothing(session: Session) -> None:
    assert insert_rows(session, SOURCES, [], conflict=["name"], returning=(Source.name,)) == []


def test_insert_rows_keeps_dates_times_booleans_floats_and_nulls(session: Session) -> None:
    """Values of every kind survive the trip (on PostgreSQL, through one JSON parameter)."""
    article = ingest_article(session, meeting_article()).article
    day = date(2021, 9, 9)
    rows = [
        {
            "article_id": article.id,
            "text": text,
            "value": value,
            "precision": "day",
            "anchor": None,
            "range_start": day,
            "range_end": None,
            "imputed": imputed,
            "ambiguous": False,
            "start": start,
            "end": start + 3,
            "zone": "body",
            "zone_index": 0,
            "sentence": 0,
            "confidence": confidence,
            "extractor_version": "test",
        }
        for text, value, imputed, start, confidence in [
            ('it "quoted" \\ é', "2021-09-09", True, 100, 0.25),
            ("Thursday", None, False, 200, 1.0),
        ]
    ]
    insert_rows(session, TIMEXES, rows)
    stored = session.execute(
        select(Timex.text, Timex.value, Timex.range_start, Timex.imputed, Timex.confidence)
        .where(Timex.start >= 100)
        .order_by(Timex.start)
    ).all()
    assert [tuple(row) for row in stored] == [
        ('it "quoted" \\ é', "2021-09-09", day, True, 0.25),
        ("Thursday", None, day, False, 1.0),
    ]


def test_insert_rows_stores_aware_datetimes_in_utc(session: Session) -> None:
    naive, aware = datetime(2021, 1, 2, 3, 4, 5), datetime(2021, 1, 2, 5, 4, 5, tzinfo=UTC)
    rows = [
        {"kind": "article", "object_id": 1, "action": "created", "merged_into_id": None, "at": at}
        for at in (naive, aware.astimezone(timezone(timedelta(hours=2))))
    ]
    insert_rows(session, CHANGES, rows)
    stored = session.scalars(select(Change.at).order_by(Change.id)).all()
    assert stored == [naive.replace(tzinfo=UTC), aware]


def test_insert_rows_keeps_infinite_floats(session: Session) -> None:
    """JSON has no infinity (nor NaN, which SQLite cannot store): such rows still go in."""
    article = ingest_article(session, meeting_article()).article
    rows = [
        {
            "article_id": article.id,
            "event_id": None,
            "text": text,
            "value": value,
            "unit": "USD",
            "kind": "money",
            "same_as_group": None,
            "start": start,
            "end": start + 1,
            "zone": "body",
            "zone_index": 0,
            "sentence": 0,
            "confidence": 1.0,
            "extractor_version": "test",
        }
        for text, value, start in [("a lot", math.inf, 100), ("less", -math.inf, 200)]
    ]
    insert_rows(session, AMOUNTS, rows)
    values = session.scalars(select(Amount.value).where(Amount.start >= 100).order_by(Amount.start))
    stored = list(values)
    assert stored == [math.inf, -math.inf]

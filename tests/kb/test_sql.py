"""The dialect-aware SQL helpers, on the configured backend."""

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from app.db.models import Source
from app.kb.sql import insert_ignore

SOURCES: Table = Source.__table__  # type: ignore[assignment]


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

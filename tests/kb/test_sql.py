"""The dialect-aware SQL helpers, on the configured backend."""

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from app.db.models import Source
from app.kb.sql import insert_ignore, insert_rows

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

"""Options every command shares; opening the database with a clear error when it is not ready."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.output import fail
from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session, sessionmaker

# Modules that import SQLAlchemy, Alembic or the extractor are imported where a command runs,
# so that `newskb --help` answers at once.

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        "-d",
        metavar="URL",
        help="SQLAlchemy URL of the database [default: NEWSKB_DATABASE_URL, else ./newskb.db]",
        show_default=False,
    ),
]
ProcessesOption = Annotated[
    int,
    typer.Option(
        "--processes",
        "-p",
        min=1,
        metavar="N",
        help="Processes running the NLP (spaCy nlp.pipe n_process).",
    ),
]
BatchSizeOption = Annotated[
    int,
    typer.Option(
        "--batch-size", "-b", min=1, metavar="N", help="Documents per NLP batch and per read."
    ),
]


def load_settings(database_url: str | None) -> Settings:
    """Settings from the environment, with ``--database-url`` winning when given."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    settings = get_settings()
    if database_url is not None:
        settings = settings.model_copy(update={"database_url": database_url})
    try:
        make_url(settings.database_url)
    except ArgumentError:
        fail(f"{settings.database_url!r} is not a database URL (dialect+driver://...).")
    return settings


def shown(url: str) -> str:
    """The URL as it may be printed: without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def open_engine(settings: Settings) -> Iterator[Engine]:
    from app.db.engine import make_engine

    try:
        engine = make_engine(settings.database_url)
    except Exception as exc:  # a malformed URL or a missing driver
        fail(f"cannot use the database URL {settings.database_url!r}: {exc}")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_database(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database migrated to the latest revision, else a one-line error."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    from app.db import migrate
    from app.db.engine import make_sessionmaker

    url = make_url(settings.database_url)
    file = url.database if url.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():
        # Connecting would create an empty file and then complain that it is not migrated.
        fail(f"{file} does not exist: run `newskb migrate` first.")
    with open_engine(settings) as engine:
        try:
            current = migrate.current_revision(engine)
        except OperationalError as exc:
            fail(f"cannot reach {shown(settings.database_url)}: {_first_line(exc)}")
        head = migrate.head_revision()
        if current != head:
            fail(
                f"{shown(settings.database_url)} is at revision {current or 'none'}, "
                f"not {head}: run `newskb migrate` first."
            )
        yield make_sessionmaker(engine)


def run_migrations(settings: Settings) -> str | None:
    """Upgrade to head; returns the revision the database is at afterwards."""
    from sqlalchemy.exc import OperationalError

    from app.db import migrate

    with open_engine(settings) as engine:
        try:
            migrate.upgrade(engine)
            return migrate.current_revision(engine)
        except OperationalError as exc:
            fail(f"cannot migrate {shown(settings.database_url)}: {_first_line(exc)}")


def _first_line(exc: OperationalError) -> str:
    return str(exc.orig or exc).strip().splitlines()[0]

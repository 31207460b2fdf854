"""Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL database.

The backend follows ``NEWSKB_DATABASE_URL``: unset or SQLite → SQLite files in a temp folder;
a PostgreSQL URL → a new database on that server for each call, dropped afterwards.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine

BASE_URL = os.environ.get("NEWSKB_DATABASE_URL", "sqlite://")


def backend() -> str:
    return make_url(BASE_URL).get_backend_name()


@contextmanager
def temporary_database(folder: Path, label: str) -> Iterator[str]:
    """Yield the URL of an empty database of the configured backend; drop it afterwards."""
    if backend() != "postgresql":
        yield f"sqlite:///{folder / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = make_url(BASE_URL)
    name = f"newskb_test_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_engine(folder: Path, label: str, **engine_options: Any) -> Iterator[Engine]:
    """An engine on a ``temporary_database`` migrated to head: its writes commit for real."""
    with temporary_database(folder, label) as url:
        engine = make_engine(url, **engine_options)
        try:
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back afterwards.

    The SQLAlchemy 2 "join an external transaction" recipe: the code under test may commit
    (it commits a savepoint) and the database is left as it was.
    """
    with engine.connect() as connection, connection.begin() as outer:
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        yield session
        session.close()
        if outer.is_active:
            outer.rollback()

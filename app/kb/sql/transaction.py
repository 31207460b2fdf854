"""One commit per use case: kb write functions wrap their work in ``committing``."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from app.db.engine import begin_write


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Commit when the block succeeds; roll back and re-raise on any error (no partial write).

    On SQLite the block runs in a ``BEGIN IMMEDIATE`` transaction (see ``begin_write``), so
    concurrent writers wait for each other instead of failing with "database is locked".
    """
    begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise

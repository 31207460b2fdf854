"""One commit per use case: kb write functions wrap their work in ``committing``."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Commit when the block succeeds; roll back and re-raise on any error (no partial write)."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise

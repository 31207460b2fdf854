"""One commit per use case: kb write functions wrap their work in ``committing``."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session

from app.db.engine import begin_write

_PENDING = "newskb.before_commit"
_AFTER = "newskb.after_commit"
Work = TypeVar("Work", bound=Callable[[Session], None])


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Commit when the block succeeds; roll back and re-raise on any error (no partial write).

    On SQLite the block runs in a ``BEGIN IMMEDIATE`` transaction (see ``begin_write``), so
    concurrent writers wait for each other instead of failing with "database is locked".
    The work the block left ``before_commit`` runs last, in the same transaction; what it
    left ``after_commit`` runs once the commit succeeded.
    """
    begin_write(session)
    try:
        yield session
        for work in session.info.pop(_PENDING, {}).values():
            work(session)
        session.commit()
    except BaseException:
        session.info.pop(_PENDING, None)
        session.info.pop(_AFTER, None)
        session.rollback()
        raise
    for done in session.info.pop(_AFTER, []):
        done()


def before_commit(session: Session, key: str, make: Callable[[], Work]) -> Work:
    """The work of kind ``key`` that ``committing`` runs last before the commit, made by
    ``make`` the first time this transaction asks; dropped if the transaction rolls back."""
    pending = session.info.setdefault(_PENDING, {})
    if key not in pending:
        pending[key] = make()
    work: Work = pending[key]
    return work


def after_commit(session: Session, done: Callable[[], None]) -> None:
    """Call ``done`` once this transaction (``committing``) has committed; never if it rolls
    back."""
    session.info.setdefault(_AFTER, []).append(done)

"""Is the database there: readiness for ``/readyz``, and which driver errors mean it is gone."""

from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.db.migrate import current_revision, head_revision

# Every exception the database layer raises at a caller: a lost connection or a bug.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeout)


def readiness(engine: Engine) -> tuple[bool, dict[str, Any]]:
    """Ready when the database answers and is migrated to the head revision; and the details."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return False, {
            "status": "unavailable",
            "database": "unreachable",
            "error": exc.__class__.__name__,
        }
    head = head_revision()
    if revision != head:
        return False, {
            "status": "unavailable",
            "database": "not migrated",
            "revision": revision,
            "head": head,
        }
    return True, {"status": "ok", "database": "ok", "revision": revision}


def too_expensive(exc: BaseException) -> bool:
    """A statement stopped by its time budget: the query costs too much, the database is fine.

    PostgreSQL cancels it with SQLSTATE 57014 ("canceling statement due to statement
    timeout"; a cancel by an operator has the same code and another message); SQLite's
    progress handler makes it fail with "interrupted".
    """
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "57014":
        return "statement timeout" in str(orig)
    return isinstance(exc, OperationalError) and str(orig) == "interrupted"


def lost_connection(exc: BaseException) -> bool:
    """A database error that is an outage (answer 503), not a bug (answer 500).

    Operational errors (refused, reset, timed out) and pool timeouts are outages; of the other
    driver errors, only those that invalidated the connection or failed at its interface are.
    """
    if isinstance(exc, OperationalError | PoolTimeout | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated

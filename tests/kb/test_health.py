"""Which database errors are an outage (the API answers 503) and which are a bug (500)."""

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.kb.health import DATABASE_ERRORS, lost_connection


def _driver(cls: type[DBAPIError], *, invalidated: bool = False) -> DBAPIError:
    return cls("SELECT 1", {}, sqlite3.Error("driver"), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (_driver(OperationalError), True),
        (_driver(InterfaceError), True),
        (PoolTimeout("pool exhausted"), True),
        (_driver(DBAPIError, invalidated=True), True),
        (_driver(DBAPIError), False),
        (_driver(IntegrityError), False),
        (ValueError("not a database error"), False),
    ],
)
def test_lost_connection(error: Exception, outage: bool) -> None:
    assert lost_connection(error) is outage


def test_every_database_error_reaches_a_handler() -> None:
    handled = (_driver(OperationalError), _driver(IntegrityError), PoolTimeout("pool"))
    assert all(isinstance(error, DATABASE_ERRORS) for error in handled)

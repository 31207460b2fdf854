"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(
    database_url: str,
    *,
    pool_timeout: float | None = None,
    statement_timeout_ms: int | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine with the settings each backend needs to behave like the other.

    ``pool_timeout`` bounds the wait for a pooled connection and ``statement_timeout_ms`` (on
    PostgreSQL) the time of one statement, so a stuck database gives a 503, not a hung request.
    """
    url = make_url(database_url)
    if pool_timeout is not None and url.database not in (None, "", ":memory:"):
        kwargs["pool_timeout"] = pool_timeout
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        # Bounded connect; TCP keepalives notice a vanished server within about 25 s.
        connect_args = {
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
        if statement_timeout_ms:
            connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and explicit BEGIN so SAVEPOINT and transactional DDL work.

    The BEGIN hooks are the recipe from SQLAlchemy's SQLite dialect docs: pysqlite's own
    transaction handling would otherwise commit before DDL and break savepoints.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_begin") == "immediate"
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write(session: Session) -> None:
    """Start a write transaction that takes SQLite's write lock up front (``BEGIN IMMEDIATE``).

    A SQLite transaction that reads, then writes after another connection has committed, fails
    at once with "database is locked" (its snapshot is stale; the busy timeout does not apply).
    Ending the read transaction and beginning with the lock makes concurrent writers queue on
    the busy timeout instead. On PostgreSQL this does nothing.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    end_transaction(session)
    session.connection(execution_options={"sqlite_begin": "immediate"})


def end_transaction(session: Session) -> None:
    """End the session's (read) transaction: its connection goes back to the pool.

    Called before CPU-bound work (NLP) so a slow extraction does not hold a pooled connection,
    and before a write transaction. It commits, so a caller's pending work is kept, not lost.
    """
    if session.in_transaction():
        session.commit()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)

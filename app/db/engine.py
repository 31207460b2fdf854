"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

import math
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from app.db.deadline import SqliteDeadline, Watchdog

# Execution option: the statement budget (ms) of a connection's statements, when it differs
# from the engine's (reads get a smaller one: ``Engine.execution_options``).
STATEMENT_MS = "newskb_statement_ms"
_IDLE_SINCE = "newskb_idle_since"  # ConnectionRecord.info: when the connection was last free


@dataclass(frozen=True)
class Deadlines:
    """What bounds each database call of the API (``Settings.db_*``).

    ``statement_ms`` is the default budget of one statement; the database enforces it
    (PostgreSQL ``statement_timeout``, SQLite's progress handler). A PostgreSQL server that
    does not answer at all is given ``grace_s`` more, then the client closes the connection.

    ``connection_ms`` is the budget a PostgreSQL connection is opened with (default:
    ``statement_ms``): the API opens its connections with the read budget, the budget of most
    transactions, so only a transaction with another budget (a write) spends a round trip on
    ``SET LOCAL statement_timeout``. A pooled connection is pinged at checkout only when it has
    been idle ``ping_idle_s`` or longer: one used a moment ago is taken as alive (HikariCP's
    "alive bypass window"); a statement on a connection that died since fails with the
    statement's own deadline, as it would if the server died right after the ping.
    """

    statement_ms: int = 30_000
    lock_ms: int = 5_000
    idle_in_transaction_ms: int = 300_000
    connect_s: int = 5
    grace_s: float = 2.0
    ping_s: float = 2.0
    connection_ms: int | None = None
    ping_idle_s: float = 1.0

    @property
    def opened_ms(self) -> int:
        """The ``statement_timeout`` a connection starts with."""
        return self.statement_ms if self.connection_ms is None else self.connection_ms


def make_engine(
    database_url: str,
    *,
    pool_timeout: float | None = None,
    deadlines: Deadlines | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine with the settings each backend needs to behave like the other.

    ``pool_timeout`` bounds the wait for a pooled connection and ``deadlines`` every call, so
    a stuck database gives a 503 (and a too costly statement a 422), not a hung request.
    Without ``deadlines`` (the command line) statements run as long as they need.
    """
    url = make_url(database_url)
    if pool_timeout is not None and url.database not in (None, "", ":memory:"):
        kwargs["pool_timeout"] = pool_timeout
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        if deadlines is not None:
            _sqlite_deadlines(engine, deadlines)
        return engine
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        # Bounded connect; TCP keepalives and tcp_user_timeout notice a vanished server.
        connect_args = {
            "connect_timeout": deadlines.connect_s if deadlines else 5,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 15_000,
        }
        if deadlines is not None:
            connect_args["options"] = (
                f"-c statement_timeout={int(deadlines.opened_ms)} "
                f"-c lock_timeout={int(deadlines.lock_ms)} "
                f"-c idle_in_transaction_session_timeout={int(deadlines.idle_in_transaction_ms)}"
            )
            engine = create_engine(url, connect_args=connect_args, **kwargs)
            _postgres_deadlines(engine, deadlines)
            return engine
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _budget_s(conn: Any, deadlines: Deadlines) -> float:
    return int(conn.get_execution_options().get(STATEMENT_MS, deadlines.statement_ms)) / 1000


def _postgres_deadlines(engine: Engine, deadlines: Deadlines) -> None:
    """Arm the watchdog around every statement, commit, rollback and checkout ping.

    The ping replaces ``pool_pre_ping`` (which has no deadline): a pooled connection to a
    silent server fails it, and the pool then opens a fresh one, bounded by connect_timeout.
    It is skipped for a connection opened or returned less than ``ping_idle_s`` ago.
    """
    watchdog = Watchdog()
    write_grace_s = deadlines.statement_ms / 1000 + deadlines.grace_s

    def pgconn(conn: Any) -> Any:
        return conn.connection.dbapi_connection.pgconn

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is not None and time.monotonic() - idle_since < deadlines.ping_idle_s:
            return
        watchdog.arm(dbapi_connection.pgconn, deadlines.ping_s)
        try:
            dbapi_connection.autocommit = True  # one round trip, no transaction to end
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.autocommit = False
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc
        finally:
            watchdog.disarm(dbapi_connection.pgconn)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        budget = conn.get_execution_options().get(STATEMENT_MS, deadlines.statement_ms)
        if budget != deadlines.opened_ms:
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(budget)}")

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, *_: Any) -> None:
        watchdog.arm(pgconn(conn), _budget_s(conn, deadlines) + deadlines.grace_s)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Any, *_: Any) -> None:
        watchdog.disarm(pgconn(conn))

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        dbapi_connection = getattr(context.connection, "connection", None)
        if dbapi_connection is not None and dbapi_connection.dbapi_connection is not None:
            watchdog.disarm(dbapi_connection.dbapi_connection.pgconn)

    # Commit and rollback: armed before; disarmed when the connection goes back to the pool.
    # A connection invalidated by a failed statement (the server went away: no checkout ping
    # within ``ping_idle_s`` of its last use) has nothing to arm; its rollback is local.
    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        if not conn.invalidated:
            watchdog.arm(pgconn(conn), write_grace_s)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        if not conn.invalidated:
            watchdog.arm(pgconn(conn), write_grace_s)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection: Any, *_: Any) -> None:
        watchdog.arm(dbapi_connection.pgconn, write_grace_s)

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            watchdog.disarm(dbapi_connection.pgconn)
            record.info[_IDLE_SINCE] = time.monotonic()


def _sqlite_deadlines(engine: Engine, deadlines: Deadlines) -> None:
    """Interrupt a statement past its budget (``sqlite3.OperationalError: interrupted``)."""

    @event.listens_for(engine, "connect")
    def _install(dbapi_connection: Any, record: Any) -> None:
        deadline = SqliteDeadline()
        deadline.install(dbapi_connection)
        record.info["deadline"] = deadline

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, *_: Any) -> None:
        deadline: SqliteDeadline = conn.connection.info["deadline"]
        deadline.at = time.monotonic() + _budget_s(conn, deadlines)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Any, *_: Any) -> None:
        conn.connection.info["deadline"].at = math.inf

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        connection = getattr(context.connection, "connection", None)
        if connection is not None and "deadline" in connection.info:
            connection.info["deadline"].at = math.inf


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and explicit BEGIN so SAVEPOINT and transactional DDL work.

    The BEGIN hooks are the recipe from SQLAlchemy's SQLite dialect docs: pysqlite's own
    transaction handling would otherwise commit before DDL and break savepoints. The execution
    option ``sqlite_begin`` picks ``BEGIN IMMEDIATE`` ("immediate", ``begin_write``) or no
    ``BEGIN`` at all ("none": a point read of one statement, ``app.api.deps``).
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
        begin = connection.get_execution_options().get("sqlite_begin")
        if begin == "none":  # a read of one statement: SQLite's own implicit transaction
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if begin == "immediate" else "BEGIN")


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


def make_health_engine(engine: Engine, deadlines: Deadlines) -> Engine:
    """A small pool of its own for ``/readyz``: busy API connections cannot starve it.

    An in-memory SQLite database exists in one connection only: it shares the engine.
    """
    if engine.url.database in (None, "", ":memory:"):
        return engine
    quick = Deadlines(
        statement_ms=int(deadlines.ping_s * 1000),
        lock_ms=deadlines.lock_ms,
        idle_in_transaction_ms=deadlines.idle_in_transaction_ms,
        connect_s=deadlines.connect_s,
        grace_s=deadlines.grace_s,
        ping_s=deadlines.ping_s,
    )
    return make_engine(
        engine.url.render_as_string(hide_password=False),
        pool_timeout=deadlines.ping_s,
        deadlines=quick,
        pool_size=1,
        max_overflow=1,
    )

"""Short reads sent from the event loop, without a thread hop, a session or the ORM.

For reads on every request (the read cache's version, a stored article answer), where a thread
hop and a session cost more CPU than the query: SQLite answers from a local file in tens of
microseconds, so it runs inline on a dedicated connection whose short busy timeout bounds any
wait. PostgreSQL runs on a connection whose socket the event loop watches
(``app.db.pg_channel``), with a deadline of its own (``deadline_s``, connecting included): a
server that accepts bytes but never answers must not hold the loop's requests. A failed read
drops the connection, and the reads of the next ``backoff_s`` seconds fail at once (callers
fall back to their sessions, which answer 503 on their own deadlines); then a fresh connection
is tried (the database restarted...).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from app.db.deadline import shut_socket
from app.db.pg_channel import Column, PgChannel


class LoopReads:
    """One connection's reads from the event loop: ``?`` placeholders on both databases."""

    def __init__(
        self,
        engine: Engine,
        *,
        sqlite_busy_ms: int = 200,
        postgres_timeout_ms: int = 2000,
        deadline_s: float = 2.5,
        backoff_s: float = 5.0,
    ) -> None:
        self.engine = engine
        self.sqlite_busy_ms = sqlite_busy_ms
        self.postgres_timeout_ms = postgres_timeout_ms
        self.deadline_s = deadline_s
        self.backoff_s = backoff_s
        self._connection: PoolProxiedConnection | None = None  # SQLite
        self._channel: PgChannel | None = None  # PostgreSQL
        self._failed_at = -math.inf
        self.connections = 0  # SQLite: connections opened (a data_version is per connection)

    @property
    def sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def rows(
        self,
        sql: str,
        params: Sequence[Any] = (),
        columns: Sequence[Column] = (),
        *,
        prepare: bool = True,
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement; on PostgreSQL each value is read by its column's
        function from its text form (None stays None), parameters are sent as text, and the
        statement is prepared unless ``prepare`` is false (a text made for one read)."""
        if self.sqlite:
            return self.sqlite_rows(sql, params)
        if time.monotonic() - self._failed_at < self.backoff_s:
            raise TimeoutError("a read from the event loop failed a moment ago")
        statement = numbered(sql).encode()
        values = [None if value is None else str(value).encode() for value in params]
        loop = asyncio.get_running_loop()
        if (channel := self._channel) is not None and not channel.closed and channel.loop is loop:
            # An open connection: a timer shuts its socket at the deadline, which fails the
            # query at once (a task and ``asyncio.wait`` per query were a third of its CPU).
            timer = loop.call_later(self.deadline_s, shut_socket, channel.connection.pgconn)
            try:
                return await channel.rows(statement, values, columns, prepare=prepare)
            except Exception:
                self._failed_at = time.monotonic()
                raise
            finally:
                timer.cancel()
        # Connecting too: a task the deadline can leave behind (connect has a timeout of its own).
        query = asyncio.ensure_future(self._connect_and_read(statement, values, columns, prepare))
        done, _ = await asyncio.wait({query}, timeout=self.deadline_s)
        if not done:
            # Not cancelled (psycopg would try to cancel on the server, for seconds): the
            # socket is shut, so the query fails now; its error is collected and dropped.
            channel, self._channel = self._channel, None
            if channel is not None:
                shut_socket(channel.connection.pgconn)
            query.add_done_callback(lambda task: task.cancelled() or task.exception())
            self._failed_at = time.monotonic()
            raise TimeoutError("a read from the event loop outlived its deadline")
        try:
            return query.result()
        except Exception:
            self._failed_at = time.monotonic()
            raise

    def sqlite_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._connection is None:
            connection = self.engine.raw_connection()
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={self.sqlite_busy_ms}")
            cursor.close()
            self._connection = connection
            self.connections += 1
        try:
            cursor = self._connection.cursor()
            cursor.execute(sql, tuple(params))
            rows = [tuple(row) for row in cursor.fetchall()]
            cursor.close()
        except Exception:
            self._connection.invalidate()  # a fresh one next time
            self._connection = None
            raise
        return rows

    async def _connect_and_read(
        self,
        statement: bytes,
        values: list[bytes | None],
        columns: Sequence[Column],
        prepare: bool,
    ) -> list[tuple[Any, ...]]:
        loop = asyncio.get_running_loop()
        if self._channel is not None and (self._channel.closed or self._channel.loop is not loop):
            self._drop_channel()  # failed, or made in another event loop (tests run several)
        if self._channel is None:
            import psycopg  # only PostgreSQL deployments pay for the import

            url = self.engine.url.set(drivername="postgresql")
            connection = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False),
                autocommit=True,
                connect_timeout=5,
                tcp_user_timeout=15_000,
                # Dates and times in the text form the readers parse, whatever the server's.
                # Its statements are prepared (``PgChannel``) and planned once, for any
                # parameters (tests/query/test_explain.py checks those generic plans), where
                # the server's own choice kept planning a list's page for every request
                # (0.1-0.3 ms each); small reads, so no parallel workers.
                options=f"-c statement_timeout={self.postgres_timeout_ms}"
                " -c DateStyle=ISO -c TimeZone=UTC -c plan_cache_mode=force_generic_plan"
                " -c max_parallel_workers_per_gather=0",
                # Stored answers come as text (``pg_channel.as_utf8``): in UTF-8, unconverted.
                # A keyword, not in ``options``: a client_encoding in the URL would win there.
                client_encoding="UTF8",
            )
            self._channel = PgChannel(connection)
        return await self._channel.rows(statement, values, columns, prepare=prepare)

    def close(self) -> None:
        self._drop_channel()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _drop_channel(self) -> None:
        """Close the socket without awaiting: its event loop may be gone."""
        if self._channel is not None:
            shut_socket(self._channel.connection.pgconn)  # wakes a query waiting on it
            self._channel.close()
        self._channel = None


def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1``, ``$2``... (no ``?`` in the statements' text)."""
    parts = sql.split("?")
    return "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]

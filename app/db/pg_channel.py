"""Small queries on one PostgreSQL connection, sent and read in the event loop through libpq.

The read cache asks for the knowledge base's version once per batch of requests; through an
async psycopg cursor a query of one row cost the worker about 65 µs of CPU (its generators,
a reader added to and removed from the event loop around each wait, the loaders of each
column), as much as the rest of a cached answer's middleware. Here the connection's socket
stays registered with the event loop and each query is ``send_query_params`` on the
connection's libpq handle, its rows read as text: about 25 µs.

Only for short statements whose columns the caller knows (integers and text): one query at a
time, no transaction (the connection is in autocommit), text parameters.

Each statement is prepared on the connection the first time it is sent (one more round trip,
once) and executed by name after that: the server then neither parses nor plans it again. A
page's statement (a timeline's, the list of events') took the server 0.1-0.3 ms to plan against
0.05 ms to run, and on a machine whose cores the server shares with the workers, that is CPU the
requests wait for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

Column = Callable[[bytes], Any]

# Statements kept prepared per connection: the app prepares a dozen distinct texts; past this
# many (or for a text made for one read), a statement is sent with its text each time.
PREPARED_MAX = 64


def text_column(value: bytes) -> str:
    return value.decode("utf-8")


def as_utf8(column: str) -> str:
    """A ``bytea`` column holding UTF-8 (a stored answer), sent as text: its own bytes, where
    bytea's text form is twice as long in hex and decoding it was a seventh of the CPU of a
    list's request. Read it with ``utf8_column``."""
    return f"convert_from({column}, 'UTF8')"


def utf8_column(value: bytes) -> bytes:
    """A column sent ``as_utf8``: the stored bytes as they came."""
    return value


class PgChannel:
    """One autocommit connection whose socket the event loop watches for as long as it lives.

    A failure (the socket shut by a deadline, the server gone, an error answer) closes the
    channel and fails the query in flight; the owner makes a new channel for the next one.
    """

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        from psycopg import OperationalError, pq

        self._error, self._tuples_ok = OperationalError, pq.ExecStatus.TUPLES_OK
        self._command_ok = pq.ExecStatus.COMMAND_OK
        self._connection_ok = pq.ConnStatus.OK
        self.connection = connection
        self._pgconn = connection.pgconn
        self._loop = asyncio.get_running_loop()
        self._fd = self._pgconn.socket
        self._waiting: asyncio.Future[list[Any]] | None = None
        self._results: list[Any] = []
        self._prepared: dict[bytes, bytes] = {}  # a statement's text: its name
        self._busy = False  # a statement is on its way (preparing it included)
        self.closed = False
        self._loop.add_reader(self._fd, self._on_readable)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    async def rows(
        self,
        sql: bytes,
        params: Sequence[bytes | None],
        columns: Sequence[Column],
        *,
        prepare: bool = True,
    ) -> list[tuple[Any, ...]]:
        """The rows of one statement (``$1``... placeholders), each value read by its column's
        function (None stays None); prepared unless ``prepare`` is false."""
        if self.closed:
            raise self._error("the connection was closed")
        if self._busy:
            raise RuntimeError("PgChannel runs one query at a time")
        self._busy = True
        try:
            result = await self._run(sql, params, prepare)
        finally:
            self._busy = False
        return [
            tuple(
                None if (value := result.get_value(row, index)) is None else read(value)
                for index, read in enumerate(columns)
            )
            for row in range(result.ntuples)
        ]

    async def _run(self, sql: bytes, params: Sequence[bytes | None], prepare: bool) -> Any:
        """The statement's result: by name once it is prepared (preparing it the first time)."""
        pgconn = self._pgconn
        name = self._prepared.get(sql)
        if name is None and prepare and len(self._prepared) < PREPARED_MAX:
            name = b"newskb_%d" % len(self._prepared)
            await self._exchange(partial(pgconn.send_prepare, name, sql), self._command_ok)
            self._prepared[sql] = name
        if name is None:
            send = partial(pgconn.send_query_params, sql, params)
        else:
            send = partial(pgconn.send_query_prepared, name, params)
        return await self._exchange(send, self._tuples_ok)

    async def _exchange(self, send: Callable[[], None], status: Any) -> Any:
        """Send one request, wait for its last result and check its status (a failure closes
        the channel: what the connection holds is no longer known)."""
        waiting = self._waiting = self._loop.create_future()
        try:
            send()
            if self._pgconn.flush() != 0:  # a statement of a few bytes: the socket is stuck
                raise self._error("the statement could not be sent")
        except Exception:
            self._waiting = None
            self.close()
            raise
        try:
            results = await waiting
        except asyncio.CancelledError:  # the answer may still come: the connection is spent
            self._waiting = None
            self.close()
            raise
        result = results[-1] if results else None
        if result is None or result.status != status:
            message = result.error_message.decode("utf-8", "replace") if result else "no result"
            self.close()
            raise self._error(message.strip() or "the statement failed")
        return result

    def _on_readable(self) -> None:
        waiting = self._waiting
        try:
            self._pgconn.consume_input()
            if self._pgconn.status != self._connection_ok:  # never spin on a dead socket
                raise self._error("the connection was lost")
            while not self._pgconn.is_busy():
                result = self._pgconn.get_result()
                if result is None:  # the statement's results are all in
                    self._waiting, results, self._results = None, self._results, []
                    if waiting is not None and not waiting.done():
                        waiting.set_result(results)
                    return
                self._results.append(result)
        except Exception as exc:  # the socket was shut (a deadline) or the server went away
            self._waiting = None
            self.close()
            if waiting is not None and not waiting.done():
                waiting.set_exception(exc)

    def close(self) -> None:
        """Stop watching the socket, then close the connection; a query in flight fails (safe
        to call twice, and from outside the loop once it has stopped)."""
        if self.closed:
            return
        self.closed = True
        # The loop may be gone, or another thread may close: its selector went with it.
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self._fd)
        self._pgconn.finish()
        waiting, self._waiting = self._waiting, None
        if waiting is not None and not waiting.done():
            waiting.set_exception(self._error("the connection was closed"))

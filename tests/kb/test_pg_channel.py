"""The version query's libpq channel: rows read as the caller says, and every failure fails the
query in flight and closes the channel, never leaving a waiter behind."""

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import make_url

from app.db.deadline import shut_socket
from app.db.pg_channel import PgChannel, text_column
from tests.databases import BASE_URL, backend

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="a PostgreSQL connection (SQLite reads its file inline)"
)


async def _channel() -> PgChannel:
    import psycopg

    url = make_url(BASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    return PgChannel(await psycopg.AsyncConnection.connect(url, autocommit=True))


def test_rows_are_read_by_their_columns_and_nulls_stay_none() -> None:
    async def run() -> list[list[tuple[object, ...]]]:
        channel = await _channel()
        try:
            return [
                await channel.rows(
                    b"SELECT n, 'r' || n::text, NULL::int FROM generate_series(1, $1::int) AS n",
                    [b"3"],
                    (int, text_column, int),
                ),
                await channel.rows(b"SELECT $1::text", ["é".encode()], (text_column,)),
                await channel.rows(b"SELECT 1 WHERE false", [], (int,)),
            ]
        finally:
            channel.close()

    three, accented, none = asyncio.run(run())
    assert three == [(1, "r1", None), (2, "r2", None), (3, "r3", None)]
    assert accented == [("é",)]
    assert none == []


def test_an_error_answer_fails_the_query_and_closes_the_channel() -> None:
    import psycopg

    async def run() -> PgChannel:
        channel = await _channel()
        with pytest.raises(psycopg.OperationalError, match="no_such_table"):
            await channel.rows(b"SELECT * FROM no_such_table", [], (int,))
        with pytest.raises(psycopg.OperationalError):
            await channel.rows(b"SELECT 1", [], (int,))  # closed: a new channel is needed
        return channel

    assert asyncio.run(run()).closed


def test_a_shut_socket_fails_the_waiting_query_at_once() -> None:
    """What the version reader's deadline does to a server that never answers."""
    import psycopg

    async def run() -> float:
        channel = await _channel()
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, shut_socket, channel.connection.pgconn)
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            await channel.rows(b"SELECT pg_sleep(10)", [], (text_column,))
        assert channel.closed
        return time.monotonic() - started

    assert asyncio.run(run()) < 5  # not the 10 s the statement would take


def test_a_connection_the_server_ends_closes_while_idle() -> None:
    """A restart or ``pg_terminate_backend``: the channel notices without a query in flight,
    so the next version query connects again instead of failing on a dead socket."""
    import psycopg

    url = make_url(BASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run() -> bool:
        channel = await _channel()
        [(pid,)] = await channel.rows(b"SELECT pg_backend_pid()", [], (int,))
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            if channel.closed:
                break
            await asyncio.sleep(0.02)
        return channel.closed

    assert asyncio.run(run())


@pytest.mark.parametrize("how", ["closed", "cancelled"])
def test_a_query_ended_in_flight_fails_and_spends_the_channel(how: str) -> None:
    """Closed: the query fails. Cancelled: its answer may still arrive, and the next query must
    not read it as its own, so the channel is spent either way."""
    import psycopg

    async def run() -> bool:
        channel = await _channel()
        query = asyncio.ensure_future(channel.rows(b"SELECT pg_sleep(10)", [], (text_column,)))
        await asyncio.sleep(0.1)
        if how == "closed":
            channel.close()
        else:
            query.cancel()
        with pytest.raises(psycopg.OperationalError if how == "closed" else asyncio.CancelledError):
            await query
        return channel.closed

    assert asyncio.run(run())


PREPARED = b"SELECT name, generic_plans + custom_plans FROM pg_prepared_statements"


def test_a_statement_is_prepared_once_then_run_by_name() -> None:
    """The server parses and plans it once per connection, not per request."""

    async def run() -> list[tuple[object, ...]]:
        channel = await _channel()
        try:
            for n in range(3):
                assert await channel.rows(b"SELECT $1::int + 1 AS once", [b"%d" % n], (int,)) == [
                    (n + 1,)
                ]
            return await channel.rows(
                PREPARED + b" WHERE statement LIKE '%AS once'", [], (text_column, int)
            )
        finally:
            channel.close()

    [(name, runs)] = asyncio.run(run())
    assert str(name).startswith("newskb_")
    assert runs == 3


def test_past_its_limit_a_statement_is_sent_with_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.db import pg_channel

    monkeypatch.setattr(pg_channel, "PREPARED_MAX", 1)

    async def run() -> list[tuple[object, ...]]:
        channel = await _channel()
        try:
            assert await channel.rows(b"SELECT 1 AS first", [], (int,)) == [(1,)]
            assert await channel.rows(b"SELECT 2 AS second", [], (int,)) == [(2,)]
            return await channel.rows(PREPARED, [], (text_column, int))
        finally:
            channel.close()

    assert len(asyncio.run(run())) == 1  # the first statement only


def test_a_query_between_preparing_and_running_is_refused_and_spoils_nothing() -> None:
    """Preparing then running is two exchanges: nothing may slip in between (the channel is
    held here right after the prepare's answer, where no answer is awaited)."""

    async def run() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        channel = await _channel()
        prepared, go_on = asyncio.Event(), asyncio.Event()
        exchange = channel._exchange

        async def held(send: Any, status: Any) -> Any:
            result = await exchange(send, status)
            if status == channel._command_ok and not prepared.is_set():  # the first prepare
                prepared.set()
                await go_on.wait()
            return result

        channel._exchange = held  # type: ignore[method-assign]
        try:
            first = asyncio.ensure_future(channel.rows(b"SELECT 7 AS held", [], (int,)))
            await prepared.wait()
            with pytest.raises(RuntimeError, match="one query at a time"):
                await asyncio.wait_for(channel.rows(b"SELECT 8", [], (int,)), 5)
            go_on.set()
            return await first, await channel.rows(b"SELECT 8", [], (int,))
        finally:
            channel.close()

    assert asyncio.run(run()) == ([(7,)], [(8,)])


def test_a_text_made_for_one_read_is_not_prepared() -> None:
    async def run() -> list[tuple[object, ...]]:
        channel = await _channel()
        try:
            assert await channel.rows(b"SELECT 3 AS once", [], (int,), prepare=False) == [(3,)]
            # This look-up's own text ends in a quote: it does not find itself.
            return await channel.rows(
                PREPARED + b" WHERE statement LIKE '%AS once'", [], (text_column, int)
            )
        finally:
            channel.close()

    assert asyncio.run(run()) == []


def test_a_table_changed_under_a_prepared_statement_fails_the_query_and_the_channel() -> None:
    """A migration that changes what a prepared statement returns: the server refuses to run
    it, and the owner's next query gets a fresh connection (where it is prepared again)."""
    import psycopg

    url = make_url(BASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    table = f"pg_channel_changed_{uuid.uuid4().hex[:12]}"

    async def run() -> PgChannel:
        channel = await _channel()
        with psycopg.connect(url, autocommit=True) as other:
            other.execute(f"DROP TABLE IF EXISTS {table}")
            other.execute(f"CREATE TABLE {table} (a int)")
            try:
                assert await channel.rows(f"SELECT * FROM {table}".encode(), [], ()) == []
                other.execute(f"ALTER TABLE {table} ADD COLUMN b int")
                with pytest.raises(psycopg.OperationalError, match="result type"):
                    await channel.rows(f"SELECT * FROM {table}".encode(), [], ())
            finally:
                other.execute(f"DROP TABLE {table}")
        return channel

    assert asyncio.run(run()).closed

"""The knowledge base's version, as the read cache reads it: it moves exactly when a change commits.

The cheap paths (PostgreSQL's snapshot check, SQLite's stamp) must never hide a commit: the
cache would then serve an answer the write changed.
"""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, insert

from app.db.models import Change
from app.kb.changes import VersionReader
from tests.databases import backend, migrated_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(tmp_path, "version") as engine:
        yield engine


@pytest.fixture
def reader(engine: Engine) -> Iterator[VersionReader]:
    reader = VersionReader(engine)
    try:
        yield reader
    finally:
        reader.close()


def _change(connection: Connection, object_id: int) -> None:
    row = {"kind": "entity", "object_id": object_id, "action": "updated", "merged_into_id": None}
    connection.execute(insert(Change.__table__), [row])  # type: ignore[arg-type]


def _commit_change(engine: Engine, object_id: int) -> None:
    with engine.begin() as connection:  # another connection than the reader's
        _change(connection, object_id)


def test_the_version_moves_with_each_commit_and_only_then(
    engine: Engine, reader: VersionReader
) -> None:
    async def reads() -> list[tuple[int, int]]:
        seen = [await reader.read(), await reader.read()]
        _commit_change(engine, 1)
        seen += [await reader.read(), await reader.read()]
        _commit_change(engine, 2)
        seen.append(await reader.read())
        return seen

    first, same, after, still, last = asyncio.run(reads())
    assert first == same
    assert after != first and after == still
    assert last not in (first, after)


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite writes one transaction at a time")
def test_a_late_commit_with_a_lower_id_moves_the_version(
    engine: Engine, reader: VersionReader
) -> None:
    """Two writers: the first takes an id, the second a higher one and commits first."""

    async def reads() -> list[tuple[int, int]]:
        seen = [await reader.read()]
        with engine.connect() as slow:
            slow_write = slow.begin()
            _change(slow, 1)  # takes the lower id, not committed yet
            _commit_change(engine, 2)
            seen += [await reader.read(), await reader.read()]
            slow_write.commit()
        seen.append(await reader.read())
        return seen

    before, fast, same, late = asyncio.run(reads())
    assert fast != before and fast == same
    assert late != fast
    assert late[0] == fast[0]  # the highest id is the same: only the window's count tells


def test_the_stamp_moves_only_when_another_connection_commits(
    engine: Engine, reader: VersionReader
) -> None:
    if backend() == "postgresql":
        assert reader.stamp() is None  # no stamp without a round trip: every check is a read
        return
    first = reader.stamp()
    assert reader.stamp() == first
    asyncio.run(reader.read())  # the reader's own reads do not move it
    assert reader.stamp() == first
    _commit_change(engine, 1)
    moved = reader.stamp()
    assert moved != first
    assert reader.stamp() == moved

"""An answer as stored and served (``app.kb.answers``): its bytes, ETag and what it shows,
and how a batch of stored answers is written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import __version__
from app.kb.shown import Shown
from app.kb.sql.batches import batches
from app.kb.sql.dialect import insert_rows

# Bump when an answer's bytes change while its schema does not (an order, a rounding).
ANSWER_REVISION = 1


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    etag: str
    shown: Shown | str  # a stored answer's is its JSON, read only if the read cache keeps it


def strong_etag(body: bytes) -> str:
    """The ETag of an answer's bytes (any single resource's, not only a stored one)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@cache
def format_of(model: type[BaseModel]) -> str:
    """The code that builds ``model``'s answers: NewsKB's version, the schema, the revision.
    A stored answer of another format is never served."""
    schema = json.dumps(model.model_json_schema(mode="serialization"), sort_keys=True)
    digest = hashlib.sha256(f"{__version__}\n{ANSWER_REVISION}\n{schema}".encode()).hexdigest()
    return f"{__version__}-{ANSWER_REVISION}-{digest[:16]}"


@dataclass(frozen=True)
class AnswerRows:
    """A table of stored answers (a row per ``key``: an article's, an entity's) and the table
    of what each shows (``kind``, ``object_id``, ``key``): how a batch of them is written."""

    answers: Any  # the ORM model of each table
    shows: Any
    key: str
    columns: tuple[str, ...]  # replaced by an upsert

    def lock(self, session: Session, ids: Sequence[int]) -> None:
        """PostgreSQL: wait for a concurrent rebuild of these rows to commit first."""
        if ids and session.get_bind().dialect.name == "postgresql":
            key = getattr(self.answers, self.key)
            session.execute(select(key).where(key.in_(ids)).order_by(key).with_for_update())

    def to_build(
        self,
        session: Session,
        ids: Sequence[int],
        *,
        created: set[int],
        deferred: set[int] | None,
    ) -> list[int]:
        """The ids to build now, their rows locked (``lock``; the ``created`` ones have none).
        With ``deferred``, an id without a stored row goes there instead: until one is stored,
        reads build its answer, so it cannot be stale."""
        if deferred is None:
            self.lock(session, [id_ for id_ in ids if id_ not in created])
            return list(ids)
        present: set[int] = set()
        if older := [id_ for id_ in ids if id_ not in created]:
            key = getattr(self.answers, self.key)
            query = select(key).where(key.in_(older))
            if session.get_bind().dialect.name == "postgresql":
                query = query.order_by(key).with_for_update()
            present.update(session.scalars(query))
        deferred.update(id_ for id_ in ids if id_ not in present)
        return [id_ for id_ in ids if id_ in present]

    def showing(self, session: Session, kind: str, ids: Iterable[int]) -> set[int]:
        """The keys of the stored answers that show any of these objects of ``kind``."""
        found: set[int] = set()
        column = getattr(self.shows, self.key)
        for chunk in batches(sorted(set(ids)), 500):
            found.update(
                session.scalars(
                    select(column)
                    .where(self.shows.kind == kind, self.shows.object_id.in_(chunk))
                    .distinct()
                )
            )
        return found

    def write(
        self,
        session: Session,
        ids: Sequence[int],
        rows: list[dict[str, Any]],
        shown: dict[int, Shown],
        *,
        created: set[int],
    ) -> None:
        """Store ``rows`` (each with ``key`` and ``columns``) and what they show; the ``ids``
        without a row lose theirs. The ``created`` ones had none."""
        key = getattr(self.answers, self.key)
        kept = [row[self.key] for row in rows]
        if gone := sorted(set(ids) - set(kept)):
            session.execute(delete(self.answers).where(key.in_(gone)))
        if replaced := [id_ for id_ in kept if id_ not in created]:
            session.execute(delete(self.shows).where(getattr(self.shows, self.key).in_(replaced)))
        if rows:
            session.execute(self._upsert(session.get_bind().dialect.name), rows)  # bytes
            shows = [
                {"kind": kind, "object_id": object_id, self.key: id_}
                for id_, what in shown.items()
                for kind, object_id in sorted(what.objects())
            ]
            insert_rows(session, self.shows.__table__, shows)

    @cache  # noqa: B019 (a few module-level instances, kept for the process)
    def _upsert(self, dialect: str) -> Any:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(self.answers)
        return statement.on_conflict_do_update(
            index_elements=[self.key],
            set_={name: statement.excluded[name] for name in self.columns},
        )

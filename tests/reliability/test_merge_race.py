"""Merges while ingests run on the same entities: no fact lands on a merged entity.

Issue 16 found 36 mentions and 21 entity-article rows left on merged entities after 96
concurrent ingests and 6 merges on PostgreSQL. Here each ingest pauses between resolving its
entities and writing its facts (a slow ingest), so that merges run inside that window.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db.engine import make_sessionmaker
from app.db.models import Entity, Mention
from app.kb import consistency, curate, ingest, resolve
from tests.answers_truth import assert_answers_current
from tests.databases import backend, migrated_engine
from tests.entity_truth import assert_entity_stats_exact
from tests.reliability.test_concurrency import envoy_article

PAIRS, INGESTS, THREADS = 6, 96, 8
PAUSE = 0.03  # seconds between an ingest's entity resolution and its writes


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with migrated_engine(tmp_path, "merge_race", pool_size=THREADS, max_overflow=2) as engine:
        yield engine


@pytest.fixture
def slow_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ingest.resolve_entities

    def resolve_then_pause(session: Session, entities: Any) -> dict[str, int]:
        ids = real(session, entities)
        time.sleep(PAUSE)
        return ids

    monkeypatch.setattr(ingest, "resolve_entities", resolve_then_pause)


def _race(engine: Engine) -> tuple[dict[int, int], list[Exception]]:
    """Ingest INGESTS articles naming "Envoy Beta<k>" while each Beta is merged into its
    Alpha; the pairs (beta id → alpha id) and any error raised."""
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        for k in range(PAIRS):
            for n, name in ((k, f"Envoy Alpha{k}"), (PAIRS + k, f"Envoy Beta{k}")):
                ingest.ingest_article(session, envoy_article(n, envoy=name))
        ids = dict(session.execute(select(Entity.name, Entity.id)).all())
    pairs = {ids[f"Envoy Beta{k}"]: ids[f"Envoy Alpha{k}"] for k in range(PAIRS)}

    def ingest_one(n: int) -> None:
        with sessions() as session:
            ingest.ingest_article(session, envoy_article(n, envoy=f"Envoy Beta{n % PAIRS}"))

    def merge(beta: int) -> None:
        with sessions() as session:
            curate.merge_entities(session, beta, into_id=pairs[beta])

    tasks: list[tuple[Any, int]] = [(ingest_one, 100 + n) for n in range(INGESTS)]
    for i, beta in enumerate(pairs):  # each merge amid the ingests of its own pair
        tasks.insert(THREADS + i * (INGESTS // PAIRS), (merge, beta))
    errors: list[Exception] = []
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for future in [pool.submit(work, arg) for work, arg in tasks]:
            try:
                future.result(timeout=300)
            except Exception as exc:
                errors.append(exc)
    return pairs, errors


def test_merges_amid_ingests_leave_no_fact_on_a_merged_entity(
    engine: Engine, slow_resolution: None
) -> None:
    pairs, errors = _race(engine)
    assert errors == []
    with Session(engine) as session:
        assert consistency.check(session) == []
        assert_entity_stats_exact(session)
        on_merged = select(Mention.id).where(Mention.entity_id.in_(pairs))
        assert session.scalars(on_merged).all() == []
        merged = select(Entity.id, Entity.merged_into_id).where(Entity.id.in_(pairs))
        assert dict(session.execute(merged).all()) == pairs
        assert_answers_current(session)  # none names a merged entity


@pytest.mark.postgres
@pytest.mark.skipif(
    backend() != "postgresql",
    reason="SQLite runs one write transaction at a time: there is no race to lose",
)
def test_without_the_entity_locks_the_race_leaves_drift(
    engine: Engine, slow_resolution: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard of the test above: with ``resolve._hold`` disabled, drift appears."""
    monkeypatch.setattr(resolve, "_hold", lambda session, ids: ids)
    _race(engine)
    with Session(engine) as session:
        found = consistency.check(session)
        assert any("merged entity" in f.check for f in found), found
        consistency.repair(session)
        assert consistency.check(session) == []

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.orm import Session

from app.db import fts, migrate
from app.db.base import Base
from app.db.engine import make_engine
from app.db.fts import is_fts_object
from app.db.models import Article, Entity, EntityArticle, Mention
from tests.databases import backend, temporary_database
from tests.entity_truth import assert_entity_stats_exact, stored_stats

TABLES = {
    "sources",
    "articles",
    "entities",
    "entity_aliases",
    "mentions",
    "roles",
    "timexes",
    "events",
    "event_participants",
    "event_evidence",
    "quotes",
    "amounts",
    "changes",
    "entity_articles",
    "entity_events",
    "entity_stats",
}
LATE = datetime(2021, 9, 12, 23, 30, tzinfo=UTC)


def test_upgrade_downgrade_upgrade_round_trip(tmp_path: Path) -> None:
    with temporary_database(tmp_path, "migrations") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            assert set(inspect(engine).get_table_names()) >= TABLES
            migrate.downgrade(engine, "base")
            assert not TABLES & set(inspect(engine).get_table_names())
            migrate.upgrade(engine)
            assert set(inspect(engine).get_table_names()) >= TABLES
            assert migrate.current_revision(engine) == migrate.head_revision()
        finally:
            engine.dispose()


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    with temporary_database(tmp_path, "autogen") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "include_object": lambda obj, name, *_: not is_fts_object(name),
                    },
                )
                assert compare_metadata(context, Base.metadata) == []
        finally:
            engine.dispose()


def test_downgrade_removes_full_text_objects(tmp_path: Path) -> None:
    with temporary_database(tmp_path, "fts") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            inspector = inspect(engine)
            names = set(inspector.get_table_names()) | {
                c["name"] for c in inspector.get_columns("articles")
            }
            assert any(is_fts_object(name) for name in names)
            migrate.downgrade(engine, "base")
            inspector = inspect(engine)
            assert not any(is_fts_object(name) for name in inspector.get_table_names())
        finally:
            engine.dispose()


def _store_before_0004(engine: Engine) -> dict[str, int]:
    """Articles, entities and mentions as revision 0003 holds them (no derived rows yet)."""
    dated = _insert_article(
        engine, content_hash="a", body="x", raw_text="x", extractor_version="1", published_at=LATE
    )
    undated = _insert_article(
        engine, content_hash="b", body="y", raw_text="y", extractor_version="1"
    )
    with Session(engine) as session:
        putin = Entity(type="person", name="Vladimir Putin", normalized_name="vladimir putin")
        russia = Entity(type="country", name="Russia", normalized_name="russia")
        unseen = Entity(type="person", name="Nobody", normalized_name="nobody")
        session.add_all([putin, russia, unseen])
        session.flush()
        span = {"start": 0, "end": 1, "extractor_version": "1"}
        session.add_all(
            [
                Mention(article_id=dated, entity_id=putin.id, text="Putin", **span),
                Mention(article_id=dated, entity_id=putin.id, text="Putin", **span),
                Mention(article_id=undated, entity_id=putin.id, text="Putin", **span),
                Mention(article_id=undated, entity_id=russia.id, text="Russia", **span),
            ]
        )
        session.commit()
        return {"putin": putin.id, "russia": russia.id, "unseen": unseen.id, "dated": dated}


def _insert_article(engine: Engine, **values: object) -> int:
    """An article row through Core, naming only the columns given (and those with defaults):
    columns that later revisions add and the ORM model already maps stay out of the INSERT."""
    with engine.begin() as connection:
        key = connection.execute(insert(Article.__table__).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def test_0004_back_fills_entity_stats_and_downgrades(tmp_path: Path) -> None:
    with temporary_database(tmp_path, "backfill") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine, "0003")
            ids = _store_before_0004(engine)
            migrate.upgrade(engine)
            with Session(engine) as session:
                assert_entity_stats_exact(session)
                stats = stored_stats(session)
                assert stats[ids["putin"]][:2] == (3, 2)
                assert stats[ids["unseen"]] == (0, 0, None)
                link = session.get(EntityArticle, (ids["putin"], ids["dated"]))
                assert link is not None and link.published_on == date(2021, 9, 12)
            migrate.downgrade(engine, "0003")
            inspector = inspect(engine)
            assert not {"entity_stats", "entity_articles", "entity_events"} & set(
                inspector.get_table_names()
            )
            indexes = {i["name"] for i in inspector.get_indexes("roles")}
            assert "ix_roles_person_id" in indexes and "ix_roles_person_id_id" not in indexes
            migrate.upgrade(engine)
            with Session(engine) as session:
                assert_entity_stats_exact(session)
                assert (
                    session.scalar(
                        select(EntityArticle.mention_count).where(
                            EntityArticle.entity_id == ids["putin"],
                            EntityArticle.article_id == ids["dated"],
                        )
                    )
                    == 2
                )
        finally:
            engine.dispose()


@pytest.mark.skipif(backend() != "postgresql", reason="GIN indexes exist on PostgreSQL only")
def test_0005_turns_off_the_pending_list_of_trigram_indexes(tmp_path: Path) -> None:
    query = text("SELECT relname, reloptions FROM pg_class WHERE relname IN (:alias, :summary)")
    names = {"alias": fts.ALIAS_TRIGRAMS, "summary": fts.SUMMARY_TRIGRAMS}
    with temporary_database(tmp_path, "gin") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            with engine.connect() as connection:
                assert dict(connection.execute(query, names).all()) == {
                    fts.ALIAS_TRIGRAMS: ["fastupdate=off"],
                    fts.SUMMARY_TRIGRAMS: ["fastupdate=off"],
                }
            migrate.downgrade(engine, "0004")
            with engine.connect() as connection:
                assert dict(connection.execute(query, names).all()) == {
                    fts.ALIAS_TRIGRAMS: None,
                    fts.SUMMARY_TRIGRAMS: None,
                }
        finally:
            engine.dispose()

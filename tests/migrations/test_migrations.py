from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.db import migrate
from app.db.base import Base
from app.db.engine import make_engine
from app.db.fts import is_fts_object
from tests.databases import temporary_database

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
}


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

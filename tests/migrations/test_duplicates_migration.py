"""0015 fingerprints the articles stored before it, and downgrades cleanly."""

from pathlib import Path

from sqlalchemy import Engine, func, insert, inspect, select
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine
from app.db.models import Article, ArticleBand, ArticleSignature
from app.kb import duplicates
from tests.corpus import FIXTURE_CORPUS
from tests.databases import temporary_database

TABLES = {"article_signatures", "article_bands", "article_duplicates", "article_versions"}
LONG = sorted(FIXTURE_CORPUS.glob("*.txt"))[0].read_text(encoding="utf-8")


def _insert_article(engine: Engine, body: str, digest: str) -> int:
    values = {"content_hash": digest, "body": body, "raw_text": body, "extractor_version": "0"}
    with engine.begin() as connection:
        key = connection.execute(insert(Article.__table__).values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def test_0015_fingerprints_stored_articles_and_downgrades(tmp_path: Path) -> None:
    with temporary_database(tmp_path, "dupes") as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine, "0011")
            long_id = _insert_article(engine, LONG, "a" * 64)
            _insert_article(engine, "Too short to compare.", "b" * 64)
            migrate.upgrade(engine)
            expected = duplicates.fingerprint(LONG)
            assert expected is not None
            with Session(engine) as session:
                signatures = session.execute(
                    select(ArticleSignature.article_id, ArticleSignature.signature)
                ).all()
                assert [(i, bytes(s)) for i, s in signatures] == [(long_id, expected.signature)]
                keys = session.scalars(
                    select(ArticleBand.key).where(ArticleBand.article_id == long_id)
                ).all()
                assert sorted(keys) == sorted(expected.band_keys)
                assert session.scalar(select(func.count()).select_from(ArticleBand)) == len(keys)
            migrate.downgrade(engine, "0011")
            assert not TABLES & set(inspect(engine).get_table_names())
            migrate.upgrade(engine)
            assert set(inspect(engine).get_table_names()) >= TABLES
        finally:
            engine.dispose()

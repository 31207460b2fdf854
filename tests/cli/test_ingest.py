"""``newskb ingest`` and ``newskb reextract`` on real articles, on a fresh database."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update

from app.db.models import Article, Mention
from app.extract.document import EXTRACTOR_VERSION
from app.settings import get_settings
from tests.cli.conftest import FIXTURES, Cli


def count_row(output: str, outcome: str) -> int:
    """The count of one outcome in the printed summary table."""
    match = re.search(rf"│ {outcome}\s+│\s+(\d+) │", output)
    assert match is not None, output
    return int(match[1])


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A folder, a glob, a .jsonl with one bad line and a broken .json: 5 articles, 2 failures."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder" / "deeper").mkdir(parents=True)
    shutil.copy(FIXTURES[0], tmp_path / "folder")
    shutil.copy(FIXTURES[1], tmp_path / "folder" / "deeper")
    (tmp_path / "loose").mkdir()
    shutil.copy(FIXTURES[2], tmp_path / "loose")
    lines = [
        json.dumps({"text": FIXTURES[3].read_text(), "url": "https://example.org/gdansk"}),
        '{"text": "unterminated',
        json.dumps({"html": as_html(FIXTURES[4].read_text())}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "broken.json").write_text('{"text": ')
    return ["folder", "loose/*.txt", "feed.jsonl", "broken.json"]


def as_html(text: str) -> str:
    title, *paragraphs = [line for line in text.splitlines() if line.strip()]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>"


def article_count(db: Engine) -> int:
    with db.connect() as connection:
        return connection.scalar(select(func.count(Article.id))) or 0


def test_mixed_inputs_with_broken_files_exit_1_and_list_failures(
    migrated: Cli, inputs: list[str], db: Engine
) -> None:
    result = migrated("ingest", *inputs)
    assert result.exit_code == 1, result.output
    assert count_row(result.stdout, "new") == 5
    assert count_row(result.stdout, "duplicate") == 0
    assert count_row(result.stdout, "failed") == 2
    assert count_row(result.stdout, "total") == 7
    assert re.search(r"feed\.jsonl:2\s+│ line 2: not valid JSON", result.stdout)
    assert re.search(r"broken\.json\s+│ not valid JSON", result.stdout)
    assert article_count(db) == 5
    with db.connect() as connection:
        urls = set(connection.scalars(select(Article.url)))
    assert "https://example.org/gdansk" in urls


def test_reingest_reports_duplicates_and_stores_nothing(
    migrated: Cli, inputs: list[str], db: Engine
) -> None:
    good = inputs[:3]
    assert migrated("ingest", *good).exit_code == 1  # the bad line of feed.jsonl
    before = article_count(db)
    again = migrated("ingest", *good, "--batch-size", "2")
    assert again.exit_code == 1
    assert count_row(again.stdout, "new") == 0
    assert count_row(again.stdout, "duplicate") == before == 5
    assert count_row(again.stdout, "failed") == 1
    assert article_count(db) == before


def test_all_good_inputs_exit_0(migrated: Cli, tmp_path: Path) -> None:
    result = migrated("ingest", str(FIXTURES[0]), str(FIXTURES[0]))  # the same file once
    assert result.exit_code == 0, result.output
    assert count_row(result.stdout, "new") == 1
    assert "Failed" not in result.stdout


def test_unmigrated_database_says_to_migrate_first(cli: Cli, db: Engine) -> None:
    with db.connect():  # creates the SQLite file
        pass
    result = cli("ingest", str(FIXTURES[0]))
    assert result.exit_code == 1
    assert "is at revision none" in result.stderr
    assert "run `newskb migrate` first" in result.stderr
    assert "Traceback" not in result.output


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = Cli(f"sqlite:///{missing}")("stats")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {missing} does not exist")
    assert not missing.exists()


def test_malformed_database_url_is_a_one_line_error() -> None:
    result = Cli("not a url")("stats")
    assert result.exit_code == 1
    assert "is not a database URL" in result.stderr


def test_unreachable_database_is_a_one_line_error(tmp_path: Path) -> None:
    cli = Cli("postgresql+psycopg://postgres@127.0.0.1:9/newskb")  # discard port: refused
    result = cli("ingest", str(FIXTURES[0]))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach postgresql+psycopg://")
    assert "Traceback" not in result.output


def mention_count(db: Engine, article_id: int) -> int:
    with db.connect() as connection:
        query = select(func.count(Mention.id)).where(Mention.article_id == article_id)
        return connection.scalar(query) or 0


def test_reextract_redoes_only_articles_of_another_extractor(migrated: Cli, db: Engine) -> None:
    assert migrated("ingest", *map(str, FIXTURES[:2])).exit_code == 0
    with db.begin() as connection:
        first, second = connection.scalars(select(Article.id).order_by(Article.id)).all()
        mentions = mention_count(db, first)
        connection.execute(
            update(Article).where(Article.id == first).values(extractor_version="0.0.1")
        )
        connection.execute(delete(Mention).where(Mention.article_id == first))
    result = migrated("reextract")
    assert result.exit_code == 0, result.output
    assert count_row(result.stdout, "updated") == 1
    with db.connect() as connection:
        versions = dict(connection.execute(select(Article.id, Article.extractor_version)).all())
    assert versions == {first: EXTRACTOR_VERSION, second: EXTRACTOR_VERSION}
    assert mention_count(db, first) == mentions > 0
    again = migrated("reextract")
    assert again.exit_code == 0
    assert f"already at extractor {EXTRACTOR_VERSION}" in again.stdout


def test_reextract_unknown_article_fails_and_others_are_done(migrated: Cli, db: Engine) -> None:
    assert migrated("ingest", str(FIXTURES[0])).exit_code == 0
    with db.connect() as connection:
        article_id = connection.scalars(select(Article.id)).one()
    result = migrated("reextract", str(article_id), "999999")
    assert result.exit_code == 1
    assert count_row(result.stdout, "updated") == 1
    assert re.search(r"999999\s+│ Article 999999 does not exist", result.stdout)


def test_two_processes_store_the_same_articles(migrated: Cli, db: Engine) -> None:
    result = migrated("ingest", *map(str, FIXTURES[:3]), "--processes", "2", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert count_row(result.stdout, "new") == 3
    with db.connect() as connection:
        titles = set(connection.scalars(select(Article.title)))
    assert titles == {path.read_text().splitlines()[0].strip() for path in FIXTURES[:3]}


def test_a_text_file_that_is_not_utf8_fails_and_stores_nothing(
    migrated: Cli, db: Engine, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café owners in São Paulo met José Müller on Tuesday.".encode("latin-1"))
    result = migrated("ingest", str(latin))
    assert result.exit_code == 1, result.output
    assert count_row(result.stdout, "failed") == 1
    assert re.search(r"latin\.txt\s+│ not UTF-8 \(byte 3\)", result.stdout)
    assert article_count(db) == 0


def test_ingest_queue_without_a_queue_url_fails_with_one_line(
    migrated: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSKB_QUEUE_URL", raising=False)
    get_settings.cache_clear()  # read again, without the variable
    monkeypatch.setattr("app.cli.common.get_settings", get_settings)
    story = tmp_path / "story.txt"
    story.write_text("Storm hits coast\n\nA storm hit Portugal on Monday.", encoding="utf-8")
    result = migrated("ingest", "--queue", str(story))
    assert result.exit_code == 1
    assert "NEWSKB_QUEUE_URL is not set" in result.output

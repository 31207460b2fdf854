"""``newskb ingest`` counts new copies of a stored story and new versions of a stored article."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select

from app.db.models import Article, ArticleDuplicate, ArticleVersion
from tests.cli.conftest import FIXTURES, Cli
from tests.cli.test_ingest import count_row

URL = "https://one.example/story"


def feed(tmp_path: Path) -> Path:
    """An original, another outlet's copy of it, then a corrected text at the original's URL."""
    text = FIXTURES[0].read_text(encoding="utf-8")
    copy = f"{text}\n\nThe company declined to say more when asked on Monday."
    lines = [
        {"text": text, "url": URL},
        {"text": copy, "url": URL + "-copy"},
        {"text": f"{text}\n\nThis story was corrected on Tuesday.", "url": URL},
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def count(db: Engine, model: type) -> int:
    with db.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model)) or 0


def test_summary_counts_copies_and_versions(migrated: Cli, tmp_path: Path, db: Engine) -> None:
    result = migrated("ingest", str(feed(tmp_path)))
    assert result.exit_code == 0, result.output
    assert count_row(result.stdout, "new") == 1
    assert count_row(result.stdout, "new, copy of a stored story") == 1
    assert count_row(result.stdout, "new version of a stored article") == 1
    assert (count(db, Article), count(db, ArticleDuplicate), count(db, ArticleVersion)) == (2, 1, 1)


def test_the_same_feed_again_writes_nothing(migrated: Cli, tmp_path: Path, db: Engine) -> None:
    path = feed(tmp_path)
    assert migrated("ingest", str(path)).exit_code == 0
    again = migrated("ingest", str(path))
    assert again.exit_code == 0, again.output
    assert count_row(again.stdout, "duplicate") == 3
    assert count_row(again.stdout, "new version of a stored article") == 0
    assert (count(db, Article), count(db, ArticleVersion)) == (2, 1)


def test_a_new_text_at_a_url_stored_by_an_earlier_run_is_a_version(
    migrated: Cli, tmp_path: Path, db: Engine
) -> None:
    """The check before NLP (``_Store.prepare``) lets a new text at a stored URL through."""
    lines = feed(tmp_path).read_text(encoding="utf-8").splitlines()
    first, corrected = tmp_path / "first.jsonl", tmp_path / "corrected.jsonl"
    first.write_text(lines[0] + "\n", encoding="utf-8")
    corrected.write_text(lines[2] + "\n", encoding="utf-8")
    assert migrated("ingest", str(first)).exit_code == 0
    result = migrated("ingest", str(corrected))
    assert result.exit_code == 0, result.output
    assert count_row(result.stdout, "new version of a stored article") == 1
    assert (count(db, Article), count(db, ArticleVersion)) == (1, 1)

"""``newskb`` help, migrate, seed, stats and serve."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer.main
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app.cli import app
from app.db import migrate
from app.db.models import (
    Article,
    ArticleAnswer,
    Entity,
    EntityAnswer,
    EntityStats,
    EventItem,
    Mention,
)
from app.kb.ingest import ingest_article
from app.settings import get_settings
from tests.cli.conftest import FIXTURES, Cli
from tests.factories import meeting_article
from tests.reliability.server import ROOT, free_port

SECRET_VARIABLE = "NEWSKB_CURSOR_SECRET"
COMMANDS = [
    "serve",
    "migrate",
    "seed",
    "worker",
    "prune-jobs",
    "ingest",
    "reextract",
    "export",
    "stats",
    "check",
    "answers",
    "match",
]


def test_every_command_is_registered() -> None:
    group = typer.main.get_group(app)
    assert sorted(group.commands) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command_has_a_summary_and_an_example(cli: Cli, command: str) -> None:
    result = cli(command, "--help", database=False)
    assert result.exit_code == 0, result.output
    assert f"Usage: newskb {command}" in result.stdout
    assert f"Example: newskb {command}" in result.stdout
    assert "--database-url" in result.stdout


def test_installed_console_script_lists_every_command() -> None:
    script = Path(sys.executable).with_name("newskb")
    result = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert f"│ {command} " in result.stdout


def test_migrate_brings_a_new_database_to_head_and_again_changes_nothing(
    cli: Cli, db: Engine
) -> None:
    assert migrate.current_revision(db) is None
    first = cli("migrate")
    assert first.exit_code == 0, first.output
    head = migrate.head_revision()
    assert migrate.current_revision(db) == head
    assert f"is at revision {head}" in first.stdout
    assert cli("migrate").exit_code == 0
    assert migrate.current_revision(db) == head


def test_seed_stores_the_seed_article_once(cli: Cli, db: Engine) -> None:
    first = cli("seed")
    assert first.exit_code == 0, first.output
    assert "│ new " in first.stdout
    again = cli("seed")
    assert again.exit_code == 0, again.output
    assert "│ duplicate " in again.stdout
    with db.connect() as connection:
        assert connection.scalar(select(func.count(Article.id))) == 1


def test_stats_counts_what_was_ingested(migrated: Cli, db: Engine) -> None:
    assert migrated("ingest", *map(str, FIXTURES[:3])).exit_code == 0
    result = migrated("stats", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    with db.connect() as connection:
        mentions = connection.scalar(select(func.count(Mention.id)))
        types = dict(
            connection.execute(
                select(Entity.type, func.count())
                .group_by(Entity.type)
                .where(Entity.merged_into_id.is_(None))
            ).all()
        )
    assert stats["articles"] == 3
    assert stats["mentions"] == mentions > 0
    assert stats["entities_by_type"] == types
    table = migrated("stats")
    assert table.exit_code == 0, table.output
    assert f"│ mentions            │ {mentions} " in table.stdout
    assert "entities by type" in table.stdout


@pytest.mark.e2e
def test_serve_migrates_first_then_answers(database_url: str, db: Engine, tmp_path: Path) -> None:
    port = free_port()
    script = Path(sys.executable).with_name("newskb")
    log, err = tmp_path / "serve.out", tmp_path / "serve.err"
    command = [str(script), "serve", "--port", str(port), "--database-url", database_url]
    with log.open("wb") as out, err.open("wb") as errors:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=errors)
    try:
        ready = wait_ready(f"http://127.0.0.1:{port}", process, err)
        assert ready["revision"] == migrate.head_revision() == migrate.current_revision(db)
        httpx.get(f"http://127.0.0.1:{port}/v1/entities", timeout=10).raise_for_status()
    finally:
        process.terminate()
        process.wait(timeout=15)
    printed = [
        line for path in (log, err) for line in path.read_text().splitlines() if line.strip()
    ]
    lines = [json.loads(line) for line in printed]  # every line is JSON, the first one too
    assert "migrated to" in lines[0]["message"]
    assert not any("\x1b" in line or "\\u001b" in line for line in printed)  # no colours
    assert not any("color_message" in line for line in lines)
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's own, as JSON
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)
    access = [line for line in lines if line.get("path") == "/v1/entities"]
    assert len(access) == 1 and access[0]["logger"] == "newskb.access"


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            answer = httpx.get(f"{base}/readyz", timeout=1)
            if answer.status_code == 200:
                ready: dict[str, str] = answer.json()
                return ready
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready in 60 s: {log.read_text()}")


@pytest.fixture
def no_cursor_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``serve`` writes the key it makes into the environment; monkeypatch restores it."""
    monkeypatch.setenv("NEWSKB_CURSOR_SECRET", "")
    get_settings.cache_clear()
    ours = logging.getLogger("newskb")
    handlers = list(ours.handlers)  # ``serve`` logs its warning to the runner's stderr
    yield
    ours.handlers = handlers
    get_settings.cache_clear()


def test_serve_without_a_cursor_secret_shares_a_random_one_with_its_workers(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, no_cursor_secret: None
) -> None:
    import uvicorn

    seen: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(os.environ[SECRET_VARIABLE]))
    for _ in range(2):
        os.environ[SECRET_VARIABLE] = ""
        result = cli("serve", "--no-migrate", "--workers", "2")
        assert result.exit_code == 0, result.output
        assert "NEWSKB_CURSOR_SECRET is not set" in result.output
    assert len(seen) == 2 and all(len(secret) >= 32 for secret in seen)
    assert seen[0] != seen[1]


def test_serve_keeps_a_cursor_secret_that_is_set(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, no_cursor_secret: None
) -> None:
    import uvicorn

    seen: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(os.environ[SECRET_VARIABLE]))
    monkeypatch.setenv(SECRET_VARIABLE, "set-by-the-operator")
    get_settings.cache_clear()
    result = cli("serve", "--no-migrate")
    assert result.exit_code == 0, result.output
    assert seen == ["set-by-the-operator"]
    assert "NEWSKB_CURSOR_SECRET" not in result.output


def test_check_finds_drift_then_repairs_it(cli: Cli, db: Engine) -> None:
    assert cli("migrate").exit_code == 0
    with Session(db) as session:
        ingest_article(session, meeting_article())
        assert cli("check").exit_code == 0
        session.execute(update(EntityStats).values(mention_count=42))
        session.commit()
    found = cli("check")
    assert found.exit_code == 1, found.output
    assert "entity_stats that disagree" in found.stdout and "--repair" in found.stdout
    repaired = cli("check", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "Repaired." in repaired.stdout
    again = cli("check")
    assert again.exit_code == 0 and "is consistent" in again.stdout


def test_answers_finds_a_wrong_stored_answer_then_stores_them_again(cli: Cli, db: Engine) -> None:
    assert cli("migrate").exit_code == 0
    with Session(db) as session:
        ingest_article(session, meeting_article())
        later = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday, aides said."
        ingest_article(session, meeting_article(later, url="https://x.example/2"))
        assert cli("answers", "--check").exit_code == 0
        session.execute(update(ArticleAnswer).values(body=b"{}"))
        session.execute(update(EntityAnswer).values(tail=b"}"))
        session.execute(update(EventItem).values(body=b"{}"))
        session.commit()
    found = cli("answers", "--check")
    assert found.exit_code == 1 and "6 stored answer(s) differ" in found.output, found.output
    assert "entity 1" in found.output and "article 2" in found.output, found.output
    assert "event 1" in found.output, found.output
    quiet = cli("answers").stdout  # the format is current: nothing is missing
    assert "0 article, 0 entity and 0 event answer(s) stored" in quiet, quiet
    stored = cli("answers", "--all")
    assert stored.exit_code == 0, stored.output
    assert "2 article, 3 entity and 1 event answer(s) stored" in stored.stdout, stored.output
    again = cli("answers", "--check")
    assert again.exit_code == 0 and "6 stored answer(s) checked" in again.stdout, again.output


def test_prune_jobs_deletes_old_done_jobs_and_failed_ones_on_request(
    migrated: Cli, db: Engine
) -> None:
    from datetime import timedelta

    from app.db.base import utcnow
    from app.db.models import Job

    with Session(db) as session, session.begin():
        for state, days in [("done", 30), ("done", 1), ("failed", 30), ("queued", 30)]:
            finished = utcnow() - timedelta(days=days) if state != "queued" else None
            session.add(Job(state=state, name=f"{state}-{days}", document={}, finished_at=finished))
    result = migrated("prune-jobs")  # the default retention: 7 days
    assert result.exit_code == 0, result.output
    assert "Deleted 1 done job(s)" in result.stdout
    result = migrated("prune-jobs", "--older-than", "10", "--failed")
    assert "Deleted 1 done or failed job(s)" in result.stdout
    with Session(db) as session:
        assert sorted(session.scalars(select(Job.name))) == ["done-1", "queued-30"]

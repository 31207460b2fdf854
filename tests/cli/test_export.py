"""``newskb export``: formats to a file or stdout, read back with the library of the format."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.engine import make_engine
from app.db.models import Article, Entity, Event
from app.kb.export import FORMATS
from tests.cli.conftest import FIXTURES, Cli
from tests.databases import temporary_database


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """Three real articles, ingested once for the module."""
    with temporary_database(tmp_path_factory.mktemp("export"), "cliexport") as url:
        cli = Cli(url)
        assert cli("migrate").exit_code == 0
        result = cli("ingest", *map(str, FIXTURES[:3]))
        assert result.exit_code == 0, result.output
        yield cli


def db_ids(cli: Cli, model: type[Article] | type[Entity] | type[Event]) -> set[int]:
    engine = make_engine(cli.database_url)
    try:
        with engine.connect() as connection:
            query = select(model.id)
            if model is Entity:
                query = query.where(Entity.merged_into_id.is_(None))
            return set(connection.scalars(query))
    finally:
        engine.dispose()


def test_jsonl_to_a_file_holds_every_article(stocked: Cli, tmp_path: Path) -> None:
    target = tmp_path / "articles.jsonl"
    result = stocked("export", "--format", "jsonl", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert f"to {target}" in result.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["id"] for line in lines} == db_ids(stocked, Article)
    assert len(lines) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]  # no partial file left


def test_csv_to_stdout_has_a_row_per_entity_and_event(stocked: Cli) -> None:
    entities = stocked("export", "-f", "csv-entities")
    events = stocked("export", "-f", "csv-events")
    assert entities.exit_code == events.exit_code == 0
    entity_rows = list(csv.DictReader(io.StringIO(entities.stdout)))
    event_rows = list(csv.DictReader(io.StringIO(events.stdout)))
    assert {int(row["id"]) for row in entity_rows} == db_ids(stocked, Entity)
    assert {int(row["id"]) for row in event_rows} == db_ids(stocked, Event)
    assert len(entity_rows) > 10


def test_jsonld_is_one_document_naming_every_article(stocked: Cli) -> None:
    jsonld = pytest.importorskip("pyld.jsonld", reason="pyld reads the JSON-LD back")
    result = stocked("export", "-f", "jsonld")
    assert result.exit_code == 0, result.output

    def no_network(url: str, options: object) -> None:
        raise AssertionError(f"the export must not need {url}")

    expanded = jsonld.expand(json.loads(result.stdout), {"documentLoader": no_network})
    news = [n for n in expanded if any(t.endswith("schema.org/NewsArticle") for t in n["@type"])]
    assert len(news) == len(db_ids(stocked, Article)) == 3


def test_unknown_format_fails_before_touching_the_database(cli: Cli) -> None:
    result = cli("export", "--format", "xml")  # the database is not even migrated
    assert result.exit_code == 1
    assert "Unknown export format 'xml'" in result.stderr


def test_help_names_every_format(cli: Cli) -> None:
    result = cli("export", "--help", database=False)
    assert result.exit_code == 0
    for fmt in FORMATS:
        assert fmt in result.stdout


def test_an_unavailable_format_writes_no_file(
    migrated: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "followthemoney", None)  # the ftm extra is absent
    target = tmp_path / "out" / "newskb.ftm.json"
    target.parent.mkdir()
    result = migrated("export", "--format", "ftm", "--output", str(target))
    assert result.exit_code == 1
    assert "newskb[ftm]" in result.stderr
    assert list(target.parent.iterdir()) == []


def test_an_unavailable_format_fails_before_writing_to_stdout(
    migrated: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "followthemoney", None)
    result = migrated("export", "--format", "ftm")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "newskb[ftm]" in result.stderr


def test_a_failure_midway_keeps_the_previous_file_and_leaves_no_partial_one(
    stocked: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: object, fmt: str) -> Iterator[str]:
        yield '{"id": 1}\n'
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("app.kb.export.stream_export", broken)
    target = tmp_path / "articles.jsonl"
    target.write_text("the previous export\n")
    result = stocked("export", "--format", "jsonl", "--output", str(target))
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["articles.jsonl"]
    assert target.read_text() == "the previous export\n"

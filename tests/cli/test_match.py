"""newskb match: a CSV of names screened as POST /v1/match does, as a table or JSON."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.db.engine import make_sessionmaker
from app.kb.ingest import ingest_article
from tests.cli.conftest import Cli
from tests.factories import meeting_article


@pytest.fixture
def stocked(migrated: Cli, db: Engine) -> Cli:
    with make_sessionmaker(db)() as session:
        ingest_article(session, meeting_article())
    return migrated


def names_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "names.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_answers_each_row_with_its_matches(stocked: Cli, tmp_path: Path) -> None:
    csv_text = (
        "name,kind,country,aliases\nNobody Known,person,,V. Putin;Путин\nLukashenko,person,BY,\n"
    )
    result = stocked("match", names_file(tmp_path, csv_text), "--json")
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert [r["name"] for r in results] == ["Nobody Known", "Lukashenko"]
    assert [(m["name"], m["query"], m["reason"]) for m in results[0]["matches"]] == [
        ("Vladimir Putin", "V. Putin", "initials")
    ]
    assert results[1]["country"] == "BY"


def test_the_table_shows_score_and_reason(stocked: Cli, tmp_path: Path) -> None:
    result = stocked("match", names_file(tmp_path, "name,kind\nputin vladimir,person\n"))
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "putin vladimir" in line)
    assert "Vladimir Putin" in row
    assert "0.92" in row
    assert "token_order" in row


def test_a_file_without_the_kind_column_is_refused(migrated: Cli, tmp_path: Path) -> None:
    result = migrated("match", names_file(tmp_path, "name\nPutin\n"))
    assert result.exit_code == 1
    assert "name and kind" in result.stderr


def test_a_bad_row_is_named_by_its_line(migrated: Cli, tmp_path: Path) -> None:
    csv_text = "name,kind,country\nPutin,person,RU\nPutin,person,Atlantis\n"
    result = migrated("match", names_file(tmp_path, csv_text))
    assert result.exit_code == 1
    assert "row 3: Unknown country 'Atlantis'" in result.stderr


def test_cells_past_the_header_are_ignored(stocked: Cli, tmp_path: Path) -> None:
    result = stocked(
        "match", names_file(tmp_path, "name,kind\nV. Putin,person,extra,cells\n"), "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["matches"][0]["name"] == "Vladimir Putin"

"""CLI tests: the typer app in-process (CliRunner) against a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import app
from app.db.engine import make_engine
from tests.databases import temporary_database

WIKINEWS = Path(__file__).resolve().parent.parent / "fixtures" / "wikinews"
FIXTURES = sorted(WIKINEWS.glob("*.txt"))


class Cli:
    """Runs ``newskb`` commands against one database; wide output so table rows do not wrap."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.runner = CliRunner()

    def __call__(self, *args: str, database: bool = True) -> Result:
        extra = ["--database-url", self.database_url] if database else []
        return self.runner.invoke(app, [*args, *extra], env={"COLUMNS": "200"})


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database (not migrated) of the configured backend, dropped afterwards."""
    with temporary_database(tmp_path, "cli") as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def cli(database_url: str) -> Cli:
    return Cli(database_url)


@pytest.fixture
def migrated(cli: Cli) -> Cli:
    result = cli("migrate")
    assert result.exit_code == 0, result.output
    return cli

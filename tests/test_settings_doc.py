"""docs/configuration.md is what ``python -m app.settings_doc`` writes, and names every variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import settings_doc
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
# Python reads a variable through os.environ / os.getenv; shell, YAML and Dockerfiles name it.
PY_READ = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\()\s*["'](NEWSKB_[A-Z0-9_]+)""")
ANY_NAME = re.compile(r"\bNEWSKB_[A-Z0-9_]*[A-Z0-9]\b")


def test_configuration_page_is_what_the_generator_writes() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert settings_doc.render_page(page) == page, "run: python -m app.settings_doc"


def test_every_setting_has_a_row_with_its_description() -> None:
    table = settings_doc.render_table()
    for name, field in Settings.model_fields.items():
        row = next(line for line in table.splitlines() if f"`NEWSKB_{name.upper()}`" in line)
        assert field.description is not None
        assert " ".join(field.description.split()) in row


def test_a_default_that_depends_on_the_machine_is_shown_as_written() -> None:
    table = settings_doc.render_table()
    assert str(Path.cwd()) not in table
    assert str(ROOT) not in table


def test_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    stale = PAGE.read_text(encoding="utf-8").replace("`NEWSKB_PORT` | integer", "`NEWSKB_PORT` | x")
    page = tmp_path / "configuration.md"
    page.write_text(stale, encoding="utf-8")
    assert settings_doc.main([str(page), "--check"]) == 1
    assert settings_doc.main([str(page)]) == 0
    assert settings_doc.main([str(page), "--check"]) == 0
    assert page.read_text(encoding="utf-8") == PAGE.read_text(encoding="utf-8")


def test_a_page_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        settings_doc.render_page("# Configuration\n")


def _variables_read() -> set[str]:
    found: set[str] = set()
    for folder in ("app", "seed", "tests", "benchmarks", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(PY_READ.findall(path.read_text(encoding="utf-8")))
    others = [ROOT / "Dockerfile", ROOT / "compose.yaml", ROOT / ".ci" / "run"]
    others += sorted((ROOT / "docker").glob("*"))
    for path in others:
        if path.is_file():
            found |= set(ANY_NAME.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_variable_the_code_reads_is_documented() -> None:
    page = PAGE.read_text(encoding="utf-8")
    read = _variables_read()
    assert "NEWSKB_CORPUS_DIR" in read  # the scan sees os.environ reads
    assert [name for name in sorted(read) if f"`{name}`" not in page] == []

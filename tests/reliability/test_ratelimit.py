"""Rate limits: per client address for anonymous callers, per API key for keyed ones."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.settings import Settings
from tests.conftest import share_session

KEY = "rate-key-1"
OTHER_KEY = "rate-key-2"


def client_for(settings: Settings, session: Session, **update: Any) -> TestClient:
    app: FastAPI = create_app(
        settings.model_copy(update={"api_keys": f"{KEY},{OTHER_KEY}"} | update)
    )
    share_session(app, session)
    return TestClient(app)


def statuses(client: TestClient, n: int, path: str = "/v1/articles", **kwargs: Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(n)]


def test_anonymous_reads_are_limited_by_default() -> None:
    assert Settings().rate_limit_anonymous


def test_over_the_anonymous_limit_is_429_problem_with_retry_after(
    settings: Settings, session: Session
) -> None:
    with client_for(settings, session, rate_limit_anonymous="3/minute") as client:
        assert statuses(client, 3) == [200, 200, 200]
        response = client.get("/v1/articles")
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_each_client_address_has_its_own_budget(settings: Settings, session: Session) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": "2/minute"})
    app = create_app(limited)
    share_session(app, session)
    with TestClient(app, client=("203.0.113.7", 1)) as first:
        assert statuses(first, 3) == [200, 200, 429]
    with TestClient(app, client=("203.0.113.8", 1)) as second:
        assert statuses(second, 1) == [200]


def test_a_valid_key_is_not_held_to_the_anonymous_limit(
    settings: Settings, session: Session
) -> None:
    with client_for(settings, session, rate_limit_anonymous="1/minute") as client:
        keyed = statuses(client, 5, headers={"Authorization": f"Bearer {KEY}"})
    assert keyed == [200] * 5


def test_a_wrong_key_counts_as_anonymous(settings: Settings, session: Session) -> None:
    with client_for(settings, session, rate_limit_anonymous="1/minute") as client:
        wrong = statuses(client, 2, headers={"Authorization": "Bearer not-a-key"})
    assert wrong == [401, 429]  # refused (a wrong key is a 401), and counted as anonymous


def test_each_key_has_its_own_budget(settings: Settings, session: Session) -> None:
    with client_for(settings, session, rate_limit_per_key="2/minute") as client:
        first = statuses(client, 3, headers={"Authorization": f"Bearer {KEY}"})
        other = statuses(client, 1, headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert first == [200, 200, 429]
    assert other == [200]


def test_health_probes_are_never_limited(settings: Settings, session: Session) -> None:
    with client_for(settings, session, rate_limit_anonymous="1/minute") as client:
        assert statuses(client, 3, "/healthz") == [200, 200, 200]


def test_an_empty_limit_turns_limiting_off(settings: Settings, session: Session) -> None:
    with client_for(settings, session, rate_limit_anonymous="") as client:
        assert set(statuses(client, 30)) == {200}


def test_writes_are_limited_before_the_body_is_processed(
    settings: Settings, session: Session
) -> None:
    with client_for(settings, session, rate_limit_per_key="1/minute") as client:
        auth = {"Authorization": f"Bearer {KEY}"}
        client.get("/v1/articles", headers=auth)
        response = client.post("/v1/articles", json={"text": "Too late."}, headers=auth)
    assert response.status_code == 429


@pytest.mark.parametrize("status", ["401", "429", "503"])
def test_every_v1_operation_documents_the_app_wide_problems(
    settings: Settings, status: str
) -> None:
    schema = create_app(settings).openapi()
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        if path.startswith("/v1")
        for method, op in item.items()
    ]
    assert operations
    for path, method, op in operations:
        assert status in op["responses"], f"{method.upper()} {path} lacks {status}"
    assert all("Retry-After" in op["responses"]["429"]["headers"] for *_, op in operations)


def test_the_ingest_operation_documents_body_problems(settings: Settings) -> None:
    responses = create_app(settings).openapi()["paths"]["/v1/articles"]["post"]["responses"]
    assert {"400", "401", "403", "413", "415", "422", "429", "503"} <= set(responses)

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_readyz_503_when_not_migrated(tmp_path: object) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/empty.db"))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "not migrated"


def test_readyz_503_when_database_unreachable() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/v1/articles", "/v1/articles/{article_id}", "/v1/entities", "/v1/events"} <= set(
        schema["paths"]
    )
    post = schema["paths"]["/v1/articles"]["post"]
    assert {"application/json", "text/plain", "text/html"} <= set(post["requestBody"]["content"])


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_api_process_does_not_import_spacy() -> None:
    """A read-only API process must not pay for the NLP model (memory, start-up time)."""
    import subprocess
    import sys

    code = "import sys, app.main; app.main.create_app(); print('spacy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

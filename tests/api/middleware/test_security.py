import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Article
from app.main import create_app
from app.settings import Settings
from tests.conftest import share_session

TEXT = "Flood warning\n\nRivers rose across Bavaria on Tuesday and Munich closed two bridges."


def articles(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0


def client_for(settings: Settings, session: Session, **kwargs: object) -> TestClient:
    app: FastAPI = create_app(settings)
    share_session(app, session)
    return TestClient(app, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", "Basic dXNlcjpwYXNz", "Bearer "])
def test_write_without_a_valid_key_is_401_and_writes_nothing(
    settings: Settings, session: Session, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    with client_for(settings, session) as client:
        response = client.post("/v1/articles", json={"text": TEXT}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")
    assert articles(session) == 0


def test_any_of_several_keys_is_accepted(settings: Settings, session: Session) -> None:
    rotated = settings.model_copy(update={"api_keys": "old-key, new-key"})
    with client_for(rotated, session) as client:
        for key in ("old-key", "new-key"):
            response = client.post(
                "/v1/articles",
                json={"text": f"{TEXT} Key {key}."},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert response.status_code == 201
    assert articles(session) == 2


def test_delete_needs_a_key(settings: Settings, session: Session) -> None:
    with client_for(settings, session) as client:
        assert client.delete("/v1/articles/1").status_code == 401


def test_reads_are_open_by_default(settings: Settings, session: Session) -> None:
    with client_for(settings, session) as client:
        assert client.get("/v1/articles").status_code == 200


def test_reads_can_require_a_key(settings: Settings, session: Session) -> None:
    closed = settings.model_copy(update={"require_key_for_reads": True})
    with client_for(closed, session) as client:
        assert client.get("/v1/articles").status_code == 401
        assert client.get("/healthz").status_code == 200
        ok = client.get("/v1/articles", headers={"Authorization": f"Bearer {closed.key_list()[0]}"})
        assert ok.status_code == 200


def test_without_configured_keys_writes_come_from_loopback_only(
    settings: Settings, session: Session
) -> None:
    open_settings = settings.model_copy(update={"api_keys": ""})
    with client_for(open_settings, session, client=("203.0.113.7", 50000)) as remote:
        assert remote.post("/v1/articles", json={"text": TEXT}).status_code == 403
    assert articles(session) == 0
    with client_for(open_settings, session, client=("127.0.0.1", 50000)) as local:
        assert local.post("/v1/articles", json={"text": TEXT}).status_code == 201


def test_startup_log_says_writes_are_loopback_only_without_keys(
    settings: Settings, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    open_settings = settings.model_copy(update={"api_keys": ""})
    with caplog.at_level("INFO", logger="newskb"), client_for(open_settings, session):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.name == "newskb.security"]
    assert any("No API key configured" in m and "loopback" in m for m in warnings)


def test_startup_log_with_keys_never_shows_them(
    settings: Settings, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    keyed = settings.model_copy(update={"api_keys": "s3cret-one,s3cret-two"})
    with caplog.at_level("DEBUG"), client_for(keyed, session) as client:
        client.get("/v1/articles", headers={"Authorization": "Bearer s3cret-one"})
        client.post("/v1/articles", json={"text": TEXT}, headers={"Authorization": "Bearer nope"})
    assert any("2 API key(s) configured" in r.getMessage() for r in caplog.records)
    assert "s3cret" not in caplog.text
    assert "nope" not in caplog.text


@pytest.mark.parametrize("header", ["Bearer wrong-key", "Basic dXNlcjpwYXNz", "Bearer "])
def test_without_configured_keys_a_wrong_key_from_loopback_is_401(
    settings: Settings, session: Session, header: str
) -> None:
    open_settings = settings.model_copy(update={"api_keys": ""})
    with client_for(open_settings, session, client=("127.0.0.1", 50000)) as local:
        response = local.post(
            "/v1/articles", json={"text": TEXT}, headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert local.get("/v1/articles", headers={"Authorization": header}).status_code == 401
    assert articles(session) == 0


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/entities", "/v1/stats", "/metrics"])
def test_a_wrong_key_on_an_open_read_is_401(
    settings: Settings, session: Session, path: str
) -> None:
    with client_for(settings, session) as client:
        assert client.get(path).status_code == 200  # open: no key needed
        good = client.get(path, headers={"Authorization": f"Bearer {settings.key_list()[0]}"})
        assert good.status_code == 200
        wrong = client.get(path, headers={"Authorization": "Bearer wrong-key"})
        assert wrong.status_code == 401
        assert wrong.headers["content-type"].startswith("application/problem+json")


def test_probes_and_the_index_take_no_key(settings: Settings, session: Session) -> None:
    with client_for(settings, session) as client:
        for path in ("/", "/healthz", "/readyz"):
            assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 200

"""GET /v1/stats agrees with what the article endpoints show of the same knowledge base."""

from collections import Counter
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.main import create_app
from app.settings import Settings
from tests.conftest import share_session


def test_stats_of_an_empty_knowledge_base(client: TestClient) -> None:
    response = client.get("/v1/stats")
    assert response.status_code == 200
    body = response.json()
    assert body["articles"] == body["entities"] == body["mentions"] == 0
    assert body["entities_by_type"] == {}
    assert body["newest_published_at"] is None


def test_stats_match_the_ingested_article(client: TestClient, seed_text: str) -> None:
    created = client.post("/v1/articles", json={"text": seed_text, "source": "DW"})
    assert created.status_code == 201
    article = client.get(f"/v1/articles/{created.json()['id']}").json()
    stats = client.get("/v1/stats").json()

    assert stats["articles"] == 1
    assert stats["sources"] == 1
    assert stats["entities_by_type"] == dict(Counter(e["type"] for e in article["entities"]))
    assert stats["entities"] == len(article["entities"]) > 0
    assert stats["mentions"] == sum(e["mention_count"] for e in article["entities"])
    assert stats["events"] == len(article["events"]) > 0
    assert stats["events_by_type"] == dict(Counter(e["type"] for e in article["events"]))
    assert stats["quotes"] == len(article["quotes"])
    assert stats["amounts"] == len(article["amounts"]) > 0
    assert stats["timexes"] == len(article["timexes"]) > 0
    published = datetime.fromisoformat(article["published_at"])
    assert datetime.fromisoformat(stats["newest_published_at"]) == published
    assert datetime.fromisoformat(stats["oldest_ingested_at"]) == datetime.fromisoformat(
        article["ingested_at"]
    )
    assert stats["extractor_versions"] == {article["extractor_version"]: 1}


def test_stats_need_a_key_when_reads_do(settings: Settings, session: Session) -> None:
    app = create_app(settings.model_copy(update={"require_key_for_reads": True}))
    share_session(app, session)
    with TestClient(app) as client:
        assert client.get("/v1/stats").status_code == 401
        keyed = {"Authorization": f"Bearer {settings.api_keys}"}
        assert client.get("/v1/stats", headers=keyed).status_code == 200

"""End to end: migrate and seed a fresh database, serve it with a real uvicorn, query it, stop."""

import httpx
import pytest

from tests.e2e.serving import Served, run_seed

pytestmark = pytest.mark.e2e


def test_seeded_article_is_served(served: Served) -> None:
    page = httpx.get(f"{served.base}/v1/articles").json()
    assert len(page["items"]) == 1
    article = httpx.get(f"{served.base}/v1/articles/{page['items'][0]['id']}").json()
    assert "Lukashenko" in article["title"]
    assert article["published_at"].startswith("2021-09-12")
    assert "Skip to content" not in article["body"]


def test_seed_again_changes_nothing(served: Served) -> None:
    before = httpx.get(f"{served.base}/v1/articles").json()["items"]
    again = run_seed(served.database_url)
    assert again.returncode == 0, again.stderr
    assert "already stored as article" in again.stdout
    assert httpx.get(f"{served.base}/v1/articles").json()["items"] == before

"""Ingest refuses what it cannot extract in bounded time: too long (spaCy's limit), too slow
(the extraction budget), and keeps parsing off the event loop."""

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import app.api.routers.articles as api_articles
import app.extract.pipeline as pipeline
from app.extract.document import MAX_TEXT_CHARS
from app.main import create_app
from app.schemas.articles import ArticleCreate
from app.settings import Settings
from tests.api.routers.test_articles import SHORT, article_count, assert_problem
from tests.conftest import API_KEY, share_session


@pytest.fixture
def make_client(database_url: str, session: Session) -> Iterator[Callable[..., TestClient]]:
    apps: list[FastAPI] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(
            database_url=database_url, api_keys=API_KEY, read_cache_size=0, **overrides
        )
        app = create_app(settings)
        share_session(app, session)
        apps.append(app)
        return TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"})

    yield make
    for app in apps:
        app.dependency_overrides.clear()


def test_text_longer_than_spacy_reads_is_422_not_500(
    make_client: Callable[..., TestClient], session: Session
) -> None:
    client = make_client(max_body_bytes=3_000_000)
    paragraph = "The minister said the talks would resume next week in Geneva.\n\n"
    text = paragraph * (MAX_TEXT_CHARS // len(paragraph) + 10)
    response = client.post("/v1/articles", content=text, headers={"Content-Type": "text/plain"})
    problem = assert_problem(response, 422)
    assert problem["type"].endswith("/article-too-long")
    assert "1,000,000 characters" in problem["detail"]
    assert article_count(session) == 0


def _slow(seconds: float) -> None:
    """Pure-Python work of ``seconds`` (what the budget can stop), in small steps."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)


def test_extraction_over_its_budget_is_422(
    make_client: Callable[..., TestClient], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pipeline._extract_one

    def slow_extract_one(*args: Any, **kwargs: Any) -> Any:
        _slow(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_extract_one", slow_extract_one)
    client = make_client(extraction_budget_seconds=3)
    started = time.monotonic()
    response = client.post("/v1/articles", json={"text": SHORT})
    problem = assert_problem(response, 422)
    assert problem["type"].endswith("/extraction-too-slow")
    assert time.monotonic() - started < 20  # stopped, not waited for
    assert article_count(session) == 0
    monkeypatch.setattr(pipeline, "_extract_one", real)
    assert client.post("/v1/articles", json={"text": SHORT}).status_code == 201  # no stray stop


def test_html_extraction_over_its_budget_is_422(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.extract.document as document

    real = document.parse_html

    def slow_parse_html(*args: Any, **kwargs: Any) -> Any:
        _slow(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(document, "parse_html", slow_parse_html)
    client = make_client(extraction_budget_seconds=1)
    html = f"<html><body><p>{SHORT}</p></body></html>"
    response = client.post("/v1/articles", content=html, headers={"Content-Type": "text/html"})
    problem = assert_problem(response, 422)
    assert problem["type"].endswith("/extraction-too-slow")
    assert "HTML extraction" in problem["detail"]


def test_bodies_are_decoded_and_cleaned_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[bool] = []
    real = api_articles.clean_article

    def recording(document: ArticleCreate) -> ArticleCreate:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(document)

    monkeypatch.setattr(api_articles, "clean_article", recording)
    for body, kind in (
        (SHORT, "text/plain"),
        (json.dumps({"text": SHORT + " Later."}), "application/json"),
    ):
        response = client.post("/v1/articles", content=body, headers={"Content-Type": kind})
        assert response.status_code == 201
    assert on_loop == [False, False]


def test_json_bodies_are_checked_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.api.middleware.limits as limits

    on_loop: list[bool] = []
    real = limits.unstorable_json

    def recording(body: bytes) -> str | None:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return real(body)

    monkeypatch.setattr(limits, "unstorable_json", recording)
    assert client.post("/v1/articles", json={"text": SHORT}).status_code == 201
    assert on_loop == [False]

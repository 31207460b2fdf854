"""No article is lost to an extractor: text that once answered 500 is stored, and a fact an
extractor fails on is dropped, logged (article, extractor, error) and counted in /metrics."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.extract import time as time_module
from app.logging import configure_logging
from tests.api.routers.test_metrics import value

# A wire-service livestock table: "Year ago" columns once made "346,000 year ago" the year
# -344004, and a caption's "3000 years ago" the year -981; both ingests answered 500.
LIVESTOCK = (
    "Cattle receipts steady at Omaha\n\n"
    "Receipts of cattle at the Omaha stockyards were steady on Tuesday, traders said.\n\n"
    "Cattle Today 12,500 Week ago 11,900 Year ago 346,000\n"
    "Hogs Today 6,200 Week ago 6,000 346,000 year ago\n\n"
    "Tools found in the valley were made 3000 years ago, the museum said."
)
PUBLISHED = "1996-08-30T12:00:00Z"


def post(client: TestClient, text: str) -> Any:
    return client.post("/v1/articles", json={"text": text, "published_at": PUBLISHED})


def failures(client: TestClient, extractor: str) -> float:
    return value(client, "newskb_extractor_failures_total", extractor=extractor)


def test_an_article_with_years_before_the_calendar_is_stored(client: TestClient) -> None:
    response = post(client, LIVESTOCK)
    assert response.status_code == 201
    timexes = response.json()["timexes"]
    ago = [t for t in timexes if "ago" in t["text"]]
    assert ago and all(t["value"] is None for t in ago)


def test_a_failing_candidate_is_logged_counted_and_the_article_stored(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = time_module._timex

    def failing(zone_doc, start, end, *rest):  # type: ignore[no-untyped-def]
        if zone_doc.text[start:end] == "Tuesday":
            raise ValueError("a date rule broke")
        return real(zone_doc, start, end, *rest)

    monkeypatch.setattr(time_module, "_timex", failing)
    buffer = io.StringIO()
    configure_logging("info", stream=buffer)
    before = {name: failures(client, name) for name in ("time", "amounts")}

    response = post(client, LIVESTOCK)

    assert response.status_code == 201
    article = response.json()
    assert "Tuesday" not in [t["text"] for t in article["timexes"]]
    assert article["entities"] and article["timexes"]  # the other facts are stored
    assert failures(client, "time") == before["time"] + 1
    assert failures(client, "amounts") == before["amounts"]
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    logged = [line for line in lines if line.get("extractor") == "time"]
    assert len(logged) == 1
    assert logged[0]["level"] == "warning"
    assert logged[0]["error"] == "ValueError: a date rule broke"
    assert logged[0]["text"] == "Tuesday" and logged[0]["zone"] == "body"
    assert logged[0]["title"] == "Cattle receipts steady at Omaha"
    assert len(logged[0]["content_hash"]) == 64


def test_every_extractor_is_a_metrics_label_from_the_start(client: TestClient) -> None:
    response = client.get("/metrics")
    for extractor in ("entities", "time", "amounts", "quotes", "events"):
        assert f'newskb_extractor_failures_total{{extractor="{extractor}"}}' in response.text


def test_a_run_on_date_longer_than_the_store_keeps_the_article(client: TestClient) -> None:
    """PostgreSQL refused the 1,060-character "date" (varchar 500): the ingest answered 500."""
    text = "Long dates\n\nIt happened " + " ".join(["Monday"] * 150) + " days later, they said."
    response = post(client, text)
    assert response.status_code == 201
    assert all(len(t["text"]) <= 200 for t in response.json()["timexes"])

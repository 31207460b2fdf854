"""Articles in other languages: detected, stored and searchable, facts only where a pipeline
reads the language, French end to end."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.models import Article

TEXTS = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "languages" / "texts.json").read_text("utf-8")
)
# Words searched for in each language (they stand in the texts' first article); Chinese is not
# split into words, so its "word" is a whole run of characters between punctuation.
WORDS = {"de": "Hilfspaket", "es": "agricultores", "ru": "бюджет", "zh": "国务院周一召开常务会议"}

FRENCH = (
    "Macron reçoit Scholz à Paris\n\n"
    "Le président Emmanuel Macron a reçu mardi 12 mars 2024 le chancelier allemand Olaf Scholz "
    "à l'Élysée. Les deux dirigeants ont parlé de l'aide à l'Ukraine et des relations entre la "
    "France et l'Allemagne.\n\n"
    "« Nous ne laisserons pas tomber nos partenaires », a déclaré Emmanuel Macron à l'issue de "
    "la rencontre."
)
ENGLISH_ON_GERMANY = (
    "Berlin budget talks\n\n"
    "Germany's finance minister said on Monday that the budget would be presented in March."
)


def post(client: TestClient, **document: Any) -> dict[str, Any]:
    response = client.post("/v1/articles", json=document)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("language", ["de", "es", "ru", "zh"])
def test_article_without_pipeline_has_no_facts_and_says_why(
    client: TestClient, language: str
) -> None:
    article = post(client, text=TEXTS[language][0])
    assert article["language"] == language
    assert article["extraction"] == {
        "status": "skipped",
        "extracts": [],
        "reason": f"no pipeline for language '{language}'",
    }
    facts = ("entities", "roles", "timexes", "amounts", "quotes", "events")
    assert {kind: article[kind] for kind in facts} == {kind: [] for kind in facts}


def test_german_article_of_the_issue_yields_no_english_pipeline_entities(
    client: TestClient,
) -> None:
    article = post(client, text=TEXTS["de"][-1])
    mentions = client.get(f"/v1/articles/{article['id']}/mentions").json()
    assert article["language"] == "de"
    assert mentions["items"] == []


@pytest.mark.parametrize("language", sorted(WORDS))
def test_article_without_pipeline_is_found_by_search(client: TestClient, language: str) -> None:
    article = post(client, text=TEXTS[language][0])
    hits = client.get("/v1/articles", params={"q": WORDS[language]}).json()["items"]
    assert [hit["id"] for hit in hits] == [article["id"]]


def test_french_article_is_found_by_another_form_of_a_word(client: TestClient) -> None:
    article = post(client, text=TEXTS["fr"][0])  # "... pour les agriculteurs touchés ..."
    hits = client.get("/v1/articles", params={"q": "agriculteur"}).json()["items"]
    assert [hit["id"] for hit in hits] == [article["id"]]


def test_reextracting_an_article_stored_before_detection_detects_its_language(
    client: TestClient, session: Session
) -> None:
    article = post(client, text=TEXTS["de"][0], language="en")
    session.execute(update(Article).values(extractor_version="0.2.2"))
    again = client.post(f"/v1/articles/{article['id']}/reextract").json()
    assert (article["language"], again["language"]) == ("en", "de")
    assert again["extraction"]["status"] == "skipped"
    assert again["entities"] == []


def test_reextracting_keeps_a_language_given_by_the_client(client: TestClient) -> None:
    article = post(client, text=TEXTS["de"][0], language="en")
    again = client.post(f"/v1/articles/{article['id']}/reextract").json()
    assert again["language"] == "en"


def test_language_given_by_the_client_wins(client: TestClient) -> None:
    article = post(client, text=TEXTS["en"][1], language="de-AT")
    assert article["language"] == "de"
    assert article["extraction"]["status"] == "skipped"
    assert article["entities"] == []


def test_english_article_is_detected_and_extracted(client: TestClient) -> None:
    article = post(client, text=TEXTS["en"][1])
    assert article["language"] == "en"
    assert article["extraction"]["status"] == "extracted"
    assert "events" in article["extraction"]["extracts"]
    assert article["entities"]


def test_language_that_is_not_a_tag_is_refused(client: TestClient) -> None:
    response = client.post("/v1/articles", json={"text": TEXTS["en"][0], "language": "english!"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_stats_list_what_each_language_gets(client: TestClient) -> None:
    post(client, text=TEXTS["de"][0])
    post(client, text=FRENCH)
    languages = {row["language"]: row for row in client.get("/v1/stats").json()["languages"]}
    assert languages["de"] == {
        "language": "de",
        "articles": 1,
        "status": "skipped",
        "extracts": [],
        "reason": "no pipeline for language 'de'",
    }
    assert languages["fr"]["articles"] == 1
    assert languages["fr"]["extracts"] == ["entities", "timexes", "quotes"]
    assert languages["en"]["status"] == "extracted"


def test_french_article_is_extracted_by_the_french_pipeline(client: TestClient) -> None:
    article = post(client, text=FRENCH, published_at="2024-03-13T00:00:00Z")
    assert article["language"] == "fr"
    assert article["extraction"] == {
        "status": "extracted",
        "extracts": ["entities", "timexes", "quotes"],
        "reason": None,
    }
    people = {e["name"] for e in article["entities"] if e["type"] == "person"}
    assert {"Emmanuel Macron", "Olaf Scholz"} <= people
    assert [t["value"] for t in article["timexes"]] == ["2024-03-12"]
    [quote] = article["quotes"]
    assert quote["text"] == "Nous ne laisserons pas tomber nos partenaires"
    assert quote["speaker"]["name"] == "Emmanuel Macron"


def test_country_named_in_french_and_in_english_is_one_entity(client: TestClient) -> None:
    french = post(client, text=FRENCH)
    english = post(client, text=ENGLISH_ON_GERMANY)
    in_french = {e["name"]: e["id"] for e in french["entities"] if e["type"] == "country"}
    in_english = {e["name"]: e["id"] for e in english["entities"] if e["type"] == "country"}
    assert in_french["Germany"] == in_english["Germany"]

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.models import Article, Mention
from app.extract.pipeline import EXTRACTOR_VERSION

SHORT = (
    "Storm hits coast\n\n"
    "A powerful storm hit the coast of Portugal on Monday, cutting power to thousands of homes "
    "in Lisbon. The government said repairs would take several days."
)


def article_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"] and problem["detail"] and problem["type"].startswith("https://")
    return problem


def test_post_text_creates_article_with_location(client: TestClient) -> None:
    response = client.post("/v1/articles", json={"text": SHORT, "source": "Test Wire"})
    assert response.status_code == 201
    article = response.json()
    assert response.headers["location"].endswith(f"/v1/articles/{article['id']}")
    assert article["title"] == "Storm hits coast"
    assert article["body"].startswith("A powerful storm")
    assert article["source"]["name"] == "Test Wire"
    assert article["word_count"] == len(article["body"].split())


def test_post_same_text_again_returns_the_stored_article(
    client: TestClient, session: Session
) -> None:
    first = client.post("/v1/articles", json={"text": SHORT})
    second = client.post("/v1/articles", json={"text": SHORT})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert article_count(session) == 1


def test_post_new_text_at_same_url_updates_the_stored_article(
    client: TestClient, session: Session
) -> None:
    """A new text at a stored URL is the article's next version (see test_versions.py)."""
    url = "https://example.org/storm"
    first = client.post("/v1/articles", json={"text": SHORT, "url": url})
    second = client.post("/v1/articles", json={"text": SHORT + " More text.", "url": url})
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["version"] == 2
    assert article_count(session) == 1


def test_post_raw_plain_text_body(client: TestClient) -> None:
    response = client.post(
        "/v1/articles", content=SHORT.encode(), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 201
    assert response.json()["title"] == "Storm hits coast"


def test_post_html_body_keeps_no_markup(client: TestClient) -> None:
    html = (
        "<html><head><title>Storm hits coast</title><script>alert('x')</script></head><body>"
        "<nav>Home | World</nav><article><h1>Storm hits coast</h1>"
        f"<p>{SHORT.split(chr(10))[-1]}</p><p>Officials in Lisbon asked people to stay home "
        "while crews worked through the night to restore power.</p></article></body></html>"
    )
    response = client.post("/v1/articles", json={"html": html})
    assert response.status_code == 201
    body = response.json()["body"]
    assert "powerful storm" in body
    assert "<" not in body and "alert(" not in body


def test_post_with_metadata_overrides(client: TestClient) -> None:
    response = client.post(
        "/v1/articles",
        json={
            "text": SHORT,
            "title": "Given title",
            "published_at": "2024-02-05T08:00:00Z",
            "url": "https://example.org/a",
        },
    )
    article = response.json()
    assert article["title"] == "Given title"
    assert article["published_at"].startswith("2024-02-05T08:00:00")
    assert article["url"] == "https://example.org/a"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"text": ', "application/json", 400),
        (b'{"nothing": "here"}', "application/json", 422),
        (b'{"text": "   \\n  "}', "application/json", 422),
        (b'{"text": 42}', "application/json", 422),
        (b'{"text": "a", "html": "<p>b</p>"}', "application/json", 422),
        (b'{"text": "x", "url": "ftp://example.org/file"}', "application/json", 422),
        (b"\xff\xfe not utf-8", "text/plain", 400),
        ("Café owners met José.".encode("latin-1"), "text/plain", 400),
        (b"plain", "text/plain; charset=klingon-8", 400),
        (b"text with a \x00 NUL", "text/plain", 400),
        (b"<html><body><script>x()</script></body></html>", "text/html", 422),
        (b"plain", "application/xml", 415),
    ],
)
def test_bad_input_is_a_problem_and_writes_nothing(
    client: TestClient, session: Session, content: bytes, content_type: str, status: int
) -> None:
    response = client.post("/v1/articles", content=content, headers={"content-type": content_type})
    assert_problem(response, status)
    assert article_count(session) == 0


def test_plain_text_in_a_declared_charset_is_read_in_it(client: TestClient) -> None:
    text = SHORT.replace("Monday", "Monday (cost: £5m, said José)")
    response = client.post(
        "/v1/articles",
        content=text.encode("cp1252"),
        headers={"content-type": "text/plain; charset=windows-1252"},
    )
    assert response.status_code == 201
    assert "£5m, said José" in response.json()["body"]


def test_body_over_the_limit_is_413(client: TestClient, session: Session) -> None:
    response = client.post("/v1/articles", json={"text": "word " * 100_000})
    assert_problem(response, 413)
    assert article_count(session) == 0


def test_unknown_article_is_404_problem(client: TestClient) -> None:
    problem = assert_problem(client.get("/v1/articles/999999"), 404)
    assert "999999" in problem["detail"]


@pytest.mark.parametrize("bad_id", ["0", "-1", "abc", "99999999999999999999"])
def test_invalid_article_id_is_422(client: TestClient, bad_id: str) -> None:
    assert_problem(client.get(f"/v1/articles/{bad_id}"), 422)


def test_delete_article_then_it_is_gone(client: TestClient, session: Session) -> None:
    article_id = client.post("/v1/articles", json={"text": SHORT}).json()["id"]
    assert client.delete(f"/v1/articles/{article_id}").status_code == 204
    assert_problem(client.get(f"/v1/articles/{article_id}"), 404)
    assert_problem(client.delete(f"/v1/articles/{article_id}"), 404)
    assert article_count(session) == 0


def test_list_is_newest_first_and_paginates(client: TestClient) -> None:
    for day in ("2021-01-01", "2021-03-01", "2021-02-01"):
        text = f"Report {day}\n\nNews from {day}: the council of Oslo met to vote on a budget."
        client.post("/v1/articles", json={"text": text, "published_at": f"{day}T00:00:00Z"})
    first = client.get("/v1/articles", params={"limit": 2})
    page = first.json()
    assert [a["published_at"][:10] for a in page["items"]] == ["2021-03-01", "2021-02-01"]
    assert page["next_cursor"]
    assert 'rel="next"' in first.headers["link"]
    second = client.get("/v1/articles", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [a["published_at"][:10] for a in second["items"]] == ["2021-01-01"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ", "A" * 40])
def test_bad_cursor_is_400(client: TestClient, cursor: str) -> None:
    assert_problem(client.get("/v1/articles", params={"cursor": cursor}), 400)


def test_cursor_of_another_list_is_400(client: TestClient) -> None:
    for n in range(3):
        client.post(
            "/v1/articles", json={"text": f"Note {n}\n\nThe mayor of Rome spoke {n} times."}
        )
    cursor = client.get("/v1/articles", params={"limit": 1}).json()["next_cursor"]
    assert_problem(client.get("/v1/entities", params={"cursor": cursor}), 400)


@pytest.mark.parametrize("limit", ["0", "101", "-5", "many"])
def test_limit_out_of_range_is_422(client: TestClient, limit: str) -> None:
    assert_problem(client.get("/v1/articles", params={"limit": limit}), 422)


def test_mentions_point_into_the_body(client: TestClient) -> None:
    article = client.post("/v1/articles", json={"text": SHORT}).json()
    mentions = client.get(f"/v1/articles/{article['id']}/mentions?limit=100").json()["items"]
    assert mentions, "the storm article names Portugal and Lisbon"
    for mention in mentions:
        if mention["zone"] in ("body", "subhead"):
            assert article["body"][mention["start"] : mention["end"]] == mention["text"]
        assert {"id", "name", "type"} <= set(mention["entity"])


def test_mentions_are_a_list_page_in_reading_order(client: TestClient, seed_text: str) -> None:
    article = client.post("/v1/articles", json={"text": seed_text}).json()
    url = f"/v1/articles/{article['id']}/mentions"
    whole = client.get(url, params={"limit": 100}).json()
    assert set(whole) == {"items", "next_cursor"} and whole["next_cursor"] is None
    assert len(whole["items"]) > 10, "the seed article names many people, places and things"
    order = [(m["zone"], m["zone_index"], m["start"]) for m in whole["items"]]
    assert order == sorted(order)
    paged: list[dict[str, Any]] = []
    response = client.get(url, params={"limit": 7})
    while True:
        page = response.json()
        assert len(page["items"]) <= 7
        paged += page["items"]
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert 'rel="next"' in response.headers["link"]
        response = client.get(url, params={"limit": 7, "cursor": page["next_cursor"]})
    assert paged == whole["items"]


@pytest.mark.parametrize("limit", ["0", "101"])
def test_mentions_limit_out_of_range_is_422(client: TestClient, limit: str) -> None:
    article = client.post("/v1/articles", json={"text": SHORT}).json()
    assert_problem(client.get(f"/v1/articles/{article['id']}/mentions?limit={limit}"), 422)


def test_mentions_cursor_of_another_article_is_400(client: TestClient) -> None:
    first = client.post("/v1/articles", json={"text": SHORT}).json()
    second = client.post("/v1/articles", json={"text": SHORT + " Rain followed."}).json()
    cursor = client.get(f"/v1/articles/{first['id']}/mentions?limit=1").json()["next_cursor"]
    assert cursor is not None
    response = client.get(f"/v1/articles/{second['id']}/mentions", params={"cursor": cursor})
    assert_problem(response, 400)


def test_reextract_replaces_facts_with_the_current_version(
    client: TestClient, session: Session
) -> None:
    article = client.post("/v1/articles", json={"text": SHORT}).json()
    session.execute(update(Mention).values(extractor_version="0.0.1"))
    session.execute(update(Article).values(extractor_version="0.0.1"))
    again = client.post(f"/v1/articles/{article['id']}/reextract")
    assert again.status_code == 200
    assert again.json()["extractor_version"] == EXTRACTOR_VERSION
    versions = set(session.scalars(select(Mention.extractor_version)))
    assert versions == {EXTRACTOR_VERSION}
    assert again.json()["entities"] == article["entities"]


def test_reextract_unknown_article_is_404(client: TestClient) -> None:
    assert_problem(client.post("/v1/articles/999999/reextract"), 404)


def test_amounts_show_rates_and_approximate_figures(client: TestClient) -> None:
    text = (
        "Outages spread\n\n"
        "The outages left hundreds of thousands of customers without power, and the county "
        "recorded 25.9 cases per 100,000 people."
    )
    article = client.post("/v1/articles", json={"text": text}).json()
    by_text = {a["text"]: a for a in article["amounts"]}
    vague = by_text["hundreds of thousands of customers"]
    assert (vague["value"], vague["unit"], vague["approximate"]) == (1e5, "customers", True)
    rate = by_text["25.9 cases per 100,000 people"]
    assert (rate["kind"], rate["unit"], rate["approximate"]) == (
        "rate",
        "cases per 100,000 people",
        False,
    )


HTML_PAGES = Path(__file__).resolve().parents[2] / "fixtures" / "html"


def furniture_in(article: dict[str, Any], snippets: list[str]) -> list[str]:
    """Furniture snippets that became an entity's name or one of an article's facts."""
    names = [entity["name"] for entity in article["entities"]]
    captions = [image["caption"] for image in article["images"]]
    return [s for s in snippets if any(s in text for text in [*names, *captions])]


@pytest.mark.parametrize("name", ["gallery", "broadsheet", "tabloid", "wire"])
def test_post_html_page_stores_no_fact_from_page_furniture(client: TestClient, name: str) -> None:
    gold = json.loads((HTML_PAGES / f"{name}.json").read_text(encoding="utf-8"))
    page = (HTML_PAGES / f"{name}.html").read_bytes()
    response = client.post(
        "/v1/articles", content=page, headers={"content-type": "text/html; charset=utf-8"}
    )
    assert response.status_code == 201
    article = response.json()
    assert article["body"] == gold["body"]
    assert article["entities"], "the article's own people and places are found"
    assert furniture_in(article, gold["without"]) == []
    for entity in article["entities"]:  # no glued names ("LondonReuters")
        assert not re.search(r"[a-z][A-Z]|\d[A-Z]", entity["name"].replace("Mc", "")), entity


@pytest.mark.parametrize(
    "content_type", ["text/html; charset=windows-1252", "text/html", "text/html; charset=bogus"]
)
def test_post_html_in_a_legacy_charset(client: TestClient, content_type: str) -> None:
    page = (HTML_PAGES / "legacy.html").read_bytes()
    response = client.post("/v1/articles", content=page, headers={"content-type": content_type})
    assert response.status_code == 201
    assert "François Dupont" in response.json()["body"]
    assert "AFP" in response.json()["agencies"]


def test_post_html_with_an_xml_declaration(client: TestClient) -> None:
    html = (HTML_PAGES / "xmldecl.html").read_text(encoding="utf-8")
    response = client.post("/v1/articles", json={"html": html})
    assert response.status_code == 201
    assert response.json()["body"].startswith("The Senate passed")


def test_dateline_is_the_articles_place_and_not_in_the_body(client: TestClient) -> None:
    text = (
        "Council raises fares\n\n"
        "SAN ANTONIO (Reuters) - The city council voted on Tuesday to raise bus fares by a "
        "quarter, the first rise in a decade."
    )
    created = client.post("/v1/articles", json={"text": text})
    assert created.status_code == 201
    article = client.get(created.headers["location"]).json()
    assert article["dateline"] == "SAN ANTONIO"
    assert "Reuters" in article["agencies"]
    assert article["body"].startswith("The city council")


def test_an_article_is_answered_from_its_stored_answer(
    client: TestClient, session: Session
) -> None:
    from app.db.models import ArticleAnswer

    article_id = client.post("/v1/articles", json={"text": SHORT}).json()["id"]
    built = client.get(f"/v1/articles/{article_id}")
    stored = session.get(ArticleAnswer, article_id)
    assert stored is not None and bytes(stored.body) == built.content
    assert stored.etag == built.headers["etag"]
    # The route reads the row: a row it trusts is what it answers, ETag and 304 included.
    session.execute(
        update(ArticleAnswer)
        .where(ArticleAnswer.article_id == article_id)
        .values(body=b'{"stored": true}', etag='"stored"')
    )
    session.commit()
    answer = client.get(f"/v1/articles/{article_id}")
    assert (answer.content, answer.headers["etag"]) == (b'{"stored": true}', '"stored"')
    assert (
        client.get(f"/v1/articles/{article_id}", headers={"If-None-Match": '"stored"'}).status_code
        == 304
    )
    # A row another version of NewsKB stored is ignored: the answer is built.
    session.execute(update(ArticleAnswer).values(format="0.0.1-1-old"))
    session.commit()
    rebuilt = client.get(f"/v1/articles/{article_id}")
    assert (rebuilt.content, rebuilt.headers["etag"]) == (built.content, built.headers["etag"])

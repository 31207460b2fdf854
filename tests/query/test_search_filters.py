"""GET /v1/articles filters: each alone and combined with each other and with q."""

from typing import Any

from fastapi.testclient import TestClient

from tests.query.conftest import Corpus


def ids(api: TestClient, **params: Any) -> list[int]:
    response = api.get("/v1/articles", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def entity_id(api: TestClient, q: str) -> int:
    found: int = api.get("/v1/entities", params={"q": q}).json()["items"][0]["id"]
    return found


def test_source_filter(api: TestClient, corpus: Corpus) -> None:
    assert set(ids(api, source="Wikinews")) == set(corpus.wikinews_ids)
    assert ids(api, source="dw") == [corpus.seed_id]


def test_section_filter(api: TestClient, corpus: Corpus) -> None:
    sport = corpus.section_ids("Sport")
    assert sport and set(ids(api, section="sport")) == set(sport)
    politics = {corpus.seed_id, *corpus.section_ids("Politics")}
    assert set(ids(api, section="Politics")) == politics
    assert ids(api, section="Politics", source="DW") == [corpus.seed_id]


def test_tag_filter(api: TestClient, corpus: Corpus) -> None:
    assert ids(api, tag="belarus") == [corpus.seed_id]
    assert ids(api, tag="no such tag") == []


def test_language_filter(api: TestClient, corpus: Corpus) -> None:
    assert len(ids(api, language="en")) == corpus.size
    assert ids(api, language="de") == []


def test_published_range_is_inclusive(api: TestClient, corpus: Corpus) -> None:
    assert ids(api, published_from="2021-09-12", published_to="2021-09-12") == [corpus.seed_id]
    assert corpus.seed_id not in ids(api, published_to="2021-09-11")
    assert corpus.seed_id not in ids(api, published_from="2021-09-13")


def test_published_range_keeps_dated_articles_only(api: TestClient, corpus: Corpus) -> None:
    dated = set(ids(api, published_from="1900-01-01"))
    assert corpus.undated_ids
    assert dated == {corpus.seed_id, *corpus.wikinews_ids} - set(corpus.undated_ids)


def test_entity_filter_needs_every_entity(api: TestClient, corpus: Corpus) -> None:
    lukashenko, russia = entity_id(api, "lukashenko"), entity_id(api, "russia")
    with_russia = set(ids(api, entity=russia))
    assert corpus.seed_id in with_russia and len(with_russia) >= 2
    assert ids(api, entity=[lukashenko, russia]) == [corpus.seed_id]


def test_filters_combine_with_q(api: TestClient, corpus: Corpus) -> None:
    fire = set(ids(api, q="fire"))
    fire_wikinews = set(ids(api, q="fire", source="Wikinews"))
    assert fire_wikinews == fire & set(corpus.wikinews_ids)
    assert ids(api, q="fire", source="Wikinews", published_to="2000-01-01") == []


def test_unknown_filter_values_are_empty_not_errors(api: TestClient) -> None:
    assert ids(api, source="Nowhere", section="None") == []
    assert ids(api, entity=2_000_000_000) == []


def test_invalid_filter_values_are_422(api: TestClient) -> None:
    assert api.get("/v1/articles", params={"published_from": "soon"}).status_code == 422
    assert api.get("/v1/articles", params={"entity": "x"}).status_code == 422
    assert api.get("/v1/articles", params={"sort": "title"}).status_code == 422
    assert api.get("/v1/articles", params={"limit": 101}).status_code == 422


def test_date_sort_pages_do_not_overlap(api: TestClient, corpus: Corpus) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 7, "sort": "published_at"}
    while True:
        page = api.get("/v1/articles", params=params).json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen)) == corpus.size
    assert seen == ids(api, sort="published_at")


def test_tampered_cursor_is_a_400(api: TestClient) -> None:
    cursor = api.get("/v1/articles", params={"limit": 1}).json()["next_cursor"]
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad in (forged, "not-a-cursor", "%%%", "A" * 40):
        response = api.get("/v1/articles", params={"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json()["type"].endswith("/invalid-cursor")

"""Search snippets: characters of the text itself never turn into highlights."""

from fastapi.testclient import TestClient

MARKED = "\ue000harbour\ue001"


def snippet_for(client: TestClient, query: str) -> str:
    response = client.get("/v1/articles", params={"q": query})
    assert response.status_code == 200, response.text
    (hit,) = response.json()["items"]
    snippet: str = hit["snippet"]
    return snippet


def test_private_use_markers_in_the_text_do_not_become_marks(client: TestClient) -> None:
    text = (
        f"Officials said the {MARKED} at Dunmore reopened on Monday after the storm. "
        "The ferry timetable returns to normal next week, the port authority said."
    )
    created = client.post("/v1/articles", json={"title": "Dunmore port reopens", "text": text})
    assert created.status_code == 201, created.text
    stored = client.get(f"/v1/articles/{created.json()['id']}").json()["body"]
    assert MARKED in stored  # the text keeps its characters; only the snippet is at stake
    snippet = snippet_for(client, "ferry")
    assert "harbour" in snippet
    assert "<mark>harbour</mark>" not in snippet
    assert "\ue000" not in snippet and "\ue001" not in snippet


def test_a_text_without_markers_is_highlighted(client: TestClient) -> None:
    text = "The ferry timetable returns to normal next week, the port authority said on Monday."
    created = client.post("/v1/articles", json={"title": "Timetable", "text": text})
    assert created.status_code == 201, created.text
    assert "<mark>ferry</mark>" in snippet_for(client, "ferry").lower()

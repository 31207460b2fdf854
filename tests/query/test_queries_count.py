"""No N+1: a page of 100 is answered in a bounded number of SQL statements."""

import pytest
from fastapi.testclient import TestClient

from tests.query.conftest import StatementCounter

BOUND = 8
# A timeline page reads the entity (2 statements), the ids of its articles and events (2), then
# its items in one statement (the events' stored items and the articles with their sources:
# ``app.kb.pages.timeline_rows``).
TIMELINE_BOUND = 5


@pytest.mark.parametrize(
    "path",
    [
        "/v1/articles?limit=100",
        "/v1/articles?limit=100&q=said OR the OR a OR year",
        "/v1/articles?limit=100&sort=published_at&source=Wikinews",
        "/v1/entities?limit=100",
        "/v1/entities?limit=100&sort=-last_seen",
        "/v1/events?limit=100",
        "/v1/quotes?limit=100",
        "/v1/search?q=said&limit=100",
    ],
)
def test_a_page_of_100_takes_a_bounded_number_of_statements(
    api: TestClient, statements: StatementCounter, path: str
) -> None:
    response = api.get(path)
    assert response.status_code == 200
    assert len(response.json().get("items", [1])) > 20 or "search" in path
    assert 2 <= statements.count <= BOUND * (3 if "search" in path else 1), statements.count


@pytest.mark.parametrize(("sub", "bound"), [("related", BOUND), ("timeline", TIMELINE_BOUND)])
def test_related_and_timeline_of_a_busy_entity_are_bounded(
    api: TestClient, statements: StatementCounter, sub: str, bound: int
) -> None:
    """More items than statements: one statement per item (N+1) would exceed the bound."""
    usa = api.get("/v1/entities", params={"limit": 1}).json()["items"][0]["id"]
    start = statements.count
    items = api.get(f"/v1/entities/{usa}/{sub}?limit=100").json()["items"]
    assert len(items) > bound
    assert statements.count - start <= bound

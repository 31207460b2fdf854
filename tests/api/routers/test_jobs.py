"""The jobs API on the inline path (no broker configured): SQLite's zero set-up.

A batch is ingested before the answer; each job says what became of its document. The queued
path, on a real RabbitMQ with real workers, is tested in tests/reliability/test_queue.py.
"""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Article, Job
from tests.api.routers.test_articles import SHORT, assert_problem

OTHER = (
    "Bridge reopens\n\nThe main bridge of Riga reopened on Friday after two years of repairs, "
    "the city council of Latvia's capital said."
)
EMPTY_PAGE = "<html><body><script>x()</script></body></html>"


def submit(client: TestClient, *documents: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/v1/jobs", json={"documents": list(documents)})
    assert response.status_code == 202, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_batch_is_ingested_inline_and_each_job_is_done_with_its_article(
    client: TestClient, session: Session
) -> None:
    first, second = submit(client, {"text": SHORT}, {"text": OTHER, "source": "Wire"})
    assert first["state"] == second["state"] == "done"
    assert first["duplicate"] is False and first["attempts"] == 1
    article = client.get(f"/v1/articles/{second['article_id']}").json()
    assert article["title"] == "Bridge reopens" and article["source"]["name"] == "Wire"


def test_a_copy_in_the_batch_is_done_as_a_duplicate_of_the_first(
    client: TestClient, session: Session
) -> None:
    first, copy = submit(client, {"text": SHORT}, {"text": SHORT})
    assert copy["duplicate"] is True and copy["article_id"] == first["article_id"]
    assert session.scalar(select(func.count()).select_from(Article)) == 1


def test_a_document_without_text_fails_with_its_problem(client: TestClient) -> None:
    (failed,) = submit(client, {"html": EMPTY_PAGE})
    assert failed["state"] == "failed" and failed["article_id"] is None
    assert failed["problem"]["type"].endswith("/empty-article")
    assert failed["problem"]["status"] == 422


def test_one_invalid_document_refuses_the_batch_and_queues_nothing(
    client: TestClient, session: Session
) -> None:
    response = client.post(
        "/v1/jobs",
        json={
            "documents": [
                {"text": SHORT},
                {"text": SHORT, "published_at": "0001-01-01T00:00:00+01:00"},
            ]
        },
    )
    problem = assert_problem(response, 422)
    assert problem["detail"].startswith("Document 1: ")
    assert problem["errors"][0]["loc"] == ["body", "documents", 1, "published_at"]
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_an_empty_batch_is_refused(client: TestClient) -> None:
    assert_problem(client.post("/v1/jobs", json={"documents": []}), 422)


def test_get_job_answers_its_state(client: TestClient) -> None:
    (done,) = submit(client, {"text": SHORT})
    assert client.get(f"/v1/jobs/{done['id']}").json() == done


def test_unknown_job_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/jobs/999999"), 404)


def test_jobs_are_listed_newest_first_by_state_with_a_cursor(client: TestClient) -> None:
    jobs = submit(client, {"text": SHORT}, {"html": EMPTY_PAGE}, {"text": OTHER})
    first = client.get("/v1/jobs", params={"state": "done", "limit": 1}).json()
    assert [j["id"] for j in first["items"]] == [jobs[2]["id"]]
    rest = client.get("/v1/jobs", params={"state": "done", "cursor": first["next_cursor"]})
    assert [j["id"] for j in rest.json()["items"]] == [jobs[0]["id"]]
    failed = client.get("/v1/jobs", params={"state": "failed"}).json()["items"]
    assert [j["id"] for j in failed] == [jobs[1]["id"]]


def test_an_unknown_state_filter_is_refused(client: TestClient) -> None:
    assert_problem(client.get("/v1/jobs", params={"state": "lost"}), 422)


def test_a_failed_job_can_be_retried(client: TestClient) -> None:
    (failed,) = submit(client, {"html": EMPTY_PAGE})
    response = client.post(f"/v1/jobs/{failed['id']}/retry")
    assert response.status_code == 202
    assert response.headers["location"].endswith(f"/v1/jobs/{failed['id']}")
    assert response.json()["attempts"] == 1  # counted from zero again, then run once inline
    assert response.json()["started_at"] != failed["started_at"]


def test_a_done_job_cannot_be_retried(client: TestClient) -> None:
    (done,) = submit(client, {"text": SHORT})
    assert_problem(client.post(f"/v1/jobs/{done['id']}/retry"), 409)


def test_respond_async_without_a_queue_is_not_applied(client: TestClient) -> None:
    response = client.post(
        "/v1/articles", json={"text": SHORT}, headers={"Prefer": "respond-async"}
    )
    assert response.status_code == 201
    assert "preference-applied" not in response.headers
    assert response.headers["location"].endswith(f"/v1/articles/{response.json()['id']}")


def test_submitting_jobs_needs_the_write_key(app: Any) -> None:
    with TestClient(app) as anonymous:
        response = anonymous.post("/v1/jobs", json={"documents": [{"text": SHORT}]})
    assert response.status_code in (401, 403)


def test_metrics_count_jobs_by_state_and_outcome(client: TestClient) -> None:
    submit(client, {"text": SHORT}, {"text": SHORT}, {"html": EMPTY_PAGE})
    lines = client.get("/metrics").text.splitlines()
    assert 'newskb_queue_jobs{state="done"} 2.0' in lines
    assert 'newskb_queue_outcomes{outcome="created"} 1.0' in lines
    assert 'newskb_queue_outcomes{outcome="duplicate"} 1.0' in lines
    assert 'newskb_queue_outcomes{outcome="failed"} 1.0' in lines

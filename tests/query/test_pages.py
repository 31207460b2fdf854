"""Article and event answers built from Core rows are the answers the ORM built, byte for byte."""

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.query.conftest import Corpus
from tests.query.reference_pages import reference_article_read, reference_event_read


def _assert_same_as_reference(api: TestClient, session: Session, article_id: int) -> None:
    answer = api.get(f"/v1/articles/{article_id}")
    expected = reference_article_read(session, article_id).model_dump_json().encode()
    assert answer.status_code == 200
    assert answer.content == expected
    assert answer.headers["etag"] == f'"{hashlib.sha256(expected).hexdigest()[:32]}"'


def _assert_same_event(api: TestClient, session: Session, event_id: int) -> None:
    answer = api.get(f"/v1/events/{event_id}")
    expected = reference_event_read(session, event_id).model_dump_json().encode()
    assert answer.status_code == 200
    assert answer.content == expected
    assert answer.headers["etag"] == f'"{hashlib.sha256(expected).hexdigest()[:32]}"'


def _event_ids(api: TestClient) -> list[int]:
    ids: list[int] = []
    params: dict[str, str | int] = {"limit": 100}
    while True:
        page = api.get("/v1/events", params=params)
        ids += [event["id"] for event in page.json()["items"]]
        if not (cursor := page.json()["next_cursor"]):
            return ids
        params["cursor"] = cursor


def test_every_fixture_event_answers_as_the_orm_built_it(
    api: TestClient, corpus_session: Session
) -> None:
    ids = _event_ids(api)
    assert len(ids) > 20
    for event_id in ids:
        _assert_same_event(api, corpus_session, event_id)


def test_every_fixture_article_answers_as_the_orm_built_it(
    api: TestClient, corpus: Corpus, corpus_session: Session
) -> None:
    for article_id in [corpus.seed_id, *corpus.wikinews_ids]:
        _assert_same_as_reference(api, corpus_session, article_id)


def test_after_curation_the_answers_still_match(
    api: TestClient, corpus: Corpus, corpus_session: Session
) -> None:
    """Merged and renamed entities: the references in roles, quotes and events follow."""
    people = api.get("/v1/entities", params={"type": "person", "limit": 3}).json()["items"]
    first, second, third = (person["id"] for person in people)
    assert api.post(f"/v1/entities/{second}/merge", json={"into": first}).is_success
    assert api.patch(f"/v1/entities/{third}", json={"name": "Someone Renamed"}).is_success
    for article_id in [corpus.seed_id, *corpus.wikinews_ids]:
        _assert_same_as_reference(api, corpus_session, article_id)
    for event_id in _event_ids(api):
        _assert_same_event(api, corpus_session, event_id)


def test_a_missing_article_is_404(api: TestClient) -> None:
    answer = api.get("/v1/articles/999999")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_missing_event_is_404(api: TestClient) -> None:
    answer = api.get("/v1/events/999999")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"

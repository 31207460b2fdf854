"""Answers built from Core rows are the answers the ORM built: the article and event pages
byte for byte, event lists and timelines item for item."""

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Entity, Event
from app.kb import entities, pages
from app.schemas.common import Page
from app.schemas.entities import EntityRead
from app.schemas.events import EventRead, TimelineItem
from tests.query.conftest import Corpus
from tests.query.reference_pages import (
    reference_article_read,
    reference_entity_read,
    reference_event_items,
    reference_event_read,
    reference_timeline_items,
)


def _assert_same_answer(api: TestClient, path: str, reference: BaseModel) -> None:
    """The API's bytes and ETag are those of the reference model's JSON."""
    answer = api.get(path)
    expected = reference.model_dump_json().encode()
    assert answer.status_code == 200
    assert answer.content == expected
    assert answer.headers["etag"] == f'"{hashlib.sha256(expected).hexdigest()[:32]}"'


def _assert_same_as_reference(api: TestClient, session: Session, article_id: int) -> None:
    reference = reference_article_read(session, article_id)
    _assert_same_answer(api, f"/v1/articles/{article_id}", reference)


def _assert_same_event(api: TestClient, session: Session, event_id: int) -> None:
    _assert_same_answer(api, f"/v1/events/{event_id}", reference_event_read(session, event_id))


def _assert_same_entity(api: TestClient, session: Session, entity_id: int) -> None:
    reference = reference_entity_read(session, entity_id)
    _assert_same_answer(api, f"/v1/entities/{entity_id}", reference)


def _live_entity_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Entity.id).where(Entity.merged_into_id.is_(None))))


def test_every_fixture_entity_answers_as_the_orm_built_it(
    api: TestClient, corpus_session: Session
) -> None:
    ids = _live_entity_ids(corpus_session)
    with_roles = 0
    for entity_id in ids:
        _assert_same_entity(api, corpus_session, entity_id)
        with_roles += bool(reference_entity_read(corpus_session, entity_id).roles)
    assert len(ids) > 300 and with_roles > 20


def test_many_entity_pages_read_together_are_each_entitys_page(
    corpus_session: Session,
) -> None:
    """``entity_pages`` (what a write stores, in one statement) builds the answers that
    ``entity_page`` builds one by one, roles ranked within each person."""
    ids = list(corpus_session.scalars(select(Entity.id)))
    together = pages.entity_pages(corpus_session, [*ids, max(ids) + 1])
    assert sorted(together) == sorted(ids)
    for entity_id in ids:
        alone = EntityRead.model_validate(pages.entity_page(corpus_session, entity_id))
        assert EntityRead.model_validate(together[entity_id]) == alone, entity_id
    with_roles = [page for page in together.values() if len(page["roles"]) > 1]
    assert len(with_roles) >= 3  # several people with several roles each


def test_many_entity_pages_cap_each_persons_roles_as_one_page_does(
    corpus_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entities, "ROLE_SUMMARY_LIMIT", 1)
    ids = list(corpus_session.scalars(select(Entity.id)))
    together = pages.entity_pages(corpus_session, ids)
    capped = [page for page in together.values() if page["role_count"] > 1]
    assert len(capped) >= 3
    for page in capped:
        alone = pages.entity_page(corpus_session, page["id"])
        assert len(page["roles"]) == 1
        assert EntityRead.model_validate(page) == EntityRead.model_validate(alone)


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
    for entity_id in _live_entity_ids(corpus_session):
        _assert_same_entity(api, corpus_session, entity_id)


def test_a_missing_article_is_404(api: TestClient) -> None:
    answer = api.get("/v1/articles/999999")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_missing_event_is_404(api: TestClient) -> None:
    answer = api.get("/v1/events/999999")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def _pages(api: TestClient, path: str, **params: str | int) -> list[dict[str, Any]]:
    """Every page of a list, walked by its cursors, as parsed JSON."""
    pages: list[dict[str, Any]] = []
    while True:
        page = api.get(path, params=params)
        assert page.status_code == 200
        pages.append(page.json())
        if not (cursor := page.json()["next_cursor"]):
            return pages
        params["cursor"] = cursor


def _same_items(got: list[dict[str, Any]], expected: list[Any]) -> None:
    assert got == [json.loads(item.model_dump_json()) for item in expected]


def test_event_lists_answer_as_the_orm_built_them(api: TestClient, corpus_session: Session) -> None:
    """`/v1/events` (plain, by participant, by words) and an entity's events, page by page."""
    people = api.get("/v1/entities", params={"type": "person", "limit": 2}).json()["items"]
    lists = [
        ("/v1/events", {"limit": 7}),
        ("/v1/events", {"limit": 5, "entity": people[0]["id"]}),
        ("/v1/events", {"limit": 5, "q": "the"}),
        (f"/v1/entities/{people[1]['id']}/events", {"limit": 3}),
    ]
    for path, params in lists:
        listed = []
        for page in _pages(api, path, **params):
            ids = [item["id"] for item in page["items"]]
            _same_items(page["items"], reference_event_items(corpus_session, ids))
            listed += page["items"]
        order = [(item["date_start"] or "9999-12-31", item["id"]) for item in listed]
        assert order == sorted(order) and len(set(order)) == len(order)
        if path == "/v1/events" and "entity" not in params and "q" not in params:
            assert [item["id"] for item in listed] == _orm_event_order(corpus_session)


def test_event_lists_answer_the_bytes_their_models_serialize(
    api: TestClient, corpus_session: Session
) -> None:
    """A page of stored event items is the JSON ``Page[EventRead]`` serializes, byte for
    byte (``app.api.pages.page_answer``): cursors and non-ASCII names included."""
    person = api.get("/v1/entities", params={"type": "person", "limit": 1}).json()["items"][0]
    for path, params in [
        ("/v1/events", {"limit": 7}),
        ("/v1/events", {"limit": 3, "q": "the"}),
        ("/v1/events", {"limit": 100}),
        (f"/v1/entities/{person['id']}/events", {"limit": 2}),
    ]:
        answer = api.get(path, params=params)
        page = answer.json()
        ids = [item["id"] for item in page["items"]]
        assert ids, path
        items = reference_event_items(corpus_session, ids)
        expected = Page[EventRead](items=items, next_cursor=page["next_cursor"])
        assert answer.content == expected.model_dump_json().encode("utf-8"), path


def _orm_event_order(session: Session) -> list[int]:
    undated = date(9999, 12, 31)
    return [
        event.id
        for event in sorted(
            session.scalars(select(Event)), key=lambda e: (e.date_start or undated, e.id)
        )
    ]


def test_timelines_answer_as_the_orm_built_them(api: TestClient, corpus_session: Session) -> None:
    entities = api.get("/v1/entities", params={"limit": 25}).json()["items"]
    kinds: set[str] = set()
    for entity in entities:
        for page in _pages(api, f"/v1/entities/{entity['id']}/timeline", limit=9):
            _same_items(page["items"], reference_timeline_items(corpus_session, page["items"]))
            kinds |= {item["kind"] for item in page["items"]}
    assert kinds == {"event", "article"}


def test_timelines_answer_the_bytes_their_models_serialize(
    api: TestClient, corpus_session: Session
) -> None:
    """Event items stored, article items built: the JSON ``Page[TimelineItem]`` serializes."""
    kinds: set[str] = set()
    for entity in api.get("/v1/entities", params={"limit": 10}).json()["items"]:
        answer = api.get(f"/v1/entities/{entity['id']}/timeline", params={"limit": 9})
        page = answer.json()
        items = reference_timeline_items(corpus_session, page["items"])
        expected = Page[TimelineItem](items=items, next_cursor=page["next_cursor"])
        assert answer.content == expected.model_dump_json().encode("utf-8"), entity
        kinds |= {item["kind"] for item in page["items"]}
    assert kinds == {"event", "article"}

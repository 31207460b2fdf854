"""Entity name search: a prefix with few matching aliases is resolved to entity ids first
(``app.kb.entities.name_filter``); more than ``NAME_CANDIDATES`` keep the alias test. Both
ways find the same entities, in the same order, with the same type counts."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.kb import entities as kb_entities
from tests.query.test_explain import recorded
from tests.query.test_search_window import pages

PREFIXES = ["lukash", "ma", "bel", "united", "zzzq"]


def answers(api: TestClient, q: str) -> dict[str, Any]:
    """What entity search answers for ``q``: /v1/search's entity section and type facets, and
    every page of /v1/entities in each order."""
    result = api.get("/v1/search", params={"q": q, "limit": 3}).json()
    found: dict[str, Any] = {
        "section": [e["id"] for e in result["entities"]["items"]],
        "types": result["facets"]["entity_types"],
    }
    for sort in ("-mentions", "name", "-last_seen"):
        found[sort] = pages(api, "/v1/entities", q=q, sort=sort, limit=2)
    return found


@pytest.mark.parametrize("q", PREFIXES)
def test_resolved_ids_find_what_the_alias_test_finds(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, q: str
) -> None:
    resolved = answers(api, q)
    monkeypatch.setattr(kb_entities, "NAME_CANDIDATES", 0)  # every prefix: the alias test
    assert answers(api, q) == resolved
    if q != "zzzq":
        assert resolved["section"], "the prefix should match entities of the corpus"


def _listing(api: TestClient, session: Session) -> str:
    with recorded(session.connection()) as statements:
        assert api.get("/v1/entities", params={"q": "lukash"}).status_code == 200
    return next(s for s, _ in statements if "FROM entities JOIN entity_stats" in s)


def test_a_rare_prefix_lists_resolved_ids(
    api: TestClient, corpus_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list's statement tests ids, not aliases, unless the prefix has too many matches."""
    assert "entity_aliases" not in _listing(api, corpus_session)
    monkeypatch.setattr(kb_entities, "NAME_CANDIDATES", 0)
    assert "entity_aliases" in _listing(api, corpus_session)


# The alias lookup itself (the list's selectinload of aliases has no LIKE).
_LOOKUP = re.compile(
    r"^SELECT entity_aliases\.entity_id\s+FROM entity_aliases\s+WHERE .*LIKE", re.DOTALL
)


@pytest.mark.parametrize("candidates", [kb_entities.NAME_CANDIDATES, 0])
def test_search_looks_the_name_up_once(
    api: TestClient, corpus_session: Session, monkeypatch: pytest.MonkeyPatch, candidates: int
) -> None:
    """The entity section and the type facets share one alias lookup, whichever way the
    prefix is resolved."""
    monkeypatch.setattr(kb_entities, "NAME_CANDIDATES", candidates)
    with recorded(corpus_session.connection()) as statements:
        result = api.get("/v1/search", params={"q": "lukash", "limit": 3}).json()
    assert result["entities"]["items"] and result["facets"]["entity_types"]
    lookups = [s for s, _ in statements if _LOOKUP.match(s.lstrip())]
    assert len(lookups) == 1, lookups

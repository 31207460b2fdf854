"""GET /v1/export?format=graphml|neo4j-*: the graph, read back with networkx and checked
against what the API itself answers about the same six ingested articles."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.kb.export.corpus import export_database


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with (
        export_database(tmp_path_factory.mktemp("graph")) as url,
        TestClient(create_app(Settings(database_url=url, read_cache_size=0))) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def graph(api: TestClient) -> nx.MultiDiGraph:
    response = api.get("/v1/export", params={"format": "graphml"})
    assert response.status_code == 200
    loaded = nx.read_graphml(io.BytesIO(response.content), force_multigraph=True)
    assert isinstance(loaded, nx.MultiDiGraph)
    return loaded


def every(api: TestClient, path: str) -> list[dict[str, Any]]:
    """Every item of a paginated list."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = api.get(path, params=params).json()
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]


def edges(graph: nx.MultiDiGraph, label: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(s, t, d) for s, t, d in graph.edges(data=True) if d["label"] == label]


def test_graphml_downloads_as_a_named_file(api: TestClient) -> None:
    response = api.get("/v1/export", params={"format": "graphml"})
    assert response.headers["content-type"] == "application/graphml+xml"
    assert response.headers["content-disposition"] == 'attachment; filename="newskb.graphml"'


def test_nodes_are_the_entities_events_and_articles_of_the_api(
    api: TestClient, graph: nx.MultiDiGraph
) -> None:
    entities = {f"e{e['id']}": e for e in every(api, "/v1/entities")}
    events = {f"v{e['id']}" for e in every(api, "/v1/events")}
    articles = {f"a{a['id']}" for a in every(api, "/v1/articles")}
    assert set(graph.nodes) == set(entities) | events | articles
    for node_id, entity in entities.items():
        node = graph.nodes[node_id]
        assert (node["name"], node["type"]) == (entity["name"], entity["type"])
        assert node["mention_count"] == entity["mention_count"]


def test_co_mention_weights_are_the_shared_articles_and_sentences(
    api: TestClient, graph: nx.MultiDiGraph
) -> None:
    shared_articles: dict[tuple[int, int], set[int]] = defaultdict(set)
    shared_sentences: dict[tuple[int, int], set[tuple[Any, ...]]] = defaultdict(set)
    for article in every(api, "/v1/articles"):
        mentions = every(api, f"/v1/articles/{article['id']}/mentions")
        named = {m["entity"]["id"] for m in mentions}
        for a in named:
            for b in named:
                if a < b:
                    shared_articles[a, b].add(article["id"])
        by_sentence: dict[tuple[Any, ...], set[int]] = defaultdict(set)
        for m in mentions:
            by_sentence[article["id"], m["zone"], m["zone_index"], m["sentence"]].add(
                m["entity"]["id"]
            )
        for sentence, ids in by_sentence.items():
            for a in ids:
                for b in ids:
                    if a < b:
                        shared_sentences[a, b].add(sentence)
    found = {
        (int(s[1:]), int(t[1:])): (d["articles"], d["sentences"], d["weight"])
        for s, t, d in edges(graph, "CO_MENTIONED")
    }
    expected = {
        pair: (len(ids), len(shared_sentences[pair]), len(ids))
        for pair, ids in shared_articles.items()
    }
    assert found == expected
    assert any(sentences > 0 for _, sentences, _ in found.values())
    assert any(articles > 1 for articles, _, _ in found.values())


def test_participation_edges_carry_the_roles_of_the_api(
    api: TestClient, graph: nx.MultiDiGraph
) -> None:
    expected = {
        (f"e{p['entity']['id']}", f"v{event['id']}", p["role"])
        for event in every(api, "/v1/events")
        for p in api.get(f"/v1/events/{event['id']}").json()["participants"]
    }
    found = {(s, t, d["role"]) for s, t, d in edges(graph, "PARTICIPATED_IN")}
    assert found == expected
    assert expected


def test_quote_edges_run_from_speaker_to_article(api: TestClient, graph: nx.MultiDiGraph) -> None:
    expected = {
        (f"e{q['speaker']['id']}", f"a{article['id']}", q["id"])
        for article in every(api, "/v1/articles")
        for q in api.get(f"/v1/articles/{article['id']}").json()["quotes"]
        if q["speaker"] is not None
    }
    found = {(s, t, d["quote_id"]) for s, t, d in edges(graph, "QUOTED")}
    assert found == expected
    assert expected


def test_report_edges_link_each_event_to_its_articles(
    api: TestClient, graph: nx.MultiDiGraph
) -> None:
    expected = {
        (f"v{event['id']}", f"a{span['article_id']}")
        for event in every(api, "/v1/events")
        for span in api.get(f"/v1/events/{event['id']}").json()["evidence"]
    }
    assert {(s, t) for s, t, _ in edges(graph, "REPORTED_IN")} == expected


def test_location_edges_are_the_places_of_the_events(
    api: TestClient, graph: nx.MultiDiGraph
) -> None:
    expected = {
        (f"v{event['id']}", f"e{event['location']['id']}")
        for event in every(api, "/v1/events")
        if event["location"] is not None
    }
    assert {(s, t) for s, t, _ in edges(graph, "LOCATED_IN")} == expected
    assert expected


def read_csv(api: TestClient, fmt: str) -> list[dict[str, str]]:
    response = api.get("/v1/export", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


def test_neo4j_nodes_are_the_graphml_nodes(api: TestClient, graph: nx.MultiDiGraph) -> None:
    nodes = read_csv(api, "neo4j-nodes")
    assert {row["id:ID"] for row in nodes} == set(graph.nodes)
    labels = {row["id:ID"]: row[":LABEL"] for row in nodes}
    assert all(labels[n] == graph.nodes[n]["labels"].replace(":", ";") for n in graph.nodes)


def test_neo4j_relationships_are_the_graphml_edges(api: TestClient, graph: nx.MultiDiGraph) -> None:
    rows = read_csv(api, "neo4j-relationships")
    found = sorted((r[":START_ID"], r[":END_ID"], r[":TYPE"], r["id"]) for r in rows)
    expected = sorted((s, t, d["label"], key) for s, t, key, d in graph.edges(keys=True, data=True))
    assert found == expected
    co_mentions = [r for r in rows if r[":TYPE"] == "CO_MENTIONED"]
    assert all(int(r["articles:int"]) >= 1 for r in co_mentions)

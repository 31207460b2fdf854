"""Every statement of the read path uses an index: EXPLAIN of what the real endpoints send.

Each URL is requested through the API on the real corpus while a listener records the SQL it
sends; each SELECT is then EXPLAINed with its own parameters. The corpus is small, so on
PostgreSQL sequential scans, hash and merge joins are turned off: the planner then scans a
table sequentially only when no index can serve the query, which is what this test looks
for. A full scan of an index (no index condition, not cut short by a LIMIT) is the same defect
in disguise and fails too.
On SQLite, ``EXPLAIN QUERY PLAN`` must not ``SCAN`` a large table (nor its whole index) nor
build an automatic index, except for the substring ``LIKE`` searches no SQLite index serves.
The last tests drop an index inside the rolled-back transaction and check that the plan check
notices, so these tests can fail.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select, text
from sqlalchemy.orm import Session

from app.db.loop_reads import numbered
from app.db.models import Mention, Role
from app.kb import answers as kb_answers
from app.kb import entity_answers, event_items, timeline
from app.kb.search import newest
from tests.databases import backend
from tests.query.conftest import Corpus

# Tables that grow with the corpus; ``sources`` and ``alembic_version`` stay tiny.
LARGE = {
    "articles",
    "entities",
    "entity_aliases",
    "entity_articles",
    "entity_events",
    "entity_stats",
    "mentions",
    "roles",
    "timexes",
    "amounts",
    "quotes",
    "events",
    "event_participants",
    "event_evidence",
    "changes",
}
# Nodes that stream rows to their parent, so a LIMIT above them still stops the scan early.
STREAMING = {
    "Limit",
    "Nested Loop",
    "Merge Join",
    "Result",
    "Subquery Scan",
    "Append",
    "Merge Append",
    "Unique",
    "Incremental Sort",
    "Memoize",
}
_SQLITE_SCAN = re.compile(r"^(?:SCAN (\w+)|SEARCH (\w+) USING AUTOMATIC)")
# SQLite has no trigram index: substring LIKE on these (PostgreSQL: pg_trgm, migration 0003).
SQLITE_SUBSTRING_SCANS = {"entity_aliases", "events"}


@contextmanager
def recorded(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _pg_full_scans(node: dict[str, Any], limited: bool = False) -> list[str]:
    kind = node.get("Node Type", "")
    table = node.get("Relation Name")
    found = []
    if table in LARGE:
        if kind == "Seq Scan":
            found.append(f"Seq Scan on {table}")
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node and not limited:
            found.append(f"full {kind} of {node['Index Name']} on {table}")
    # A LIMIT bounds what streams below it; a sort, hash or aggregate reads all its input.
    below = kind == "Limit" or (limited and kind in STREAMING)
    for child in node.get("Plans", []):
        found += _pg_full_scans(child, below)
    return found


def full_scans(connection: Connection, statement: str, parameters: Any) -> list[str]:
    """What the plan of one statement reads in full from large tables."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        return _pg_full_scans(cursor.fetchone()[0][0]["Plan"])
    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    found = []
    for _id, _parent, _unused, detail in cursor.fetchall():
        match = _SQLITE_SCAN.match(detail)
        table = match and (match[1] or match[2])
        if not table or table not in LARGE:
            continue
        if table in SQLITE_SUBSTRING_SCANS and " LIKE " in statement:
            continue
        found.append(detail)  # a table scan, a full index walk or a throw-away index
    return found


@pytest.fixture
def planner(corpus_session: Session) -> Connection:
    connection = corpus_session.connection()
    if connection.dialect.name == "postgresql":
        # Nested loops only: each join then needs an index on its inner side, as it would at
        # scale; a hash or merge join over a tiny table would hide a missing one.
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            connection.execute(text(f"SET LOCAL {setting} = off"))
    return connection


def drop(session: Session, index: str) -> None:
    """Drop an index until the test's outer transaction rolls back."""
    if session.get_bind().dialect.name == "sqlite":
        # A request's savepoint rollback undoes the DROP on SQLite (transactional DDL).
        pytest.skip("cannot keep an index dropped across a request on SQLite")
    session.execute(text(f"DROP INDEX {index}"))


def plans_of(api: TestClient, connection: Connection, url: str) -> dict[str, list[str]]:
    """Each SELECT the URL sends, with the full scans of its plan (empty when all is indexed)."""
    with recorded(connection) as statements:
        response = api.get(url)
    assert response.status_code == 200, response.text
    assert statements, f"{url} sent no SELECT"
    return {s: full_scans(connection, s, p) for s, p in statements}


def _popular_entity(session: Session) -> int:
    return session.scalars(
        select(Mention.entity_id)
        .group_by(Mention.entity_id)
        .order_by(func.count(func.distinct(Mention.article_id)).desc(), Mention.entity_id)
        .limit(1)
    ).one()


def _person_with_most_roles(session: Session) -> int:
    return session.scalars(
        select(Role.person_id)
        .group_by(Role.person_id)
        .order_by(func.count().desc(), Role.person_id)
        .limit(1)
    ).one()


READ_PATH = [
    "/v1/articles?q=lukashenko",
    "/v1/articles?q=belarus%20OR%20russia%20-china",
    "/v1/search?q=lukashenko",
    "/v1/articles/{article}",
    "/v1/entities?type=person",
    "/v1/entities?type=person&sort=-last_seen",
    "/v1/entities/{entity}",
    "/v1/entities/{entity}/related",
    "/v1/entities/{entity}/related?type=country",
    "/v1/entities/{entity}/timeline",
    "/v1/entities/{person}",
    "/v1/entities/{person}/roles",
]


@pytest.mark.parametrize("template", READ_PATH)
def test_read_path_reads_no_large_table_in_full(
    template: str, api: TestClient, planner: Connection, corpus: Corpus, corpus_session: Session
) -> None:
    url = template.format(
        article=corpus.seed_id,
        entity=_popular_entity(corpus_session),
        person=_person_with_most_roles(corpus_session),
    )
    scans = {s: found for s, found in plans_of(api, planner, url).items() if found}
    assert not scans, "\n\n".join(f"{found}\n{s}" for s, found in scans.items())


@pytest.mark.parametrize("sort", ["-mentions", "-last_seen"])
def test_next_page_of_entities_starts_its_index_scan_at_the_cursor(
    api: TestClient, planner: Connection, sort: str
) -> None:
    """A later page adds the cursor's value as a range: the sort index is not read from the top."""
    first = api.get("/v1/entities", params={"type": "person", "sort": sort, "limit": 5}).json()
    url = f"/v1/entities?type=person&sort={sort}&limit=5&cursor={first['next_cursor']}"
    plans = plans_of(api, planner, url)
    listing = next(s for s in plans if "FROM entities JOIN entity_stats" in s)
    column = "mention_count" if sort == "-mentions" else "last_seen_at"
    assert f"entity_stats.{column} <=" in listing
    assert not plans[listing]


def test_plan_check_notices_a_missing_index(
    api: TestClient, planner: Connection, corpus_session: Session
) -> None:
    """Without the (person_id, id) index, the entity page's role summary reads a whole table."""
    person = _person_with_most_roles(corpus_session)
    assert not any(plans_of(api, planner, f"/v1/entities/{person}").values())
    drop(corpus_session, "ix_roles_person_id_id")
    plans = plans_of(api, planner, f"/v1/entities/{person}")
    assert any(found for statement, found in plans.items() if "roles.person_id =" in statement)


def _under_limit_unsorted(node: dict[str, Any], alias: str, limited: bool = False) -> bool | None:
    """Whether the scan of ``alias`` streams into a LIMIT (no sort, hash or aggregate between):
    then the LIMIT stops it early. None when the plan does not scan ``alias``."""
    if node.get("Alias") == alias:
        return limited
    kind = node.get("Node Type", "")
    below = kind == "Limit" or (limited and kind in STREAMING)
    for child in node.get("Plans", []):
        found = _under_limit_unsorted(child, alias, below)
        if found is not None:
            return found
    return None


def reads_in_index_order(
    connection: Connection, statement: str, parameters: Any, alias: str
) -> bool:
    """The statement reads ``alias`` in the order it needs, stopping at its LIMIT.

    On PostgreSQL sorts are turned off (on a small corpus sorting a few rows is cheapest):
    the plan then sorts only where no index gives the order.
    """
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        return bool(_under_limit_unsorted(cursor.fetchone()[0][0]["Plan"], alias))
    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    return not any("TEMP B-TREE" in row[3] for row in cursor.fetchall())


BOUNDED = [
    ("/v1/entities?type=person", "FROM entities JOIN entity_stats", "entity_stats"),
    ("/v1/entities?type=place&sort=-last_seen", "FROM entities JOIN entity_stats", "entity_stats"),
    # Without a type the sort index is walked from its top: SQLite calls that a SCAN.
    ("/v1/entities", "FROM entities JOIN entity_stats", "entity_stats"),
    ("/v1/entities?sort=-last_seen", "FROM entities JOIN entity_stats", "entity_stats"),
    ("/v1/entities/{entity}/timeline", "entity_articles.published_on", "entity_articles"),
    ("/v1/entities/{entity}/timeline", "entity_events.date_start", "entity_events"),
    ("/v1/entities/{entity}/related", "AS newest", "entity_articles"),
    # Filtered lists of events (every event: test_the_loop_reads_all_events_in_index_order).
    ("/v1/events?status=occurred", "ORDER BY coalesce(events.date_start", "events"),
    (
        "/v1/events?status=occurred&limit=5&cursor={cursor}",
        "ORDER BY coalesce(events.date_start",
        "events",
    ),
]


@pytest.mark.parametrize(("template", "marker", "alias"), BOUNDED)
def test_bounded_reads_stop_at_their_limit(
    template: str,
    marker: str,
    alias: str,
    api: TestClient,
    planner: Connection,
    corpus_session: Session,
) -> None:
    """Lists, the timeline and the window of ``related`` read rows in index order up to their
    LIMIT, however many rows the entity (or the table) has."""
    if planner.dialect.name == "sqlite" and "related" in template:
        pytest.skip("SQLite's plan does not say which ORDER BY a temporary B-tree serves")
    url = template.format(entity=_popular_entity(corpus_session), cursor=_events_cursor(api))
    with recorded(planner) as statements:
        assert api.get(url).status_code == 200
    chosen = [(s, p) for s, p in statements if marker in s]
    assert chosen
    for statement, parameters in chosen:
        assert reads_in_index_order(planner, statement, parameters, alias), statement


def _events_cursor(api: TestClient) -> str:
    """The cursor of the second page of occurred events, five a page."""
    return str(api.get("/v1/events?status=occurred&limit=5").json()["next_cursor"])


def _loop_reads_of_all_events(planner: Connection) -> list[tuple[str, tuple[Any, ...]]]:
    """The event loop's statements of the list of all events (``AnswerReader.read_events``):
    a first page and a page after a cursor, in the planner's placeholders."""
    postgresql = planner.dialect.name == "postgresql"
    reads = [
        event_items.list_read(None, 20, postgresql=postgresql),
        event_items.list_read(("2019-01-03", 120), 20, postgresql=postgresql),
    ]
    return [(s.replace("?", "%s") if postgresql else s, p) for s, p in reads]


def test_the_loop_reads_all_events_in_index_order(planner: Connection) -> None:
    """Every page of ``/v1/events`` without filters is a range of the index on
    (coalesce(date_start, …), id) up to its LIMIT (migrations 0018 and 0022)."""
    for statement, parameters in _loop_reads_of_all_events(planner):
        assert reads_in_index_order(planner, statement, parameters, "e"), statement


def test_plan_check_notices_events_without_their_order_index(
    planner: Connection, corpus_session: Session
) -> None:
    """Without that index, every page of the list sorts every event."""
    corpus_session.execute(text("DROP INDEX ix_events_date_order"))  # until the rollback
    for statement, parameters in _loop_reads_of_all_events(planner):
        # A text new to the connection: Python's SQLite statement cache would hand back the
        # EXPLAIN prepared with the index.
        statement += " -- without the index"
        assert not reads_in_index_order(planner, statement, parameters, "e"), statement


def test_plan_check_notices_a_timeline_without_its_index(
    api: TestClient, planner: Connection, corpus_session: Session
) -> None:
    """Without (entity_id, published_on, article_id), the timeline sorts all of an entity's
    articles for every page."""
    entity = _popular_entity(corpus_session)
    drop(corpus_session, "ix_entity_articles_entity_id_published_on")
    with recorded(planner) as statements:
        assert api.get(f"/v1/entities/{entity}/timeline").status_code == 200
    statement, parameters = next((s, p) for s, p in statements if "published_on" in s)
    assert not reads_in_index_order(planner, statement, parameters, "entity_articles")


def test_plan_check_notices_a_search_without_full_text_index(
    api: TestClient, planner: Connection, corpus_session: Session
) -> None:
    if planner.dialect.name == "sqlite":
        # FTS5 is its own index; dropping its triggers changes nothing to the plan.
        pytest.skip("the SQLite search reads the FTS5 table, which has no index to drop")
    for index in SEARCH_INDEXES:
        drop(corpus_session, index)
    plans = plans_of(api, planner, "/v1/articles?q=lukashenko")
    assert any("Seq Scan on articles" in found for v in plans.values() for found in v)


# One partial GIN index per text-search configuration (migration 0017).
SEARCH_INDEXES = (
    "ix_articles_search_vector_en",
    "ix_articles_search_vector_fr",
    "ix_articles_search_vector_other",
)


def _search_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _search_nodes(child)


def search_plans(api: TestClient, connection: Connection, url: str) -> list[dict[str, Any]]:
    """The plan nodes of each statement of ``url`` that matches the full-text condition."""
    with recorded(connection) as statements:
        assert api.get(url).status_code == 200
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    found = []
    for statement, parameters in statements:
        if " @@ " in statement and "ts_headline" not in statement:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            found.append(list(_search_nodes(cursor.fetchone()[0][0]["Plan"])))
    assert found, f"{url} sent no full-text condition"
    return [node for nodes in found for node in nodes]


# "slower": the English reading keeps the word, the French one stems it to "slow", which
# English articles hold too ("slow", "slowly"): only the French articles may match it.
@pytest.mark.parametrize("url", ["/v1/articles?q=slower", "/v1/search?q=lukashenko"])
def test_each_reading_scans_the_index_of_its_languages(
    url: str, api: TestClient, planner: Connection
) -> None:
    """Each reading of the query scans the index of its configuration's articles only, and
    no article row is tested against the vector again: with one index of every article, the
    French reading found every English article holding its stem, each then read and
    thrown away by the language condition (at 100,000 articles, 4 rows of 5)."""
    if planner.dialect.name == "sqlite":
        pytest.skip("FTS5 has one index; SQLite parses the query once (no configurations)")
    nodes = search_plans(api, planner, url)
    used = {node.get("Index Name") for node in nodes}
    assert set(SEARCH_INDEXES) <= used, used
    filters = [node["Filter"] for node in nodes if "search_vector" in node.get("Filter", "")]
    assert not filters, filters


def test_reading_check_notices_one_index_of_every_article(
    api: TestClient, planner: Connection, corpus_session: Session
) -> None:
    if planner.dialect.name == "sqlite":
        pytest.skip("FTS5 has one index")
    for index in SEARCH_INDEXES:
        drop(corpus_session, index)
    corpus_session.execute(
        text("CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)")
    )
    nodes = search_plans(api, planner, "/v1/articles?q=slower")
    assert any("search_vector" in node.get("Filter", "") for node in nodes)


def test_a_date_slice_is_probed_as_dated_and_undated_branches(
    api: TestClient, planner: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slice's date range is a plain condition of its own branch (UNION ALL of dated and
    undated articles), which the planner can put into the full-text index (it holds
    ``published_at``, migration 0017): OR-ed with the undated articles' condition it could
    not, and a common word's whole posting list was read for each slice (at 1M articles,
    115,000 entries for 1,200 rows). The 51 articles are too few for the planner to prefer
    that index, so the statement's shape is what is checked here; benchmarks.scale --explain
    shows the plans at scale."""
    if planner.dialect.name == "sqlite":
        pytest.skip("FTS5 holds no dates")
    monkeypatch.setattr(newest, "FIRST_SLICE_PER_ROW", 1)  # slices of the 51 articles
    monkeypatch.setattr(newest, "MIN_FIRST_SLICE", 1)
    with recorded(planner) as statements:
        assert api.get("/v1/articles?q=said&sort=-published_at&limit=2").status_code == 200
    probes = [s for s, _ in statements if " @@ " in s and "ts_headline" not in s]
    assert any("UNION ALL" in s for s in probes), probes


def test_the_loop_reads_a_timeline_as_ranges_of_its_indexes(
    planner: Connection, corpus_session: Session
) -> None:
    """Both streams of ``/v1/entities/{id}/timeline`` (``app.kb.timeline.loop_read``) are
    ranges of their indexes from the cursor on, a cursor of either kind: no page reads an
    entity's history before its cursor."""
    postgresql = planner.dialect.name == "postgresql"
    entity_id = _popular_entity(corpus_session)
    cursor = planner.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    for kind in ("article", "event"):
        statement, parameters = timeline.loop_read(
            entity_id, (date(2015, 1, 1), kind, 5), 20, postgresql=postgresql
        )
        if postgresql:
            cursor.execute("EXPLAIN " + statement.replace("?", "%s"), parameters)
            plan = [row[0] for row in cursor.fetchall()]
            conditions = " ".join(line for line in plan if "Index Cond" in line)
            assert "published_on >" in conditions or "ROW(published_on" in conditions, plan
            assert "date_start >" in conditions or "ROW(date_start" in conditions, plan
            assert not any("Filter: ((published_on" in line for line in plan), plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = [row[3] for row in cursor.fetchall()]
            for index in ("ix_entity_articles_entity_id_published_on", "ix_entity_events"):
                [search] = [line for line in plan if index in line]
                assert search.startswith("SEARCH") and ">" in search, plan


def _generic_plan(connection: Connection, statement: str, parameters: tuple[Any, ...]) -> Any:
    """The one plan PostgreSQL keeps for a statement of the event loop's reads, prepared as
    their connection prepares it (``plan_cache_mode=force_generic_plan``, ``app.db.loop_reads``):
    planned without its parameters' values."""
    from psycopg import sql

    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    cursor.execute("SET LOCAL enable_sort = off")  # as reads_in_index_order: a tiny corpus
    name = f"generic_{uuid.uuid4().hex}"  # prepared statements outlive the rollback
    cursor.execute(f"PREPARE {name} AS {numbered(statement)}")
    values = sql.SQL(", ").join(sql.Literal(str(value)) for value in parameters)
    cursor.execute(
        sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}({})").format(sql.Identifier(name), values)
    )
    plan = cursor.fetchone()[0][0]["Plan"]
    cursor.execute(f"DEALLOCATE {name}")
    return plan


def _plan_lines(node: dict[str, Any]) -> list[str]:
    lines = [f"{key}: {value}" for key, value in node.items() if key.endswith(("Cond", "Filter"))]
    return lines + [line for child in node.get("Plans", []) for line in _plan_lines(child)]


@pytest.mark.skipif(backend() != "postgresql", reason="PostgreSQL's prepared statements")
def test_the_loop_reads_keep_index_plans_for_any_parameters(
    planner: Connection, corpus_session: Session
) -> None:
    """The event loop's connection plans each statement once, for every request after: that
    plan reads the same index ranges as a plan made for one request's values."""
    for statement, parameters in _loop_reads_of_all_events(planner):
        plan = _generic_plan(planner, statement.replace("%s", "?"), parameters)
        assert _under_limit_unsorted(plan, "e"), statement
    entity_id = _popular_entity(corpus_session)
    for after in (None, (date(2015, 1, 1), "article", 5), (date(2015, 1, 1), "event", 5)):
        statement, parameters = timeline.loop_read(entity_id, after, 20, postgresql=True)
        plan = _generic_plan(planner, statement, parameters)
        assert _pg_full_scans(plan) == [], statement
        lines = _plan_lines(plan)
        conditions = " ".join(line for line in lines if line.startswith("Index Cond"))
        assert "entity_articles" in str(plan) and "entity_events" in str(plan)
        if after is not None:
            assert "published_on" in conditions and "date_start" in conditions, lines
            assert not any("Filter: ((published_on" in line for line in lines), lines
    answers = [
        (kb_answers.LOOP_READ_POSTGRES, ("format", "{1,2}")),
        (entity_answers.LOOP_READ_POSTGRES, ("format", f"{{{entity_id}}}")),
    ]
    for statement, parameters in answers:
        assert _pg_full_scans(_generic_plan(planner, statement, parameters)) == [], statement

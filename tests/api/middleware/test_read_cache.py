"""The read cache: a repeated GET costs one version check; any committed write is seen at once."""

import asyncio
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.api.middleware import cache as read_cache
from app.db import migrate
from app.db.engine import make_engine, make_sessionmaker
from app.kb import ingest as kb_ingest
from app.kb.changes import VersionReader
from app.main import create_app
from app.settings import Settings
from tests.answers_truth import count_loop_reads
from tests.conftest import API_KEY
from tests.databases import temporary_database
from tests.factories import meeting_article

FIRST = "Vladimir Putin met Alexander Lukashenko in Russia on Thursday."
SECOND = "In Russia, Vladimir Putin met Alexander Lukashenko again on Thursday."


@dataclass
class Served:
    client: TestClient
    settings: Settings
    statements: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # "read" per version query, "stamp"...

    def get(self, path: str, **headers: str) -> tuple[int, bytes, int]:
        """Status, body and how many SQL statements the request ran besides the version query."""
        self.statements.clear()
        self.versions.clear()
        response = self.client.get(path, headers=headers)
        work = [s for s in self.statements if "FROM changes" not in s and s != "BEGIN"]
        return response.status_code, response.content, len(work)

    def ingest(self, body: str) -> int:
        """Commit an article through the real write path, on its own engine (another process)."""
        engine = make_engine(self.settings.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                return kb_ingest.ingest_article(session, meeting_article(body)).article.id
        finally:
            engine.dispose()


def _serve(
    tmp_path: Path,
    cache_size: int,
    versions: list[str],
    ttl: float = 300.0,
    mb: float = 64.0,
    drop_all: bool = False,
) -> Iterator[Served]:
    with temporary_database(tmp_path, "cache") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        settings = Settings(
            database_url=url,
            api_keys=API_KEY,
            read_cache_size=cache_size,
            read_cache_ttl=ttl,
            read_cache_mb=mb,
            read_cache_drop_all=drop_all,
            log_level="warning",
        )
        app = create_app(settings)
        with TestClient(app, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
            served = Served(client, settings, versions=versions)
            event.listen(
                app.state.engine,
                "before_cursor_execute",
                lambda *args: served.statements.append(args[2]),
            )
            # The route's stored-answer reads in the event loop count as statements too.
            count_loop_reads(app.state.answer_reader, served.statements)
            yield served


@pytest.fixture
def versions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the version queries ("read") and SQLite's stamps ("stamp"): they run on a raw
    connection, unseen by engine events."""
    calls: list[str] = []
    query, stamp = VersionReader.read, VersionReader.stamp

    async def counted(self: VersionReader) -> tuple[int, int]:
        calls.append("read")
        return await query(self)

    def stamped(self: VersionReader) -> tuple[int, int] | None:
        found = stamp(self)
        if found is not None:
            calls.append("stamp")
        return found

    monkeypatch.setattr(VersionReader, "read", counted)
    monkeypatch.setattr(VersionReader, "stamp", stamped)
    return calls


@pytest.fixture
def cached(tmp_path: Path, versions: list[str]) -> Iterator[Served]:
    yield from _serve(tmp_path, cache_size=100, versions=versions)


EXPIRY = 1.0  # seconds: far longer than a burst of 30 cached answers takes


@pytest.fixture
def expiring(tmp_path: Path, versions: list[str]) -> Iterator[Served]:
    """Entries expire a second after they are kept."""
    yield from _serve(tmp_path, cache_size=100, versions=versions, ttl=EXPIRY)


@pytest.fixture
def small(tmp_path: Path, versions: list[str]) -> Iterator[Served]:
    """Room for 100 answers but only 3 kB of bodies."""
    yield from _serve(tmp_path, cache_size=100, versions=versions, mb=0.003)


@pytest.fixture
def dropping_all(tmp_path: Path, versions: list[str]) -> Iterator[Served]:
    yield from _serve(tmp_path, cache_size=100, versions=versions, drop_all=True)


@pytest.fixture
def uncached(tmp_path: Path, versions: list[str]) -> Iterator[Served]:
    yield from _serve(tmp_path, cache_size=0, versions=versions)


def _version_queries(served: Served) -> int:
    return served.versions.count("read")


def _sqlite(served: Served) -> bool:
    return served.settings.database_url.startswith("sqlite")


def test_a_repeated_read_runs_only_the_version_check(cached: Served) -> None:
    article = cached.ingest(FIRST)
    status, first, first_count = cached.get(f"/v1/articles/{article}")
    status_again, again, count = cached.get(f"/v1/articles/{article}")
    assert status == status_again == 200
    assert again == first
    assert first_count >= 1  # built: the page's statement ran (a kept answer runs none)
    if _sqlite(cached):  # nothing committed since the first read: the stamp tells, no query
        assert cached.versions == ["stamp"]
    else:
        assert cached.versions == ["read"]
    assert count == 0


def test_without_the_cache_every_read_queries_again(uncached: Served) -> None:
    article = uncached.ingest(FIRST)
    uncached.get(f"/v1/articles/{article}")
    _, _, count = uncached.get(f"/v1/articles/{article}")
    assert count >= 1
    assert _version_queries(uncached) == 0


def test_the_byte_budget_evicts_the_least_recently_used_answers(small: Served) -> None:
    ids = [small.ingest(FIRST), small.ingest(SECOND)]
    sizes = [len(small.get(f"/v1/articles/{i}")[1]) for i in ids]
    assert sizes[0] + sizes[1] > 3000 >= max(sizes)  # one fits, not both
    _, _, count = small.get(f"/v1/articles/{ids[1]}")
    assert count == 0  # the most recent answer stayed
    _, _, count = small.get(f"/v1/articles/{ids[0]}")
    assert count >= 1  # the older one made room for it: built again


def test_a_write_from_another_process_is_seen_by_the_next_read(cached: Served) -> None:
    cached.ingest(FIRST)
    _, before, _ = cached.get("/v1/articles")
    cached.get("/v1/articles")  # now cached
    cached.ingest(SECOND)
    _, after, count = cached.get("/v1/articles")
    assert len(json.loads(before)["items"]) == 1
    assert len(json.loads(after)["items"]) == 2
    assert count > 0


def test_an_entity_rename_is_seen_by_cached_pages(cached: Served) -> None:
    article = cached.ingest(FIRST)
    entities = cached.client.get("/v1/entities?type=person").json()["items"]
    putin = next(e["id"] for e in entities if e["name"] == "Vladimir Putin")
    cached.get(f"/v1/articles/{article}")
    renamed = cached.client.patch(f"/v1/entities/{putin}", json={"name": "V. V. Putin"})
    assert renamed.status_code == 200
    _, body, _ = cached.get(f"/v1/articles/{article}")
    assert b"V. V. Putin" in body
    assert b"V. V. Putin" in cached.get("/v1/entities?type=person")[1]


def test_the_host_is_part_of_the_key(cached: Served) -> None:
    cached.ingest(FIRST)
    cached.ingest(SECOND)
    first = cached.client.get("/v1/articles?limit=1", headers={"Host": "a.example"})
    second = cached.client.get("/v1/articles?limit=1", headers={"Host": "b.example"})
    assert "a.example" in first.headers["link"]
    assert "b.example" in second.headers["link"]


def test_errors_are_not_cached(cached: Served) -> None:
    assert cached.get("/v1/articles/999")[0] == 404
    status, _, count = cached.get("/v1/articles/999")
    assert status == 404
    assert count > 0


def test_a_conditional_get_still_answers_304(cached: Served) -> None:
    article = cached.ingest(FIRST)
    first = cached.client.get(f"/v1/articles/{article}")
    cached.get(f"/v1/articles/{article}")  # now cached
    again = cached.client.get(
        f"/v1/articles/{article}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert cached.client.get(f"/v1/articles/{article}").headers["etag"] == first.headers["etag"]


def test_a_cached_answer_keeps_request_id_and_gzip(cached: Served) -> None:
    article = cached.ingest(FIRST)
    cached.get(f"/v1/articles/{article}")
    again = cached.client.get(f"/v1/articles/{article}", headers={"Accept-Encoding": "gzip"})
    assert again.headers["content-encoding"] == "gzip"
    assert again.headers["x-request-id"]
    assert again.json()["id"] == article


def test_concurrent_reads_share_version_queries(cached: Served) -> None:
    article = cached.ingest(FIRST)
    cached.get(f"/v1/articles/{article}")  # now cached
    cached.versions.clear()
    app = cached.client.app

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answers = await asyncio.gather(
                *(client.get(f"/v1/articles/{article}") for _ in range(40))
            )
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [200] * 40
    if _sqlite(cached):  # nothing committed: each request's stamp says so, no query at all
        assert (_version_queries(cached), cached.versions.count("stamp")) == (0, 40)
    else:
        assert 1 <= _version_queries(cached) < 20
    cached.ingest(SECOND)  # committed elsewhere: the version must be read again
    cached.versions.clear()
    assert asyncio.run(burst()) == [200] * 40
    assert 1 <= _version_queries(cached) < 20


def test_cached_answers_keep_their_headers_unchanged(cached: Served) -> None:
    """The gzip middleware edits header lists in place: each hit must get a fresh copy."""
    article = cached.ingest(FIRST)
    first = cached.client.get(f"/v1/articles/{article}")
    hits = [cached.client.get(f"/v1/articles/{article}") for _ in range(3)]
    for hit in hits:
        assert hit.headers.get_list("vary") == first.headers.get_list("vary")
        assert hit.headers["content-length"] == first.headers["content-length"]
        assert hit.content == first.content


def test_a_gzipped_first_answer_is_cached_plain(cached: Served) -> None:
    article = cached.ingest(FIRST)
    zipped = cached.client.get(f"/v1/articles/{article}", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    plain = cached.client.get(f"/v1/articles/{article}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == zipped.json()


def _burst(served: Served, path: str, n: int) -> list[bytes]:
    """``n`` concurrent GETs of ``path``; their bodies (all must answer 200)."""

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=served.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await asyncio.gather(*(client.get(path) for _ in range(n)))

    answers = asyncio.run(burst())
    assert [a.status_code for a in answers] == [200] * n
    return [a.content for a in answers]


def _builds(served: Served) -> int:
    """How many times the article route ran: it reads the ``articles`` row once per answer
    (its stored answer in the event loop, or the page on its session)."""
    return sum(1 for s in served.statements if "WHERE a.id" in s or "WHERE articles.id =" in s)


def test_concurrent_misses_of_one_answer_build_it_once(cached: Served) -> None:
    article = cached.ingest(FIRST)
    cached.statements.clear()
    bodies = _burst(cached, f"/v1/articles/{article}", 30)
    assert len(set(bodies)) == 1
    assert _builds(cached) == 1


def test_an_expired_answer_is_served_while_one_request_rebuilds_it(expiring: Served) -> None:
    article = expiring.ingest(FIRST)
    _, first, _ = expiring.get(f"/v1/articles/{article}")
    time.sleep(EXPIRY * 1.2)
    expiring.statements.clear()
    # The burst's first request rebuilds; the others get the expired answer meanwhile (a route
    # in a thread) or the fresh one after it (a page built in the event loop): one build.
    bodies = _burst(expiring, f"/v1/articles/{article}", 30)
    assert set(bodies) == {first}
    assert _builds(expiring) == 1
    time.sleep(EXPIRY * 1.2)
    _, again, count = expiring.get(f"/v1/articles/{article}")  # expired again: rebuilt
    assert again == first and count >= 1


def test_a_wrong_key_is_401_even_when_the_answer_is_cached(cached: Served) -> None:
    article = cached.ingest(FIRST)
    assert cached.get(f"/v1/articles/{article}")[0] == 200  # now cached, under a valid key
    assert cached.get(f"/v1/articles/{article}")[2] == 0  # served from the cache
    assert cached.get(f"/v1/articles/{article}", Authorization="Bearer wrong-key")[0] == 401


# A write drops only the answers it can change.

UNRELATED = (
    "Angela Merkel visited Paris on Monday. The German chancellor met Emmanuel Macron at the "
    "Elysee Palace to discuss the European Union budget."
)
ALSO_UNRELATED = (
    "The Bank of Japan raised interest rates in Tokyo on Tuesday, said Governor Kazuo Ueda."
)


def _post(served: Served, text: str) -> int:
    answer = served.client.post("/v1/articles", json={"text": text})
    assert answer.status_code == 201
    article_id: int = answer.json()["id"]
    return article_id


def _entity_id(served: Served, name: str) -> int:
    items = served.client.get("/v1/entities", params={"q": name, "limit": 100}).json()["items"]
    return next(int(e["id"]) for e in items if e["name"] == name)


def test_a_new_article_keeps_the_cached_answers_it_does_not_touch(cached: Served) -> None:
    meeting, other = cached.ingest(FIRST), _post(cached, UNRELATED)
    pages = [f"/v1/articles/{meeting}", f"/v1/articles/{other}"]
    for page in [*pages, "/v1/articles"]:
        cached.get(page)
    _post(cached, ALSO_UNRELATED)
    for page in pages:
        assert cached.get(page)[2] == 0  # still cached
    assert cached.get("/v1/articles")[2] > 0  # a list: any new article can change it


def test_a_new_article_drops_its_entities_pages_but_not_pages_that_only_name_them(
    cached: Served,
) -> None:
    meeting = cached.ingest(FIRST)
    putin = _entity_id(cached, "Vladimir Putin")
    cached.get(f"/v1/articles/{meeting}")
    cached.get(f"/v1/entities/{putin}")
    engine = make_engine(cached.settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:  # another meeting, a year later
            later = meeting_article(SECOND, day=date(2022, 9, 9), url="https://example.com/b")
            kb_ingest.ingest_article(session, later)
    finally:
        engine.dispose()
    _, entity_page, count = cached.get(f"/v1/entities/{putin}")
    assert count > 0
    assert json.loads(entity_page)["article_count"] == 2
    assert cached.get(f"/v1/articles/{meeting}")[2] == 0  # Putin's name did not change


def test_an_article_joining_an_event_drops_the_answers_that_show_the_event(
    cached: Served,
) -> None:
    first = cached.ingest(FIRST)
    _, before, _ = cached.get(f"/v1/articles/{first}")
    cached.ingest(SECOND)  # the same meeting, reported again
    _, after, count = cached.get(f"/v1/articles/{first}")
    assert count > 0
    [event_before], [event_after] = json.loads(before)["events"], json.loads(after)["events"]
    assert event_after["id"] == event_before["id"]
    assert len(event_after["evidence"]) == len(event_before["evidence"]) + 1


def test_a_merge_drops_the_answers_naming_the_merged_entity(cached: Served) -> None:
    meeting, other = cached.ingest(FIRST), _post(cached, UNRELATED)
    putin, lukashenko = (
        _entity_id(cached, "Vladimir Putin"),
        _entity_id(cached, "Alexander Lukashenko"),
    )
    cached.get(f"/v1/articles/{meeting}")
    cached.get(f"/v1/articles/{other}")
    merged = cached.client.post(f"/v1/entities/{lukashenko}/merge", json={"into": putin})
    assert merged.status_code == 200
    _, body, count = cached.get(f"/v1/articles/{meeting}")
    assert count > 0
    assert lukashenko not in {e["id"] for e in json.loads(body)["entities"]}
    assert cached.get(f"/v1/articles/{other}")[2] == 0


@pytest.fixture
def twin(cached: Served) -> Iterator[TestClient]:
    """An uncached app on the cached app's database: what every answer should be."""
    settings = cached.settings.model_copy(update={"read_cache_size": 0})
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {API_KEY}"}) as c:
        yield c


def test_after_every_kind_of_write_cached_answers_equal_fresh_ones(
    cached: Served, twin: TestClient
) -> None:
    def pages() -> list[str]:
        found = ["/v1/articles", "/v1/entities?limit=100", "/v1/events", "/v1/stats"]
        found += [f"/v1/articles/{a['id']}" for a in twin.get("/v1/articles").json()["items"]]
        entities = twin.get("/v1/entities", params={"limit": 100}).json()["items"]
        found += [f"/v1/entities/{e['id']}" for e in entities]
        found += [f"/v1/events/{e['id']}" for e in twin.get("/v1/events").json()["items"]]
        return found

    def same_answers() -> None:
        for page in pages():
            cached.client.get(page)  # cache it (or serve it from the cache)
        for page in pages():
            answer, fresh = cached.client.get(page), twin.get(page)
            assert (answer.status_code, answer.content) == (fresh.status_code, fresh.content), page

    first = cached.ingest(FIRST)
    same_answers()
    _post(cached, UNRELATED)
    same_answers()
    cached.ingest(SECOND)  # joins the first article's event
    same_answers()
    putin = _entity_id(cached, "Vladimir Putin")
    assert cached.client.patch(f"/v1/entities/{putin}", json={"name": "V. Putin"}).is_success
    same_answers()
    lukashenko = _entity_id(cached, "Alexander Lukashenko")
    assert cached.client.post(f"/v1/entities/{lukashenko}/merge", json={"into": putin}).is_success
    same_answers()
    assert cached.client.post(f"/v1/articles/{first}/reextract").is_success
    same_answers()
    assert cached.client.delete(f"/v1/articles/{first}").status_code == 204
    same_answers()


def test_the_safety_valve_drops_every_answer_on_any_write(dropping_all: Served) -> None:
    meeting = dropping_all.ingest(FIRST)
    dropping_all.get(f"/v1/articles/{meeting}")
    assert dropping_all.get(f"/v1/articles/{meeting}")[2] == 0
    _post(dropping_all, ALSO_UNRELATED)
    assert dropping_all.get(f"/v1/articles/{meeting}")[2] > 0


def test_watches_are_never_served_from_the_cache(cached: Served) -> None:
    """A watch changes without a change-feed row (a pause, a delivery): always read afresh."""
    created = cached.client.post("/v1/watches", json={"q": "lukashenko"}).json()
    path = f"/v1/watches/{created['id']}"
    assert json.loads(cached.get(path)[1])["status"] == "active"
    cached.client.patch(path, json={"status": "paused"})
    status, body, work = cached.get(path)
    assert (status, json.loads(body)["status"]) == (200, "paused")
    assert work > 0


def test_a_cached_answer_is_compressed_once_for_gzip_clients(
    cached: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hits for clients that accept gzip get the body compressed when it was first asked for,
    not compressed again by the gzip middleware on every hit."""
    article = cached.ingest(FIRST)
    plain = cached.client.get(f"/v1/articles/{article}", headers={"Accept-Encoding": "identity"})
    compressions: list[int] = []
    real = gzip.compress

    def counted(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        compressions.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(read_cache.gzip, "compress", counted)
    cached.statements.clear()
    hits = [
        cached.client.get(f"/v1/articles/{article}", headers={"Accept-Encoding": "gzip"})
        for _ in range(3)
    ]
    assert compressions == [len(plain.content)]
    assert not cached.statements  # every one a hit
    for hit in hits:
        assert hit.headers["content-encoding"] == "gzip"
        assert hit.headers.get_list("vary") == ["Accept-Encoding"]
        assert hit.content == plain.content  # httpx decodes it
        assert int(hit.headers["content-length"]) == len(gzip.compress(plain.content, 9, mtime=0))
    again = cached.client.get(f"/v1/articles/{article}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in again.headers and again.content == plain.content


def _raw_headers(response: httpx.Response) -> list[tuple[bytes, bytes]]:
    """The headers as sent, in order, but for the request id (new on every answer)."""
    return [(k.lower(), v) for k, v in response.headers.raw if k.lower() != b"x-request-id"]


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_hit_answers_the_headers_and_bytes_of_the_miss(cached: Served, encoding: str) -> None:
    """Hits are served outside the gzip middleware: what it would add must be there all the
    same (``Vary`` for a plain answer; the body compressed for a gzip client)."""
    article = cached.ingest(FIRST)
    path = f"/v1/articles/{article}"
    headers = {"Accept-Encoding": encoding}
    miss = cached.client.get(path, headers=headers)
    cached.statements.clear()
    hits = [cached.client.get(path, headers=headers) for _ in range(2)]
    assert not cached.statements  # both served from the cache
    assert len(miss.content) >= cached.settings.gzip_min_bytes  # large enough for gzip
    for hit in hits:
        assert hit.status_code == miss.status_code == 200
        assert hit.content == miss.content
        if encoding == "identity":
            assert _raw_headers(hit) == _raw_headers(miss)
        else:  # the same headers, the cache's own order (as before this layer moved)
            assert sorted(_raw_headers(hit)) == sorted(_raw_headers(miss))
            assert hit.headers["content-encoding"] == "gzip"


def test_a_small_hit_gets_no_vary_as_gzip_leaves_it(cached: Served) -> None:
    """Below the gzip threshold the middleware adds nothing, to either kind of client."""
    cached.ingest(FIRST)
    path = "/v1/stats"
    for encoding in ("identity", "gzip"):
        miss = cached.client.get(f"{path}?e={encoding}", headers={"Accept-Encoding": encoding})
        hit = cached.client.get(f"{path}?e={encoding}", headers={"Accept-Encoding": encoding})
        assert len(miss.content) < cached.settings.gzip_min_bytes
        assert _raw_headers(hit) == _raw_headers(miss)
        assert "vary" not in hit.headers and hit.content == miss.content


def test_head_of_a_cached_answer_has_the_get_headers_and_no_body(cached: Served) -> None:
    article = cached.ingest(FIRST)
    path = f"/v1/articles/{article}"
    plain = {"Accept-Encoding": "identity"}
    get = cached.client.get(path, headers=plain)
    cached.statements.clear()
    head = cached.client.head(path, headers=plain)
    assert not cached.statements  # a hit
    assert head.status_code == 200 and head.content == b""
    assert _raw_headers(head) == _raw_headers(get)

"""Crash safety: SIGKILL the server in the middle of a bulk ingest, then check and resume.

Afterwards every stored article has exactly the facts a fresh extraction gives it (or is
absent), and running the same bulk ingest again completes it without duplicates.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine
from app.db.models import Amount, Article, Entity, EventEvidence, Mention, Quote, Role, Timex
from app.extract.pipeline import extract_parsed, parse_document
from app.settings import Settings
from tests.conftest import API_KEY
from tests.databases import temporary_database
from tests.reliability.server import serve

pytestmark = pytest.mark.e2e
ARTICLES = 36
KILL_AFTER = 8
FACTS = (Mention, Timex, Amount, Quote, Role, EventEvidence)

PEOPLE = ["Anna Kowalska", "Jonas Berg", "Maria Lopes", "Piotr Nowak", "Elena Petrova"]
CITIES = [("Warsaw", "Poland"), ("Oslo", "Norway"), ("Lisbon", "Portugal"), ("Riga", "Latvia")]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def bulk_document(n: int) -> str:
    """A synthetic news story with people, places, dates, amounts and a quote: many facts."""
    city, country = CITIES[n % len(CITIES)]
    minister, mayor = PEOPLE[n % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)]
    day = DAYS[n % len(DAYS)]
    return (
        f"{city} plan number {n} approved\n\n"
        f"Prime Minister {minister} of {country} announced on {day} that the government will "
        f"spend {n + 3} million euros on new trams in {city} by 2027. "
        f"Mayor {mayor} met {minister} in {city} on {day} to sign the agreement. "
        f'"This is the largest investment in {city} for {n + 10} years," {mayor} said. '
        f"The European Commission in Brussels will add ${n + 1} billion, officials said on "
        f"{day}, and work starts in March 2026 in {city} and in the suburbs of {city}."
    )


DOCUMENTS = [bulk_document(n) for n in range(ARTICLES)]


@pytest.fixture(scope="module")
def expected_facts() -> dict[str, dict[str, int]]:
    """Per content hash, how many rows of each fact a complete ingest stores."""
    model = Settings().spacy_model
    expected = {}
    for document in DOCUMENTS:
        extracted = extract_parsed([parse_document(text=document)], model_names=model)[0]
        expected[extracted.content_hash] = {
            "Mention": sum(len(e.mentions) for e in extracted.entities),
            "Timex": len(extracted.timexes),
            "Amount": len(extracted.amounts),
            "Quote": len(extracted.quotes),
            "Role": len(extracted.roles),
            "EventEvidence": sum(len(e.evidence) for e in extracted.events),
        }
    return expected


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    with temporary_database(tmp_path, "crash") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        yield url, engine
        engine.dispose()


def stored_facts(engine: Engine) -> dict[str, dict[str, int]]:
    with Session(engine) as session:
        hashes = dict(session.execute(select(Article.id, Article.content_hash)).all())
        found = {h: {m.__name__: 0 for m in FACTS} for h in hashes.values()}
        for model in FACTS:
            for article_id, n in session.execute(
                select(model.article_id, func.count()).group_by(model.article_id)
            ):
                found[hashes[article_id]][model.__name__] = n
    return found


def post_all(base: str, statuses: list[int]) -> int:
    """POST every document from 4 clients, appending each status as it arrives; returns how
    many requests got no answer (the server died under them)."""
    failures = 0
    lock = threading.Lock()

    def post(document: str) -> None:
        nonlocal failures
        try:
            response = httpx.post(
                f"{base}/v1/articles",
                json={"text": document},
                headers={"Authorization": f"Bearer {API_KEY}"},
                timeout=60,
            )
        except httpx.TransportError:
            with lock:
                failures += 1
            return
        with lock:
            statuses.append(response.status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(post, DOCUMENTS))
    return failures


def test_sigkill_mid_bulk_ingest_leaves_whole_articles_and_resumes_without_duplicates(
    database: tuple[str, Engine], tmp_path: Path, expected_facts: dict[str, dict[str, int]]
) -> None:
    url, engine = database
    statuses: list[int] = []
    with serve(url, tmp_path, api_keys=API_KEY, rate_limit_per_key="") as server:
        bulk = threading.Thread(target=post_all, args=(server.base, statuses))
        bulk.start()
        while len(statuses) < KILL_AFTER and bulk.is_alive():
            bulk.join(timeout=0.05)  # statuses fills in as answers arrive
        server.kill()  # 4 clients keep one ingest each in flight
        bulk.join(timeout=120)
    assert set(statuses) <= {201}, statuses
    after_crash = stored_facts(engine)
    assert KILL_AFTER <= len(after_crash) < ARTICLES, "the kill did not land mid-bulk"
    for content_hash, facts in after_crash.items():
        assert facts == expected_facts[content_hash], "a stored article lost some of its facts"

    with serve(url, tmp_path, api_keys=API_KEY, rate_limit_per_key="") as server:
        again: list[int] = []
        failures = post_all(server.base, again)
    assert failures == 0
    resumed = [200] * len(after_crash) + [201] * (ARTICLES - len(after_crash))
    assert sorted(again) == sorted(resumed)
    assert stored_facts(engine) == expected_facts
    with Session(engine) as session:
        keys = session.scalars(
            select(Entity.resolution_key).where(Entity.resolution_key.is_not(None))
        )
        resolution_keys = list(keys)
    assert len(resolution_keys) == len(set(resolution_keys))

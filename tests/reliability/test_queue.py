"""The queued path on a real RabbitMQ, real uvicorn and real ``newskb worker`` processes.

Nothing lost, nothing twice: a worker SIGKILLed mid-article, a broker connection cut, a
database cut, a message delivered twice, a poison document, two workers on overlapping
entities. Runs on SQLite and PostgreSQL (the database outage on PostgreSQL only).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.db import migrate
from app.db.engine import make_engine
from app.kb import answers
from app.queue.broker import make_broker
from app.settings import Settings
from tests.answers_truth import assert_answers_current
from tests.conftest import API_KEY
from tests.databases import backend, temporary_database
from tests.reliability.queueing import (
    QUEUE_URL,
    broker_address,
    broker_restarts_exclusively,
    finished,
    fresh_queue,
    job,
    needs_broker,
    rabbitmqctl_usable,
    ready_messages,
    scalar,
    wait_for,
    worker,
)
from tests.reliability.server import ROOT, serve
from tests.reliability.tcpproxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.broker, needs_broker]
AUTH = {"Authorization": f"Bearer {API_KEY}"}
ASYNC = AUTH | {"Prefer": "respond-async"}
FAST_RETRIES = {"queue_min_backoff_ms": "100", "queue_max_backoff_ms": "500"}

PEOPLE = [
    ("Vladimir Putin", "Alexander Lukashenko", "Minsk"),
    ("Alexander Lukashenko", "Olaf Scholz", "Berlin"),
    ("Olaf Scholz", "Emmanuel Macron", "Paris"),
    ("Emmanuel Macron", "Vladimir Putin", "Moscow"),
]


def story(index: int) -> str:
    """A short story; stories share their people (their entities) with their neighbours."""
    one, two, city = PEOPLE[index % len(PEOPLE)]
    return (
        f"Talks in {city}, round {index}\n\n"
        f"{one} met {two} in {city} on Thursday for talks on trade and energy, round {index}. "
        f"{two} said the meeting with {one} was useful. The European Union and NATO "
        f"watched the talks, officials said."
    )


def long_story(paragraphs: int = 150) -> str:
    """Several seconds of NLP: long enough to kill a worker in the middle of it."""
    body = "\n\n".join(
        f"In paragraph {i}, {PEOPLE[i % 4][0]} told reporters in {PEOPLE[i % 4][2]} on "
        f"Monday that talks with {PEOPLE[i % 4][1]} about the {i} billion dollar pipeline "
        "would resume in March, after the ministers of both countries meet again."
        for i in range(paragraphs)
    )
    return f"A long week of talks\n\n{body}"


@dataclass
class Deployment:
    database_url: str
    queue_name: str
    log_dir: Path
    base: str

    def settings(self, **extra: str) -> dict[str, str]:
        return {"queue_name": self.queue_name, "api_keys": API_KEY} | FAST_RETRIES | extra

    def post_async(self, document: dict[str, str]) -> int:
        response = httpx.post(f"{self.base}/v1/articles", json=document, headers=ASYNC)
        assert response.status_code == 202, response.text
        job_id: int = response.json()["id"]
        return job_id

    def articles_with(self, marker: str) -> int:
        count: int = scalar(
            self.database_url,
            "SELECT count(*) FROM articles WHERE body LIKE :marker",
            marker=f"%{marker}%",
        )
        return count


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path, "queue") as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """The API (uvicorn) on a fresh database and a fresh queue; no worker yet."""
    with fresh_queue() as name:
        settings = {"queue_url": QUEUE_URL, "queue_name": name, "api_keys": API_KEY}
        with serve(database_url, tmp_path, **settings) as server:
            yield Deployment(database_url, name, tmp_path, server.base)


def test_async_post_answers_202_and_a_worker_stores_the_article(
    deployment: Deployment,
) -> None:
    response = httpx.post(f"{deployment.base}/v1/articles", json={"text": story(1)}, headers=ASYNC)
    assert response.status_code == 202
    assert response.headers["preference-applied"] == "respond-async"
    location = response.headers["location"]
    assert location.endswith(f"/v1/jobs/{response.json()['id']}")
    assert response.json()["state"] == "queued"
    with worker(deployment.database_url, deployment.log_dir, **deployment.settings()):
        done = finished(deployment.base, response.json()["id"])
    assert done["state"] == "done" and done["duplicate"] is False
    article = httpx.get(f"{deployment.base}/v1/articles/{done['article_id']}").json()
    assert article["title"] == "Talks in Berlin, round 1"


def test_worker_killed_mid_article_the_job_is_stored_exactly_once(
    deployment: Deployment,
) -> None:
    job_id = deployment.post_async({"text": long_story()})
    with worker(deployment.database_url, deployment.log_dir, **deployment.settings()) as first:
        wait_for(lambda: job(deployment.base, job_id)["state"] == "running", what="job running")
        first.kill()
    assert job(deployment.base, job_id)["state"] == "running"  # killed before it could finish
    assert deployment.articles_with("paragraph 149,") == 0
    with worker(deployment.database_url, deployment.log_dir, **deployment.settings()):
        done = finished(deployment.base, job_id, timeout=180)
    assert done["state"] == "done" and done["duplicate"] is False
    assert done["attempts"] == 2
    assert deployment.articles_with("paragraph 149,") == 1


def test_worker_processes_replace_one_killed_mid_article(deployment: Deployment) -> None:
    job_id = deployment.post_async({"text": long_story()})
    settings = deployment.settings()
    with worker(deployment.database_url, deployment.log_dir, processes=2, **settings) as parent:
        wait_for(lambda: job(deployment.base, job_id)["state"] == "running", what="job running")
        children = _children(parent.process.pid)
        assert len(children) == 2
        extractors = [grandchild for child in children for grandchild in _children(child)]
        assert len(extractors) == 2  # each worker's extraction process
        for child in children:  # whichever runs the job: both are killed
            os.kill(child, signal.SIGKILL)
        # Nothing reaps or signals them but the kernel: each dies with its worker.
        wait_for(lambda: not any(_alive(pid) for pid in extractors), what="orphans gone")
        parent.wait_ready(4)  # two new workers in their place
        done = finished(deployment.base, job_id, timeout=180)
    assert done["state"] == "done" and done["attempts"] == 2
    assert deployment.articles_with("paragraph 149,") == 1


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended (its new parent reaps it)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def test_a_message_delivered_twice_stores_the_document_once(deployment: Deployment) -> None:
    job_id = deployment.post_async({"text": story(2)})
    _, actor = make_broker(Settings(queue_url=QUEUE_URL, queue_name=deployment.queue_name))
    actor.send(job_id)  # the same job's id again: a publisher retry, a redelivery
    actor.send(job_id)
    actor.broker.close()
    settings = deployment.settings()
    with (
        worker(deployment.database_url, deployment.log_dir, **settings),
        worker(deployment.database_url, deployment.log_dir, **settings),
    ):
        done = finished(deployment.base, job_id)
        wait_for(
            lambda: (
                scalar(
                    deployment.database_url,
                    "SELECT count(*) FROM ingest_jobs WHERE state = 'running'",
                )
                == 0
            ),
            what="every delivery handled",
        )
    assert ready_messages(deployment.queue_name) == 0  # both deliveries acknowledged
    assert done["state"] == "done" and done["duplicate"] is False
    assert deployment.articles_with("round 2.") == 1
    assert job(deployment.base, job_id)["article_id"] == done["article_id"]


def test_a_poison_document_ends_failed_listed_and_retryable(deployment: Deployment) -> None:
    engine = create_engine(deployment.database_url)
    with engine.begin() as connection:  # a stored document no worker can read
        job_id = connection.execute(
            text(
                "INSERT INTO ingest_jobs (state, name, document, attempts, created_at) "
                "VALUES ('queued', 'poison', :document, 0, CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"document": '{"text": "x", "published_at": "not a date"}'},
        ).scalar_one()
    engine.dispose()
    _, actor = make_broker(Settings(queue_url=QUEUE_URL, queue_name=deployment.queue_name))
    actor.send(job_id)
    actor.broker.close()
    settings = deployment.settings(queue_max_attempts="3")
    with worker(deployment.database_url, deployment.log_dir, **settings):
        failed = finished(deployment.base, job_id)
        assert failed["state"] == "failed" and failed["attempts"] == 3
        assert failed["problem"]["status"] == 500
        assert "not a date" in failed["problem"]["detail"]
        listed = httpx.get(f"{deployment.base}/v1/jobs", params={"state": "failed"}).json()
        assert [item["id"] for item in listed["items"]] == [job_id]
        retried = httpx.post(f"{deployment.base}/v1/jobs/{job_id}/retry", headers=AUTH)
        assert retried.status_code == 202
        assert retried.json()["state"] in ("queued", "running")  # a worker may be on it
        assert retried.headers["location"].endswith(f"/v1/jobs/{job_id}")
        again = finished(deployment.base, job_id)
    assert again["state"] == "failed" and again["attempts"] == 3


def test_a_refused_document_fails_at_once_without_retries(deployment: Deployment) -> None:
    job_id = deployment.post_async({"html": "<html><body><script>x()</script></body></html>"})
    with worker(deployment.database_url, deployment.log_dir, **deployment.settings()):
        failed = finished(deployment.base, job_id)
    assert failed["state"] == "failed" and failed["attempts"] == 1
    assert failed["problem"]["type"].endswith("/empty-article")


def test_a_full_queue_answers_503_with_retry_after(database_url: str, tmp_path: Path) -> None:
    with fresh_queue() as name:
        settings = {"queue_url": QUEUE_URL, "queue_name": name, "api_keys": API_KEY}
        with serve(database_url, tmp_path, **settings, queue_max_depth="2") as server:
            batch = {"documents": [{"text": story(i)} for i in range(2)]}
            assert httpx.post(f"{server.base}/v1/jobs", json=batch, headers=AUTH).status_code == 202
            refused = httpx.post(
                f"{server.base}/v1/articles", json={"text": story(3)}, headers=ASYNC
            )
            assert refused.status_code == 503
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["type"].endswith("/queue-full")
            assert int(refused.headers["retry-after"]) > 0
            metrics = httpx.get(f"{server.base}/metrics").text
    assert 'newskb_queue_jobs{state="queued"} 2.0' in metrics
    assert scalar(database_url, "SELECT count(*) FROM ingest_jobs") == 2


def test_broker_unreachable_answers_503_and_nothing_is_left_queued(
    database_url: str, tmp_path: Path
) -> None:
    with fresh_queue() as name, TcpProxy(broker_address()) as proxy:
        through = QUEUE_URL.replace(
            f"{broker_address()[0]}:{broker_address()[1]}", f"127.0.0.1:{proxy.port}"
        )
        settings = {"queue_url": through, "queue_name": name, "api_keys": API_KEY}
        with serve(database_url, tmp_path, **settings) as server:
            proxy.cut()
            refused = httpx.post(
                f"{server.base}/v1/articles", json={"text": story(4)}, headers=ASYNC
            )
            assert refused.status_code == 503
            assert refused.json()["type"].endswith("/queue-unavailable")
            assert refused.headers["retry-after"]
            proxy.restore()
            accepted = httpx.post(
                f"{server.base}/v1/articles", json={"text": story(4)}, headers=ASYNC
            )
            assert accepted.status_code == 202
            states = httpx.get(f"{server.base}/v1/jobs").json()["items"]
    assert [s["state"] for s in states] == ["queued", "failed"]  # newest first


def test_worker_broker_connection_cut_mid_job_stores_once(deployment: Deployment) -> None:
    job_id = deployment.post_async({"text": long_story(100)})
    with TcpProxy(broker_address()) as proxy:
        through = QUEUE_URL.replace(
            f"{broker_address()[0]}:{broker_address()[1]}", f"127.0.0.1:{proxy.port}"
        )
        settings = deployment.settings()
        with worker(deployment.database_url, deployment.log_dir, queue_url=through, **settings):
            wait_for(lambda: job(deployment.base, job_id)["state"] == "running", what="running")
            proxy.cut()  # the ack of this delivery cannot reach the broker
            done = finished(deployment.base, job_id, timeout=180)
            proxy.restore()  # the consumer reconnects; the broker delivers the job again
            wait_for(
                lambda: (
                    scalar(
                        deployment.database_url,
                        "SELECT count(*) FROM ingest_jobs WHERE state = 'running'",
                    )
                    == 0
                ),
                what="the redelivery handled",
            )
    assert ready_messages(deployment.queue_name) == 0  # the redelivery was acknowledged
    assert done["state"] == "done" and done["duplicate"] is False
    assert deployment.articles_with("paragraph 99,") == 1
    assert job(deployment.base, job_id) == done  # the redelivery changed nothing


@pytest.mark.skipif(backend() != "postgresql", reason="cuts PostgreSQL off with a TCP proxy")
def test_database_cut_mid_job_is_retried_and_stored_once(deployment: Deployment) -> None:
    job_id = deployment.post_async({"text": long_story(100)})
    real = make_url(deployment.database_url)
    with TcpProxy((real.host or "127.0.0.1", real.port or 5432)) as proxy:
        through = real.set(host="127.0.0.1", port=proxy.port)
        url = through.render_as_string(hide_password=False)
        with worker(url, deployment.log_dir, **deployment.settings()):
            wait_for(lambda: job(deployment.base, job_id)["state"] == "running", what="running")
            proxy.cut()  # the store (after the NLP) fails: connection refused
            wait_for(lambda: "will be retried" in _logs(deployment.log_dir), what="a retry")
            proxy.restore()
            done = finished(deployment.base, job_id, timeout=180)
    assert done["state"] == "done" and done["duplicate"] is False
    assert done["attempts"] >= 2
    assert deployment.articles_with("paragraph 99,") == 1


def test_two_workers_on_overlapping_entities_store_everything_once(
    deployment: Deployment,
) -> None:
    documents = [{"text": story(i)} for i in range(12)]
    documents += [{"text": story(0)}, {"text": story(5)}]  # copies in the same batch
    response = httpx.post(f"{deployment.base}/v1/jobs", json={"documents": documents}, headers=AUTH)
    assert response.status_code == 202
    ids = [item["id"] for item in response.json()["items"]]
    settings = deployment.settings()
    engine = make_engine(deployment.database_url)
    with (
        worker(deployment.database_url, deployment.log_dir, **settings),
        worker(deployment.database_url, deployment.log_dir, **settings),
    ):
        results = [finished(deployment.base, job_id, timeout=180) for job_id in ids]
        # Idle, each worker stores the answers its ingests left (on overlapping entities).
        wait_for(lambda: not _missing_answers(engine), what="answers stored")
    assert {r["state"] for r in results} == {"done"}
    assert [r["attempts"] for r in results] == [1] * len(ids)  # no deadlock, no retry
    with Session(engine) as session:
        assert_answers_current(session)
    engine.dispose()
    assert sum(not r["duplicate"] for r in results) == 12
    assert scalar(deployment.database_url, "SELECT count(*) FROM articles") == 12
    assert results[12]["article_id"] == results[0]["article_id"]
    assert results[13]["article_id"] == results[5]["article_id"]


def _missing_answers(engine: Engine) -> int:
    """Articles, entities and events without a stored answer."""
    with Session(engine) as session:
        return sum(map(len, answers.stale_by_kind(session).values()))


def _logs(folder: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in folder.glob("worker-*.log"))


def test_cli_ingest_queue_follows_the_workers_to_the_end(
    deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index}.txt").write_text(story(20 + index), encoding="utf-8")
    (folder / "copy.txt").write_text(story(20), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEWSKB_DATABASE_URL": deployment.database_url,
        "NEWSKB_QUEUE_URL": QUEUE_URL,
        "NEWSKB_QUEUE_NAME": deployment.queue_name,
        "COLUMNS": "200",
    }
    command = [sys.executable, "-c", "from app.cli import main; main()", "ingest", "--queue"]
    with worker(deployment.database_url, deployment.log_dir, **deployment.settings()):
        done = subprocess.run(
            [*command, str(folder)], env=env, capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stderr
    summary = {
        words[0]: int(words[-1])
        for line in done.stdout.splitlines()
        if len(words := line.replace("│", " ").split()) == 2 and words[-1].isdigit()
    }
    assert summary["new"] == 3 and summary["duplicate"] == 1
    assert scalar(deployment.database_url, "SELECT count(*) FROM articles") == 3


@pytest.mark.broker_restart
@pytest.mark.skipif((why := rabbitmqctl_usable()) is not None, reason=f"restarts RabbitMQ: {why}")
def test_broker_restarted_while_a_worker_runs_a_batch_every_job_is_done_once(
    deployment: Deployment,
) -> None:
    documents = [{"text": story(40 + i)} for i in range(24)]
    response = httpx.post(f"{deployment.base}/v1/jobs", json={"documents": documents}, headers=AUTH)
    assert response.status_code == 202
    ids = [item["id"] for item in response.json()["items"]]
    settings = deployment.settings(worker_batch="4")

    def done_jobs() -> int:
        count: int = scalar(
            deployment.database_url, "SELECT count(*) FROM ingest_jobs WHERE state = 'done'"
        )
        return count

    with (
        broker_restarts_exclusively() as restart,
        worker(deployment.database_url, deployment.log_dir, **settings),
    ):
        wait_for(lambda: done_jobs() >= 1, timeout=120, what="a first job done")
        assert done_jobs() < len(ids)  # the restart comes in the middle of the work
        restart()  # the worker's connection drops; its unacknowledged messages stay queued
        results = [finished(deployment.base, job_id, timeout=240) for job_id in ids]
        wait_for(
            lambda: (
                scalar(
                    deployment.database_url,
                    "SELECT count(*) FROM ingest_jobs WHERE state IN ('queued', 'running')",
                )
                == 0
            ),
            what="every redelivery handled",
        )
        wait_for(lambda: ready_messages(deployment.queue_name) == 0, what="an empty queue")
    assert {r["state"] for r in results} == {"done"}
    assert [r["duplicate"] for r in results] == [False] * len(ids)
    assert len({r["article_id"] for r in results}) == len(ids)
    assert scalar(deployment.database_url, "SELECT count(*) FROM articles") == len(ids)
    assert "Consumer encountered a connection error" in _logs(deployment.log_dir)  # it went

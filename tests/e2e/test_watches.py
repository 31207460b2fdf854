"""End to end: a real uvicorn's lifespan runs the delivery thread; ingests never wait for it."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.kb import webhooks
from tests.databases import temporary_database
from tests.e2e.serving import Served, run_seed
from tests.kb.webhook_receiver import receiving
from tests.reliability.server import serve

pytestmark = pytest.mark.e2e

TEXT = (
    "Tractor exports grow\n\nBelarus sold more tractors abroad in March than in any month "
    "before, the ministry of industry said on Friday."
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with temporary_database(tmp_path, "watches") as url:
        seeded = run_seed(url)
        assert seeded.returncode == 0, seeded.stderr
        settings = {"webhook_allow_private": "true", "webhook_poll_interval": "0.2"}
        with serve(url, tmp_path, **settings) as server:
            yield Served(server.base, url)


def test_the_server_delivers_a_match_while_the_ingest_has_answered(served: Served) -> None:
    with receiving(hold=True) as receiver:
        created = httpx.post(
            f"{served.base}/v1/watches", json={"q": "tractors", "webhook_url": receiver.url}
        )
        assert created.status_code == 201, created.text
        secret, watch_id = created.json()["secret"], created.json()["id"]
        ingested = httpx.post(f"{served.base}/v1/articles", json={"text": TEXT}, timeout=120)
        assert ingested.status_code == 201, ingested.text
        # The receiver holds every delivery until released: the ingest answered without it.
        assert receiver.answered == 0
        assert receiver.arrived.wait(60), "no delivery arrived"
        receiver.release.set()
        log = f"{served.base}/v1/watches/{watch_id}/deliveries"
        for _ in range(300):  # a deadline against hanging, not a timed assertion
            [delivery] = httpx.get(log).json()["items"]
            if delivery["status"] == "delivered":
                break
            time.sleep(0.1)
    [request] = receiver.received
    assert webhooks.verify_signature(secret, request.headers["newskb-signature"], request.body)
    assert (delivery["status"], delivery["attempts"], delivery["response_status"]) == (
        "delivered",
        1,
        204,
    )
    assert (
        httpx.get(f"{served.base}/v1/watches/{watch_id}/matches").json()["items"][0]["article"][
            "id"
        ]
        == ingested.json()["id"]
    )

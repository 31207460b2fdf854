"""Webhook deliveries to a real local HTTP receiver, on a database whose commits are real.

The delivery thread reads with connections of its own, so these tests commit (a database of
their own, emptied of watches after each test) instead of running in a rolled-back transaction.
"""

from __future__ import annotations

import ipaddress
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_sessionmaker
from app.db.models import Watch, WatchDelivery
from app.kb import ingest as kb_ingest
from app.kb import watches as kb_watches
from app.kb import webhooks
from app.kb.watches import RetryPolicy, WatchFilters
from tests.databases import migrated_engine
from tests.factories import meeting_article
from tests.kb.webhook_receiver import receiving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def committed_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with migrated_engine(tmp_path_factory.mktemp("webhooks"), "webhooks") as engine:
        yield engine


@pytest.fixture
def sessions(committed_engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = make_sessionmaker(committed_engine)
    yield factory
    with factory() as session, session.begin():
        session.execute(delete(Watch))


def deliverer(
    sessions: Callable[[], Session],
    *,
    allow_private: bool = True,
    timeout: float = 5.0,
    max_attempts: int = 5,
    backoff: float = 30.0,
    pause_after: int = 10,
) -> webhooks.Deliverer:
    return webhooks.Deliverer(
        sessions,
        allow_private=allow_private,
        timeout=timeout,
        policy=RetryPolicy(
            max_attempts=max_attempts, backoff_seconds=backoff, pause_after=pause_after
        ),
        poll_interval=0.02,
    )


def new_watch(sessions: Callable[[], Session], url: str) -> kb_watches.CreatedWatch:
    with sessions() as session:
        return kb_watches.create_watch(
            session, q="lukashenko", filters=WatchFilters(), webhook_url=url
        )


def ingest(sessions: Callable[[], Session]) -> int:
    body = f"Vladimir Putin met Alexander Lukashenko in Russia on Thursday, {uuid.uuid4().hex}."
    with sessions() as session:
        result = kb_ingest.ingest_article(session, meeting_article(body))
    assert result.created
    return result.article.id


def deliveries(sessions: Callable[[], Session], watch_id: int) -> list[WatchDelivery]:
    with sessions() as session:
        query = select(WatchDelivery).where(WatchDelivery.watch_id == watch_id)
        return list(session.scalars(query.order_by(WatchDelivery.id)))


def stored_watch(sessions: Callable[[], Session], watch_id: int) -> Watch:
    with sessions() as session:
        watch = session.get(Watch, watch_id)
        assert watch is not None
        return watch


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Wait for the delivery thread (a deadline against hanging, not a timed assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def test_a_delivery_is_a_signed_post_the_receiver_can_verify(
    sessions: sessionmaker[Session],
) -> None:
    with receiving() as receiver:
        created = new_watch(sessions, receiver.url)
        article_id = ingest(sessions)
        sender = deliverer(sessions)
        try:
            assert sender.run_once() == 1
        finally:
            sender.close()
    [request] = receiver.received
    signature = request.headers["newskb-signature"]
    assert webhooks.verify_signature(created.secret, signature, request.body)
    assert not webhooks.verify_signature(webhooks.watches.new_secret(), signature, request.body)
    assert not webhooks.verify_signature(created.secret, signature, request.body + b" ")
    payload = json.loads(request.body)
    assert payload["watch_id"] == created.watch.id
    assert payload["article"]["id"] == article_id
    assert request.headers["content-type"] == "application/json"
    [delivery] = deliveries(sessions, created.watch.id)
    assert request.headers["newskb-delivery"] == str(delivery.id)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 204)
    assert delivery.delivered_at is not None


def test_the_documented_recipe_verifies_a_real_delivery(sessions: sessionmaker[Session]) -> None:
    """The Python block of docs/watches.md, run as written, accepts a real delivery."""
    page = (ROOT / "docs" / "watches.md").read_text(encoding="utf-8")
    recipe = page.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(recipe, "docs/watches.md", "exec"), namespace)
    verify = namespace["verify"]
    with receiving() as receiver:
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions)
        try:
            sender.run_once()
        finally:
            sender.close()
    [request] = receiver.received
    header = request.headers["newskb-signature"]
    assert verify(created.secret, header, request.body) is True  # type: ignore[operator]
    assert verify(created.secret, header, request.body[:-1]) is False  # type: ignore[operator]
    stale = "t=1000000000," + header.split(",", 1)[1]
    assert verify(created.secret, stale, request.body) is False  # type: ignore[operator]


def test_a_failing_receiver_is_retried_with_exponential_backoff(
    sessions: sessionmaker[Session],
) -> None:
    with receiving(status=500) as receiver:
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions, backoff=0.05, max_attempts=5, pause_after=10)
        try:
            delays = []
            for attempt in range(1, 4):
                wait_for(lambda: sender.run_once() == 1, f"attempt {attempt}")
                [delivery] = deliveries(sessions, created.watch.id)
                assert (delivery.status, delivery.attempts) == ("pending", attempt)
                assert delivery.response_status == 500
                assert delivery.next_attempt_at and delivery.last_attempt_at
                delays.append(delivery.next_attempt_at - delivery.last_attempt_at)
        finally:
            sender.close()
    assert delays == [timedelta(seconds=0.05 * 2**n) for n in range(3)]
    assert len(receiver.received) == 3


def test_a_delivery_fails_for_good_after_the_last_attempt(
    sessions: sessionmaker[Session],
) -> None:
    with receiving(status=500) as receiver:
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions, backoff=0.01, max_attempts=2, pause_after=10)
        try:

            def failed() -> bool:
                sender.run_once()
                return deliveries(sessions, created.watch.id)[0].status == "failed"

            wait_for(failed, "the last attempt")
            assert sender.run_once() == 0  # nothing left to try
        finally:
            sender.close()
    [delivery] = deliveries(sessions, created.watch.id)
    assert (delivery.attempts, delivery.next_attempt_at) == (2, None)
    assert len(receiver.received) == 2


def test_the_watch_is_paused_after_consecutive_failures(
    sessions: sessionmaker[Session],
) -> None:
    with receiving(status=500) as receiver:
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions, backoff=0.01, max_attempts=10, pause_after=3)
        sender.start()
        try:
            wait_for(lambda: stored_watch(sessions, created.watch.id).status == "paused", "pause")
        finally:
            sender.stop()
            sender.close()
        watch = stored_watch(sessions, created.watch.id)
        assert watch.consecutive_failures == 3
        assert watch.paused_reason and "500" in watch.paused_reason
        [delivery] = deliveries(sessions, created.watch.id)
        assert (delivery.status, delivery.attempts) == ("pending", 3)
        assert len(receiver.received) == 3


def test_resuming_a_paused_watch_sends_what_was_pending(sessions: sessionmaker[Session]) -> None:
    with receiving(status=500) as receiver:
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions, pause_after=1)
        try:
            sender.run_once()
            assert stored_watch(sessions, created.watch.id).status == "paused"
            assert sender.run_once() == 0  # paused: nothing is sent
            receiver.status = 204  # the receiver is fixed
            with sessions() as session:
                kb_watches.update_watch(
                    session, created.watch.id, kb_watches.WatchChanges(status="active")
                )
            assert sender.run_once() == 1  # due at once, not after the backoff
        finally:
            sender.close()
    [delivery] = deliveries(sessions, created.watch.id)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert stored_watch(sessions, created.watch.id).consecutive_failures == 0


def test_a_receiver_that_does_not_answer_times_out(sessions: sessionmaker[Session]) -> None:
    with receiving(hold=True) as receiver:
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions, timeout=0.3)
        try:
            sender.run_once()
        finally:
            sender.close()
        assert receiver.answered == 0  # still held when the attempt gave up
    [delivery] = deliveries(sessions, created.watch.id)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.response_status is None
    assert delivery.error == "No answer within 0.3 s."


def test_a_slow_receiver_does_not_hold_up_ingests(sessions: sessionmaker[Session]) -> None:
    with receiving(hold=True) as receiver:
        created = new_watch(sessions, receiver.url)
        sender = deliverer(sessions, timeout=30)
        sender.start()
        try:
            first = ingest(sessions)
            assert receiver.arrived.wait(30), "the first delivery never arrived"
            # The receiver holds the first delivery until released: this ingest returns
            # while it is in flight (had ingests waited for deliveries, it would not).
            second = ingest(sessions)
            assert receiver.answered == 0
            receiver.release.set()
            wait_for(
                lambda: (
                    [d.status for d in deliveries(sessions, created.watch.id)]
                    == ["delivered", "delivered"]
                ),
                "both deliveries",
            )
        finally:
            sender.stop()
            sender.close()
    ids = [json.loads(r.body)["article"]["id"] for r in receiver.received]
    assert ids == [first, second]


def test_a_loopback_target_is_refused_after_resolution(sessions: sessionmaker[Session]) -> None:
    with receiving() as receiver:
        created = new_watch(sessions, f"http://localhost:{receiver.port}/hook")
        ingest(sessions)
        sender = deliverer(sessions, allow_private=False)
        try:
            sender.run_once()
        finally:
            sender.close()
    assert receiver.received == []
    [delivery] = deliveries(sessions, created.watch.id)
    assert delivery.status == "pending"
    assert delivery.error is not None
    assert delivery.error.startswith("Refused: localhost resolves to ")
    assert "loopback" in delivery.error


def test_redirects_are_not_followed(sessions: sessionmaker[Session]) -> None:
    with receiving(status=302) as receiver:
        receiver.location = f"http://127.0.0.1:{receiver.port}/elsewhere"
        created = new_watch(sessions, receiver.url)
        ingest(sessions)
        sender = deliverer(sessions)
        try:
            sender.run_once()
        finally:
            sender.close()
    assert [r.path for r in receiver.received] == ["/hook"]
    [delivery] = deliveries(sessions, created.watch.id)
    assert delivery.response_status == 302
    assert delivery.error is not None and "not followed" in delivery.error


def test_the_request_keeps_the_host_name_while_connecting_to_the_checked_address(
    sessions: sessionmaker[Session],
) -> None:
    with receiving() as receiver:
        new_watch(sessions, f"http://localhost:{receiver.port}/hook")
        ingest(sessions)
        sender = deliverer(sessions, allow_private=True)
        try:
            sender.run_once()
        finally:
            sender.close()
    [request] = receiver.received
    assert request.headers["host"] == f"localhost:{receiver.port}"
    target = webhooks.resolve_target(f"http://localhost:{receiver.port}/x", allow_private=True)
    assert ipaddress.ip_address(target.url.host.strip("[]")).is_loopback
    assert target.host_header == f"localhost:{receiver.port}"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.100.100.200",  # another cloud's metadata (shared address space)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "fe80::1",
        "fd00:ec2::254",  # cloud metadata over IPv6
    ],
)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert webhooks.blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert webhooks.blocked_reason(ipaddress.ip_address(address)) is None


def test_a_literal_private_address_is_refused_without_any_request() -> None:
    with pytest.raises(webhooks.Refused):
        webhooks.resolve_target("http://169.254.169.254/latest/meta-data", allow_private=False)

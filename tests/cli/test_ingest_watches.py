"""``newskb ingest`` records watch matches and sends their webhooks before it ends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app.db.engine import make_sessionmaker
from app.kb import watches as kb_watches
from app.kb import webhooks
from app.settings import get_settings
from tests.cli.conftest import FIXTURES, Cli
from tests.kb.webhook_receiver import receiving

KOREA = next(path for path in FIXTURES if "north-korea" in path.name)


@pytest.fixture
def private_targets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The receiver is on loopback: allowed through the setting (read once per process)."""
    monkeypatch.setenv("NEWSKB_WEBHOOK_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("private_targets")
def test_ingest_sends_the_webhook_of_a_matching_watch(migrated: Cli, db: Engine) -> None:
    with receiving() as receiver:
        with make_sessionmaker(db)() as session:
            created = kb_watches.create_watch(
                session,
                q='"north korea"',
                filters=kb_watches.WatchFilters(),
                webhook_url=receiver.url,
            )
        result = migrated("ingest", str(KOREA), str(FIXTURES[0]))
        assert result.exit_code == 0, result.output
    [request] = receiver.received  # the other article does not match
    payload = json.loads(request.body)
    assert payload["watch_id"] == created.watch.id
    assert payload["article"]["title"] == KOREA.read_text().splitlines()[0]
    signature = request.headers["newskb-signature"]
    assert webhooks.verify_signature(created.secret, signature, request.body)

"""A server process keeps the cyclic garbage collector off its start-up heap (``gc.freeze``):
a full collection walking it paused every request in flight for about 80 ms."""

import gc

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_the_first_app_started_in_a_process_freezes_its_heap_and_only_it(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    freezes = []
    monkeypatch.setattr(gc, "freeze", lambda freeze=gc.freeze: freezes.append(freeze()))
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000  # the modules, routes and models
    with TestClient(app):
        pass
    assert len(freezes) == 1  # a later start-up in the same process freezes nothing more

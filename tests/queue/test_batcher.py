"""The worker's batcher: jobs from many actor threads, run in batches, each thread answered."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from app.queue import batcher as batching
from app.queue.batcher import Batcher

Answer = Callable[[int, BaseException | None], None]


def run_all(batcher: Batcher, job_ids: list[int]) -> dict[int, BaseException | None]:
    """Each job from its own thread, as Dramatiq's actor threads call it."""
    outcomes: dict[int, BaseException | None] = {}

    def deliver(job_id: int) -> None:
        try:
            batcher.run(job_id)
            outcomes[job_id] = None
        except Exception as exc:
            outcomes[job_id] = exc

    threads = [threading.Thread(target=deliver, args=(i,)) for i in job_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a delivery was never answered"
    return outcomes


def test_jobs_run_in_batches_and_each_delivery_gets_its_own_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batching, "BATCH_WAIT_SECONDS", 0.5)  # all twenty arrive in time
    seen: list[list[int]] = []

    def run_batches(batches: Iterator[list[int]], answer: Answer) -> None:
        for batch in batches:
            seen.append(batch)
            for job_id in batch:
                answer(job_id, ValueError(job_id) if job_id % 5 == 0 else None)

    batcher = Batcher(run_batches, size=8)
    try:
        outcomes = run_all(batcher, list(range(1, 21)))
    finally:
        batcher.stop()
    assert sorted(i for batch in seen for i in batch) == list(range(1, 21))
    assert max(len(batch) for batch in seen) == 8 and len(seen) == 3
    assert {i for i, error in outcomes.items() if error is not None} == {5, 10, 15, 20}


def test_a_delivery_of_a_job_in_hand_gets_the_outcome_of_its_run() -> None:
    release = threading.Event()

    def run_batches(batches: Iterator[list[int]], answer: Answer) -> None:
        for batch in batches:
            release.wait(10)
            for job_id in set(batch):
                answer(job_id, None)  # once per job, as run_job_batches does

    batcher = Batcher(run_batches, size=4)
    try:
        threading.Timer(0.3, release.set).start()
        outcomes = run_all(batcher, [7, 7, 8])
    finally:
        batcher.stop()
    assert outcomes == {7: None, 8: None}


def test_a_failing_runner_answers_every_waiting_delivery() -> None:
    def run_batches(batches: Iterator[list[int]], answer: Answer) -> None:
        for _ in batches:
            raise RuntimeError("the runner broke")

    batcher = Batcher(run_batches, size=4)
    outcomes = run_all(batcher, [1, 2, 3])
    batcher.stop()  # the runner, started again, ends with the inbox
    assert all(isinstance(error, RuntimeError) for error in outcomes.values())

"""A time budget for one article's extraction (HTML parsing, NLP, extractors).

Python cannot stop a thread from outside, except by asking the interpreter to raise an
exception in it (``PyThreadState_SetAsyncExc``, as the ``func_timeout`` package does). The
exception arrives at the thread's next bytecode, so the budget stops pure-Python work
(trafilatura, our extractors, spaCy between components) but not one long C call: that is why
every regex and loop over the text must also be linear.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class BudgetExceeded(BaseException):
    """Raised in the working thread when the budget runs out; not an ``Exception``, so that
    no ``except Exception`` on the way (a library's, our extractors' guards) can swallow it."""


class TooSlow(Exception):
    """Extraction of one article took longer than its budget."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} took longer than its budget of {seconds:g} seconds.")
        self.what, self.seconds = what, seconds


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None
    )


@contextmanager
def time_budget(seconds: float, what: str) -> Iterator[None]:
    """Run the ``with`` block for at most ``seconds`` (0 or less: no budget); ``TooSlow``
    when it takes longer."""
    if seconds <= 0:
        yield
        return
    target = threading.get_ident()
    finished = threading.Event()
    lock = threading.Lock()
    fired = False

    def watch() -> None:
        nonlocal fired
        if finished.wait(seconds):
            return
        with lock:
            if not finished.is_set():
                fired = True
                _raise_in(target, BudgetExceeded)

    watchdog = threading.Thread(target=watch, name="newskb-budget", daemon=True)
    watchdog.start()
    try:
        try:
            yield
        finally:
            with lock:
                finished.set()
                if fired:
                    _raise_in(target, None)  # not delivered yet: it must not escape the block
            watchdog.join()
    except BudgetExceeded:
        raise TooSlow(what, seconds) from None
    if fired:  # the block ended between the watchdog's check and the delivery
        raise TooSlow(what, seconds)

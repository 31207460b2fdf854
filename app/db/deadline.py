"""Client-side deadlines: no database call waits longer than its budget.

A server that accepts bytes but never answers (hung, frozen, a black-holing network) is not
caught by TCP keepalives or ``tcp_user_timeout`` (its kernel still acknowledges), nor by
``statement_timeout`` (the server enforces it). ``Watchdog`` closes the socket of a PostgreSQL
connection whose call outlives its deadline; the blocked driver call then fails as a lost
connection (503). SQLite runs in-process: a progress handler interrupts a statement past its
budget instead (``sqlite3.OperationalError: interrupted``).
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from typing import Any


def shut_socket(pgconn: Any) -> None:
    """Shut down a libpq connection's socket so a call blocked on it fails at once.

    ``shutdown`` (not ``close``) wakes every poller of the socket; libpq closes the fd later.
    A connection already finished has no socket (``pgconn.socket`` raises): nothing to do.
    """
    try:
        fd = pgconn.socket
    except Exception:  # finished or broken: no socket left
        return
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One thread per engine that shuts PostgreSQL connections past their deadline."""

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, Any]] = {}  # id(pgconn) -> (deadline, pgconn)
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread looks again on its own (inf: when told)

    def arm(self, pgconn: Any, seconds: float) -> None:
        """Arm before every statement: the thread is woken only for a deadline earlier than
        the one it already waits for (waking it each time cost a thread switch per statement,
        a sixth of a page's CPU on PostgreSQL)."""
        with self._changed:
            deadline = time.monotonic() + seconds
            self._armed[id(pgconn)] = (deadline, pgconn)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="newskb-db-watchdog", daemon=True
                )
                self._thread.start()
            if deadline < self._wakes_at:
                self._changed.notify()

    def disarm(self, pgconn: Any) -> None:
        with self._changed:
            self._armed.pop(id(pgconn), None)

    def _run(self) -> None:
        with self._changed:
            while True:
                now = time.monotonic()
                for key, (deadline, pgconn) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[key]
                        shut_socket(pgconn)  # under the lock: a disarm cannot race the close
                earliest = min((d for d, _ in self._armed.values()), default=math.inf)
                self._wakes_at = earliest
                self._changed.wait(None if earliest == math.inf else earliest - now)


class SqliteDeadline:
    """The deadline of the statement running on one SQLite connection (its progress handler)."""

    STEPS = 10_000  # virtual-machine instructions between checks: about a millisecond

    def __init__(self) -> None:
        self.at = math.inf

    def install(self, dbapi_connection: Any) -> None:
        dbapi_connection.set_progress_handler(self._past, self.STEPS)

    def _past(self) -> int:
        return 1 if time.monotonic() > self.at else 0

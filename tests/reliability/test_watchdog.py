"""The PostgreSQL watchdog shuts a connection past its deadline, even one armed after a later one
that the watchdog thread was already waiting for (it is woken only for an earlier deadline)."""

import socket
import time
from dataclasses import dataclass

from app.db.deadline import Watchdog


@dataclass
class FakePgconn:
    """What the watchdog reads of a libpq connection: its socket's file descriptor."""

    sock: socket.socket

    @property
    def socket(self) -> int:
        return self.sock.fileno()


def _shut(peer: socket.socket, within: float) -> bool:
    """Whether the other end sees the connection shut (EOF) within ``within`` seconds."""
    peer.settimeout(within)
    try:
        return peer.recv(1) == b""
    except TimeoutError:
        return False


def test_an_earlier_deadline_armed_later_is_kept() -> None:
    watchdog = Watchdog()
    slow_side, slow_peer = socket.socketpair()
    fast_side, fast_peer = socket.socketpair()
    with slow_side, slow_peer, fast_side, fast_peer:
        watchdog.arm(FakePgconn(slow_side), 60.0)  # the thread now waits a minute
        time.sleep(0.1)
        started = time.monotonic()
        watchdog.arm(FakePgconn(fast_side), 0.2)
        assert _shut(fast_peer, within=5.0)
        assert time.monotonic() - started < 5.0
        assert not _shut(slow_peer, within=0.2)  # still within its minute


def test_a_disarmed_connection_is_left_alone() -> None:
    watchdog = Watchdog()
    side, peer = socket.socketpair()
    with side, peer:
        conn = FakePgconn(side)
        watchdog.arm(conn, 0.2)
        watchdog.disarm(conn)
        assert not _shut(peer, within=0.6)

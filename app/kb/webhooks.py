"""Webhook deliveries of watch matches: signed POSTs from a thread, never from an ingest.

``app.kb.watches.record_matches`` queues a ``pending`` delivery per match in the ingest's own
transaction; a ``Deliverer`` thread (started by the app's lifespan, and by ``newskb ingest``)
claims the due ones, sends them with httpx and short timeouts, and logs each attempt.

Webhook URLs are chosen by API clients, so a delivery is a request the server makes on their
behalf (server-side request forgery). Every attempt resolves the host, refuses it when any of
its addresses is not a public one (loopback, private, link-local, such as the cloud metadata
address 169.254.169.254, multicast, reserved, shared...), and then connects to the very address
it checked, with the original ``Host`` header and TLS server name: a DNS answer that changes
between the check and the connection (rebinding) cannot redirect it. Redirects are not
followed. ``NEWSKB_WEBHOOK_ALLOW_PRIVATE=true`` lifts the address check (local set-ups, tests).

Signature (``NewsKB-Signature: t=<unix seconds>,v1=<hex>``): HMAC-SHA256, keyed with the
watch's secret, over ``f"{t}.".encode() + body``; ``verify_signature`` is the receiver's side.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from app import __version__
from app.errors import InvalidInput
from app.kb import watches
from app.settings import Settings

logger = logging.getLogger("newskb.webhooks")

SIGNATURE_HEADER = "NewsKB-Signature"
SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_deliverers: weakref.WeakSet[Deliverer] = weakref.WeakSet()


class Refused(Exception):
    """The target is not one the server may send to."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``NewsKB-Signature`` header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, *, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """The receiver's check: a ``v1`` HMAC over ``t.body`` that matches, with ``t`` within
    ``tolerance`` seconds of now (an old, replayed delivery fails)."""
    parts = [item.partition("=") for item in header.split(",")]
    fields = [(key.strip(), value.strip()) for key, _, value in parts]
    stamps = [value for key, value in fields if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    return any(hmac.compare_digest(value, expected) for key, value in fields if key == "v1")


def blocked_reason(address: IPAddress) -> str | None:
    """Why a webhook may not reach this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def check_url(url: str, *, allow_private: bool) -> str:
    """Check a webhook URL when a watch is saved: http or https with a host, and not an
    address literal that a delivery would refuse. Host names are checked at every delivery,
    after resolution (what a name points to can change)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _invalid_url(f"The webhook URL is not valid: {exc}.") from exc
    if parts.scheme.lower() not in SCHEMES:
        raise _invalid_url("The webhook URL must start with http:// or https://.")
    if not parts.hostname:
        raise _invalid_url("The webhook URL has no host.")
    if port == 0:
        raise _invalid_url("The webhook URL's port must be 1 to 65535.")
    literal = _address(parts.hostname)
    if literal is not None and not allow_private and (reason := blocked_reason(literal)):
        raise _invalid_url(
            f"The webhook URL is refused: {reason} (set NEWSKB_WEBHOOK_ALLOW_PRIVATE=true to "
            "allow private targets)."
        )
    return url


def _invalid_url(detail: str) -> InvalidInput:
    errors = [{"loc": ["body", "webhook_url"], "msg": detail, "type": "value_error"}]
    return InvalidInput(detail, errors=errors)


def _address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the checked address, with the URL's own name for the
    ``Host`` header and for TLS (SNI and the certificate check)."""

    url: httpx.URL
    host_header: str
    server_name: str | None


def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host and pin the attempt to a checked address (``Refused`` else)."""
    parsed = httpx.URL(url)
    host = parsed.host
    if parsed.scheme not in SCHEMES or not host:
        raise Refused(f"{url!r} is not an http or https URL")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = _address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} does not resolve: {exc}") from exc
        try:
            addresses = list(dict.fromkeys(ipaddress.ip_address(i[4][0]) for i in infos))
        except ValueError as exc:  # an address family we do not check
            raise Refused(f"{host} resolves to an address that cannot be checked") from exc
        if not addresses:
            raise Refused(f"{host} does not resolve")
    if not allow_private:
        for address in addresses:  # every address: a name that also points inside is refused
            if reason := blocked_reason(address):
                raise Refused(f"{host} resolves to {reason}")
    default_port = port == (443 if parsed.scheme == "https" else 80)
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    return Target(
        url=parsed.copy_with(host=str(addresses[0])),
        host_header=host_header,
        server_name=host if parsed.scheme == "https" and literal is None else None,
    )


def attempt(
    client: httpx.Client, claim: watches.Claim, *, allow_private: bool, timeout: float
) -> watches.Outcome:
    """One signed POST of a delivery; any answer but a 2xx is a failure."""
    try:
        target = resolve_target(claim.url, allow_private=allow_private)
    except Refused as exc:
        return watches.Outcome(ok=False, error=f"Refused: {exc}.")
    body = claim.body.encode("utf-8")
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": f"NewsKB-Webhook/{__version__}",
        SIGNATURE_HEADER: sign(claim.secret, int(time.time()), body),
        "NewsKB-Delivery": str(claim.id),
        "NewsKB-Watch": str(claim.watch_id),
    }
    extensions: dict[str, Any] = {}
    if target.server_name:
        extensions["sni_hostname"] = target.server_name
    try:
        # Streamed and closed unread: the answer's body is never downloaded.
        with client.stream(
            "POST", target.url, content=body, headers=headers, extensions=extensions
        ) as response:
            status = response.status_code
            location = response.headers.get("location")
    except httpx.TimeoutException:
        return watches.Outcome(ok=False, error=f"No answer within {timeout:g} s.")
    except Exception as exc:  # any failure is an attempt logged, never a lost claim
        return watches.Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= status < 300:
        return watches.Outcome(ok=True, response_status=status)
    if 300 <= status < 400:
        error = f"Answered {status}; redirects are not followed (Location: {location})."
    else:
        error = f"Answered {status}."
    return watches.Outcome(ok=False, response_status=status, error=error[:500])


def wake_deliverers() -> None:
    """Tell this process's delivery threads that deliveries were just committed."""
    for deliverer in list(_deliverers):
        deliverer.wake()


class Deliverer:
    """The delivery thread: claims due deliveries, sends them one by one, logs each attempt."""

    BATCH = 10

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        allow_private: bool,
        timeout: float,
        policy: watches.RetryPolicy,
        poll_interval: float,
    ) -> None:
        self.sessions = sessions
        self.allow_private = allow_private
        self.timeout = timeout
        self.policy = policy
        self.poll_interval = poll_interval
        # A claim outlives every attempt of its batch; a dead thread's claims come back then.
        self.lease = timedelta(seconds=self.BATCH * (timeout + 5) + 60)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
        )

    @classmethod
    def from_settings(cls, sessions: Callable[[], Session], settings: Settings) -> Deliverer:
        return cls(
            sessions,
            allow_private=settings.webhook_allow_private,
            timeout=settings.webhook_timeout,
            policy=watches.RetryPolicy(
                max_attempts=settings.webhook_max_attempts,
                backoff_seconds=settings.webhook_backoff,
                pause_after=settings.webhook_pause_after,
            ),
            poll_interval=settings.webhook_poll_interval,
        )

    def run_once(self) -> int:
        """Send what is due now, one batch; the number of attempts made."""
        with self.sessions() as session:
            if not watches.any_due(session):
                return 0
            claims = watches.claim_due(session, limit=self.BATCH, lease=self.lease)
        for claim in claims:
            outcome = attempt(
                self._client, claim, allow_private=self.allow_private, timeout=self.timeout
            )
            with self.sessions() as session:
                watches.record_outcome(session, claim, outcome, self.policy)
            if not outcome.ok:
                logger.info(
                    "webhook delivery %s of watch %s failed: %s",
                    claim.id,
                    claim.watch_id,
                    outcome.error,
                )
        return len(claims)

    def drain(self, passes: int = 100) -> None:
        """Send what is due now until nothing is (a retry due later waits for a server)."""
        for _ in range(passes):
            if self.run_once() == 0:
                return

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        _deliverers.add(self)
        self._thread = threading.Thread(target=self._run, name="newskb-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the attempt in progress (bounded by the webhook timeout)."""
        _deliverers.discard(self)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else self.timeout + 10)

    def close(self) -> None:
        self._client.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.run_once() == self.BATCH
            except Exception:  # the database is away...: try again at the next poll
                logger.exception("webhook delivery pass failed")
                busy = False
            if not busy:
                self._wake.wait(self.poll_interval)
                self._wake.clear()


@contextmanager
def delivering(sessions: Callable[[], Session], settings: Settings) -> Iterator[Deliverer]:
    """A delivery thread for the block; at its end, what is due is sent before it stops."""
    deliverer = Deliverer.from_settings(sessions, settings)
    deliverer.start()
    try:
        yield deliverer
    finally:
        deliverer.stop()
        try:
            deliverer.drain()
        finally:
            deliverer.close()

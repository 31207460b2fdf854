"""Who the client is: the TCP peer, or behind trusted reverse proxies the address they vouch for.

Proxy headers are believed only from the peers listed in ``NEWSKB_TRUSTED_PROXIES``; uvicorn's
own ``--proxy-headers`` is off under ``newskb serve`` so that this is the one place that reads
them. Each proxy appends the address it saw to ``X-Forwarded-For``, so the chain is read from
the right: the client is the rightmost address that is not a trusted proxy. Everything left of
it was written by the client and is ignored (a client can put ``127.0.0.1`` there).

The resolved address replaces ``scope["client"]``, so the rate limit and the access log use it.
Writes without a key (no ``NEWSKB_API_KEYS``) need more than a loopback address: the server
must listen on loopback, trust no proxy, and the request must carry no proxy header at all; a
proxy on the same machine would otherwise make every client look local.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from app.settings import Network, Settings

logger = logging.getLogger("newskb.security")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Their presence means a proxy (or a client pretending to be one) is in the way.
PROXY_HEADERS = frozenset({b"forwarded", b"x-forwarded-for", b"x-real-ip"})
LOOPBACK_NAMES = frozenset({"localhost"})


def parse_address(text: str) -> Address | None:
    """An IP address from an ``X-Forwarded-For`` entry or a peer; ``None`` if it is not one.

    Accepts ``1.2.3.4``, ``1.2.3.4:5678``, ``::1`` and ``[::1]:5678``; an IPv4-mapped IPv6
    address (``::ffff:127.0.0.1``) is read as the IPv4 address it carries.
    """
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (and ``localhost``, as a bind address is written)."""
    if host is None:
        return False
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    address = parse_address(host)
    return address is not None and address.is_loopback


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address in network for network in trusted)


def resolve_client(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]
) -> str | None:
    """The client's address: the rightmost ``X-Forwarded-For`` entry not in ``trusted``.

    Proxy headers count only when the peer itself is trusted. If every entry is a trusted
    proxy, the leftmost one is the client; an entry that is not an address stops the walk at
    the proxy that passed it on (its own address is the best that is known).
    """
    peer_address = parse_address(peer) if peer is not None else None
    if peer_address is None or not _trusted(peer_address, trusted):
        return peer
    client = str(peer_address)
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        client = str(address)
        if not _trusted(address, trusted):
            break
    return client


def keyless_writes_possible(settings: Settings) -> bool:
    """Without keys, writes can come from this machine only if nothing relays them here."""
    return not settings.key_list() and is_loopback(settings.host) and not settings.trusted_proxies


def may_write_without_key(settings: Settings, scope: Scope) -> bool:
    """A keyless write: server on loopback, no trusted proxy, no proxy header, loopback peer."""
    client = scope.get("client")
    state = scope.get("state", {})
    proxied = state.get("proxied", _has_proxy_headers(scope))
    return (
        keyless_writes_possible(settings)
        and not proxied
        and is_loopback(client[0] if client else None)
    )


def _has_proxy_headers(scope: Scope) -> bool:
    return any(name in PROXY_HEADERS for name, _ in scope.get("headers", []))


class ClientAddress:
    """Pure ASGI middleware: the real client address and scheme from trusted proxies' headers."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["proxied"] = _has_proxy_headers(scope)
            peer = scope.get("client")
            address = parse_address(peer[0]) if peer and self.trusted else None
            if peer and address is not None and _trusted(address, self.trusted):
                headers = scope.get("headers", [])
                forwarded = [v.decode("latin-1") for n, v in headers if n == b"x-forwarded-for"]
                scope["client"] = (resolve_client(peer[0], forwarded, self.trusted), 0)
                proto = next((v.strip() for n, v in headers if n == b"x-forwarded-proto"), b"")
                if proto in (b"http", b"https"):
                    scope["scheme"] = proto.decode("ascii")
        await self.app(scope, receive, send)


def log_proxy_mode(settings: Settings) -> None:
    """Say at start-up whose proxy headers are believed, and warn loudly of keyless exposure."""
    if settings.trusted_proxies:
        logger.info(
            "Trusting X-Forwarded-For and X-Forwarded-Proto from %s: the client is the "
            "rightmost address not among them.",
            ", ".join(str(n) for n in settings.trusted_proxy_networks()),
        )
    if settings.key_list() or keyless_writes_possible(settings):
        return
    where = (
        f"the server trusts reverse proxies ({settings.trusted_proxies})"
        if settings.trusted_proxies
        else f"the server is bound to {settings.host}, not to loopback"
    )
    logger.warning(
        "NO API KEY CONFIGURED and %s: every write is refused (403). Writes without a key are "
        "accepted only when the server listens on loopback and trusts no proxy. Set "
        "NEWSKB_API_KEYS=<key>[,<key>...].",
        where,
    )

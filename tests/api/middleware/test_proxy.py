"""Client address behind reverse proxies, and what it takes to write without a key."""

import asyncio
import ipaddress
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from app.api.middleware.proxy import ClientAddress, is_loopback, resolve_client
from app.db.models import Article
from app.main import create_app
from app.settings import Settings, parse_networks
from tests.conftest import share_session

TEXT = "Flood warning\n\nRivers rose across Bavaria on Tuesday and Munich closed two bridges."
PROXIES = parse_networks("10.0.0.0/8, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # The peer is not a trusted proxy: its headers are the client's own words.
        ("203.0.113.7", ["127.0.0.1"], "203.0.113.7"),
        ("127.0.0.1", ["10.0.0.9"], "127.0.0.1"),
        # One trusted proxy, which appended the address it saw.
        ("10.0.0.2", ["203.0.113.7"], "203.0.113.7"),
        # A spoofed leftmost entry never wins: the rightmost untrusted one does.
        ("10.0.0.2", ["127.0.0.1, 203.0.113.7"], "203.0.113.7"),
        ("10.0.0.2", ["127.0.0.1", "203.0.113.7"], "203.0.113.7"),  # two header lines
        # Two trusted proxies in a row; the client's own claim is ignored.
        ("10.0.0.2", ["198.51.100.1, 203.0.113.7, 10.0.0.1"], "203.0.113.7"),
        # Every hop trusted: the leftmost is the client (a proxy calling the API itself).
        ("10.0.0.2", ["10.0.0.3, 10.0.0.1"], "10.0.0.3"),
        # No header from a trusted proxy: the proxy itself.
        ("10.0.0.2", [], "10.0.0.2"),
        # Not an address: stop at the proxy that passed it on, never use the text.
        ("10.0.0.2", ["203.0.113.7, unknown"], "10.0.0.2"),
        ("10.0.0.2", ["203.0.113.7, 10.0.0.1, <script>"], "10.0.0.2"),
        # Ports and IPv6 forms.
        ("10.0.0.2", ["203.0.113.7:51000"], "203.0.113.7"),
        ("::1", ["2001:db8::1"], "2001:db8::1"),
        ("::1", ["127.0.0.1, [2001:db8::1]:4711"], "2001:db8::1"),
        ("::ffff:10.0.0.2", ["203.0.113.7"], "203.0.113.7"),
        ("2001:db8::2", ["203.0.113.7"], "2001:db8::2"),
    ],
)
def test_the_client_is_the_rightmost_untrusted_address(
    peer: str, forwarded_for: list[str], client: str
) -> None:
    assert resolve_client(peer, forwarded_for, PROXIES) == client


def test_without_trusted_proxies_the_headers_are_ignored() -> None:
    assert resolve_client("127.0.0.1", ["203.0.113.7"], []) == "127.0.0.1"
    assert resolve_client(None, ["203.0.113.7"], PROXIES) is None


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.1", "localhost"]
)
def test_loopback_is_127_slash_8_and_ipv6_loopback(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["128.0.0.1", "10.0.0.1", "0.0.0.0", "::", "::2", "testclient", "", None]
)
def test_other_addresses_are_not_loopback(host: str | None) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("bad", ["10.0.0.300", "10.0.0.0/33", "proxy.local"])
def test_a_mistyped_trusted_proxy_is_a_settings_error(bad: str) -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=f"10.0.0.1,{bad}")


def test_trusted_proxies_accept_addresses_and_networks() -> None:
    networks = Settings(trusted_proxies=" 10.0.0.5 , 172.18.0.0/16,::1").trusted_proxy_networks()
    assert networks == [ipaddress.ip_network(n) for n in ("10.0.0.5/32", "172.18.0.0/16", "::1")]


def seen_scope(trusted: str, peer: str, headers: dict[str, str]) -> Scope:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope)

    scope: Scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(ClientAddress(app, trusted=parse_networks(trusted))(scope, None, None))  # type: ignore[arg-type]
    return seen


def test_the_scheme_comes_from_trusted_proxies_only() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    trusted = seen_scope("10.0.0.0/8", "10.0.0.2", headers)
    assert (trusted["scheme"], trusted["client"][0]) == ("https", "203.0.113.7")
    untrusted = seen_scope("10.0.0.0/8", "203.0.113.9", headers)
    assert (untrusted["scheme"], untrusted["client"][0]) == ("http", "203.0.113.9")
    assert seen_scope("", "127.0.0.1", headers)["scheme"] == "http"
    assert seen_scope("10.0.0.0/8", "10.0.0.2", {"X-Forwarded-Proto": "gopher"})["scheme"] == "http"


def articles(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Article)) or 0


def keyless(settings: Settings, session: Session, peer: str, **update: Any) -> TestClient:
    app: FastAPI = create_app(settings.model_copy(update={"api_keys": ""} | update))
    share_session(app, session)
    return TestClient(app, client=(peer, 50000))


@pytest.mark.parametrize("peer", ["127.0.0.2", "::1"])
def test_keyless_writes_come_from_any_loopback_address(
    settings: Settings, session: Session, peer: str
) -> None:
    with keyless(settings, session, peer) as client:
        assert client.post("/v1/articles", json={"text": TEXT}).status_code == 201


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "127.0.0.1"},
        {"X-Forwarded-For": "203.0.113.7"},
        {"Forwarded": "for=127.0.0.1"},
        {"X-Real-IP": "127.0.0.1"},
    ],
)
def test_a_keyless_write_with_a_proxy_header_is_refused(
    settings: Settings, session: Session, header: dict[str, str]
) -> None:
    with keyless(settings, session, "127.0.0.1") as client:
        response = client.post("/v1/articles", json={"text": TEXT}, headers=header)
        assert client.get("/v1/articles", headers=header).status_code == 200  # reads stay open
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "proxy" in response.json()["detail"]
    assert articles(session) == 0


@pytest.mark.parametrize(
    "update",
    [
        {"trusted_proxies": "127.0.0.1"},
        {"trusted_proxies": "10.0.0.0/8"},
        {"host": "0.0.0.0"},
        {"host": "192.0.2.10"},
    ],
)
def test_no_keyless_writes_behind_trusted_proxies_or_on_a_public_bind(
    settings: Settings, session: Session, update: dict[str, str]
) -> None:
    with keyless(settings, session, "127.0.0.1", **update) as client:
        spoofed = {"X-Forwarded-For": "127.0.0.1"}
        assert client.post("/v1/articles", json={"text": TEXT}).status_code == 403
        assert client.post("/v1/articles", json={"text": TEXT}, headers=spoofed).status_code == 403
    assert articles(session) == 0


@pytest.mark.parametrize("update", [{"trusted_proxies": "10.0.0.0/8"}, {"host": "0.0.0.0"}])
def test_start_up_warns_loudly_when_keyless_writes_are_refused(
    settings: Settings, session: Session, caplog: pytest.LogCaptureFixture, update: dict[str, str]
) -> None:
    with caplog.at_level(logging.INFO, logger="newskb"), keyless(settings, session, "x", **update):
        pass
    loud = [r for r in caplog.records if "NO API KEY CONFIGURED" in r.getMessage()]
    assert len(loud) == 1 and loud[0].levelno == logging.WARNING
    assert "every write is refused" in loud[0].getMessage()


def test_start_up_is_quiet_about_proxies_on_loopback_or_with_keys(
    settings: Settings, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="newskb"):
        with keyless(settings, session, "x"):
            pass
        with TestClient(create_app(settings.model_copy(update={"host": "0.0.0.0"}))):
            pass
    assert not [r for r in caplog.records if "NO API KEY CONFIGURED" in r.getMessage()]


def limited(settings: Settings, session: Session, peer: str, trusted: str) -> TestClient:
    update = {"rate_limit_anonymous": "2/minute", "trusted_proxies": trusted}
    app: FastAPI = create_app(settings.model_copy(update=update))
    share_session(app, session)
    return TestClient(app, client=(peer, 50000))


def codes(client: TestClient, n: int, forwarded_for: str) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    return [client.get("/v1/articles", headers=headers).status_code for _ in range(n)]


def test_behind_a_trusted_proxy_each_client_has_its_own_rate_bucket(
    settings: Settings, session: Session
) -> None:
    with limited(settings, session, "10.0.0.2", "10.0.0.0/8") as proxy:
        assert codes(proxy, 3, "203.0.113.7") == [200, 200, 429]
        assert codes(proxy, 2, "203.0.113.8") == [200, 200]
        # A client cannot pick a fresh bucket by writing one in front of its address.
        assert codes(proxy, 1, "198.51.100.1, 203.0.113.7") == [429]


def test_without_trusted_proxies_x_forwarded_for_picks_no_bucket(
    settings: Settings, session: Session
) -> None:
    with limited(settings, session, "203.0.113.7", "") as client:
        assert [codes(client, 1, f"198.51.100.{n}")[0] for n in range(3)] == [200, 200, 429]
    with limited(settings, session, "203.0.113.7", "10.0.0.0/8") as untrusted_peer:
        assert [codes(untrusted_peer, 1, f"198.51.100.{n}")[0] for n in range(3)] == [
            200,
            200,
            429,
        ]

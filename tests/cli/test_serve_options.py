"""``newskb serve --trusted-proxy``: checked before anything starts."""

import os

import pytest
from typer.testing import CliRunner

from app.cli import app


@pytest.mark.parametrize("bad", ["10.0.0.300", "10.0.0.0/33", "proxy.local"])
def test_a_mistyped_trusted_proxy_stops_serve_at_once(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSKB_TRUSTED_PROXIES", raising=False)
    result = CliRunner().invoke(
        app, ["serve", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", bad]
    )
    assert result.exit_code == 2, result.output
    assert "--trusted-proxy" in result.output
    assert "NEWSKB_TRUSTED_PROXIES" not in os.environ

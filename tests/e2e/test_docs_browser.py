"""The interactive docs, used as a person would: headless Chromium opens /docs on a real server.

Playwright's Python package drives Debian's Chromium (``/usr/bin/chromium``, installed by
``.ci/run``); it never downloads a browser. Screenshots go to ``$NEWSKB_ARTIFACTS_DIR``
(default ``tests/artifacts/``): one of the Try-it-out answer, and the full page of every test.
"""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, FloatRect, Page, sync_playwright

from tests.databases import backend
from tests.e2e.serving import Served
from tests.reliability.server import ROOT

pytestmark = pytest.mark.e2e
CHROMIUM = Path(os.environ.get("NEWSKB_CHROMIUM", "/usr/bin/chromium"))
# As root, in a closed network: no sandbox, and no background connections (refused here).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000  # two shared cores: a cold Chromium and a 1.5 MB bundle can be slow


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("NEWSKB_ARTIFACTS_DIR", ROOT / "tests" / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (CI installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, served: Served, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A tab on the served app; its full page is saved afterwards, pass or fail."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, base_url=served.base)
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield page
    finally:
        name = request.node.name.removeprefix("test_")
        page.screenshot(path=artifacts_dir() / f"{name}-{backend()}-full.png", full_page=True)
        page.close()


def test_docs_page_loads_nothing_from_other_hosts(page: Page, served: Served) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto("/docs")
    page.locator(".opblock").first.wait_for()
    assert hosts == {urlsplit(served.base).netloc}


def test_docs_try_it_out_lists_the_seeded_entities(page: Page, served: Served) -> None:
    expected = httpx.get(f"{served.base}/v1/entities").json()["items"]
    assert expected, "the seed article should have given entities"

    page.goto("/docs")
    paths = page.locator(".opblock-summary-path")
    paths.first.wait_for()
    rendered = set(paths.all_inner_texts())
    assert {"/v1/articles", "/v1/entities", "/v1/events", "/v1/search"} <= rendered

    operation = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/v1/entities"]')
    )
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table")
    status = live.locator(".response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    body = json.loads(live.locator(".response-col_description pre").first.inner_text())

    assert [(e["id"], e["name"]) for e in body["items"]] == [(e["id"], e["name"]) for e in expected]
    shot = artifacts_dir() / f"docs_try_it_out-{backend()}.png"
    # From the operation's header to the end of the live response; boxes are viewport-relative.
    scrolled = float(page.evaluate("window.scrollY"))
    top, end = operation.bounding_box(), live.bounding_box()
    assert top is not None and end is not None
    height = end["y"] + end["height"] - top["y"]
    clip = FloatRect(x=0, y=top["y"] + scrolled, width=1280, height=height)
    page.screenshot(path=shot, full_page=True, clip=clip)
    print(f"\nscreenshot of Try it out on GET /v1/entities: {shot}")


def test_docs_assets_are_served_by_the_app(client: TestClient) -> None:
    """Without a browser: every script, stylesheet and icon of /docs and /redoc is served here."""
    for docs in ("/docs", "/redoc"):
        assets = re.findall(r'(?:src|href)="([^"]+)"', client.get(docs).text)
        assert len(assets) >= 2, docs
        for asset in assets:
            assert asset.startswith("/"), f"{docs} loads {asset} from another host"
            assert client.get(asset).status_code == 200, asset

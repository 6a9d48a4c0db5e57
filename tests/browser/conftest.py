"""The product as a user meets it, for the dashboard's browser tests: ``smartlinks up`` in a
real process on a free port, a landing page for short links to lead to (these machines
have no internet), and headless Debian Chromium driven by Playwright, watched for console
errors and failed requests."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.product import start, stop

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Request, Response

ROOT = Path(__file__).parents[2]
CHROMIUM = Path(os.environ.get("SMARTLINKS_CHROMIUM", "/usr/bin/chromium"))
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
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
# The screens the README shows (docs/screenshots/), refreshed by running the browser tests
# with SMARTLINKS_DOCS_SCREENSHOTS=1.
DOCS_SET = frozenset(
    {
        "new-link-desktop",
        "settings-desktop",
        "contact-desktop",
        "webhooks-desktop",
        "deliveries-desktop",
        "analytics-variants-desktop",
        # The screens with figures: from the demo's 90 days (test_demo_screens.py), not from
        # the few clicks a test makes.
        "demo-links-desktop",
        "demo-links-phone",
        "demo-analytics-desktop",
        "demo-analytics-phone",
        "demo-campaigns-desktop",
        "demo-campaign-desktop",
        "demo-campaign-phone",
        "demo-campaign-funnel-desktop",
    }
)
# Screens the README shows under a name of their own.
DOCS_NAMES = {
    "demo-links-desktop": "links-desktop",
    "demo-links-phone": "links-phone",
    "demo-analytics-desktop": "analytics-desktop",
    "demo-analytics-phone": "analytics-phone",
    "demo-campaigns-desktop": "campaigns-desktop",
    "demo-campaign-desktop": "campaign-desktop",
    "demo-campaign-phone": "campaign-phone",
    "demo-campaign-funnel-desktop": "campaign-funnel",
}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# A person's browser: HeadlessChrome's own user agent is (rightly) counted as a bot.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


@dataclass
class Product:
    url: str
    key: str
    output: list[str]

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=10)

    def click(self, short_url: str, ip: str, user_agent: str) -> None:
        """A visit from elsewhere: the product trusts this loopback proxy's X-Forwarded-For."""
        headers = {"X-Forwarded-For": ip, "User-Agent": user_agent}
        response = httpx.get(short_url, headers=headers, follow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text


@pytest.fixture(scope="module")
def product(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    # Clicks come through this machine's loopback "proxy", so X-Forwarded-For is believed.
    # A test module may add settings of its own: PRODUCT_ENV = {"SMARTLINKS_...": "..."}.
    process, running = start(
        tmp_path_factory.mktemp("product") / "data",
        SMARTLINKS_TRUSTED_PROXIES="127.0.0.1/32",
        SMARTLINKS_CONSUMER_MAX_WAIT_MS="200",
        **getattr(request.module, "PRODUCT_ENV", {}),
    )
    try:
        assert running.key, "smartlinks up printed no API key:\n" + "\n".join(running.output)
        yield Product(running.url, running.key, running.output)
    finally:
        stop(process)


def answer(handler: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
    """Send a whole response from a request handler: status, type and length, body."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Landing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/favicon"):
            self.send_response(204)
            self.end_headers()
            return
        body = b"<!doctype html><title>Landing page</title><h1>Thanks for visiting</h1>"
        answer(self, 200, "text/html; charset=utf-8", body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` answering on a free loopback port, in a thread of its own, for the
    block; the server's base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def landing() -> Iterator[str]:
    """Where the test's short links lead: a page on this machine."""
    with served(_Landing) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright import sync_api  # a dev dependency: `make test` installs it

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium (make test does)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watch:
    """Everything that went wrong in the pages of one browser context. A test fails on any
    of it unless it said beforehand that it expects that very message."""

    problems: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._report(f"uncaught exception: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _report(self, problem: str) -> None:
        for pattern in self.expected:
            if pattern.search(problem):
                self.expected.remove(pattern)
                return
        self.problems.append(problem)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            self._report(f"console {message.type}: {message.text}")
        elif message.type == "warning" and "Content Security Policy" in message.text:
            self._report(f"console warning: {message.text}")

    def _failed(self, request: Request) -> None:
        # ERR_ABORTED is the page giving a request up itself (it navigated on before the
        # favicon arrived, say), not a failure of the product: refused connections, resets
        # and 4xx/5xx answers are what this watch is for.
        if request.failure != "net::ERR_ABORTED":
            self._report(f"request failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self._report(f"response {response.status}: {response.request.method} {response.url}")

    @contextmanager
    def expecting(self, *patterns: str) -> Iterator[None]:
        """Allow these problems (each once) inside the block; they must all happen."""
        compiled = [re.compile(pattern) for pattern in patterns]
        self.expected.extend(compiled)
        yield
        missing = [p.pattern for p in compiled if p in self.expected]
        for pattern in compiled:
            if pattern in self.expected:
                self.expected.remove(pattern)
        assert not missing, f"expected problems did not happen: {missing}"

    def check(self) -> None:
        assert not self.problems, "the browser saw problems:\n" + "\n".join(self.problems)


def finish(page: Page, watch: Watch) -> None:
    """A test's end: fail on any problem the browser saw, then close the page's context."""
    watch.check()
    page.context.close()


def screenshot(page: Page, name: str, *, full_page: bool = True, element: Locator | None = None) -> None:
    """Save the screen (or just ``element`` on it) as
    test-artifacts/screenshots/NAME-{desktop,phone}.png; with SMARTLINKS_DOCS_SCREENSHOTS=1,
    the README's few also into docs/screenshots/."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    kind = "phone" if width < 600 else "desktop"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{kind}.png"
    if element is not None:
        element.screenshot(path=str(path), animations="disabled", caret="hide")
    else:
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    if os.environ.get("SMARTLINKS_DOCS_SCREENSHOTS") == "1" and path.stem in DOCS_SET:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{DOCS_NAMES.get(path.stem, path.stem)}.png")

"""The API served over real HTTP: a SQLite store, an in-process change feed that records
what it publishes, and two tenants with a key each."""

from __future__ import annotations

import asyncio
import secrets
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from api.analytics.query import AnalyticsQueries
from api.app import ApiContext, ZeroClickCounter, create_api
from schemas.events import LinkChange
from smartlinks.changes import InProcessChangeFeed
from smartlinks.models import Link, NewLink
from smartlinks.outbox import ChangeRelay
from smartlinks.settings import Settings
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.support.lifespan import WithStore
from tests.support.server import serve

BASE_URL = "https://sl.example"


class FakeClicks:
    """A click counter the tests can set, or make fail like an unreachable ClickHouse."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.fail = False

    async def lifetime_clicks(self, tenant_id: str, link_ids: list[str]) -> dict[str, int]:
        if self.fail:
            raise ConnectionError("analytics is down")
        return {link_id: self.counts[link_id] for link_id in link_ids if link_id in self.counts}


class FlakyFeed(InProcessChangeFeed):
    """The in-process feed, able to fail like an unreachable Kafka."""

    fail = False

    async def publish(self, changes: Sequence[LinkChange]) -> None:
        if self.fail:
            raise ConnectionError("the bus is down")
        await super().publish(changes)


@dataclass
class Account:
    id: str
    key: str


class ServedStore:
    """What a test does with the store of a server running on another thread's loop: run a
    store call there, make a tenant with a key."""

    store: SQLiteLinkStore
    loop: asyncio.AbstractEventLoop

    def call(self, coro: Any) -> Any:
        """Run a store coroutine on the server's loop (the store's executor lives there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def new_account(self, name: str) -> Account:
        # Tenant names are unique, and a module's tests share one server: each gets its own.
        tenant = self.call(self.store.create_tenant(f"{name} {secrets.token_hex(4)}"))
        _, key = self.call(self.store.create_api_key(tenant.id, "first"))
        return Account(tenant.id, key)


@dataclass
class ApiServer(ServedStore):
    """One server per test module (startup costs more than most tests); every test gets two
    fresh tenants, so tests stay independent and each also sees other tests' data that
    must not leak into its own lists."""

    url: str
    store: SQLiteLinkStore
    clicks: FakeClicks
    loop: asyncio.AbstractEventLoop
    changes: list[LinkChange]
    feed: FlakyFeed
    relay: ChangeRelay
    a: Account = field(init=False)
    b: Account = field(init=False)

    def insert(self, tenant: Account, destination: str = "https://example.com/", **fields: Any) -> Link:
        """A link straight into the store, for states the API refuses to create (expired)."""
        link: Link = self.call(self.store.create_link(NewLink(tenant.id, destination, **fields)))
        return link

    def client(self, key: str | None) -> httpx.Client:
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    data_dir = tmp_path_factory.mktemp("api")
    settings = Settings(data_dir=data_dir, public_url=BASE_URL)
    store = SQLiteLinkStore(data_dir / "links.sqlite3")
    feed = FlakyFeed()
    changes: list[LinkChange] = []
    feed.subscribe(changes.extend)
    clicks = FakeClicks()
    relay = ChangeRelay(store, feed)
    app = WithStore(create_api(ApiContext(settings, store, relay, clicks)), store)
    with serve(app) as url:
        yield ApiServer(url, store, clicks, app.loop, changes, feed, relay)


@pytest.fixture
def api(server: ApiServer) -> ApiServer:
    server.a = server.new_account("tenant a")
    server.b = server.new_account("tenant b")
    server.feed.fail = False
    server.call(server.relay.deliver())  # what an earlier test left in the outbox
    server.changes.clear()
    server.clicks.counts.clear()
    server.clicks.fail = server.feed.fail = False
    return server


@pytest.fixture
def a(api: ApiServer) -> Iterator[httpx.Client]:
    """Tenant A's client."""
    with api.client(api.a.key) as client:
        yield client


@pytest.fixture
def b(api: ApiServer) -> Iterator[httpx.Client]:
    """Tenant B's client."""
    with api.client(api.b.key) as client:
        yield client


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    """Create a link through the API and return its JSON, failing the test on any error."""
    body.setdefault("destination_url", "https://example.com/landing")
    response = client.post("/api/v1/links", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def error_of(response: httpx.Response) -> tuple[int, str, str | None]:
    """(status, code, field) of an error response, checking its shape on the way."""
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) <= {"code", "message", "field"} and error["message"]
    return response.status_code, error["code"], error.get("field")


def served_routes() -> list[tuple[str, str]]:
    """Every (method, path template) the API app serves, HEAD aside."""
    unopened = SQLiteLinkStore(Path("unused.sqlite3"))
    relay = ChangeRelay(unopened, InProcessChangeFeed())
    # The analytics routes exist only with a ClickHouse client; an unused one serves here.
    analytics = AnalyticsQueries(client=None)
    app = create_api(ApiContext(Settings(), unopened, relay, ZeroClickCounter(), analytics))
    found = []
    for route in app.routes:
        assert isinstance(route, Route) and route.methods
        found.extend((method, route.path) for method in sorted(route.methods - {"HEAD"}))
    return found


def unique_code(prefix: str = "") -> str:
    """A custom code no other test uses: codes are global across tenants and tests."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10 - len(prefix)))

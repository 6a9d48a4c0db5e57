"""``POST /api/v1/track/conversion`` over real HTTP: a publishable key in the header or the
body, a sendBeacon's text/plain body, CORS for any site, and what reaches the funnel log."""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.app import ApiContext, ZeroClickCounter, create_api
from schemas.events import FunnelEvent
from smartlinks.changes import InProcessChangeFeed
from smartlinks.eventlog.segments import segment_numbers, segment_path
from smartlinks.eventlog.writer import EventLog
from smartlinks.models import TenantPatch
from smartlinks.outbox import ChangeRelay
from smartlinks.settings import Settings
from smartlinks.store.sqlite import SQLiteLinkStore
from smartlinks.types import ASGIApp, Message, Receive, Scope, Send
from tests.api.conftest import error_of
from tests.support.lifespan import WithStore
from tests.support.server import serve

TRACK = "/api/v1/track/conversion"
CLICK_ID = "0123456789abcdef0123456789abcdef"


class WithLog:
    """Opens the funnel log when the server starts and closes it when it stops."""

    def __init__(self, app: ASGIApp, log: EventLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_around_the_log() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.log.open()
            elif message["type"] == "lifespan.shutdown":
                await self.log.close()
            return message

        await self.app(scope, receive_around_the_log, send)


@dataclass
class Site:
    url: str
    store: SQLiteLinkStore
    log: EventLog
    loop: asyncio.AbstractEventLoop
    tenant_id: str = ""
    secret: str = ""
    publishable: str = ""

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def events(self) -> list[FunnelEvent]:
        """The events on disk in the funnel log."""
        folder = self.log.folder
        lines = b"".join(segment_path(folder, n).read_bytes() for n in segment_numbers(folder))
        return [FunnelEvent.from_json(line) for line in lines.splitlines()]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("track")
    # A proxy on this host forwards visitors' addresses, as a load balancer would.
    settings = Settings(data_dir=data_dir, trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),))
    store = SQLiteLinkStore(data_dir / "links.sqlite3")
    log = EventLog(data_dir / "funnel-events", fsync_ms=0)
    ctx = ApiContext(
        settings, store, ChangeRelay(store, InProcessChangeFeed()), ZeroClickCounter(), funnel_log=log
    )
    app = WithStore(create_api(ctx), store)
    with serve(WithLog(app, log)) as url:
        yield Site(url, store, log, app.loop)


@pytest.fixture
def site(served: Site) -> Site:
    """A fresh tenant with a secret and a publishable key."""
    tenant = served.call(served.store.create_tenant(f"shop {secrets.token_hex(4)}"))  # names are unique
    served.tenant_id = tenant.id
    _, served.secret = served.call(served.store.create_api_key(tenant.id, "server"))
    _, served.publishable = served.call(served.store.create_api_key(tenant.id, "site", "publishable"))
    return served


def conversion(**fields: Any) -> dict[str, Any]:
    return {"id": f"order-{fields.pop('n', 1)}", "name": "purchase", **fields}


def test_a_conversion_with_the_key_in_the_header(site: Site) -> None:
    before = len(site.events())
    response = httpx.post(
        site.url + TRACK,
        headers={
            "Authorization": f"Bearer {site.publishable}",
            "Origin": "https://shop.example",
            "User-Agent": "Mozilla/5.0 (iPhone)",
            "X-Forwarded-For": "203.0.113.9",
        },
        json=conversion(click_id=CLICK_ID.upper(), value="19.90", currency="EUR", campaign="spring"),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    assert response.headers["access-control-allow-origin"] == "*"
    [event] = site.events()[before:]
    assert (event.type, event.id, event.tenant_id, event.name) == (
        "conversion",
        "order-1",
        site.tenant_id,
        "purchase",
    )
    assert (event.click_id, event.value, event.currency, event.campaign) == (
        CLICK_ID,
        "19.90",
        "EUR",
        "spring",
    )
    # The visitor behind the trusted proxy, and its browser, for the country and device.
    assert (event.ip, event.user_agent) == ("203.0.113.9", "Mozilla/5.0 (iPhone)")


def test_a_beacon_sends_text_plain_with_the_key_in_the_body(site: Site) -> None:
    before = len(site.events())
    body = orjson.dumps(conversion(n=2, key=site.publishable, click_id=CLICK_ID))
    response = httpx.post(
        site.url + TRACK,
        content=body,
        headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    [event] = site.events()[before:]
    assert (event.id, event.click_id, event.ip) == ("order-2", CLICK_ID, "127.0.0.1")
    assert "key" not in orjson.loads(event.to_json())  # the key is not part of the event


def test_without_collected_metadata_no_address_or_browser_is_kept(site: Site) -> None:
    site.call(site.store.update_tenant(site.tenant_id, TenantPatch(collect_metadata=False)))
    before = len(site.events())
    headers = {"Authorization": f"Bearer {site.publishable}", "User-Agent": "UA/1"}
    assert httpx.post(site.url + TRACK, headers=headers, json=conversion(n=4)).status_code == 200
    [event] = site.events()[before:]
    assert (event.ip, event.user_agent, event.collect_metadata) == ("", "", False)


def test_the_preflight_allows_any_site(site: Site) -> None:
    response = httpx.options(
        site.url + TRACK,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "POST, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers  # no cookie is ever read here


@pytest.mark.parametrize(
    ("auth", "body_key", "expected"),
    [
        (None, None, (401, "unauthorized", None)),
        ("Bearer slp_unknownunknownunknownunknown", None, (401, "unauthorized", None)),
        (None, "slp_unknownunknownunknownunknown", (401, "unauthorized", None)),
        (None, 42, (422, "invalid_type", "key")),
        ("secret", None, (403, "key_not_allowed", None)),
        (None, "secret", (403, "key_not_allowed", None)),
    ],
)
def test_refusals_carry_cors_too(
    site: Site, auth: str | None, body_key: Any, expected: tuple[Any, ...]
) -> None:
    headers = {"Origin": "https://shop.example"}
    if auth is not None:
        headers["Authorization"] = f"Bearer {site.secret}" if auth == "secret" else auth
    body = (
        conversion(n=5)
        if body_key is None
        else conversion(n=5, key=site.secret if body_key == "secret" else body_key)
    )
    before = len(site.events())
    response = httpx.post(site.url + TRACK, headers=headers, json=body)
    assert error_of(response) == expected
    assert response.headers["access-control-allow-origin"] == "*"
    assert len(site.events()) == before


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"name": "purchase"}, "missing_field", "id"),
        (conversion(click_id="not-a-click"), "invalid_click_id", "click_id"),
        (conversion(value="10"), "currency_required", "currency"),
        (conversion(colour="red"), "unknown_field", "colour"),
        (conversion(type="message.delivered", campaign="c", contact_id="p"), "unknown_event_type", "type"),
    ],
)
def test_a_bad_conversion_is_422_with_its_code(
    site: Site, body: dict[str, Any], code: str, field: str
) -> None:
    before = len(site.events())
    response = httpx.post(
        site.url + TRACK, headers={"Authorization": f"Bearer {site.publishable}"}, json=body
    )
    assert error_of(response) == (422, code, field)
    assert response.headers["access-control-allow-origin"] == "*"
    assert len(site.events()) == before


def test_an_explicit_conversion_type_is_fine(site: Site) -> None:
    headers = {"Authorization": f"Bearer {site.publishable}"}
    response = httpx.post(site.url + TRACK, headers=headers, json=conversion(n=6, type="conversion"))
    assert response.json()["accepted"] == 1


@pytest.mark.parametrize(
    ("content_type", "content", "expected"),
    [
        ("application/x-www-form-urlencoded", b"id=1", (415, "unsupported_media_type", None)),
        ("text/plain", b"not json", (400, "invalid_json", None)),
        ("text/plain", b"[]", (400, "body_not_object", None)),
        ("application/json", b"{" + b" " * (17 << 10) + b"}", (413, "body_too_large", None)),
    ],
)
def test_bodies_a_page_should_not_send(
    site: Site, content_type: str, content: bytes, expected: tuple[Any, ...]
) -> None:
    headers = {"Authorization": f"Bearer {site.publishable}", "Content-Type": content_type}
    response = httpx.post(site.url + TRACK, headers=headers, content=content)
    assert error_of(response) == expected
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_dashboard_session_does_not_reach_it(site: Site) -> None:
    """The path reads no cookie: a signed-in dashboard (cookie, no key) is no key here."""
    with httpx.Client(base_url=site.url) as browser:
        host = site.url.removeprefix("http://")
        signed_in = browser.post(
            "/dashboard/session", json={"key": site.secret}, headers={"Origin": f"http://{host}"}
        )
        assert signed_in.status_code == 200 and browser.cookies
        response = browser.post(TRACK, json=conversion(n=7))
    assert error_of(response) == (401, "unauthorized", None)


def test_a_publishable_key_shows_its_last_use(site: Site) -> None:
    def last_used() -> dict[str, object]:
        keys = site.call(site.store.list_api_keys(site.tenant_id))
        return {key.kind: key.last_used_at for key in keys}

    assert last_used() == {"secret": None, "publishable": None}
    headers = {"Authorization": f"Bearer {site.publishable}"}
    assert httpx.post(site.url + TRACK, headers=headers, json=conversion(n=9)).status_code == 200
    used = last_used()
    assert used["publishable"] is not None and used["secret"] is None

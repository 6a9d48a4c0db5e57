"""The dashboard's campaigns, contacts, webhooks and QR codes in headless Chromium against a
running ``smartlinks up``: links made through the API with campaigns and contact ids are
clicked, then a marketer walks from the campaigns list to a campaign's analytics (the
figures the API gives), to a contact's clicks, to a link's QR code, and sets up webhooks
whose deliveries reach a receiver on this machine; then every new screen at phone width.
Any console error, failed request or error response the test did not announce fails it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Product, answer, finish, screenshot, served
from tests.browser.test_dashboard import (
    BOT,
    CLICK_WAIT,
    VISITORS,
    ZONE,
    fits,
    open_dashboard,
    panel,
    stat,
)

pytestmark = pytest.mark.browser

# The receiver lives on loopback, which webhooks may not reach unless allowed; a failing
# delivery is given up after a few seconds, so the test sees a webhook turned off.
PRODUCT_ENV = {
    "SMARTLINKS_WEBHOOK_ALLOW_PRIVATE": "true",
    "SMARTLINKS_WEBHOOK_RETRY_BASE": "1",
    "SMARTLINKS_WEBHOOK_RETRY_FOR": "4",
}
SPRING = "Spring newsletter"
CARDS = {"Total clicks": "total", "Unique clicks": "unique", "Bot clicks": "bots", "Contacts": "contacts"}
AUTUMN = "Autumn / EU.2025"  # a slash and a dot: no path could carry it
# The consumer hears of a new webhook when it next reloads them (every second): a click
# made sooner is not the webhook's business.
WEBHOOKS_LOADED = 2.5  # seconds
T = TypeVar("T")


@dataclass
class Receiver:
    """An endpoint for webhooks: ``/ok`` answers 200, anything else 503."""

    url: str
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            found.received.append((self.path, dict(self.headers), body))
            ok = self.path == "/ok"
            answer(self, 200 if ok else 503, "text/plain", b"thanks" if ok else b"down for maintenance")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with served(Handler) as url:
        found.url = url
        yield found


def eventually(read: Callable[[], T], done: Callable[[T], bool], what: str, timeout: float = 30) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {timeout} s")
        time.sleep(0.3)


@dataclass
class Setup:
    links: dict[str, dict[str, Any]]  # by code


@pytest.fixture(scope="module")
def setup(product: Product, landing: str) -> Setup:
    """Five links: two of the spring campaign (contacts c-1001 and bob@example.com), one
    of the autumn campaign and one of none for c-1001, and one of nothing. c-1001 clicks
    54 times in all, more than a page of the contact's clicks."""
    specs = [
        ("Spring1", "Spring offer", SPRING, "c-1001"),
        ("Spring2", "Spring offer for Bob", SPRING, "bob@example.com"),
        ("Autumn1", "Autumn preview", AUTUMN, "c-1001"),
        ("Catalog1", "Catalogue", None, "c-1001"),
        ("Plain1", "Price list", None, None),
    ]
    links = {}
    with product.api() as api:
        for code, title, campaign, contact in specs:
            body = {"destination_url": f"{landing}/{code}", "title": title, "code": code}
            if campaign:
                body["campaign"] = campaign
            if contact:
                body["contact_id"] = contact
            created = api.post("/api/v1/links", json=body)
            assert created.status_code == 201, created.text
            links[code] = created.json()
        clicks = {  # in this order: the catalogue's are the oldest
            "Catalog1": [VISITORS[1]] * 50,
            "Spring1": [VISITORS[0], VISITORS[1], BOT],
            "Spring2": [VISITORS[2], VISITORS[3], VISITORS[3]],
            "Autumn1": [VISITORS[0]],
        }
        for code, visitors in clicks.items():
            for address, agent in visitors:
                product.click(links[code]["short_url"], address, agent)
        eventually(
            lambda: campaign_figures(product, SPRING)["totals"]["total"],
            lambda total: total == 6,
            "the spring campaign's clicks",
        )
        eventually(
            lambda: len(contact_clicks(api, "c-1001")),
            lambda count: count == 54,
            "c-1001's clicks",
        )
    return Setup(links)


def contact_clicks(api: Any, contact: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/api/v1/contacts/{quote(contact, safe='')}/clicks", params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def campaign_figures(product: Product, campaign: str, **query: str) -> dict[str, Any]:
    params = {"preset": "7d", "interval": "day", "exclude_bots": "false", "tz": ZONE, **query}
    with product.api() as api:
        response = api.get(f"/api/v1/campaigns/{quote(campaign, safe='')}/analytics", params=params)
        assert response.status_code == 200, response.text
        figures: dict[str, Any] = response.json()
        return figures


def cell(row: sync_api.Locator, label: str) -> sync_api.Locator:
    return row.locator(f'td[data-label="{label}"]')


def test_a_marketer_follows_campaigns_contacts_and_webhooks(
    product: Product, setup: Setup, receiver: Receiver, browser: sync_api.Browser
) -> None:
    page, watch = open_dashboard(browser, product, DESKTOP)

    # The links list names each link's campaign; the chip leads to the campaign.
    spring_row = page.locator("tbody tr", has_text="/Spring1")
    expect(cell(spring_row, "Campaign")).to_have_text(SPRING)
    expect(cell(page.locator("tbody tr", has_text="/Autumn1"), "Campaign")).to_have_text(AUTUMN)

    # Campaigns: one row each, with the API's figures.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", name="Campaigns", exact=True)).to_be_visible()
    with product.api() as api:
        listed = {item["campaign"]: item for item in api.get("/api/v1/campaigns").json()["items"]}
    assert set(listed) == {SPRING, AUTUMN}
    rows = page.locator(".campaigns-table tbody tr")
    expect(rows).to_have_count(2)
    for name, item in listed.items():
        row = rows.filter(has=page.get_by_role("link", name=name, exact=True))
        for label, key in (("Links", "links"), ("Total", "total"), ("Unique", "unique"), ("Bots", "bots")):
            expect(cell(row, label)).to_have_text(f"{item[key]:,}")
    assert listed[SPRING]["links"] == 2 and listed[SPRING]["total"] == 6 and listed[SPRING]["bots"] == 1
    screenshot(page, "campaigns")

    # A campaign's analytics: the API's figures, the breakdowns, and each link's counts.
    rows.get_by_role("link", name=SPRING, exact=True).click()
    expect(page.get_by_role("heading", name=SPRING, exact=True)).to_be_visible()
    figures = campaign_figures(product, SPRING)
    totals = figures["totals"]
    assert (totals["total"], totals["bots"], totals["contacts"]) == (6, 1, 2)
    for label, key in CARDS.items():
        expect(stat(page, label)).to_have_text(f"{totals[key]:,}", timeout=CLICK_WAIT)
    for name in ("United Kingdom", "Brazil", "Japan", "United States"):
        expect(panel(page, "Top countries")).to_contain_text(name)
    expect(panel(page, "Platforms")).to_contain_text("Mobile")
    expect(panel(page, "Browsers")).to_contain_text("Firefox")
    expect(panel(page, "Operating systems")).to_contain_text("iOS")
    expect(page.locator(".map-dot").first).to_be_attached()
    per_link = panel(page, "Links in this campaign").locator("tbody tr")
    expect(per_link).to_have_count(2)
    for item in figures["links"]:
        row = per_link.filter(has_text=item["short_url"].removeprefix("http://"))
        expect(cell(row, "Contact")).to_have_text(item["contact_id"])
        for label in ("Total", "Unique", "Bots"):
            expect(cell(row, label)).to_have_text(f"{item[label.lower()]:,}")
    assert "name=Spring+newsletter" in page.url or "name=Spring%20newsletter" in page.url
    screenshot(page, "campaign")

    # Its filters work as a link's do, and stay in the address.
    with page.expect_response(lambda r: "/campaigns/" in r.url and "exclude_bots=true" in r.url):
        page.get_by_role("switch", name="Exclude bots").check()
    humans = campaign_figures(product, SPRING, exclude_bots="true")["totals"]
    expect(stat(page, "Total clicks")).to_have_text(f"{humans['total']:,}")
    assert humans["total"] == 5
    with page.expect_response(lambda r: "/campaigns/" in r.url and "preset=30d" in r.url):
        page.get_by_role("button", name="Last 30d").click()
    assert "bots=exclude" in page.url and "range=30d" in page.url and "name=" in page.url
    page.reload()
    expect(page.get_by_role("switch", name="Exclude bots")).to_be_checked()
    expect(stat(page, "Total clicks")).to_have_text("5")

    # "View links" lists the campaign's links only, under a chip that leads back.
    page.get_by_role("link", name="View links").click()
    expect(page.locator(".links-table tbody tr")).to_have_count(2)
    chip = page.locator(".toolbar .chip")
    expect(chip).to_contain_text(SPRING)
    chip.get_by_role("link", name="Show links of every campaign").click()
    expect(page.locator(".links-table tbody tr")).to_have_count(5)
    page.go_back()
    expect(page.locator(".links-table tbody tr")).to_have_count(2)
    chip.get_by_role("link", name=SPRING).click()
    expect(page.get_by_role("heading", name=SPRING, exact=True)).to_be_visible()

    # A contact: every click across links and campaigns, newest first, a page at a time.
    per_link.get_by_role("link", name="bob@example.com").click()
    expect(page.get_by_role("heading", name="bob@example.com")).to_be_visible()
    assert "/dashboard/contact?id=bob%40example.com" in page.url
    expect(page.locator(".contact-table tbody tr")).to_have_count(3)
    page.goto(product.url + "/dashboard/contact?id=c-1001")
    clicks = page.locator(".contact-table tbody tr")
    expect(clicks).to_have_count(50)
    with product.api() as api:
        expected = contact_clicks(api, "c-1001")
    assert [c["link"]["code"] for c in expected] == ["Autumn1"] + ["Spring1"] * 3 + ["Catalog1"] * 50
    expect(cell(clicks.first, "Link")).to_have_text("Autumn preview")  # the newest first
    expect(cell(clicks.nth(1), "Campaign")).to_have_text(SPRING)
    expect(page.get_by_text("50 clicks so far")).to_be_visible()
    screenshot(page, "contact", full_page=False)
    page.get_by_role("button", name="Load more").click()
    expect(clicks).to_have_count(54)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    expect(cell(clicks.last, "Link")).to_have_text("Catalogue")  # the oldest
    expect(clicks.filter(has_text=AUTUMN)).to_have_count(1)
    clicks.filter(has_text=AUTUMN).get_by_role("link", name=AUTUMN).click()
    expect(page.get_by_role("heading", name=AUTUMN, exact=True)).to_be_visible()
    expect(stat(page, "Total clicks")).to_have_text("1", timeout=CLICK_WAIT)
    expect(stat(page, "Contacts")).to_have_text("1")

    # A link's analytics: its campaign and contact, and its QR code to see and download.
    panel(page, "Links in this campaign").get_by_role("link", name=re.compile("Autumn preview")).click()
    expect(page.get_by_role("heading", name="Autumn preview")).to_be_visible()
    expect(panel(page, "Link").get_by_role("link", name=AUTUMN)).to_be_visible()
    expect(panel(page, "Link").get_by_role("link", name="c-1001")).to_be_visible()
    qr = panel(page, "QR code").get_by_role("img")
    expect(qr).to_have_attribute("alt", re.compile("Autumn1$"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    for kind, magic in (("SVG", b"<"), ("PNG", b"\x89PNG")):
        with page.expect_download() as download_info:
            page.get_by_role("link", name=f"Download {kind}").click()
        download = download_info.value
        assert download.suggested_filename == f"qr-Autumn1.{kind.lower()}"
        assert download.failure() is None
        with open(download.path(), "rb") as file:
            assert file.read().lstrip().startswith(magic)
    screenshot(page, "analytics-qr", full_page=False)

    # Webhooks: none yet. A bad URL is refused next to its field.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    page.get_by_role("button", name="New webhook").click()
    dialog = page.get_by_role("dialog", name="New webhook")
    expect(dialog.get_by_role("checkbox", name=re.compile("Link clicked"))).to_be_checked()
    dialog.get_by_label("Endpoint URL").fill("ftp://example.com/hooks")
    with watch.expecting(r"console error: .*status of 4\d\d", r"response 4\d\d: POST .*/api/v1/webhooks"):
        dialog.get_by_role("button", name="Create webhook").click()
        expect(dialog.locator("#webhook-url-error")).to_be_visible()
    expect(dialog.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "new-webhook", full_page=False)

    # Made for the spring campaign: its secret is shown once, to copy.
    dialog.get_by_label("Endpoint URL").fill(receiver.url + "/ok")
    dialog.get_by_label("Campaign").fill(SPRING)
    dialog.get_by_role("button", name="Create webhook").click()
    created = page.get_by_role("dialog", name="Webhook created")
    secret = created.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    created.get_by_role("button", name=re.compile("^Copy signing secret")).click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    screenshot(page, "webhook-secret", full_page=False)
    created.get_by_role("button", name="Done").click()
    expect(created).to_be_hidden()
    assert secret not in page.content()  # shown once, then gone
    hooks = page.locator(".webhooks-table tbody tr")
    ok_row = hooks.filter(has_text=receiver.url + "/ok")
    expect(cell(ok_row, "Status")).to_have_text("Enabled")
    expect(cell(ok_row, "Sends")).to_contain_text(f"Campaign “{SPRING}”, people only")

    # A second one, for every link, bots too, at an endpoint that is down.
    with product.api() as api:
        down = api.post(
            "/api/v1/webhooks",
            json={"url": receiver.url + "/down", "events": ["link.clicked"], "include_bots": True},
        )
        assert down.status_code == 201, down.text
    page.reload()
    expect(hooks).to_have_count(2)

    # A click on a spring link reaches both: one delivered, one failing until given up.
    time.sleep(WEBHOOKS_LOADED)
    product.click(setup.links["Spring1"]["short_url"], *VISITORS[2])
    ok_row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Delivery log").click()
    expect(page.get_by_role("heading", name="127.0.0.1")).to_be_visible()
    log = panel(page, "Delivery log").locator("tbody tr[data-id]")
    expect(log).to_have_count(1, timeout=CLICK_WAIT)
    expect(cell(log.first, "Status")).to_contain_text("Delivered", timeout=CLICK_WAIT)
    expect(cell(log.first, "Response")).to_contain_text("HTTP 200")
    expect(cell(log.first, "Attempts")).to_have_text("1")
    log.first.get_by_role("button", name="Attempts").click()
    attempts = page.locator(".attempts-row")
    expect(attempts).to_contain_text("Attempt 1")
    expect(attempts).to_contain_text("thanks")  # the response body
    paths = [path for path, _, _ in receiver.received]
    assert paths.count("/ok") == 1
    screenshot(page, "deliveries")

    page.get_by_role("link", name="← All webhooks").click()
    down_row = hooks.filter(has_text=receiver.url + "/down")
    down_row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="127.0.0.1")).to_be_visible()
    failed = panel(page, "Delivery log").locator("tbody tr[data-status='failed']")
    expect(failed).to_have_count(1, timeout=CLICK_WAIT)
    expect(cell(failed, "Response")).to_contain_text("HTTP 503")
    expect(page.locator(".page-title")).to_contain_text("Disabled", timeout=CLICK_WAIT)
    expect(page.locator(".page-title")).to_contain_text("Turned off automatically")
    failed.get_by_role("button", name="Attempts").click()
    expect(page.locator(".attempts-row")).to_contain_text("down for maintenance")
    screenshot(page, "deliveries-failed")

    # Edit (bots too), disable and enable by hand, delete the broken one.
    page.get_by_role("link", name="← All webhooks").click()
    expect(cell(down_row, "Status")).to_contain_text("Turned off automatically")
    screenshot(page, "webhooks")
    ok_row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit webhook")
    expect(dialog.get_by_label("Campaign")).to_have_value(SPRING)
    dialog.get_by_role("switch", name="Include bot clicks").check()
    with page.expect_response(lambda r: r.request.method == "PATCH") as patch:
        dialog.get_by_role("button", name="Save changes").click()
    assert patch.value.request.post_data_json == {"include_bots": True}
    assert patch.value.request.headers.get("x-smartlinks-csrf")
    expect(cell(ok_row, "Sends")).to_contain_text("bots included")
    ok_row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Disable").click()
    expect(cell(ok_row, "Status")).to_contain_text("Turned off by hand.")
    ok_row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Enable").click()
    expect(cell(ok_row, "Status")).to_have_text("Enabled")
    down_row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete this webhook?")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    confirm.get_by_role("button", name="Delete webhook").click()
    expect(hooks).to_have_count(1)
    with product.api() as api:
        assert [hook["url"] for hook in api.get("/api/v1/webhooks").json()["items"]] == [receiver.url + "/ok"]

    finish(page, watch)


def test_the_new_screens_fit_a_phone(
    product: Product, setup: Setup, receiver: Receiver, browser: sync_api.Browser
) -> None:
    with product.api() as api:
        hook = api.post(
            "/api/v1/webhooks",
            json={
                "url": f"{receiver.url}/ok",
                "events": ["link.clicked"],
                "link_id": setup.links["Plain1"]["id"],
            },
        )
        assert hook.status_code == 201, hook.text
    time.sleep(WEBHOOKS_LOADED)
    product.click(setup.links["Plain1"]["short_url"], *VISITORS[0])

    page, watch = open_dashboard(browser, product, PHONE)

    # Four entries in the navigation, all on screen.
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Links", "Campaigns", "Webhooks", "Settings"):
        box = nav.get_by_role("link", name=name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
    fits(page)

    nav.get_by_role("link", name="Campaigns").click()
    expect(page.locator(".campaigns-table tbody tr")).to_have_count(2)
    fits(page)
    screenshot(page, "campaigns")

    page.get_by_role("link", name=SPRING, exact=True).click()
    expect(stat(page, "Contacts")).to_have_text("2", timeout=CLICK_WAIT)
    expect(panel(page, "Links in this campaign").locator("tbody tr")).to_have_count(2)
    fits(page)
    screenshot(page, "campaign")

    panel(page, "Links in this campaign").get_by_role("link", name="c-1001").click()
    expect(page.locator(".contact-table tbody tr")).to_have_count(50)
    fits(page)
    screenshot(page, "contact", full_page=False)

    nav.get_by_role("link", name="Webhooks").click()
    row = page.locator(".webhooks-table tbody tr", has_text="Price list")
    expect(row).to_be_visible()
    fits(page)
    screenshot(page, "webhooks")
    page.get_by_role("button", name="New webhook").click()
    dialog = page.get_by_role("dialog", name="New webhook")
    expect(dialog.get_by_label("Endpoint URL")).to_be_focused()
    screenshot(page, "new-webhook", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    row.get_by_role("link").first.click()
    log = panel(page, "Delivery log").locator("tbody tr[data-id]")
    expect(cell(log.first, "Status")).to_contain_text("Delivered", timeout=CLICK_WAIT)
    fits(page)
    screenshot(page, "deliveries")

    page.goto(product.url + f"/dashboard/links/{setup.links['Spring1']['id']}")
    expect(panel(page, "QR code").get_by_role("img")).to_be_visible()
    fits(page)

    # A link made in the dashboard can name its campaign too.
    nav.get_by_role("link", name="Links").click()
    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    dialog.get_by_label("Destination URL").fill(setup.links["Plain1"]["destination_url"] + "?via=phone")
    dialog.get_by_label("Campaign").fill("Phone pilot")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()
    cell(page.locator("tbody tr").first, "Campaign").get_by_role("link", name="Phone pilot").click()
    expect(page.get_by_role("heading", name="Phone pilot", exact=True)).to_be_visible()
    expect(stat(page, "Total clicks")).to_have_text("0")

    finish(page, watch)

"""The dashboard in headless Chromium against a running ``smartlinks up``: a marketer's
whole round (sign in, create, copy, open, analytics, filters, edit, delete, settings,
sign out) at desktop width, then every screen at phone width. Any console error, failed
request or error response the test did not announce fails it; each screen is saved as a
screenshot under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, USER_AGENT, Product, Watch, finish, screenshot

pytestmark = pytest.mark.browser

ZONE = "Europe/Berlin"  # the viewer's zone: not the server's, so the tz parameter matters
CLICK_WAIT = 20_000  # ms: a click reaches ClickHouse in ~2 s, the page polls every 5 s
VISITORS = [  # (address, user agent): one visitor each from four countries
    ("81.2.69.142", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"),
    ("200.160.2.3", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Mobile Safari/537.36"),
    ("133.242.0.1", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    ("8.8.8.8", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.4 Safari/605.1.15"),
]  # fmt: skip
BOT = ("1.1.1.1", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")


def new_context(browser: sync_api.Browser, viewport: dict[str, int], watch: Watch) -> sync_api.BrowserContext:
    context = browser.new_context(
        viewport=viewport,
        locale="en-US",
        timezone_id=ZONE,
        user_agent=USER_AGENT,
        permissions=["clipboard-read", "clipboard-write"],
        is_mobile=viewport["width"] < 600,
        has_touch=viewport["width"] < 600,
    )
    context.set_default_timeout(10_000)
    context.on("page", watch.attach)
    return context


def sign_in(page: sync_api.Page, product: Product) -> None:
    page.goto(product.url + "/dashboard")
    page.get_by_label("API key").fill(product.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Links", exact=True)).to_be_visible()


def open_dashboard(
    browser: sync_api.Browser, product: Product, viewport: dict[str, int]
) -> tuple[sync_api.Page, Watch]:
    """A page in a browser context of its own, watched, signed in to the dashboard."""
    watch = Watch()
    page = new_context(browser, viewport, watch).new_page()
    sign_in(page, product)
    return page, watch


def new_key_shown_once(
    page: sync_api.Page, kind: str, name: str, listed_in: sync_api.Page | sync_api.Locator, shot: str
) -> tuple[str, sync_api.Locator]:
    """The key just made, as the "Your new KIND" dialog shows it: its Copy button puts it on
    the clipboard, the dialog is saved as screenshot ``shot``; once the dialog is closed the
    key ``name`` is listed in ``listed_in`` as active, and the key is nowhere in the page.
    The key and its row."""
    dialog = page.get_by_role("dialog", name=f"Your new {kind}")
    key = dialog.get_by_label(f"New {kind}").input_value()
    dialog.get_by_role("button", name=re.compile(f"^Copy {kind}")).click()
    assert page.evaluate("navigator.clipboard.readText()") == key
    screenshot(page, shot, full_page=False)
    dialog.get_by_role("button", name="Done").click()
    row = listed_in.locator("tbody tr", has_text=name)
    expect(row).to_contain_text("Active")
    assert key not in page.content()  # shown once, then gone
    return key, row


def stat(page: sync_api.Page, label: str) -> sync_api.Locator:
    return page.locator(".stat", has_text=label).locator(".stat-value")


def panel(page: sync_api.Page, title: str) -> sync_api.Locator:
    return page.locator(".panel", has=page.get_by_role("heading", name=title, exact=True))


def local_day(days_ago: int) -> str:
    return (datetime.now(ZoneInfo(ZONE)) - timedelta(days=days_ago)).date().isoformat()


def fits(page: sync_api.Page) -> None:
    """Nothing sticks out sideways: the screen works without horizontal scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"  # type: ignore[index]


def test_a_marketer_works_through_the_dashboard(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    watch = Watch()
    context = new_context(browser, DESKTOP, watch)
    page = context.new_page()

    # Sign in: a wrong key is refused next to the field, the right one opens the links.
    page.goto(product.url + "/dashboard")
    expect(page.get_by_role("heading", name="Smart Links")).to_be_visible()
    screenshot(page, "sign-in")
    with watch.expecting(r"console error: .*status of 401", r"response 401: POST .*/dashboard/session"):
        page.get_by_label("API key").fill("sl_thisKeyDoesNotExistAnywhere")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("unknown or was revoked")
    page.get_by_label("API key").fill(product.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("No links yet.")).to_be_visible()
    readable = page.evaluate(
        "document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"
        " + document.documentElement.outerHTML"
    )
    assert product.key not in readable  # the key is nowhere a script could read it
    [cookie] = [c for c in context.cookies() if c["name"] == "smartlinks_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    screenshot(page, "links-empty")

    # Create a link: the server's validation error shows next to its field.
    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    dialog.get_by_label("Destination URL").fill(f"{landing}/spring?from=dashboard")
    # A plain title: this link's page is the README's analytics screenshot (a title with
    # markup is shown as text in test_dashboard_edges.py).
    dialog.get_by_label("Title").fill("Spring sale")
    dialog.get_by_label("Custom code").fill("no")
    with watch.expecting(r"console error: .*status of 422", r"response 422: POST .*/api/v1/links"):
        dialog.get_by_role("button", name="Create link").click()
        expect(dialog.locator("#code-error")).to_contain_text("4–12 letters and digits")
    screenshot(page, "new-link-error", full_page=False)  # new-link: with its rules, test_dashboard_rules
    # Two more links for the list's screenshot to show tags and a password's lock; they
    # are deleted once it is taken, so the round goes on with its one link.
    extras = [
        {
            "destination_url": f"{landing}/members",
            "title": "Members' preview",
            "password": "early bird",
            "tags": ["members"],
        },
        {
            "destination_url": f"{landing}/newsletter",
            "title": "April newsletter",
            "campaign": "spring-2026",
            "tags": ["newsletter", "spring"],
        },
    ]
    with product.api() as api:
        extra_ids = [api.post("/api/v1/links", json=extra).json()["id"] for extra in extras]
    dialog.get_by_label("Custom code").fill("Spring25")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()
    row = page.locator("tbody tr", has_text="/Spring25")
    expect(row.locator(".link-title")).to_have_text("Spring sale")
    expect(row).to_contain_text("Active")

    # Copy its short URL, then open it as a visitor would: the click is recorded.
    copy = row.get_by_role("button", name=re.compile("^Copy short URL"))
    copy.click()
    expect(copy).to_have_text("Copied")
    short_url = page.evaluate("navigator.clipboard.readText()")
    assert short_url == f"{product.url}/Spring25"
    expect(
        page.locator("tbody tr", has_text="Members' preview").get_by_role("img", name="Password protected")
    ).to_be_visible()
    expect(page.locator("tbody tr", has_text="April newsletter").locator(".chip-tag")).to_have_text(
        ["newsletter", "spring"]
    )
    screenshot(page, "links")
    with product.api() as api:
        for link_id in extra_ids:
            assert api.delete(f"/api/v1/links/{link_id}").status_code == 204
    visitor = context.new_page()
    visitor.goto(short_url)
    expect(visitor).to_have_title("Landing page")
    assert visitor.url == f"{landing}/spring?from=dashboard"
    visitor.close()

    # Its analytics show the click, then the next ones without a reload.
    row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="View Analytics").click()
    expect(page.get_by_role("heading", name="Spring sale")).to_be_visible()
    expect(stat(page, "Total clicks")).to_have_text("1", timeout=CLICK_WAIT)
    page.evaluate("window.stillTheSamePage = true")
    for address, agent in [*VISITORS, VISITORS[-1], BOT]:  # the last visitor comes twice
        product.click(short_url, address, agent)
    expect(stat(page, "Total clicks")).to_have_text("7", timeout=CLICK_WAIT)
    expect(stat(page, "Unique clicks")).to_have_text("5")
    expect(stat(page, "Bot clicks")).to_have_text("1")
    assert page.evaluate("window.stillTheSamePage") is True
    countries = panel(page, "Top countries")
    for name in ("United States", "United Kingdom", "Brazil", "Japan"):
        expect(countries).to_contain_text(name)
    expect(panel(page, "Platforms")).to_contain_text("Mobile")
    expect(panel(page, "Platforms")).to_contain_text("Desktop")
    expect(panel(page, "Browsers")).to_contain_text("Firefox")
    expect(panel(page, "Operating systems")).to_contain_text("iOS")
    expect(page.locator(".map-dot").nth(3)).to_be_attached()
    expect(panel(page, "Latest clicks").locator("tbody tr")).to_have_count(7)
    expect(panel(page, "Link")).to_contain_text(f"{landing}/spring?from=dashboard")
    screenshot(page, "analytics")

    # The bot toggle and the range change the figures.
    with page.expect_response(lambda r: "/analytics?" in r.url and "exclude_bots=true" in r.url):
        page.get_by_role("switch", name="Exclude bots").check()
    expect(stat(page, "Total clicks")).to_have_text("6")
    expect(stat(page, "Bot clicks")).to_have_text("1")  # bots are counted either way
    with page.expect_response(lambda r: "/analytics?" in r.url and "preset=30d" in r.url):
        page.get_by_role("button", name="Last 30d").click()
    expect(page.get_by_role("button", name="Last 30d")).to_have_attribute("aria-pressed", "true")
    expect(stat(page, "Total clicks")).to_have_text("6")
    page.get_by_label("From", exact=True).fill(local_day(40))
    page.get_by_label("To", exact=True).fill(local_day(30))
    expect(stat(page, "Total clicks")).to_have_text("0")
    expect(page.get_by_text("No clicks in this range yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Last 30d")).to_have_attribute("aria-pressed", "false")
    page.get_by_label("To", exact=True).fill(local_day(0))
    page.get_by_label("From", exact=True).fill(local_day(1))
    with page.expect_response(lambda r: "/analytics?" in r.url and "interval=hour" in r.url):
        page.get_by_role("combobox", name="Interval").select_option("hour")
    expect(stat(page, "Total clicks")).to_have_text("6")
    assert f"from={local_day(1)}" in page.url and "interval=hour" in page.url  # shareable
    assert "tz=Europe%2FBerlin" in watch_last_analytics(page)

    # Edit the destination: the code cannot change; the next redirect goes to the new place.
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit link")
    expect(dialog.get_by_label("Custom code")).to_be_disabled()
    expect(dialog.get_by_label("Custom code")).to_have_value("Spring25")
    dialog.get_by_label("Destination URL").fill(f"{landing}/summer")
    screenshot(page, "edit-link", full_page=False)
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    expect(panel(page, "Link")).to_contain_text(f"{landing}/summer")
    assert httpx.get(short_url, follow_redirects=False).headers["location"] == f"{landing}/summer"

    # Delete, after a warning that the analytics go too.
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this link?")
    expect(dialog).to_contain_text("lost permanently")
    screenshot(page, "delete-link", full_page=False)
    dialog.get_by_role("button", name="Delete link").click()
    expect(page.get_by_text("No links yet.")).to_be_visible()
    assert httpx.get(short_url, follow_redirects=False).status_code == 404

    # Settings: the metadata switch, and an API key made, shown once, and revoked.
    page.get_by_role("link", name="Settings").click()
    switch = page.get_by_role("switch", name="Collect location and device details")
    expect(switch).to_be_checked()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings") and r.request.method == "PATCH"):
        switch.uncheck()
    expect(switch).not_to_be_checked()
    with product.api() as api:
        assert api.get("/api/v1/settings").json()["collect_metadata"] is False
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings") and r.request.method == "PATCH"):
        switch.check()
    page.get_by_label("New key name").fill("CI pipeline")
    page.get_by_role("button", name="Create key").click()
    new_key, key_row = new_key_shown_once(page, "API key", "CI pipeline", page, "new-key")
    assert new_key.startswith("sl_")
    with httpx.Client(base_url=product.url, headers={"Authorization": f"Bearer {new_key}"}) as client:
        assert client.get("/api/v1/links").status_code == 200
        key_row.get_by_role("button", name="Revoke").click()
        page.get_by_role("dialog", name="Revoke this key?").get_by_role("button", name="Revoke key").click()
        expect(key_row).to_contain_text("Revoked")
        assert client.get("/api/v1/links").status_code == 401
    # The README's picture of Settings, without the passing notices over its last section.
    expect(page.locator(".notices .notice")).to_have_count(0, timeout=10_000)
    screenshot(page, "settings")

    # Sign out: back to the sign-in screen, and the cookie is gone.
    with page.expect_response(
        lambda r: r.url.endswith("/dashboard/session") and r.request.method == "DELETE"
    ) as out:
        page.get_by_role("button", name="Sign out").click()
    assert out.value.status == 204, out.value.text()
    expect(page.get_by_label("API key")).to_be_visible()
    assert not [c for c in context.cookies() if c["name"] == "smartlinks_session"]

    finish(page, watch)


def watch_last_analytics(page: sync_api.Page) -> str:
    """The query of the analytics request the page makes next (it polls every 5 s)."""
    with page.expect_request(lambda r: "/analytics?" in r.url, timeout=10_000) as request:
        pass
    return request.value.url


def test_every_screen_fits_a_phone(product: Product, landing: str, browser: sync_api.Browser) -> None:
    with product.api() as api:
        for n in range(30):
            created = api.post(
                "/api/v1/links",
                json={"destination_url": f"{landing}/item/{n}", "title": f"Catalogue item {n}"},
            )
            assert created.status_code == 201, created.text
        link = api.post(
            "/api/v1/links",
            json={
                "destination_url": f"{landing}/phone",
                "title": "Phone campaign",
                "expires_at": "2099-12-31",
            },
        ).json()
    for address, agent in [*VISITORS, BOT]:
        product.click(link["short_url"], address, agent)

    watch = Watch()
    context = new_context(browser, PHONE, watch)
    page = context.new_page()
    page.goto(product.url + "/dashboard")
    expect(page.get_by_label("API key")).to_be_visible()
    screenshot(page, "sign-in")
    fits(page)
    sign_in(page, product)

    # 31 links: 25 on the first page, the rest on the next; search filters as one types.
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(25)
    fits(page)
    screenshot(page, "links", full_page=False)
    page.get_by_role("button", name="Next").click()
    expect(rows).to_have_count(6)
    expect(page.get_by_text("Page 2")).to_be_visible()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(25)
    page.get_by_role("searchbox", name="Search links").fill("phone camp")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Phone campaign")

    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    expect(dialog).to_be_visible()
    screenshot(page, "new-link", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    rows.first.get_by_role("link").click()
    expect(stat(page, "Total clicks")).to_have_text("5", timeout=CLICK_WAIT)
    expect(panel(page, "Top countries")).to_contain_text("Japan")
    expect(page.locator(".map-dot").first).to_be_attached()
    fits(page)
    screenshot(page, "analytics")

    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit link")
    expect(dialog.get_by_label("Expiration date")).to_have_value("2099-12-31")
    screenshot(page, "edit-link", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this link?")
    expect(dialog).to_contain_text("5 clicks")
    screenshot(page, "delete-link", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()

    page.get_by_role("link", name="Settings").click()
    expect(page.locator(".keys-table tbody tr").first).to_be_visible()
    fits(page)
    screenshot(page, "settings")

    finish(page, watch)


def test_a_read_only_key_looks_but_does_not_change(product: Product, browser: sync_api.Browser) -> None:
    """Keys by scope: a full session makes a read-only key from the Settings form (the table
    says what each key may do and when it was last used); signed in with that key, every
    page shows its data, hides what would change it and says why."""
    with product.api() as api:
        link = api.post("/api/v1/links", json={"destination_url": "https://shop.example/spring"}).json()

    # A full session makes the read-only key.
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("New key name").fill("Reporting")
    page.get_by_label("Access").select_option(label="Read-only")
    page.get_by_role("button", name="Create key").click()
    reader_key, row = new_key_shown_once(page, "API key", "Reporting", page, "new-read-only-key")
    expect(row.locator("td[data-label='Access']")).to_have_text("Read-only")
    expect(row.locator("td[data-label='Last used']")).to_have_text("Never")
    own = page.locator("tbody tr", has_text="this session")
    expect(own.locator("td[data-label='Access']")).to_have_text("Full access")
    expect(own.locator("td[data-label='Last used']")).not_to_have_text("Never")  # this page uses it
    finish(page, watch)

    # Signed in with it: everything to see, nothing to change, and a note that says why.
    watch = Watch()
    page = new_context(browser, DESKTOP, watch).new_page()
    page.goto(product.url + "/dashboard")
    page.get_by_label("API key").fill(reader_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Links", exact=True)).to_be_visible()
    note = page.get_by_role("note")
    expect(note).to_contain_text("read-only key")
    expect(page.get_by_role("button", name="New link")).to_have_count(0)
    page.get_by_role("button", name=re.compile("^Actions for")).first.click()
    expect(page.get_by_role("menuitem", name="View Analytics")).to_be_visible()
    expect(page.get_by_role("menuitem", name="Edit")).to_be_hidden()
    expect(page.get_by_role("menuitem", name="Delete")).to_be_hidden()
    page.get_by_role("menuitem", name="View Analytics").click()
    expect(page.get_by_role("heading", name=link["code"])).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_be_hidden()
    expect(page.get_by_role("button", name="Delete")).to_be_hidden()
    expect(note).to_be_visible()

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("switch", name="Collect location and device details")).to_be_disabled()
    expect(page.get_by_label("Click id parameter")).to_be_disabled()
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_have_count(0)
    expect(page.get_by_label("New key name")).to_have_count(0)
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    mine = page.locator("tbody tr", has_text="this session")
    expect(mine.locator("td[data-label='Access']")).to_have_text("Read-only")
    expect(mine.locator("td[data-label='Last used']")).not_to_have_text("Never")
    screenshot(page, "settings-read-only")
    finish(page, watch)

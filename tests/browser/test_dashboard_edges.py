"""The dashboard's rough edges, smoothed (issue 16 §3), in headless Chromium against a
running ``smartlinks up``: the list's page in the address and search by code, the Clicks
footnote, a title with markup and a Unicode destination as text, the dialog's messages in
words and its https://, the preset dates, the latest clicks following the filters 25 at a
time, the bot card's note, and the breakdowns' wording with metadata collection off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, Product, finish
from tests.browser.test_dashboard import BOT, CLICK_WAIT, VISITORS, local_day, open_dashboard, panel, stat

pytestmark = pytest.mark.browser

MARKUP_TITLE = "Launch <b>party</b>"
PEOPLE = 27  # more than a page of the latest clicks (25)


def create_link(product: Product, **body: Any) -> dict[str, Any]:
    with product.api() as api:
        created = api.post("/api/v1/links", json=body)
    assert created.status_code == 201, created.text
    link: dict[str, Any] = created.json()
    return link


def test_the_links_list_keeps_its_page_and_finds_codes(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    for n in range(26):
        create_link(product, destination_url=f"{landing}/item/{n}", title=f"Catalogue item {n}")
    party = create_link(product, destination_url=f"{landing}/Ünïcode", title=MARKUP_TITLE)
    page, watch = open_dashboard(browser, product, DESKTOP)
    rows = page.locator("tbody tr")

    # A title with markup is text; a Unicode path is shown decoded, the exact address its title.
    row = page.locator("tbody tr", has_text="/Ünïcode")
    expect(row.locator(".link-title")).to_have_text(MARKUP_TITLE)
    expect(row.locator(".url")).to_have_attribute("title", f"{landing}/%C3%9Cn%C3%AFcode")
    expect(page.locator("#clicks-note")).to_have_text(
        "* Clicks include bots and link previews. A link's page can leave them out."
    )
    expect(page.get_by_role("columnheader", name=re.compile("^Clicks"))).to_have_attribute(
        "title", re.compile("include bots and link previews")
    )

    # Page 2 is in the address: a reload stays there, Previous still works, and Back from a
    # link's page comes back to it.
    expect(rows).to_have_count(25)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(rows).to_have_count(2)
    assert "page=2" in page.url and "cursor=" in page.url
    page.reload()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(rows).to_have_count(2)
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Catalogue item 1")).to_be_visible()
    page.go_back()
    expect(page.get_by_text("Page 2")).to_be_visible()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(25)
    assert "page=" not in page.url

    # Search finds a link by its code, in any case.
    page.get_by_role("searchbox", name="Search links").fill(party["code"].swapcase())
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(MARKUP_TITLE)
    finish(page, watch)


def test_the_dialog_speaks_in_words_and_adds_https(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    dialog.get_by_label("Destination URL").fill("ftp://files.example/report")
    with watch.expecting(r"console error: .*status of 422", r"response 422: POST .*/api/v1/links"):
        dialog.get_by_role("button", name="Create link").click()
        expect(dialog.locator("#destination_url-error")).to_have_text(
            "The destination must start with http:// or https://."
        )
    dialog.get_by_label("Destination URL").fill("shop.example/landing")
    dialog.get_by_label("Title").fill("No scheme typed")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()
    with product.api() as api:
        [made] = api.get("/api/v1/links", params={"search": "No scheme typed"}).json()["items"]
    assert made["destination_url"] == "https://shop.example/landing"
    finish(page, watch)


def test_the_link_page_follows_its_filters(product: Product, landing: str, browser: sync_api.Browser) -> None:
    link = create_link(product, destination_url=f"{landing}/filters", title="Filters")
    agent = VISITORS[0][1]
    for n in range(PEOPLE):
        product.click(link["short_url"], f"81.2.69.{n + 1}", agent)
    product.click(link["short_url"], *BOT)
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.goto(f"{product.url}/dashboard/links/{link['id']}")
    expect(stat(page, "Total clicks")).to_have_text(str(PEOPLE + 1), timeout=CLICK_WAIT)

    # Each preset shows its own dates: the first day bucket is the From date.
    expect(page.get_by_label("From", exact=True)).to_have_value(local_day(7))
    expect(page.get_by_label("To", exact=True)).to_have_value(local_day(0))
    for preset, days in (("30d", 30), ("90d", 90), ("7d", 7)):
        with page.expect_response(
            lambda r, p=preset: "/analytics?" in r.url and f"preset={p}" in r.url
        ) as answer:
            page.get_by_role("button", name=f"Last {preset}").click()
        expect(page.get_by_label("From", exact=True)).to_have_value(local_day(days))
        expect(page.get_by_label("To", exact=True)).to_have_value(local_day(0))
        series = answer.value.json()["timeseries"]
        assert series[0]["t"].startswith(local_day(days)), (preset, series[0]["t"])

    # The latest clicks: 25, then the rest with Load more.
    latest = panel(page, "Latest clicks")
    expect(latest.locator("tbody tr")).to_have_count(25)
    latest.get_by_role("button", name="Load more").click()
    expect(latest.locator("tbody tr")).to_have_count(PEOPLE + 1)
    expect(latest.get_by_role("button", name="Load more")).to_have_count(0)
    expect(latest.locator(".badge-bot")).to_have_count(1)

    # Exclude bots: the log leaves the bot out, and the bot card says what it means.
    bots_note = page.locator(".stat", has_text="Bot clicks").locator(".stat-note")
    expect(bots_note).not_to_contain_text("left out")
    with page.expect_response(lambda r: "/clicks?" in r.url and "exclude_bots=true" in r.url):
        page.get_by_role("switch", name="Exclude bots").check()
    expect(latest.locator("tbody tr")).to_have_count(25)
    expect(bots_note).to_have_text("crawlers and link previews, left out of every other figure")
    latest.get_by_role("button", name="Load more").click()
    expect(latest.locator("tbody tr")).to_have_count(PEOPLE)
    expect(latest.locator(".badge-bot")).to_have_count(0)

    # A range without clicks: none in the log either.
    page.get_by_label("From", exact=True).fill(local_day(40))
    page.get_by_label("To", exact=True).fill(local_day(30))
    expect(latest).to_contain_text("No clicks to list in this range.")
    finish(page, watch)


def test_with_collection_off_missing_details_read_unknown(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    link = create_link(product, destination_url=f"{landing}/private", title="Private")
    product.click(link["short_url"], *VISITORS[1])
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.goto(f"{product.url}/dashboard/links/{link['id']}")
    expect(stat(page, "Total clicks")).to_have_text("1", timeout=CLICK_WAIT)
    expect(panel(page, "Referrers")).to_contain_text("Direct")  # opened without a referrer
    expect(panel(page, "Platforms")).to_contain_text("Mobile")

    with product.api() as api:
        assert api.patch("/api/v1/settings", json={"collect_metadata": False}).status_code == 200
    try:
        product.click(link["short_url"], *VISITORS[2])
        page.reload()
        expect(stat(page, "Total clicks")).to_have_text("2", timeout=CLICK_WAIT)
        expect(page.get_by_role("note")).to_contain_text("collection is off")
        for title in ("Referrers", "Platforms", "Browsers", "Operating systems"):
            expect(panel(page, title)).to_contain_text("Unknown (not collected)")
        expect(panel(page, "Referrers")).not_to_contain_text("Direct")
    finally:
        with product.api() as api:
            assert api.patch("/api/v1/settings", json={"collect_metadata": True}).status_code == 200
    finish(page, watch)

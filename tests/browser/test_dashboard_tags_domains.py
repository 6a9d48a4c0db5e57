"""Tags, own domains and A/B variants in the dashboard, in headless Chromium against a
running ``smartlinks up``: tags given in the link dialog, shown as chips that filter the
list, replaced on an edit and refused at their field when too long; the Domain select,
there only once the account has a domain, putting a link on it; a variant link's Variants
panel, its figures made by real redirects from visitors who keep their variant and by
conversions sent back with their click ids; and the longest tag and a variant link at
phone width."""

from __future__ import annotations

import re
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, USER_AGENT, Product, finish, screenshot
from tests.browser.test_dashboard import CLICK_WAIT, fits, open_dashboard, panel
from tests.browser.test_dashboard_rules import link_of

pytestmark = pytest.mark.browser

DOMAIN = "go.acme.example"


def dialog_open(page: sync_api.Page) -> sync_api.Locator:
    """The New link dialog, once it has asked the server for the account's domains (so a
    missing Domain select means "no domains", not "not answered yet")."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/domains")) as domains:
        page.get_by_role("button", name="New Link").click()
    assert domains.value.status == 200, domains.value.text()
    return page.get_by_role("dialog", name="New link")


def edit(page: sync_api.Page, row: sync_api.Locator) -> sync_api.Locator:
    row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Edit").click()
    return page.get_by_role("dialog", name="Edit link")


def test_tags_are_given_shown_filtered_by_and_replaced(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    with product.api() as api:
        other = api.post("/api/v1/links", json={"destination_url": f"{landing}/other", "tags": ["autumn"]})
        assert other.status_code == 201, other.text
    page, watch = open_dashboard(browser, product, DESKTOP)

    dialog = dialog_open(page)
    dialog.get_by_label("Destination URL").fill(f"{landing}/spring")
    dialog.get_by_label("Title").fill("Spring mailing")
    dialog.get_by_label("Custom code").fill("Spring26")
    # Repeats (in any case) and blanks between the commas are one tag, kept as first typed.
    dialog.get_by_label("Tags").fill("Spring, newsletter,, spring ")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()

    row = page.locator("tbody tr", has_text="/Spring26")
    chips = row.locator(".chip-tag")
    expect(chips).to_have_text(["Spring", "newsletter"])
    expect(page.locator("tbody tr")).to_have_count(2)
    with product.api() as api:
        [made] = api.get("/api/v1/links", params={"tag": "spring"}).json()["items"]
    assert made["tags"] == ["Spring", "newsletter"]

    # A chip filters the list by its tag, in the address too; the filter's chip removes it.
    row.get_by_role("link", name="newsletter").click()
    expect(page).to_have_url(re.compile(r"/dashboard/links\?tag=newsletter$"))
    expect(page.locator(".toolbar .chip")).to_contain_text("newsletter")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("/Spring26")
    page.get_by_role("link", name="Show links of every tag").click()
    expect(page).to_have_url(re.compile(r"/dashboard/links$"))
    expect(page.locator("tbody tr")).to_have_count(2)
    # The address alone filters as well (a shared or reloaded list).
    page.goto(product.url + "/dashboard/links?tag=autumn")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr").locator(".chip-tag")).to_have_text(["autumn"])
    page.get_by_role("link", name="Show links of every tag").click()
    expect(page.locator("tbody tr")).to_have_count(2)

    # An edit shows the tags as they are and replaces them with what the field holds.
    dialog = edit(page, row)
    expect(dialog.get_by_label("Tags")).to_have_value("Spring, newsletter")
    dialog.get_by_label("Tags").fill("summer")
    with page.expect_request(lambda r: r.method == "PATCH") as patch:
        dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    assert patch.value.post_data_json == {
        "destination_url": f"{landing}/spring",
        "title": "Spring mailing",
        "tags": ["summer"],
    }  # only what changed
    expect(chips).to_have_text(["summer"])
    assert link_of(product, made["id"])["tags"] == ["summer"]

    # A tag longer than 50 characters: the server's reason at the Tags field, nothing saved.
    dialog = edit(page, row)
    dialog.get_by_label("Tags").fill("summer, " + "x" * 51)
    with watch.expecting(r"console error: .*status of 422", r"response 422: PATCH .*/api/v1/links/"):
        dialog.get_by_role("button", name="Save changes").click()
        error = dialog.locator("#tags-error")
        expect(error).to_have_role("alert")
        expect(error).to_contain_text("50 characters")
    expect(dialog.get_by_label("Tags")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Tags")).to_have_attribute("aria-describedby", "tags-error")
    dialog.get_by_role("button", name="Cancel").click()
    assert link_of(product, made["id"])["tags"] == ["summer"]

    # The link's own page lists its tags, each a filter of the list.
    row.get_by_role("link").first.click()
    facts = panel(page, "Link")
    facts.get_by_role("link", name="summer").click()
    expect(page).to_have_url(re.compile(r"/dashboard/links\?tag=summer$"))
    expect(page.locator("tbody tr")).to_have_count(1)

    finish(page, watch)


def test_a_link_on_an_own_domain(product: Product, landing: str, browser: sync_api.Browser) -> None:
    page, watch = open_dashboard(browser, product, DESKTOP)

    # No domain yet: the dialog has no Domain select; links go on the service's domain.
    dialog = dialog_open(page)
    expect(dialog.get_by_label("Tags")).to_be_visible()
    expect(dialog.get_by_label("Domain")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()

    with product.api() as api:
        added = api.post("/api/v1/domains", json={"domain": DOMAIN})
        assert added.status_code == 201, added.text
    dialog = dialog_open(page)
    select = dialog.get_by_label("Domain")
    expect(select).to_have_value("")  # the service's own domain stays the default
    expect(select.locator("option")).to_have_text(["The service's own domain", DOMAIN])
    dialog.get_by_label("Destination URL").fill(f"{landing}/acme")
    dialog.get_by_label("Title").fill("On our domain")
    dialog.get_by_label("Custom code").fill("Acme26")
    select.select_option(DOMAIN)
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()

    short_url = f"https://{DOMAIN}/Acme26"
    row = page.locator("tbody tr", has_text="On our domain")
    expect(row.locator(".short-url")).to_have_text(f"{DOMAIN}/Acme26")
    copy = row.get_by_role("button", name=re.compile("^Copy short URL"))
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == short_url
    # The redirect knows the link by its domain: the same code on the service's own is not it.
    answer = httpx.get(f"{product.url}/Acme26", headers={"Host": DOMAIN}, follow_redirects=False)
    assert (answer.status_code, answer.headers.get("location")) == (302, f"{landing}/acme")
    assert httpx.get(f"{product.url}/Acme26", follow_redirects=False).status_code == 404

    # Its page shows the domain's short URL; an edit cannot move the link to another domain.
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="On our domain")).to_be_visible()
    expect(panel(page, "Link")).to_contain_text(short_url)
    expect(page.get_by_role("link", name="Open")).to_have_attribute("href", short_url)
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit link")
    expect(dialog.get_by_label("Destination URL")).to_have_value(f"{landing}/acme")
    expect(dialog.get_by_label("Domain")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()

    finish(page, watch)


def share(part: int, whole: int) -> str:
    """A share as the dashboard writes it in en-US: at most one decimal, half up."""
    shown = (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{shown.normalize():f}%"


def clicks_stored(product: Product, link_id: str, total: int) -> None:
    """Wait until the link's analytics count ``total`` clicks: a conversion is put down to a
    click that is already stored."""
    deadline = time.monotonic() + CLICK_WAIT / 1000
    while True:
        with product.api() as api:
            figures = api.get(f"/api/v1/links/{link_id}/analytics").json()
        if figures["totals"]["total"] == total or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert figures["totals"]["total"] == total, figures["totals"]


def test_the_variants_panel_counts_each_side(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    a, b = f"{landing}/a", f"{landing}/b"
    with product.api() as api:
        created = api.post(
            "/api/v1/links",
            json={
                "destination_url": f"{landing}/ab",
                "title": "A/B test",
                "variants": [{"destination_url": a, "weight": 1}, {"destination_url": b, "weight": 1}],
                "conversion_tracking": True,
            },
        )
        assert created.status_code == 201, created.text
    link = created.json()

    # Visitors from their own addresses: where each lands is the redirect's to decide, so the
    # test counts what it was told. Every other visitor comes back with its cookie, on the
    # same side, and counts once more as a click but not as a visitor.
    clicks: Counter[str] = Counter()
    visitors: Counter[str] = Counter()
    click_ids: dict[str, list[str]] = {a: [], b: []}

    def visit(headers: dict[str, str]) -> tuple[str, httpx.Response]:
        """Where the visitor landed (the variant, without the click id), and the answer."""
        response = httpx.get(link["short_url"], headers=headers, follow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        location = urlsplit(response.headers["location"])
        landed = f"{location.scheme}://{location.netloc}{location.path}"
        clicks[landed] += 1
        click_ids[landed].append(parse_qs(location.query)["sl_click"][0])
        return landed, response

    for n in range(1, 41):
        headers = {"X-Forwarded-For": f"203.0.113.{n}", "User-Agent": USER_AGENT}
        landed, first = visit(headers)
        visitors[landed] += 1
        if n % 2:
            cookie = first.headers["set-cookie"].split(";", 1)[0]
            assert visit({**headers, "Cookie": cookie})[0] == landed  # the visitor keeps its variant
        if n >= 6 and min(visitors[a], visitors[b]) >= 2:
            break
    assert set(clicks) == {a, b}, clicks
    total = sum(clicks.values())

    # Conversions sent back with the click id the destination was given: two on A, one on B.
    clicks_stored(product, link["id"], total)
    converted = {a: click_ids[a][:2], b: click_ids[b][:1]}
    events = [
        {"type": "conversion", "id": f"order-{n}", "name": "purchase", "click_id": click_id}
        for n, click_id in enumerate(converted[a] + converted[b])
    ]
    with product.api() as api:
        response = api.post("/api/v1/events", json={"events": events})
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == [], response.text

    page, watch = open_dashboard(browser, product, DESKTOP)
    page.goto(product.url + f"/dashboard/links/{link['id']}")
    expect(page.get_by_role("heading", name="A/B test")).to_be_visible()
    variants = panel(page, "Variants")
    rows = variants.locator("tbody tr")
    expect(rows).to_have_count(2, timeout=CLICK_WAIT)
    expect(page.locator(".stat", has_text="Total clicks").locator(".stat-value")).to_have_text(str(total))
    for row, url in zip([rows.nth(0), rows.nth(1)], [a, b], strict=True):
        expected = [
            url,
            str(clicks[url]),
            str(visitors[url]),
            str(len(converted[url])),
            share(clicks[url], total),
        ]
        expect(row.locator("td")).to_have_text(expected, timeout=CLICK_WAIT)
    for heading in ("Clicks", "Unique", "Conversions", "Share"):  # over their figures
        expect(variants.get_by_role("columnheader", name=heading)).to_have_css("text-align", "right")
    expect(variants.locator(".badge")).to_have_count(0)  # both are still the link's variants
    facts = panel(page, "Link")
    expect(facts).to_contain_text(f"50% → {a}")
    expect(facts).to_contain_text(f"50% → {b}")
    screenshot(page, "analytics-variants", element=variants)

    finish(page, watch)


def test_long_tags_and_variants_fit_a_phone(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    # The longest tag there is, in one word: it must wrap, not push the screen sideways.
    tag = "Frühjahrskampagne" + "x" * 33
    variants = [
        {"destination_url": f"{landing}/a-rather-long-landing-page-path/for-variant-{n}", "weight": 1}
        for n in range(2)
    ]
    with product.api() as api:
        created = api.post(
            "/api/v1/links",
            json={
                "destination_url": f"{landing}/long",
                "title": "Long tag",
                "tags": [tag],
                "variants": variants,
            },
        )
        assert created.status_code == 201, created.text
    link = created.json()
    product.click(link["short_url"], "203.0.113.200", USER_AGENT)

    page, watch = open_dashboard(browser, product, PHONE)
    row = page.locator("tbody tr", has_text="Long tag")
    row.get_by_role("link", name=tag).click()
    expect(page.locator(".toolbar .chip")).to_contain_text(tag)
    expect(page.locator("tbody tr")).to_have_count(1)
    fits(page)
    for chip in (page.locator(".toolbar .chip"), page.locator("tbody tr .chip-tag")):
        assert chip.evaluate("c => c.scrollWidth <= c.clientWidth"), "the tag runs out of its chip"
    screenshot(page, "links-tag")
    page.locator("tbody tr").get_by_role("link").first.click()
    expect(panel(page, "Variants").locator("tbody tr")).to_have_count(2, timeout=CLICK_WAIT)
    fits(page)
    assert panel(page, "Link").locator(".chip-tag").evaluate("c => c.scrollWidth <= c.clientWidth")
    screenshot(page, "analytics-variants")
    finish(page, watch)

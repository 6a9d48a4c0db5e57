"""The dashboard on the data ``smartlinks demo`` makes, which is what the README's screenshots
show: the demo fills a fresh data directory (timed: a newcomer waits for it), ``smartlinks
up`` serves it, and each screen must show the API's figures for the demo's 90 days before
it is saved. ``SMARTLINKS_DOCS_SCREENSHOTS=1`` copies them into docs/screenshots/:

    SMARTLINKS_DOCS_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_demo_screens.py
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Product, finish, screenshot
from tests.browser.test_dashboard import ZONE, fits, open_dashboard, panel, stat
from tests.browser.test_dashboard_campaigns import CARDS, campaign_figures, cell
from tests.browser.test_dashboard_funnel import expect_funnel, funnel_panel
from tests.support.product import SMARTLINKS, env_for, start, stop

pytestmark = pytest.mark.browser

CLICKS = 20_000
DEMO_SECONDS = 60  # the most a newcomer should wait for the demo at this size
CAMPAIGN = "spring-sale"
ANALYTICS_LINK = "Aurora headphones launch"
COUNTRY_NAMES = ("United States", "Brazil", "Germany", "United Kingdom")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    data = tmp_path_factory.mktemp("demo") / "data"
    started = time.monotonic()
    result = subprocess.run(
        [*SMARTLINKS, "demo", "--clicks", str(CLICKS)],
        env=env_for(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert took < DEMO_SECONDS, f"smartlinks demo --clicks {CLICKS} took {took:.1f} s"
    key = result.stdout.strip().splitlines()[-1]
    process, running = start(data)
    try:
        yield Product(running.url, key, running.output)
    finally:
        stop(process)


def _api(product: Product, path: str, **params: str) -> dict[str, Any]:
    with product.api() as api:
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _link(product: Product, title: str) -> dict[str, Any]:
    [link] = [
        item for item in _api(product, "/api/v1/links", search=title)["items"] if item["title"] == title
    ]
    return link


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_links_of_the_demo(demo: Product, browser: sync_api.Browser, viewport: dict[str, int]) -> None:
    page, watch = open_dashboard(browser, demo, viewport)
    rows = page.locator("tbody tr")
    first = rows.first
    expect(first).to_contain_text("Spring sale: landing page")
    expect(first.locator(".chip-tag")).to_have_text(["spring", "instagram"])
    aurora = _link(demo, ANALYTICS_LINK)
    expect(rows.filter(has_text=ANALYTICS_LINK)).to_contain_text(f"{aurora['clicks']:,}")
    assert aurora["clicks"] > 1000
    if viewport is PHONE:
        fits(page)
    screenshot(page, "demo-links", full_page=False)
    finish(page, watch)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_link_s_90_days(demo: Product, browser: sync_api.Browser, viewport: dict[str, int]) -> None:
    aurora = _link(demo, ANALYTICS_LINK)
    figures = _api(demo, f"/api/v1/links/{aurora['id']}/analytics", preset="90d", tz=ZONE)
    totals = figures["totals"]
    days = [point for point in figures["timeseries"] if point["total"]]
    assert len(days) >= 85 and max(point["total"] for point in days) < totals["total"] / 20  # no spike
    page, watch = open_dashboard(browser, demo, viewport)
    page.goto(f"{demo.url}/dashboard/links/{aurora['id']}?range=90d")
    expect(page.get_by_role("heading", name=ANALYTICS_LINK)).to_be_visible()
    expect(stat(page, "Total clicks")).to_have_text(f"{totals['total']:,}")
    expect(stat(page, "Unique clicks")).to_have_text(f"{totals['unique']:,}")
    expect(stat(page, "Bot clicks")).to_contain_text(f"{totals['bots']:,}")
    for name in COUNTRY_NAMES:
        expect(panel(page, "Top countries")).to_contain_text(name)
    for name in ("Chrome", "Safari", "Instagram", "Facebook"):
        expect(panel(page, "Browsers")).to_contain_text(name)
    expect(panel(page, "Platforms")).to_contain_text("Mobile")
    expect(page.locator(".map-dot").nth(20)).to_be_attached()
    if viewport is PHONE:
        fits(page)
    screenshot(page, "demo-analytics")
    finish(page, watch)


def test_the_demo_s_campaigns(demo: Product, browser: sync_api.Browser) -> None:
    campaigns = _api(demo, "/api/v1/campaigns")["items"]
    assert {item["campaign"] for item in campaigns} == {CAMPAIGN, "aurora-launch", "newsletter", "webinar"}
    [listed] = [item for item in campaigns if item["campaign"] == CAMPAIGN]
    page, watch = open_dashboard(browser, demo, DESKTOP)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    row = page.locator(".campaigns-table tbody tr").filter(has=page.get_by_role("link", name=CAMPAIGN))
    for label, key in (("Links", "links"), ("Total", "total"), ("Unique", "unique"), ("Bots", "bots")):
        expect(cell(row, label)).to_have_text(f"{listed[key]:,}")
    assert listed["links"] > 100 and listed["bots"] > 0
    screenshot(page, "demo-campaigns")
    finish(page, watch)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_sale_s_campaign(demo: Product, browser: sync_api.Browser, viewport: dict[str, int]) -> None:
    figures = campaign_figures(demo, CAMPAIGN, preset="30d")
    funnel = _api(demo, f"/api/v1/campaigns/{CAMPAIGN}/funnel", preset="30d", interval="day", tz=ZONE)
    assert funnel["delivered"] >= funnel["clicked"] >= funnel["converted"] > 0
    # A taller window than the others: the page lists every contact's link, and the README
    # shows its top (figures, funnel, charts) rather than a 20,000-pixel page.
    tall = {**viewport, "height": 2000 if viewport is DESKTOP else 2400}
    page, watch = open_dashboard(browser, demo, tall)
    page.goto(f"{demo.url}/dashboard/campaign?name={CAMPAIGN}&range=30d")
    expect(page.get_by_role("heading", name=CAMPAIGN, exact=True)).to_be_visible()
    for label, key in CARDS.items():
        expect(stat(page, label).first).to_have_text(f"{figures['totals'][key]:,}")
    expect(panel(page, "Top countries")).to_contain_text("United States")
    expect_funnel(page, funnel)
    if viewport is PHONE:
        fits(page)
    expect(panel(page, "Links in this campaign").locator("tbody tr")).to_have_count(len(figures["links"]))
    screenshot(page, "demo-campaign", full_page=False)
    if viewport is DESKTOP:
        funnel_panel(page).scroll_into_view_if_needed()
        screenshot(page, "demo-campaign-funnel", element=funnel_panel(page))
    finish(page, watch)

"""The dashboard's Download CSV buttons, in headless Chromium against a running
``smartlinks up``: a link's clicks made by real redirects, downloaded from its analytics
page with the session cookie, from its campaign's page, and the link list with its
campaign filter."""

from __future__ import annotations

import csv
import io

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, USER_AGENT, Product, finish
from tests.browser.test_dashboard import CLICK_WAIT, open_dashboard

pytestmark = pytest.mark.browser


def downloaded(page: sync_api.Page, button: sync_api.Locator) -> tuple[str, list[dict[str, str]]]:
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.failure() is None
    with open(download.path(), encoding="utf-8") as file:
        return download.suggested_filename, list(csv.DictReader(io.StringIO(file.read())))


def test_the_download_buttons_give_the_page_s_data(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    with product.api() as api:
        made = api.post(
            "/api/v1/links",
            json={
                "destination_url": f"{landing}/csv",
                "code": "CsvLink1",
                "title": "=Export",
                "campaign": "csv",
            },
        )
        assert made.status_code == 201, made.text
        other = api.post("/api/v1/links", json={"destination_url": f"{landing}/other", "campaign": "another"})
        assert other.status_code == 201, other.text
    link = made.json()
    product.click(link["short_url"], "81.2.69.142", USER_AGENT)
    product.click(link["short_url"], "81.2.69.142", USER_AGENT)
    page, watch = open_dashboard(browser, product, DESKTOP)

    page.goto(product.url + f"/dashboard/links/{link['id']}")
    expect(page.get_by_role("heading", name="=Export")).to_be_visible()
    expect(page.locator(".stat", has_text="Total clicks").locator(".stat-value")).to_have_text(
        "2", timeout=CLICK_WAIT
    )
    name, clicks = downloaded(page, page.get_by_role("link", name="Download CSV"))
    assert name == "clicks-CsvLink1.csv"
    assert [(row["code"], row["campaign"], row["visitor"], row["country"]) for row in clicks] == [
        ("CsvLink1", "csv", "unique", "GB"),
        ("CsvLink1", "csv", "repeat", "GB"),
    ]

    page.goto(product.url + "/dashboard/campaign?name=csv")
    expect(page.get_by_role("heading", name="csv", exact=True)).to_be_visible()
    name, campaign = downloaded(page, page.get_by_role("link", name="Download CSV"))
    assert name == "campaign-clicks-csv.csv"
    assert [row["click_id"] for row in campaign] == [row["click_id"] for row in clicks]

    page.goto(product.url + "/dashboard/links?campaign=csv")
    expect(page.locator("tbody tr")).to_have_count(1)
    name, links = downloaded(page, page.get_by_role("link", name="Download CSV"))
    assert name == "links.csv"
    assert [(row["code"], row["title"], row["clicks"]) for row in links] == [("CsvLink1", "'=Export", "2")]
    finish(page, watch)

"""A link with a password in headless Chromium: the page, a wrong password, the right one
and the landing page on another origin, then straight through on the next visit. The
browser is what decides whether the form's POST, its 303 and the page's security headers
work together (a CSP ``form-action`` would block the redirect after the POST in Chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Product, Watch, finish, screenshot
from tests.browser.test_dashboard import new_context

pytestmark = pytest.mark.browser

PASSWORD = "open sesame"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_visitor_gets_in_with_the_password(
    product: Product, landing: str, browser: sync_api.Browser, viewport: dict[str, int]
) -> None:
    with product.api() as api:
        link: dict[str, Any] = api.post(
            "/api/v1/links", json={"destination_url": landing + "/vip", "password": PASSWORD}
        ).json()
    watch = Watch()
    page = new_context(browser, viewport, watch).new_page()
    page.goto(link["short_url"] + "?utm_source=mail")
    expect(page.get_by_role("heading", name="Password required")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_focused()
    screenshot(page, "password-page")

    # A wrong password is a 403 (the page again), which Chromium also notes in the console.
    with watch.expecting(r"response 403: POST ", r"console error: .*status of 403"):
        page.get_by_label("Password").fill("not it")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_have_text("That password is not right. Try again.")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Thanks for visiting")).to_be_visible()
    assert page.url == landing + "/vip?utm_source=mail"

    # Remembered: the next visit goes straight to the landing page.
    page.goto(link["short_url"])
    expect(page.get_by_role("heading", name="Thanks for visiting")).to_be_visible()
    assert page.url == landing + "/vip"
    finish(page, watch)

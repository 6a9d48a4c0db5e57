"""Setting up conversion tracking from the dashboard, in headless Chromium against a running
``smartlinks up``: the account's funnel settings (saved, refused with the server's reason
next to the field, read back through the API, and obeyed by the next redirect), publishable
keys (made and shown once, recording a conversion, refused once revoked) and a link's own
conversion tracking in the link dialog (default, on, off)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, Product, finish, screenshot
from tests.browser.test_dashboard import new_key_shown_once, open_dashboard, panel

pytestmark = pytest.mark.browser

TRACK = "/api/v1/track/conversion"


def settings_of(product: Product) -> dict[str, Any]:
    with product.api() as api:
        response = api.get("/api/v1/settings")
    assert response.status_code == 200, response.text
    settings: dict[str, Any] = response.json()
    return settings


def link_of(product: Product, link_id: str) -> dict[str, Any]:
    with product.api() as api:
        response = api.get(f"/api/v1/links/{link_id}")
    assert response.status_code == 200, response.text
    link: dict[str, Any] = response.json()
    return link


def destination_query(short_url: str) -> dict[str, list[str]]:
    """The query of the destination a visitor is sent to."""
    response = httpx.get(short_url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)


def save(page: sync_api.Page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/api/v1/settings") and r.request.method == "PATCH"):
        page.get_by_role("button", name="Save conversion settings").click()


def test_the_funnel_settings_are_edited_checked_and_obeyed(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    before = settings_of(product)
    assert (before["conversion_tracking"], before["click_id_param"], before["attribution_window_days"]) == (
        False,
        "sl_click",
        30,
    )
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.get_by_role("link", name="Settings").click()
    form = panel(page, "Conversion tracking")
    switch = form.get_by_role("switch", name="Track conversions on new links")
    param = form.get_by_label("Click id parameter")
    window = form.get_by_label("Attribution window (days)")
    expect(switch).not_to_be_checked()
    expect(param).to_have_value("sl_click")
    expect(window).to_have_value("30")

    # The server's refusals, each next to its field; nothing is saved.
    param.fill("sl click!")
    with watch.expecting(r"console error: .*status of 422", r"response 422: PATCH .*/api/v1/settings"):
        save(page)
        expect(form.locator("#click_id_param-error")).to_have_text(
            "click_id_param must be 1-64 ASCII letters, digits, '_', '.' or '-'."
        )
    expect(param).to_have_attribute("aria-invalid", "true")
    param.fill("ref_id")
    window.fill("0")
    with watch.expecting(r"console error: .*status of 422", r"response 422: PATCH .*/api/v1/settings"):
        save(page)
        expect(form.locator("#attribution_window_days-error")).to_have_text(
            "attribution_window_days must be from 1 to 365."
        )
    expect(form.locator("#click_id_param-error")).to_have_count(0)
    window.fill("two weeks")  # sent as typed: the server's own type check speaks
    with watch.expecting(r"console error: .*status of 422", r"response 422: PATCH .*/api/v1/settings"):
        save(page)
        expect(form.locator("#attribution_window_days-error")).to_have_text(
            "attribution_window_days must be a whole number, not a string."
        )
    assert settings_of(product) == before

    # Saved, read back through the API and after a reload.
    window.fill("14")
    switch.check()
    save(page)
    expect(page.get_by_text("Conversion tracking settings saved.")).to_be_visible()
    expect(form.locator(".field-error")).to_have_count(0)
    assert settings_of(product) == {
        **before,
        "conversion_tracking": True,
        "click_id_param": "ref_id",
        "attribution_window_days": 14,
    }
    screenshot(page, "settings-conversions")
    page.reload()
    expect(panel(page, "Conversion tracking").get_by_label("Click id parameter")).to_have_value("ref_id")
    expect(panel(page, "Conversion tracking").get_by_label("Attribution window (days)")).to_have_value("14")
    expect(
        panel(page, "Conversion tracking").get_by_role("switch", name="Track conversions on new links")
    ).to_be_checked()
    # The metadata switch beside it was left alone.
    expect(page.get_by_role("switch", name="Collect location and device details")).to_be_checked()

    # A link made now tracks by default, and its redirect carries the click id as ref_id.
    with product.api() as api:
        made = api.post("/api/v1/links", json={"destination_url": landing + "/shop?x=1"}).json()
    assert made["conversion_tracking"] is True
    query = destination_query(made["short_url"])
    assert query["x"] == ["1"] and len(query["ref_id"]) == 1 and "sl_click" not in query

    finish(page, watch)


def test_publishable_keys_are_made_shown_once_and_revoked(
    product: Product, browser: sync_api.Browser
) -> None:
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.get_by_role("link", name="Settings").click()
    keys = panel(page, "Publishable keys")
    expect(keys).to_contain_text("No publishable keys yet.")

    # A blank name is refused by the server, next to the field.
    with watch.expecting(r"console error: .*status of 422", r"response 422: POST .*/api/v1/keys"):
        keys.get_by_role("button", name="Create publishable key").click()
        expect(keys.locator(".field-error")).to_have_text("name must not be empty.")
    keys.get_by_label("New publishable key name").fill("Shop checkout")
    keys.get_by_role("button", name="Create publishable key").click()
    key, row = new_key_shown_once(page, "publishable key", "Shop checkout", keys, "new-publishable-key")
    assert key.startswith("slp_")
    expect(row.locator("code")).to_have_text(re.compile(r"^slp_"))
    # Listed with the publishable keys only, as the API lists it.
    expect(panel(page, "API keys").locator("tbody tr", has_text="Shop checkout")).to_have_count(0)
    with product.api() as api:
        [listed] = [k for k in api.get("/api/v1/keys").json()["items"] if k["name"] == "Shop checkout"]
    assert listed["kind"] == "publishable" and key.startswith(listed["prefix"])
    expect(row).to_have_attribute("data-key-id", listed["id"])

    # It records a conversion from a page, and can do nothing else.
    conversion = {"id": "order-1", "name": "purchase", "campaign": "spring", "contact_id": "ana"}
    recorded = httpx.post(product.url + TRACK, json={**conversion, "key": key}, timeout=10)
    assert recorded.status_code == 200 and recorded.json()["accepted"] == 1, recorded.text
    read = httpx.get(product.url + "/api/v1/links", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert read.status_code == 403 and read.json()["error"]["code"] == "key_not_allowed"

    # Revoked: refused at once.
    row.get_by_role("button", name="Revoke").click()
    confirm = page.get_by_role("dialog", name="Revoke this key?")
    expect(confirm).to_contain_text("Pages sending conversions with Shop checkout")
    confirm.get_by_role("button", name="Revoke key").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    again = httpx.post(product.url + TRACK, json={**conversion, "id": "order-2", "key": key}, timeout=10)
    assert again.status_code == 401 and again.json()["error"]["code"] == "unauthorized", again.text
    with product.api() as api:
        [listed] = [k for k in api.get("/api/v1/keys").json()["items"] if k["name"] == "Shop checkout"]
    assert listed["revoked_at"] is not None

    finish(page, watch)


def test_a_links_conversion_tracking_is_chosen_in_the_link_dialog(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    with product.api() as api:
        reset = {"conversion_tracking": False, "click_id_param": "sl_click"}  # whatever a test before set
        assert api.patch("/api/v1/settings", json=reset).status_code == 200
    page, watch = open_dashboard(browser, product, DESKTOP)

    def create(path: str, choice: str | None) -> dict[str, Any]:
        page.get_by_role("button", name="New Link").click()
        dialog = page.get_by_role("dialog", name="New link")
        tracking = dialog.get_by_label("Conversion tracking")
        expect(tracking.locator("option").first).to_have_text("Account default (off)")
        expect(tracking).to_have_value("default")
        if choice is not None:
            tracking.select_option(choice)
        with page.expect_response(
            lambda r: r.url.endswith("/api/v1/links") and r.request.method == "POST"
        ) as made:
            dialog.get_by_label("Destination URL").fill(landing + path)
            dialog.get_by_role("button", name="Create link").click()
        expect(dialog).to_be_hidden()
        link: dict[str, Any] = made.value.json()
        return link

    # Left to the account's default (off), or on.
    plain = create("/plain", None)
    tracked = create("/tracked", "on")
    assert link_of(product, plain["id"])["conversion_tracking"] is False
    assert link_of(product, tracked["id"])["conversion_tracking"] is True
    assert "sl_click" not in destination_query(plain["short_url"])
    assert len(destination_query(tracked["short_url"])["sl_click"]) == 1
    # With the account's default on, "off" is sent as such.
    with product.api() as api:
        assert api.patch("/api/v1/settings", json={"conversion_tracking": True}).status_code == 200
    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    expect(dialog.get_by_label("Conversion tracking").locator("option").first).to_have_text(
        "Account default (on)"
    )
    dialog.get_by_label("Conversion tracking").select_option("off")
    dialog.get_by_label("Destination URL").fill(landing + "/off")
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/links") and r.request.method == "POST"
    ) as made:
        dialog.get_by_role("button", name="Create link").click()
    assert link_of(product, made.value.json()["id"])["conversion_tracking"] is False

    # A link's own setting, switched in the edit dialog: on or off, no default any more.
    page.goto(product.url + f"/dashboard/links/{plain['id']}")
    for choice, on in (("on", True), ("off", False)):
        page.get_by_role("button", name="Edit", exact=True).click()
        dialog = page.get_by_role("dialog", name="Edit link")
        tracking = dialog.get_by_label("Conversion tracking")
        expect(tracking).to_have_value("off" if on else "on")
        expect(tracking.locator('option[value="default"]')).to_have_count(0)
        tracking.select_option(choice)
        with page.expect_response(lambda r: r.request.method == "PATCH"):
            dialog.get_by_role("button", name="Save changes").click()
        expect(dialog).to_be_hidden()
        assert link_of(product, plain["id"])["conversion_tracking"] is on
        assert ("sl_click" in destination_query(plain["short_url"])) is on
    screenshot(page, "link-conversion-tracking", full_page=False)

    finish(page, watch)

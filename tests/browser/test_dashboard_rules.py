"""A link's rules in the dashboard, in headless Chromium against a running ``smartlinks up``:
made through the link dialog's Rules section (a click limit, a password, two targets, two
A/B variants), refused with the server's reason next to the row that has it, marked in the
links list with a lock, then edited (the password removed, a weight changed), each step
read back through the API. Then the same dialog at phone width, worked from the keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Product, finish, screenshot
from tests.browser.test_dashboard import open_dashboard, panel

pytestmark = pytest.mark.browser


def link_of(product: Product, link_id: str) -> dict[str, Any]:
    with product.api() as api:
        response = api.get(f"/api/v1/links/{link_id}")
    assert response.status_code == 200, response.text
    link: dict[str, Any] = response.json()
    return link


def row_group(dialog: sync_api.Locator, name: str) -> sync_api.Locator:
    """One target's or variant's row: a group named "Target 1", "Variant 2"…"""
    return dialog.get_by_role("group", name=name, exact=True)


def test_a_link_with_rules_is_made_shown_and_edited(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    page, watch = open_dashboard(browser, product, DESKTOP)

    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    rules = dialog.get_by_role("button", name="Rules")
    expect(rules).to_have_attribute("aria-expanded", "false")  # a plain link's dialog stays short
    expect(dialog.get_by_label("Max clicks")).to_be_hidden()
    dialog.get_by_label("Destination URL").fill(f"{landing}/launch")
    dialog.get_by_label("Title").fill("Launch")
    dialog.get_by_label("Custom code").fill("Launch26")
    rules.click()
    expect(rules).to_have_attribute("aria-expanded", "true")

    dialog.get_by_label("Max clicks").fill("100")
    dialog.get_by_label("Password").fill("open sesame")
    expect(dialog.get_by_label("Password")).to_have_attribute("type", "password")
    dialog.get_by_role("button", name="Add target").click()
    dialog.get_by_role("button", name="Add target").click()
    first, second = row_group(dialog, "Target 1"), row_group(dialog, "Target 2")
    first.get_by_label("Operating system").select_option("ios")
    first.get_by_label("Destination").fill(f"{landing}/app")
    second.get_by_label("Destination").fill(f"{landing}/brazil")  # no condition yet
    dialog.get_by_role("button", name="Add A/B variants").click()
    variant_a, variant_b = row_group(dialog, "Variant 1"), row_group(dialog, "Variant 2")
    variant_a.get_by_label("Destination").fill(f"{landing}/a")
    variant_a.get_by_label("Weight").fill("3")
    variant_b.get_by_label("Destination").fill(f"{landing}/b")
    # The share of each side follows the weights as they are typed.
    expect(variant_a.locator("output")).to_have_text("75%")
    expect(variant_b.locator("output")).to_have_text("25%")

    # A target with no condition: the server's reason shows at that target, and nothing is made.
    with watch.expecting(r"console error: .*status of 422", r"response 422: POST .*/api/v1/links"):
        dialog.get_by_role("button", name="Create link").click()
        expect(second.get_by_role("alert")).to_contain_text("names no condition")
    expect(first.get_by_role("alert")).to_have_count(0)
    with product.api() as api:
        assert api.get("/api/v1/links").json()["items"] == []

    second.get_by_label("Country").select_option("BR")
    second.get_by_label("Device").select_option("desktop")
    expect(second.get_by_label("Country")).to_have_value("BR")
    expect(second.get_by_role("alert")).to_have_count(0)  # fixed: its reason goes
    page.locator("#rules-toggle").evaluate("button => button.scrollIntoView({ block: 'start' })")
    screenshot(page, "new-link", full_page=False)
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()

    # The list shows the lock and the rules; the API holds them as entered.
    row = page.locator("tbody tr", has_text="/Launch26")
    expect(row.get_by_role("img", name="Password protected")).to_be_visible()
    expect(row).to_contain_text("limit 100")
    expect(row).to_contain_text("A/B")
    expect(row).to_contain_text("targeted")
    screenshot(page, "links-rules")
    with product.api() as api:
        [listed] = api.get("/api/v1/links").json()["items"]
    link = link_of(product, listed["id"])
    assert (link["max_clicks"], link["expired_url"], link["has_password"]) == (100, None, True)
    assert link["targets"] == [
        {"os": "ios", "device": None, "country": None, "destination_url": f"{landing}/app"},
        {"os": None, "device": "desktop", "country": "BR", "destination_url": f"{landing}/brazil"},
    ]
    assert link["variants"] == [
        {"destination_url": f"{landing}/a", "weight": 3},
        {"destination_url": f"{landing}/b", "weight": 1},
    ]

    # Reopen: the section is open with every rule, the password only said to be set.
    row.get_by_role("button", name=re.compile("^Actions for")).click()
    page.get_by_role("menuitem", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit link")
    expect(dialog.get_by_role("button", name="Rules")).to_have_attribute("aria-expanded", "true")
    expect(dialog.get_by_label("Max clicks")).to_have_value("100")
    expect(dialog.get_by_text("Password set")).to_be_visible()
    expect(dialog.locator("input[type=password]")).to_have_count(0)  # never prefilled
    expect(row_group(dialog, "Target 1").get_by_label("Operating system")).to_have_value("ios")
    expect(row_group(dialog, "Target 2").get_by_label("Country")).to_have_value("BR")
    expect(row_group(dialog, "Variant 1").locator("output")).to_have_text("75%")

    # Remove the password and even the weights out; the rest is left as it was.
    dialog.get_by_role("button", name="Remove", exact=True).click()
    expect(dialog).to_contain_text("The password is removed when you save.")
    row_group(dialog, "Variant 2").get_by_label("Weight").fill("3")
    expect(row_group(dialog, "Variant 2").locator("output")).to_have_text("50%")
    with page.expect_request(lambda r: r.method == "PATCH") as patch:
        dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    sent = patch.value.post_data_json
    assert sent == {
        "destination_url": f"{landing}/launch",
        "title": "Launch",
        "password": None,
        "variants": [
            {"destination_url": f"{landing}/a", "weight": 3},
            {"destination_url": f"{landing}/b", "weight": 3},
        ],
    }, sent  # only what changed
    expect(row.get_by_role("img", name="Password protected")).to_have_count(0)
    expect(row).to_contain_text("limit 100")
    edited = link_of(product, link["id"])
    assert edited["has_password"] is False
    assert [v["weight"] for v in edited["variants"]] == [3, 3]
    assert (edited["max_clicks"], edited["targets"]) == (100, link["targets"])

    # The link's own page lists its rules with the rest of its facts.
    row.get_by_role("link").first.click()
    facts = panel(page, "Link")
    expect(facts).to_contain_text("100 clicks")
    expect(facts).to_contain_text(f"Desktop · Brazil → {landing}/brazil")
    expect(facts).to_contain_text(f"50% → {landing}/b")
    expect(facts.get_by_role("img", name="Password protected")).to_have_count(0)
    screenshot(page, "analytics-rules")

    finish(page, watch)


def test_the_rules_fit_a_phone_and_work_from_the_keyboard(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    page, watch = open_dashboard(browser, product, PHONE)
    page.get_by_role("button", name="New Link").click()
    dialog = page.get_by_role("dialog", name="New link")
    dialog.get_by_label("Destination URL").fill(f"{landing}/phone")
    rules = dialog.get_by_role("button", name="Rules")
    rules.focus()
    page.keyboard.press("Enter")
    expect(rules).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Max clicks")).to_be_focused()
    page.keyboard.type("5")
    dialog.get_by_role("button", name="Add target").focus()
    page.keyboard.press("Enter")
    target = row_group(dialog, "Target 1")
    target.get_by_label("Operating system").select_option("android")
    target.get_by_label("Destination").fill(f"{landing}/android")
    dialog.get_by_role("button", name="Add target").click()
    row_group(dialog, "Target 2").get_by_label("Device").select_option("tablet")
    row_group(dialog, "Target 2").get_by_label("Destination").fill(f"{landing}/tablet")
    # Reordered from the keyboard: the tablet target goes first.
    dialog.get_by_role("button", name="Move target 2 up").focus()
    page.keyboard.press("Enter")
    expect(row_group(dialog, "Target 1").get_by_label("Device")).to_have_value("tablet")
    expect(row_group(dialog, "Target 2").get_by_label("Operating system")).to_have_value("android")
    # Nothing in the dialog is wider than the phone.
    widths = dialog.evaluate("d => [d.scrollWidth, d.clientWidth, d.getBoundingClientRect().right]")
    assert widths[0] <= widths[1] and widths[2] <= PHONE["width"], widths
    screenshot(page, "new-link-rules", full_page=False)
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog).to_be_hidden()
    with product.api() as api:
        [listed] = api.get("/api/v1/links", params={"search": "phone"}).json()["items"]
    assert listed["max_clicks"] == 5
    assert [(t["os"], t["device"]) for t in listed["targets"]] == [(None, "tablet"), ("android", None)]
    finish(page, watch)

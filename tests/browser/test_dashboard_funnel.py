"""The campaign funnel (delivered → clicked → converted) in headless Chromium against a
running ``smartlinks up``: a campaign's per-contact links are made in bulk, its messages
reported delivered and its conversions reported through ``POST /api/v1/events``, and its
links clicked for real; then the campaign's funnel, a link's and a contact's deliveries
and conversions must show the figures the API gives, follow the range controls, and fit
a phone. Any console error, failed request or error response fails the test."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from playwright import sync_api
from playwright.sync_api import expect

from api.campaigns import LINK_TABLE_LIMIT
from api.contact_funnel import FUNNEL_SHOWN
from tests.browser.conftest import DESKTOP, PHONE, Product, finish, screenshot
from tests.browser.test_dashboard import (
    BOT,
    CLICK_WAIT,
    VISITORS,
    ZONE,
    fits,
    local_day,
    open_dashboard,
    panel,
)
from tests.browser.test_dashboard_campaigns import cell, eventually

pytestmark = pytest.mark.browser

CAMPAIGN = "Summer sale"
CONTACTS = ["c-1", "c-2", "c-3", "c-4"]
DELIVERED_AGO = [timedelta(hours=3, minutes=5), timedelta(hours=2), timedelta(hours=26), timedelta(days=2)]
SYMBOLS = {"EUR": "€", "USD": "$"}
# What the site reports: c-1 buys twice, c-2 once, and someone without a contact id signs up.
CONVERSIONS = [
    {"id": "o-1", "name": "purchase", "contact_id": "c-1", "value": "49.90", "currency": "EUR"},
    {"id": "o-2", "name": "upsell", "contact_id": "c-1", "value": "10.10", "currency": "EUR"},
    {"id": "o-3", "name": "purchase", "contact_id": "c-2", "value": "20", "currency": "USD"},
    {"id": "o-4", "name": "signup"},
]


def post_events(product: Product, events: list[dict[str, Any]]) -> None:
    with product.api() as api:
        response = api.post("/api/v1/events", json={"events": events})
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == [], response.text


def funnel_of(product: Product, path: str, **query: str) -> dict[str, Any]:
    params = {**({} if "from" in query else {"preset": "7d"}), "interval": "day", "tz": ZONE, **query}
    with product.api() as api:
        response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    figures: dict[str, Any] = response.json()
    return figures


def campaign_funnel(product: Product, **query: str) -> dict[str, Any]:
    return funnel_of(product, f"/api/v1/campaigns/{quote(CAMPAIGN, safe='')}/funnel", **query)


@pytest.fixture(scope="module")
def links(product: Product, landing: str) -> dict[str, dict[str, Any]]:
    """A link each for four contacts, all four messages delivered; three contacts click
    (and a bot on the fourth's link), two of them convert: delivered 4, clicked 3,
    converted 2, and four conversions (one without a contact)."""
    items = [
        {"destination_url": f"{landing}/summer?c={contact}", "title": f"Summer offer for {contact}",
         "campaign": CAMPAIGN, "contact_id": contact}
        for contact in CONTACTS
    ]  # fmt: skip
    with product.api() as api:
        response = api.post("/api/v1/links/bulk", json={"items": items})
    assert response.status_code == 200, response.text
    made = {item["link"]["contact_id"]: item["link"] for item in response.json()["items"]}
    assert set(made) == set(CONTACTS), response.text

    # Delivered a while ago, on different days: a median time to click of hours, and a
    # chart over several days.
    now = datetime.now(UTC)
    post_events(
        product,
        [
            {"type": "message.delivered", "id": f"d-{contact}", "campaign": CAMPAIGN, "contact_id": contact,
             "message_id": f"msg-{contact}", "at": (now - ago).isoformat()}
            for contact, ago in zip(CONTACTS, DELIVERED_AGO, strict=True)
        ],
    )  # fmt: skip
    for contact, visitor in zip(CONTACTS[:3], VISITORS, strict=False):
        product.click(made[contact]["short_url"], *visitor)
    product.click(made["c-4"]["short_url"], *BOT)
    # A conversion is put down to the contact's last click: the clicks must be stored first.
    eventually(
        lambda: campaign_funnel(product)["clicked"], lambda n: n == 3, "the campaign's clicked contacts"
    )
    post_events(product, [{"type": "conversion", "campaign": CAMPAIGN, **event} for event in CONVERSIONS])
    eventually(
        lambda: {
            k: v
            for k, v in campaign_funnel(product).items()
            if k in ("delivered", "converted", "conversions")
        },
        lambda figures: figures == {"delivered": 4, "converted": 2, "conversions": 4},
        "the campaign's funnel",
    )
    return made


def rate(value: float | None) -> str:
    """As the dashboard writes a rate (Intl percent, at most one decimal)."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def money(value: str, currency: str) -> str:
    return f"{SYMBOLS[currency]}{Decimal(value):,}"


def duration(seconds: float | None) -> str:
    """The dashboard's src/funnel.ts duration(), for the figures the API gives."""
    if seconds is None:
        return "–"

    def pair(big: int, big_unit: str, small: int, small_unit: str) -> str:
        return f"{big} {big_unit} {small} {small_unit}" if small else f"{big} {big_unit}"

    secs = int(Decimal(seconds).to_integral_value(rounding="ROUND_HALF_UP"))
    if secs == 0:
        return "< 1 s"
    if secs < 60:
        return f"{secs} s"
    if secs < 3600:
        return pair(secs // 60, "min", secs % 60, "s")
    mins = int(Decimal(seconds / 60).to_integral_value(rounding="ROUND_HALF_UP"))
    if mins < 1440:
        return pair(mins // 60, "h", mins % 60, "min")
    hours = int(Decimal(seconds / 3600).to_integral_value(rounding="ROUND_HALF_UP"))
    return pair(hours // 24, "d", hours % 24, "h")


def funnel_panel(page: sync_api.Page) -> sync_api.Locator:
    return panel(page, "Funnel")


def card(page: sync_api.Page, label: str) -> sync_api.Locator:
    label_ = page.locator(".stat-label").get_by_text(label, exact=True)
    return funnel_panel(page).locator(".stat", has=label_).locator(".stat-value")


def expect_funnel(page: sync_api.Page, figures: dict[str, Any]) -> None:
    """The funnel panel shows these figures of the API, each in words."""
    steps = funnel_panel(page).get_by_role("list", name="Contacts at each step")
    for key, label in (("delivered", "Delivered"), ("clicked", "Clicked"), ("converted", "Converted")):
        step = steps.locator(f'[data-step="{key}"]')
        expect(step.locator(".funnel-label")).to_have_text(label)
        expect(step.locator(".funnel-value")).to_have_text(f"{figures[key]:,}", timeout=CLICK_WAIT)
    expect(steps.locator('[data-step="clicked"] .funnel-rate')).to_have_text(
        f"↓ Click rate {rate(figures['click_rate'])}"
    )
    expect(steps.locator('[data-step="converted"] .funnel-rate')).to_have_text(
        f"↓ Conversion rate {rate(figures['conversion_rate'])}"
    )
    expect(card(page, "Conversions")).to_have_text(f"{figures['conversions']:,}")
    revenue = card(page, "Revenue").locator("[data-currency]")
    expect(revenue).to_have_text([money(sum_["value"], sum_["currency"]) for sum_ in figures["revenue"]])
    expect(card(page, "Median time to click")).to_have_text(duration(figures["median_time_to_click_s"]))
    expect(card(page, "Median time to convert")).to_have_text(duration(figures["median_time_to_convert_s"]))


def test_a_marketer_reads_the_campaign_funnel(
    product: Product, links: dict[str, dict[str, Any]], browser: sync_api.Browser
) -> None:
    figures = campaign_funnel(product)
    assert (figures["delivered"], figures["clicked"], figures["converted"], figures["conversions"]) == (
        4,
        3,
        2,
        4,
    )
    assert (figures["click_rate"], figures["conversion_rate"]) == (0.75, 2 / 3)
    assert figures["revenue"] == [
        {"currency": "EUR", "value": "60.00"},
        {"currency": "USD", "value": "20.00"},
    ]
    assert figures["median_time_to_click_s"] is not None and figures["median_time_to_convert_s"] is not None

    page, watch = open_dashboard(browser, product, DESKTOP)
    with page.expect_response(lambda r: "/funnel?" in r.url) as asked:
        page.goto(product.url + "/dashboard/campaign?name=" + quote(CAMPAIGN))
    query = asked.value.url.split("?", 1)[1]
    assert "preset=7d" in query and "tz=Europe%2FBerlin" in query and "exclude_bots" not in query
    expect(page.get_by_role("heading", name=CAMPAIGN, exact=True)).to_be_visible()
    expect_funnel(page, figures)
    expect(funnel_panel(page).get_by_role("img", name="Funnel over time").locator("canvas")).to_be_attached()
    expect(funnel_panel(page).locator(".u-legend")).to_contain_text("Converted")

    # Each link's converted contacts beside its clicks.
    rows = panel(page, "Links in this campaign").locator("tbody tr")
    expect(rows).to_have_count(4)
    for row in figures["links"]:
        expect(cell(rows.and_(page.locator(f'[data-code="{row["code"]}"]')), "Converted")).to_have_text(
            f"{row['converted']:,}"
        )
    assert sorted(row["converted"] for row in figures["links"]) == [0, 0, 1, 1]

    funnel_panel(page).scroll_into_view_if_needed()
    screenshot(page, "campaign-funnel", element=funnel_panel(page))

    # The page's range controls drive the funnel too: another preset, an hourly interval, a
    # custom range before any of it (the empty state), and back.
    with page.expect_response(lambda r: "/funnel?" in r.url and "preset=30d" in r.url):
        page.get_by_role("button", name="Last 30d").click()
    expect_funnel(page, campaign_funnel(product, preset="30d"))
    with page.expect_response(lambda r: "/funnel?" in r.url and "interval=hour" in r.url):
        page.get_by_role("combobox", name="Interval").select_option("hour")
    expect(funnel_panel(page).locator(".funnel-subtitle")).to_have_text("Contacts per hour")
    expect_funnel(page, campaign_funnel(product, preset="30d", interval="hour"))
    old = {"from": local_day(20), "to": local_day(15)}
    with page.expect_response(lambda r: "/funnel?" in r.url and f"from={old['from']}" in r.url):
        page.get_by_label("From", exact=True).fill(old["from"])
        page.get_by_label("To", exact=True).fill(old["to"])
    assert campaign_funnel(product, **old, interval="hour")["delivered"] == 0
    expect(funnel_panel(page)).to_contain_text("No deliveries or conversions in this range.")
    page.get_by_role("button", name="Last 7d").click()
    expect_funnel(page, figures)

    # A link's own funnel, compact: its contact's delivery, click and conversions.
    c1 = links["c-1"]
    page.goto(product.url + f"/dashboard/links/{c1['id']}")
    expect(page.get_by_role("heading", name="Summer offer for c-1")).to_be_visible()
    link_figures = funnel_of(product, f"/api/v1/links/{c1['id']}/funnel")
    assert (link_figures["delivered"], link_figures["clicked"], link_figures["converted"]) == (1, 1, 1)
    expect_funnel(page, link_figures)
    expect(funnel_panel(page).locator("canvas")).to_have_count(0)
    screenshot(page, "link-funnel", element=funnel_panel(page))

    # A contact: the messages delivered to them and their conversions, put down to their link.
    with product.api() as api:
        contact = api.get("/api/v1/contacts/c-1/clicks").json()
    assert [d["message_id"] for d in contact["deliveries"]] == ["msg-c-1"]
    assert sorted(c["name"] for c in contact["conversions"]) == ["purchase", "upsell"]
    page.goto(product.url + "/dashboard/contact?id=c-1")
    expect(page.locator(".contact-table tbody tr")).to_have_count(1)
    deliveries = panel(page, "Deliveries").locator("tbody tr")
    expect(deliveries).to_have_count(1)
    expect(cell(deliveries, "Campaign")).to_have_text(CAMPAIGN)
    expect(cell(deliveries, "Message")).to_have_text("msg-c-1")
    conversions = panel(page, "Conversions").locator("tbody tr")
    expect(conversions).to_have_count(2)
    for item in contact["conversions"]:
        row = conversions.filter(has=page.get_by_role("cell", name=item["name"], exact=True))
        expect(cell(row, "Value")).to_have_text(money(item["value"], item["currency"]))
        expect(cell(row, "Link")).to_have_text("Summer offer for c-1")
        expect(cell(row, "Attribution")).to_have_text("Last click")
    screenshot(page, "contact-funnel", full_page=False)

    finish(page, watch)


def test_the_funnel_fits_a_phone(
    product: Product, links: dict[str, dict[str, Any]], browser: sync_api.Browser
) -> None:
    page, watch = open_dashboard(browser, product, PHONE)
    page.goto(product.url + "/dashboard/campaign?name=" + quote(CAMPAIGN))
    expect_funnel(page, campaign_funnel(product))
    expect(funnel_panel(page).locator("canvas")).to_be_attached()
    fits(page)
    # The steps stack: each bar as wide as the panel allows, its label and count above it.
    box = funnel_panel(page).locator('[data-step="delivered"] .funnel-bar').bounding_box()
    assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "campaign-funnel", element=funnel_panel(page))

    page.goto(product.url + f"/dashboard/links/{links['c-2']['id']}")
    expect_funnel(page, funnel_of(product, f"/api/v1/links/{links['c-2']['id']}/funnel"))
    fits(page)

    page.goto(product.url + "/dashboard/contact?id=c-2")
    expect(page.locator(".contact-table tbody tr")).to_have_count(1)
    fits(page)
    screenshot(page, "contact-funnel", full_page=False)

    finish(page, watch)


def test_a_campaign_without_deliveries_shows_how_to_report_them(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    with product.api() as api:
        made = api.post("/api/v1/links", json={"destination_url": landing + "/quiet", "campaign": "Quiet"})
        assert made.status_code == 201, made.text
    page, watch = open_dashboard(browser, product, DESKTOP)
    page.goto(product.url + "/dashboard/campaign?name=Quiet")
    empty = funnel_panel(page)
    expect(empty).to_contain_text("No deliveries or conversions in this range.")
    expect(empty).to_contain_text(re.compile(r"POST /api/v1/events"))
    expect(empty.get_by_role("list", name="Contacts at each step")).to_have_count(0)
    finish(page, watch)


def test_a_campaign_known_only_from_its_events_shows_its_funnel(
    product: Product, browser: sync_api.Browser
) -> None:
    """No link names "SMS only": its messages were sent by the platform with links of their
    own, yet its deliveries and a conversion make it a campaign with a funnel."""
    now = datetime.now(UTC)
    name = "SMS only / März"
    post_events(
        product,
        [
            *({"type": "message.delivered", "id": f"sms-{n}", "campaign": name, "contact_id": f"s-{n}",
               "at": (now - timedelta(hours=n + 1)).isoformat()} for n in range(3)),
            {"type": "conversion", "id": "sms-order", "name": "purchase", "campaign": name,
             "contact_id": "s-0", "value": "12.50", "currency": "EUR"},
        ],
    )  # fmt: skip
    path = f"/api/v1/campaigns/{quote(name, safe='')}/funnel"
    figures = eventually(
        lambda: funnel_of(product, path),
        lambda f: (f["delivered"], f["converted"]) == (3, 1),
        "the events-only campaign's funnel",
    )
    assert figures["links"] == [] and figures["links_truncated"] is False
    with product.api() as api:
        assert api.get(f"/api/v1/campaigns/{quote(name, safe='')}/analytics").status_code == 404

    page, watch = open_dashboard(browser, product, DESKTOP)
    # The first load asks for the click figures too (a 404: no live link); from then on the
    # funnel's empty link rows say there is still none, and only the funnel is asked.
    with watch.expecting(r"console error: .*status of 404", r"response 404: GET .*/analytics\?"):
        page.goto(product.url + "/dashboard/campaign?name=" + quote(name))
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        expect_funnel(page, figures)
    expect(page.get_by_text("No live links: known from its deliveries and conversions")).to_be_visible()
    expect(page.get_by_text("There is no campaign of that name.")).to_have_count(0)
    expect(page.get_by_role("heading", name="Links in this campaign")).to_have_count(0)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/campaigns/" in r.url else None)
    # The range controls drive it as for any campaign.
    old = {"from": local_day(20), "to": local_day(15)}
    with page.expect_response(lambda r: "/funnel?" in r.url and f"from={old['from']}" in r.url):
        page.get_by_label("From", exact=True).fill(old["from"])
        page.get_by_label("To", exact=True).fill(old["to"])
    expect(funnel_panel(page)).to_contain_text("No deliveries or conversions in this range.")
    assert asked and all("/funnel?" in url for url in asked), asked

    # A link made with its name joins it: the click figures come back with the next refresh.
    with product.api() as api:
        made = api.post("/api/v1/links", json={"destination_url": "https://shop.example/", "campaign": name})
    assert made.status_code == 201, made.text
    expect(page.get_by_role("heading", name="Links in this campaign")).to_be_visible(timeout=CLICK_WAIT)
    expect(panel(page, "Links in this campaign").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_text("No live links: known from its deliveries and conversions")).to_have_count(0)

    # A name nothing carries is still no campaign.
    with watch.expecting(
        r"console error: .*status of 404",
        r"console error: .*status of 404",
        r"response 404: GET .*/funnel\?",
        r"response 404: GET .*/analytics\?",
    ):
        page.goto(product.url + "/dashboard/campaign?name=" + quote("Never sent"))
        expect(page.get_by_text("There is no campaign of that name.")).to_be_visible()
    finish(page, watch)


def test_a_capped_link_table_says_so(product: Product, landing: str, browser: sync_api.Browser) -> None:
    name = "Everyone"
    items = [
        {"destination_url": f"{landing}/all?n={n}", "campaign": name, "contact_id": f"e-{n}"}
        for n in range(LINK_TABLE_LIMIT + 1)
    ]
    with product.api() as api:
        response = api.post("/api/v1/links/bulk", json={"items": items})
    assert response.status_code == 200, response.text
    post_events(
        product,
        [{"type": "message.delivered", "id": "all-0", "campaign": name, "contact_id": "e-0"}],
    )
    path = f"/api/v1/campaigns/{quote(name, safe='')}/funnel"
    figures = eventually(lambda: funnel_of(product, path), lambda f: f["delivered"] == 1, "the delivery")
    assert len(figures["links"]) == LINK_TABLE_LIMIT and figures["links_truncated"] is True

    page, watch = open_dashboard(browser, product, DESKTOP)
    page.goto(product.url + "/dashboard/campaign?name=" + quote(name))
    links = panel(page, "Links in this campaign")
    expect(links.locator('[data-note="funnel-links"]')).to_have_text(
        f"Converted contacts are known for the {LINK_TABLE_LIMIT} links with the most clicked contacts of"
        f" {LINK_TABLE_LIMIT + 1:,}; the others show –."
    )
    expect(links.locator("tbody tr")).to_have_count(LINK_TABLE_LIMIT)

    # A campaign whose every link has its row says nothing of the kind.
    assert campaign_funnel(product)["links_truncated"] is False
    page.goto(product.url + "/dashboard/campaign?name=" + quote(CAMPAIGN))
    expect(panel(page, "Links in this campaign").locator("tbody tr").first).to_be_visible()
    expect(page.locator('[data-note="funnel-links"]')).to_have_count(0)
    finish(page, watch)


def test_a_contacts_deliveries_and_conversions_load_past_the_first_page(
    product: Product, browser: sync_api.Browser
) -> None:
    contact, name = "c-busy", "Drip"
    now = datetime.now(UTC)
    deliveries, conversions = FUNNEL_SHOWN + 5, FUNNEL_SHOWN + 3
    post_events(
        product,
        [
            *({"type": "message.delivered", "id": f"drip-{n}", "campaign": name, "contact_id": contact,
               "message_id": f"m-{n:03}", "at": (now - timedelta(minutes=n)).isoformat()}
              for n in range(deliveries)),
            *({"type": "conversion", "id": f"buy-{n}", "name": f"order {n:03}", "campaign": name,
               "contact_id": contact, "at": (now - timedelta(minutes=n)).isoformat()}
              for n in range(conversions)),
        ],
    )  # fmt: skip

    def everything(kind: str) -> list[dict[str, Any]]:
        with product.api() as api:
            response = api.get(f"/api/v1/contacts/{contact}/{kind}", params={"limit": "200"})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    stored = eventually(
        lambda: (len(everything("deliveries")), len(everything("conversions"))),
        lambda counts: counts == (deliveries, conversions),
        "the contact's events",
    )
    assert stored == (deliveries, conversions)
    with product.api() as api:
        first = api.get(f"/api/v1/contacts/{contact}/clicks").json()
    assert len(first["deliveries"]) == FUNNEL_SHOWN and first["deliveries_next_cursor"]

    page, watch = open_dashboard(browser, product, DESKTOP)
    page.goto(product.url + "/dashboard/contact?id=" + contact)
    expect(page.get_by_text("No clicks from this contact yet.")).to_be_visible()
    for kind, total, column, field_ in (
        ("deliveries", deliveries, "Message", "message_id"),
        ("conversions", conversions, "Conversion", "name"),
    ):
        box = panel(page, kind.capitalize())
        rows = box.locator("tbody tr")
        expect(rows).to_have_count(FUNNEL_SHOWN)
        expect(box.locator(".list-more")).to_contain_text(f"{FUNNEL_SHOWN} {kind} so far")
        with page.expect_response(lambda r, kind=kind: f"/{contact}/{kind}?" in r.url and "cursor=" in r.url):
            box.get_by_role("button", name=f"Load more {kind}").click()
        expect(rows).to_have_count(total)
        expect(box.get_by_role("button", name=f"Load more {kind}")).to_have_count(0)
        expect(box.locator(".list-more")).to_have_text(f"{total} {kind}")
        # Newest first, each once: as the API lists them.
        expect(rows.locator(f'td[data-label="{column}"]')).to_have_text(
            [item[field_] for item in everything(kind)]
        )
    finish(page, watch)

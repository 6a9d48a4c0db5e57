"""One campaign followed end to end through the public API and real redirects, with the
ground truth of every funnel figure computed as it goes: deliveries (one id sent twice),
people's clicks and a link-preview bot's, and conversions by click id (read from a real
``Location``), by campaign and contact, and one whose click is outside the window.

Used by the embedded and the distributed end-to-end tests alike: only where the API and
the short links live differs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

CAMPAIGN = "autumn-sale"
PERSON = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148"
)
PREVIEW_BOT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"


@dataclass
class Truth:
    delivered: set[str] = field(default_factory=set)
    clicked: set[str] = field(default_factory=set)
    converted: set[str] = field(default_factory=set)
    conversions: int = 0
    revenue: dict[str, str] = field(default_factory=dict)
    first_delivery: dict[str, float] = field(default_factory=dict)  # contact -> unix seconds
    first_click: dict[str, float] = field(default_factory=dict)
    first_conversion: dict[str, float] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)  # contact -> link
    link_converted: dict[str, set[str]] = field(default_factory=dict)  # link id -> contacts

    def median_to_click(self) -> float:
        return statistics.median(
            self.first_click[c] - self.first_delivery[c]
            for c in self.clicked & self.delivered
            if self.first_click[c] >= self.first_delivery[c]
        )

    def median_to_convert(self) -> float:
        return statistics.median(
            self.first_conversion[c] - self.first_click[c]
            for c in self.converted & self.clicked
            if self.first_conversion[c] >= self.first_click[c]
        )


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_scenario(api: httpx.Client, short_base: Callable[[str], str]) -> Truth:
    """Drive the scenario; ``api`` is an authenticated client of the API, ``short_base(code)``
    the URL of a short link (on a redirector). Returns what every figure must be."""
    truth = Truth()
    settings = api.patch("/api/v1/settings", json={"attribution_window_days": 1})
    assert settings.status_code == 200, settings.text
    contacts = [f"c-{n}" for n in range(1, 7)]
    created = api.post(
        "/api/v1/links/bulk",
        json={
            "items": [
                {
                    "destination_url": "https://shop.example/autumn?utm_source=wa",
                    "campaign": CAMPAIGN,
                    "contact_id": contact,
                    "conversion_tracking": True,
                }
                for contact in contacts
            ]
        },
    )
    assert created.status_code == 200, created.text
    for contact, item in zip(contacts, created.json()["items"], strict=True):
        assert item["status"] == 201, item
        truth.links[contact] = item["link"]
        truth.link_converted[item["link"]["id"]] = set()

    now = time.time()
    delivered_at = now - 3600  # an hour ago
    deliveries = [
        {"type": "message.delivered", "id": f"wamid-{c}", "campaign": CAMPAIGN, "contact_id": c,
         "at": rfc3339(delivered_at + n)}
        for n, c in enumerate([*contacts, "c-7"])
    ]  # fmt: skip
    deliveries.append(dict(deliveries[0]))  # a delivery report sent twice
    answer = api.post("/api/v1/events", json={"events": deliveries}).json()
    assert answer == {"accepted": 7, "duplicates": 1, "errors": []}, answer
    for n, delivery in enumerate(deliveries[:7]):
        truth.delivered.add(delivery["contact_id"])
        truth.first_delivery[delivery["contact_id"]] = delivered_at + n

    # People click c-1 (twice), c-2 and c-3; only a link-preview bot fetches c-4's link.
    click_ids: dict[str, str] = {}
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        for contact, agent in [("c-1", PERSON), ("c-1", PERSON), ("c-2", PERSON), ("c-3", PERSON),
                               ("c-4", PREVIEW_BOT)]:  # fmt: skip
            clicked_at = time.time()
            response = browser.get(short_base(truth.links[contact]["code"]), headers={"User-Agent": agent})
            assert response.status_code == 302, response.text
            location = response.headers["location"]
            query = parse_qs(urlsplit(location).query)
            assert query["utm_source"] == ["wa"]
            click_id = query["sl_click"][0]
            assert len(click_id) == 32
            if agent == PERSON:
                truth.clicked.add(contact)
                truth.first_click.setdefault(contact, clicked_at)
                click_ids.setdefault(contact, click_id)

    time.sleep(2)
    converted_at = time.time() - 1  # a second or so after the clicks, and before "now"
    conversions = [
        # c-1: by the click id its landing page received
        {"type": "conversion", "id": "order-1", "name": "purchase", "click_id": click_ids["c-1"],
         "value": "10.00", "currency": "EUR", "at": rfc3339(converted_at)},
        # c-2: by campaign and contact, its last click within the (one-day) window
        {"type": "conversion", "id": "order-2", "name": "purchase", "campaign": CAMPAIGN,
         "contact_id": "c-2", "value": 5, "currency": "USD", "at": rfc3339(converted_at + 1)},
        # c-3: two days ago, so its click is outside the window: attributed as sent
        {"type": "conversion", "id": "signup-3", "name": "signup", "campaign": CAMPAIGN,
         "contact_id": "c-3", "at": rfc3339(now - 2 * 86_400)},
    ]  # fmt: skip
    answer = api.post("/api/v1/events", json={"events": conversions}).json()
    assert answer == {"accepted": 3, "duplicates": 0, "errors": []}, answer
    truth.converted |= {"c-1", "c-2", "c-3"}
    truth.conversions = 3
    truth.revenue = {"EUR": "10.00", "USD": "5.00"}
    truth.first_conversion = {"c-1": converted_at, "c-2": converted_at + 1, "c-3": now - 2 * 86_400}
    truth.link_converted[truth.links["c-1"]["id"]].add("c-1")
    truth.link_converted[truth.links["c-2"]["id"]].add("c-2")
    return truth


def check_funnel(api: httpx.Client, truth: Truth, timeout: float = 60) -> dict[str, Any]:
    """Wait until the funnel shows every event, then check each figure against the truth."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"/api/v1/campaigns/{CAMPAIGN}/funnel", params={"preset": "7d"})
        assert response.status_code == 200, response.text
        funnel: dict[str, Any] = response.json()
        steps = (funnel["delivered"], funnel["clicked"], funnel["converted"])
        if steps == (len(truth.delivered), len(truth.clicked), len(truth.converted)):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert funnel["delivered"] == len(truth.delivered)
    assert funnel["clicked"] == len(truth.clicked)  # c-4's bot is nobody
    assert funnel["converted"] == len(truth.converted)
    assert funnel["click_rate"] == len(truth.clicked) / len(truth.delivered)
    assert funnel["conversion_rate"] == len(truth.converted) / len(truth.clicked)
    assert funnel["conversions"] == truth.conversions
    assert {item["currency"]: item["value"] for item in funnel["revenue"]} == truth.revenue
    # Times come from the client's clock around real redirects: a second of slack.
    assert abs(funnel["median_time_to_click_s"] - truth.median_to_click()) < 2
    assert abs(funnel["median_time_to_convert_s"] - truth.median_to_convert()) < 2
    series = funnel["timeseries"]
    assert sum(bucket["delivered"] for bucket in series) == len(truth.delivered)
    assert sum(bucket["clicked"] for bucket in series) == len(truth.clicked)
    assert sum(bucket["converted"] for bucket in series) == len(truth.converted)
    rows = {row["link_id"]: row for row in funnel["links"]}
    for contact, link in truth.links.items():
        row = rows[link["id"]]
        assert row["code"] == link["code"]
        assert row["clicked"] == (1 if contact in truth.clicked else 0), (contact, row)
        assert row["converted"] == len(truth.link_converted[link["id"]]), (contact, row)
    # One link's own funnel: c-1's.
    one = api.get(f"/api/v1/links/{truth.links['c-1']['id']}/funnel", params={"preset": "7d"}).json()
    assert (one["delivered"], one["clicked"], one["converted"]) == (1, 1, 1)
    return funnel

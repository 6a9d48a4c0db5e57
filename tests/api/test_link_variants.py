"""A link's A/B variants in its click log and analytics, over real HTTP with chDB: each
click names its variant, and ``variants`` counts clicks, unique visitors and conversions
per variant exactly. Same API, store and chDB as the campaign tests."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import httpx
import msgspec
import pytest
from jsonschema import Draft202012Validator

from api.bodies.analytics import Analytics, ClickList
from tests.api.test_campaigns import AnalyticsApi, analytics_api, create, generate, get

__all__ = ["analytics_api"]  # the module's server, shared with the campaign tests' setup

pytestmark = pytest.mark.clickhouse

A, B, GONE = "https://example.com/a", "https://example.com/b", "https://example.com/removed"
WINDOW = {"from": "2025-03-01", "to": "2025-04-01"}
CONVERSION_COLUMNS = [
    *("tenant_id", "campaign", "ts", "id", "name", "contact_id", "link_id"),
    *("click_id", "click_ts", "attribution"),
]


def test_variants_in_the_click_log_and_the_analytics(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("variants")
    with analytics_api.client(account) as client:
        variants = [{"destination_url": A, "weight": 1}, {"destination_url": B, "weight": 3}]
        link = create(client, variants=variants, conversion_tracking=True)
        plain = create(client)
        rows = generate(account.id, [link], 180, seed=7)
        for n, row in enumerate(rows):
            row.variant = (A, B, B, GONE)[n % 4] if n % 10 else ""  # some before the test began
        analytics_api.write(rows + generate(account.id, [plain], 20, seed=8))
        # Conversions attributed to some clicks of each variant (and one to a plain click).
        converted = [row for n, row in enumerate(rows) if n % 7 == 0]
        when = datetime(2025, 3, 20, tzinfo=UTC)
        analytics_api.sink.client.insert(
            "conversions",
            [
                [account.id, "", when, f"c{n}", "purchase", "", link["id"], row.event_id, when, "click_id"]
                for n, row in enumerate(converted)
            ],
            column_names=CONVERSION_COLUMNS,
        )
        body = get(client, f"/api/v1/links/{link['id']}/analytics", **WINDOW)
        humans = get(client, f"/api/v1/links/{link['id']}/analytics", exclude_bots="true", **WINDOW)
        page = get(client, f"/api/v1/links/{link['id']}/clicks", limit="200")
        no_variants = get(client, f"/api/v1/links/{plain['id']}/analytics", **WINDOW)
        document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()

    Draft202012Validator({**document, "$ref": "#/components/schemas/Analytics"}).validate(body)
    msgspec.convert(body, Analytics)
    msgspec.convert(page, ClickList)
    logged = {item["id"]: item["variant"] for item in page["items"]}
    assert logged == {row.event_id: row.variant or None for row in rows}
    assert "variants" not in no_variants

    def expected(exclude_bots: bool) -> list[dict[str, object]]:
        figures = []
        for name in (A, B, GONE):
            mine = [r for r in rows if r.variant == name and not (exclude_bots and r.is_bot)]
            figures.append(
                {
                    "destination_url": name,
                    "clicks": len(mine),
                    "unique": len({r.visitor_id for r in mine if not r.is_bot}),
                    "conversions": Counter(r.variant for r in converted)[name],
                }
            )
        return figures

    assert body["variants"] == expected(False)
    assert humans["variants"] == expected(True)
    assert all(v["clicks"] > 0 and v["conversions"] > 0 for v in body["variants"])

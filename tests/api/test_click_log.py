"""A link's click log over real HTTP says why a click counts as a bot: ``bot_reason``, the
code the consumer recorded, null for people; the OpenAPI document explains every code the
consumer can record; and it takes the analytics' range, zone and bot toggle. Same API,
store and chDB as the campaign tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import msgspec
import pytest
from jsonschema import Draft202012Validator

from api.bodies.analytics import BOT_REASON_CODES, ClickList
from smartlinks.bots.bots import BOT_REASONS
from tests.api.conftest import error_of
from tests.api.test_campaigns import AnalyticsApi, analytics_api, create, generate, get

__all__ = ["analytics_api"]  # the module's server, shared with the campaign tests' setup

pytestmark = pytest.mark.clickhouse


def test_the_click_log_says_why_a_click_is_a_bot(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("bot reasons")
    with analytics_api.client(account) as client:
        link = create(client)
        rows = generate(account.id, [link], 120, seed=5)
        analytics_api.write(rows)
        page = get(client, f"/api/v1/links/{link['id']}/clicks", limit="200")
        document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()

    Draft202012Validator({**document, "$ref": "#/components/schemas/ClickList"}).validate(page)
    msgspec.convert(page, ClickList)  # closed: no field the Struct does not name
    reasons = {row.event_id: row.bot_reason or None for row in rows}
    assert {item["id"]: item["bot_reason"] for item in page["items"]} == reasons
    bots = [item for item in page["items"] if item["kind"] == "bot"]
    assert bots and all(item["bot_reason"] in ("head", "preview") for item in bots)
    assert all(item["bot_reason"] is None for item in page["items"] if item["kind"] != "bot")


def test_every_reason_the_consumer_records_is_documented(analytics_api: AnalyticsApi) -> None:
    assert set(BOT_REASON_CODES) == set(BOT_REASONS)
    document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()
    described = document["components"]["schemas"]["Click"]["properties"]["bot_reason"]["description"]
    assert all(f"`{code}`" in described for code in BOT_REASONS)


def _pages(client: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    """Every item of a click log, following next_cursor with the same query."""
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = get(client, path, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = page["next_cursor"]


def test_the_click_log_follows_the_range_and_the_bot_toggle_of_analytics(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("click log range")
    with analytics_api.client(account) as client:
        link = create(client)
        rows = generate(account.id, [link], 150, seed=7)
        analytics_api.write(rows)
        path = f"/api/v1/links/{link['id']}/clicks"

        everything = get(client, path, limit="200")  # no range: the whole log, as before
        assert {item["id"] for item in everything["items"]} == {row.event_id for row in rows}

        # Dates are whole days in tz, to inclusive; pages of 7 keep the query.
        kolkata = timezone(timedelta(hours=5, minutes=30))
        start, end = datetime(2025, 3, 5, tzinfo=kolkata), datetime(2025, 3, 15, tzinfo=kolkata)
        query = {"from": "2025-03-05", "to": "2025-03-14", "tz": "Asia/Kolkata", "exclude_bots": "true"}
        items = _pages(client, path, limit="7", **query)
        expected = [
            row
            for row in rows
            if start.timestamp() * 1000 <= row.ts < end.timestamp() * 1000 and not row.is_bot
        ]
        assert 7 < len(expected) < len(rows)  # more than a page, and less than all
        assert [item["id"] for item in items] == [
            row.event_id for row in sorted(expected, key=lambda row: (row.ts, row.event_id), reverse=True)
        ]
        with_bots = _pages(client, path, limit="200", **{**query, "exclude_bots": "false"})
        assert any(item["kind"] == "bot" for item in with_bots) and len(with_bots) > len(items)


def test_the_click_log_takes_a_preset(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("click log preset")
    with analytics_api.client(account) as client:
        link = create(client)
        before = datetime.now(UTC)
        rows = generate(account.id, [link], 60, seed=8, start=before - timedelta(days=20), days=20)
        analytics_api.write(rows)
        items = get(client, f"/api/v1/links/{link['id']}/clicks", preset="7d", limit="200")["items"]
        after = datetime.now(UTC)
    week_ago = {row.event_id for row in rows if row.ts >= (after - timedelta(days=7)).timestamp() * 1000}
    shown = {item["id"] for item in items}
    assert week_ago and week_ago <= shown
    earliest = (before - timedelta(days=7)).timestamp() * 1000
    assert all(row.ts >= earliest for row in rows if row.event_id in shown)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"preset": "1y"}, (400, "invalid_preset", "preset")),
        ({"preset": "7d", "from": "2025-03-01"}, (400, "invalid_range", "preset")),
        ({"to": "2025-03-01"}, (400, "invalid_range", "from")),
        ({"from": "2025-03-02", "to": "2025-03-01"}, (400, "invalid_range", "to")),
        ({"from": "yesterday"}, (400, "invalid_datetime", "from")),
        ({"from": "2025-03-01", "tz": "Mars/Base"}, (400, "invalid_tz", "tz")),
        ({"exclude_bots": "maybe"}, (400, "invalid_boolean", "exclude_bots")),
    ],
)
def test_a_bad_click_log_query_is_refused_as_analytics_refuse_it(
    analytics_api: AnalyticsApi, params: dict[str, str], expected: tuple[int, str, str]
) -> None:
    account = analytics_api.new_account("click log refusals")
    with analytics_api.client(account) as client:
        link = create(client)
        assert error_of(client.get(f"/api/v1/links/{link['id']}/clicks", params=params)) == expected


def test_the_widest_range_reads_the_whole_log(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("click log wide")
    with analytics_api.client(account) as client:
        link = create(client)
        rows = generate(account.id, [link], 20, seed=9)
        analytics_api.write(rows)
        for start, end in [("0001-01-01", "9999-12-30"), ("1900-01-01T00:00:00Z", "2299-12-31T23:59:59Z")]:
            items = get(
                client, f"/api/v1/links/{link['id']}/clicks", limit="200", **{"from": start, "to": end}
            )
            assert len(items["items"]) == 20

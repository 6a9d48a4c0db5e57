"""A link's click log over real HTTP says why a click counts as a bot: ``bot_reason``, the
code the consumer recorded, null for people; and the OpenAPI document explains every code
the consumer can record. Same API, store and chDB as the campaign tests."""

from __future__ import annotations

import httpx
import msgspec
import pytest
from jsonschema import Draft202012Validator

from api.bodies.analytics import BOT_REASON_CODES, ClickList
from smartlinks.bots.bots import BOT_REASONS
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

"""A tag's analytics over real HTTP, on ClickHouse (chDB) with clicks written by the
consumer's sink: the figures of exactly the tag's live links, counted from the clicks
themselves and equal to their links' analytics added up, in a campaign's shape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.api.conftest import BASE_URL, create, error_of
from tests.api.test_campaigns import AnalyticsApi, added_up, analytics_api, figures_of, generate, get

pytestmark = pytest.mark.clickhouse
__all__ = ["analytics_api"]  # the module's fixture, shared

TAG = "Launch / Q2 ✿"  # a slash and a non-ASCII character, as users write them
RANGE = {"from": "2025-03-01", "to": "2025-03-30", "interval": "day"}


def tag_path(tag: str) -> str:
    return f"/api/v1/tags/{quote(tag, safe='')}/analytics"


@pytest.fixture(scope="module")
def tagged(analytics_api: AnalyticsApi) -> Iterator[dict[str, Any]]:
    account = analytics_api.new_account("tagger")
    client = analytics_api.client(account)
    links = [create(client, tags=[TAG if n % 2 else TAG.upper()], contact_id=f"c{n % 3}") for n in range(4)]
    other = [create(client, tags=["other"]), create(client)]
    gone = create(client, tags=[TAG])
    rows = generate(account.id, [*links, *other, gone], 1200, seed=7)
    analytics_api.write(rows)
    assert client.delete(f"/api/v1/links/{gone['id']}").status_code == 204  # its clicks go with it
    try:
        yield {"client": client, "links": links, "rows": rows}
    finally:
        client.close()


@pytest.mark.parametrize("exclude_bots", ["false", "true"])
def test_a_tag_s_analytics_are_its_live_links_clicks(tagged: dict[str, Any], exclude_bots: str) -> None:
    client, links = tagged["client"], tagged["links"]
    query = {**RANGE, "exclude_bots": exclude_bots}
    body = get(client, tag_path(TAG.lower()), **query)  # any case finds it
    assert body["tag"] == {"tag": TAG.lower(), "links": 4}
    # Counted from the clicks written: the four live tagged links, in range.
    start = datetime.fromisoformat(body["range"]["from"]).timestamp() * 1000
    end = datetime.fromisoformat(body["range"]["to"]).timestamp() * 1000
    ids = {link["id"] for link in links}
    kept = [row for row in tagged["rows"] if row.link_id in ids and start <= row.ts < end]
    humans = [row for row in kept if not row.is_bot]
    assert body["totals"]["total"] == len(humans if exclude_bots == "true" else kept) > 0
    assert body["totals"]["bots"] == len(kept) - len(humans)
    contacts = {row.contact_id for row in (humans if exclude_bots == "true" else kept)}
    assert body["totals"]["contacts"] == len(contacts)
    # Figure by figure, the sum of its links' own analytics, like a campaign's.
    pages = [get(client, f"/api/v1/links/{link['id']}/analytics", **query) for link in links]
    assert figures_of(body) == added_up(pages)
    rows = {row["id"]: row for row in body["links"]}
    assert set(rows) == ids and not body["links_truncated"]
    for link, page in zip(links, pages, strict=True):
        assert rows[link["id"]]["total"] == page["totals"]["total"]
        assert rows[link["id"]]["short_url"] == f"{BASE_URL}/{link['code']}"


def test_an_unknown_or_malformed_tag_is_refused(tagged: dict[str, Any]) -> None:
    client = tagged["client"]
    assert error_of(client.get(tag_path("nothing"))) == (404, "tag_not_found", "tag")
    assert error_of(client.get(tag_path("x" * 51))) == (400, "invalid_tag", "tag")
    assert error_of(client.get(tag_path(TAG), params={"interval": "year"}))[1] == "invalid_interval"


def test_the_tag_list_counts_live_links(tagged: dict[str, Any]) -> None:
    # Two spellings of one tag: the list shows the first in sort order.
    assert tagged["client"].get("/api/v1/tags").json() == {
        "items": [{"tag": TAG.upper(), "links": 4}, {"tag": "other", "links": 1}]
    }

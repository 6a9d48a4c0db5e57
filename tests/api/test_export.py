"""CSV exports over real HTTP, on the campaign tests' API (SQLite store, chDB, clicks
written by the consumer's sink): the exact file for a few clicks, the analytics filters,
metadata-free tenants, tenant isolation, spreadsheet-safe cells, and an export of 200,000
clicks whose memory stays flat."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest

from consumer.enrich.privacy import strip_metadata
from consumer.enrich.row import ClickRow
from smartlinks.ids import uuid7_int
from tests.api.conftest import create, error_of
from tests.api.test_campaigns import AnalyticsApi, analytics_api

__all__ = ["analytics_api"]  # the module's server, shared with the campaign tests' setup

pytestmark = pytest.mark.clickhouse

DAY = datetime(2025, 5, 4, tzinfo=UTC)
HEADER = (
    "time,click_id,link_id,code,campaign,contact_id,visitor,is_bot,bot_kind,bot_reason,country,"
    "region,city,latitude,longitude,device,browser,browser_version,os,os_version,referrer,method,variant"
)


def _ms(hour: int, minute: int = 0) -> int:
    return int(DAY.replace(hour=hour, minute=minute).timestamp() * 1000)


def _click(link: dict[str, object], tenant_id: str, ts: int, visitor: str, **fields: object) -> ClickRow:
    return ClickRow(
        event_id=f"{uuid7_int(ts):032x}",
        ts=ts,
        tenant_id=tenant_id,
        link_id=str(link["id"]),
        code=str(link["code"]),
        campaign=str(link["campaign"] or ""),
        contact_id=str(link["contact_id"] or ""),
        visitor_id=visitor,
        **fields,  # type: ignore[arg-type]
    )


def _rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def _export(client: httpx.Client, path: str, **params: str) -> httpx.Response:
    return client.get(path, params=params)


def test_a_link_s_clicks_are_the_exact_file(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("export exact")
    with analytics_api.client(account) as client:
        link = create(client, code="exp0rt1", campaign="spring", contact_id="c-42")
        person = {"country": "BR", "region": "São Paulo", "city": "São Paulo", "latitude": -23.5329}
        person |= {"longitude": -46.6395, "device": "mobile", "browser": "Chrome", "browser_version": "124"}
        person |= {"os": "Android", "os_version": "14", "referrer_host": "wa.me"}
        first = _click(link, account.id, _ms(9, 15), "v1", **person)
        again = _click(link, account.id, _ms(10), "v1", **person)
        bot = _click(
            link, account.id, _ms(11), "b1", is_bot=True, bot_kind="preview", bot_reason="preview",
            device="other", city="=HYPERLINK(1)",
        )  # fmt: skip
        analytics_api.write([first, again, bot])
        response = _export(
            client, f"/api/v1/links/{link['id']}/clicks/export", **{"from": "2025-05-04", "to": "2025-05-04"}
        )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="clicks-exp0rt1.csv"'
    common = f"{link['id']},exp0rt1,spring,c-42"
    place = "BR,São Paulo,São Paulo,-23.5329,-46.6395,mobile,Chrome,124,Android,14,wa.me,GET,"
    assert response.text.split("\r\n") == [
        HEADER,
        f"2025-05-04T09:15:00.000Z,{first.event_id},{common},unique,false,,,{place}",
        f"2025-05-04T10:00:00.000Z,{again.event_id},{common},repeat,false,,,{place}",
        f"2025-05-04T11:00:00.000Z,{bot.event_id},{common},bot,true,preview,preview,,,'=HYPERLINK(1),,,other,,,,,,GET,",
        "",
    ]


def test_the_analytics_filters_choose_the_clicks(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("export filters")
    with analytics_api.client(account) as client:
        link = create(client)
        rows = [
            _click(link, account.id, _ms(1), "early"),
            _click(link, account.id, _ms(12), "noon"),
            _click(
                link,
                account.id,
                _ms(13),
                "bot",
                is_bot=True,
                bot_kind="head",
                bot_reason="head",
                method="HEAD",
            ),
            _click(link, account.id, _ms(23, 30), "late"),
        ]
        analytics_api.write(rows)
        path = f"/api/v1/links/{link['id']}/clicks/export"
        whole = _rows(_export(client, path, **{"from": "2025-05-04", "to": "2025-05-04"}))
        humans = _rows(
            _export(client, path, **{"from": "2025-05-04", "to": "2025-05-04", "exclude_bots": "true"})
        )
        # A day in Tokyo (UTC+9) is 15:00 the day before to 15:00 UTC.
        tokyo = _rows(_export(client, path, **{"from": "2025-05-04", "to": "2025-05-04", "tz": "Asia/Tokyo"}))
        stamps = _rows(
            _export(client, path, **{"from": "2025-05-04T12:00:00Z", "to": "2025-05-04T13:00:00Z"})
        )
        recent = _rows(_export(client, path, preset="7d"))
        refused = [
            error_of(_export(client, path, preset="1y")),
            error_of(_export(client, path, preset="7d", **{"from": "2025-05-01"})),
            error_of(_export(client, path, **{"from": "yesterday"})),
            error_of(_export(client, path, tz="Mars/Olympus")),
            error_of(_export(client, path, exclude_bots="")),
            error_of(_export(client, path, **{"from": "2025-05-04", "to": "2025-05-01"})),
        ]

    ids = [row.event_id for row in rows]
    assert [row["click_id"] for row in whole] == ids
    assert [row["click_id"] for row in humans] == [ids[0], ids[1], ids[3]]
    assert [row["click_id"] for row in tokyo] == ids[:3]
    assert [row["click_id"] for row in stamps] == [ids[1]]  # to is exclusive for a timestamp
    assert recent == []
    assert refused == [
        (400, "invalid_preset", "preset"),
        (400, "invalid_range", "preset"),
        (400, "invalid_datetime", "from"),
        (400, "invalid_tz", "tz"),
        (400, "invalid_boolean", "exclude_bots"),
        (400, "invalid_range", "to"),
    ]


def test_metadata_cells_are_empty_when_the_tenant_collects_none(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("export private")
    with analytics_api.client(account) as client:
        assert client.patch("/api/v1/settings", json={"collect_metadata": False}).status_code == 200
        link = create(client)
        row = _click(
            link, account.id, _ms(8), "v", country="DE", city="Berlin", latitude=52.5, longitude=13.4
        )
        row.device, row.browser, row.os, row.referrer_host = "desktop", "Firefox", "Windows", "t.co"
        strip_metadata(row)  # what the consumer's pipeline stores for such a tenant
        analytics_api.write([row])
        [exported] = _rows(
            _export(client, f"/api/v1/links/{link['id']}/clicks/export", **{"from": "2025-05-04"})
        )

    metadata = ["country", "region", "city", "latitude", "longitude", "device", "browser"]
    metadata += ["browser_version", "os", "os_version", "referrer"]
    assert {name: exported[name] for name in metadata} == dict.fromkeys(metadata, "")
    assert exported["visitor"] == "unique" and exported["click_id"] == row.event_id


def test_a_campaign_s_clicks_and_isolation(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("export campaign")
    other = analytics_api.new_account("export other")
    with analytics_api.client(account) as client, analytics_api.client(other) as stranger:
        one = create(client, campaign="Summer / 25")
        two = create(client, campaign="Summer / 25")
        elsewhere = create(client, campaign="winter")
        theirs = create(stranger, campaign="Summer / 25")
        rows = [
            _click(one, account.id, _ms(5), "a"),
            _click(two, account.id, _ms(6), "b"),
            _click(elsewhere, account.id, _ms(7), "c"),
        ]
        analytics_api.write([*rows, _click(theirs, other.id, _ms(8), "d")])
        path = f"/api/v1/campaigns/{quote('Summer / 25', safe='')}/clicks/export"
        response = _export(client, path, **{"from": "2025-05-04"})
        exported = _rows(response)
        missing = [
            error_of(stranger.get(f"/api/v1/links/{one['id']}/clicks/export")),
            error_of(client.get("/api/v1/links/0190000000007000800000000000ffff/clicks/export")),
            error_of(client.get("/api/v1/campaigns/nothing/clicks/export")),
            error_of(stranger.get("/api/v1/campaigns/winter/clicks/export")),
        ]

    assert [(row["click_id"], row["link_id"]) for row in exported] == [
        (rows[0].event_id, one["id"]),
        (rows[1].event_id, two["id"]),
    ]
    assert response.headers["content-disposition"] == 'attachment; filename="campaign-clicks-Summer-25.csv"'
    assert missing == [
        (404, "link_not_found", "id"),
        (404, "link_not_found", "id"),
        (404, "campaign_not_found", "campaign"),
        (404, "campaign_not_found", "campaign"),
    ]


def test_the_link_list_export_has_every_page_and_its_filters(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("export links")
    with analytics_api.client(account) as client:
        made = [create(client, title=f"link {n}", campaign="many") for n in range(205)]
        tagged = create(
            client, destination_url="https://example.com/=x", title="=SUM(A1)", tags=["vip"], max_clicks=5,
            expires_at="2099-01-01T00:00:00Z",
        )  # fmt: skip
        every = _rows(client.get("/api/v1/links/export"))
        campaign = _rows(client.get("/api/v1/links/export", params={"campaign": "many", "limit": "1"}))
        vip = client.get("/api/v1/links/export", params={"tag": "VIP"})
        searched = _rows(client.get("/api/v1/links/export", params={"search": "link 20"}))
        refused = error_of(client.get("/api/v1/links/export", params={"status": "gone"}))

    assert [row["id"] for row in every] == [tagged["id"], *[link["id"] for link in reversed(made)]]
    assert len(campaign) == 205
    assert vip.headers["content-disposition"] == 'attachment; filename="links.csv"'
    [row] = _rows(vip)
    assert row == {
        "id": tagged["id"],
        "code": tagged["code"],
        "short_url": tagged["short_url"],
        "destination_url": "https://example.com/=x",
        "title": "'=SUM(A1)",
        "campaign": "",
        "contact_id": "",
        "tags": "vip",
        "created_at": tagged["created_at"],
        "expires_at": "2099-01-01T00:00:00.000Z",
        "max_clicks": "5",
        "has_password": "false",
        "clicks": "0",
    }
    assert sorted(row["title"] for row in searched) == ["link 20", *[f"link 20{n}" for n in range(5)]]
    assert refused == (400, "invalid_status", "status")


def test_a_large_export_streams_in_flat_memory(analytics_api: AnalyticsApi) -> None:
    """200,000 clicks (about 40 MB of CSV) through the HTTP server in this process: the
    Python memory allocated at the peak, server and client together, stays a small
    fraction of the file, as only a page is ever held."""
    account = analytics_api.new_account("export large")
    with analytics_api.client(account) as client:
        link = create(client)
        count = 200_000
        analytics_api.queries.client.command(
            "INSERT INTO clicks (event_id, ts, tenant_id, link_id, code, kind, is_bot, country, city,"
            " device, browser, os, referrer_host, visitor_id)"
            " SELECT generateUUIDv4(),"
            " fromUnixTimestamp64Milli(toInt64({start:Int64} + number * 1000), 'UTC'),"
            " {tenant:String}, {link:String}, {code:String}, if(number % 3 = 0, 'unique', 'repeat'), false,"
            " 'NL', 'Amsterdam', 'mobile', 'Safari', 'iOS', 'instagram.com', toString(number % 1000)"
            " FROM numbers({count:UInt64})",
            parameters={"start": _ms(0), "tenant": account.id, "link": link["id"], "code": link["code"],
                        "count": count},
        )  # fmt: skip
        size = lines = 0
        tracemalloc.start()
        try:
            with client.stream(
                "GET", f"/api/v1/links/{link['id']}/clicks/export", params={"from": "2025-05-01"}
            ) as response:
                assert response.status_code == 200
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    lines += chunk.count(b"\n")  # "\r\n" may be split between chunks
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert lines == count + 1
    assert size > 30_000_000
    # A page of 5,000 rows as Python objects and CSV text is a few MB; all 200,000 would
    # be well over 100 MB.
    assert peak < 25_000_000, peak

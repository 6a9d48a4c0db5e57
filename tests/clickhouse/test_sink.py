"""Clicks into ClickHouse: the batch steps (de-duplication, deleted links, unique/repeat
classification), the sink's insert, the link mirror, deletion and dead letters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import orjson
import pytest

from api.analytics import AnalyticsQueries
from consumer import staging
from consumer.dead_letters import DeadLetterTable
from consumer.enrich.row import ClickRow
from consumer.ingest import ClickIngest
from consumer.link_changes import LinkDeletions, LinkMirror
from consumer.sink import ClickSink
from schemas.clickhouse import CLICK_DATA_TABLES
from smartlinks.clickhouse import Client
from smartlinks.models import Link
from tests.clickhouse.truth import LINK, OTHER_LINK, TENANT, click, ms

pytestmark = pytest.mark.clickhouse

T0 = ms(datetime(2025, 5, 1, 12, tzinfo=UTC))
DAY = (datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 5, 2, tzinfo=UTC))


def count(client: Client, table: str = "clicks", link: str = LINK) -> int:
    result = client.query(
        f"SELECT count() FROM {table} WHERE link_id = {{link:String}}", parameters={"link": link}
    )
    return int(result.result_rows[0][0])


def kinds(client: Client) -> list[tuple[str, str]]:
    result = client.query("SELECT visitor_id, toString(kind) FROM clicks ORDER BY ts, event_id")
    return [(visitor, kind) for visitor, kind in result.result_rows]


def totals(client: Client, link: str = LINK) -> dict[str, int]:
    result = AnalyticsQueries(client).link_analytics(TENANT, link, *DAY, interval="hour")
    return dict(result["totals"])


def test_a_batch_inserted_twice_counts_once(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    batch = [click(T0 + n, f"v{n % 3}") for n in range(10)]
    assert sink.insert(batch) == 10
    assert sink.insert([replace(row) for row in batch]) == 0
    assert count(clickhouse) == 10
    assert totals(clickhouse) == {"total": 10, "unique": 3, "bots": 0}


def test_a_restarted_sink_still_refuses_what_is_stored(clickhouse: Client) -> None:
    batch = [click(T0 + n * 1000, f"v{n}") for n in range(20)]
    assert ClickIngest(clickhouse).insert(batch[:15]) == 15
    # After a crash before the offset commit the whole batch comes again, to a new sink
    # whose memory of recent ids is empty.
    fresh = ClickIngest(clickhouse)
    assert len(fresh.redeliveries.recent) == 0
    assert fresh.insert([replace(row) for row in batch]) == 5
    assert count(clickhouse) == 20
    assert count(clickhouse, "link_visitors") == 20
    assert totals(clickhouse)["total"] == 20


def test_an_event_twice_in_one_batch_counts_once(clickhouse: Client) -> None:
    row = click(T0, "v1")
    assert ClickIngest(clickhouse).insert([row, replace(row), replace(row)]) == 1
    assert count(clickhouse) == 1


def test_recently_inserted_ids_are_forgotten_oldest_first(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse, recent_ids=5)
    rows = [click(T0 + n, "v") for n in range(8)]
    sink.insert(rows)
    recent = sink.redeliveries.recent
    assert len(recent) == 5
    assert rows[0].event_id not in recent
    assert rows[-1].event_id in recent
    assert sink.insert([replace(row) for row in rows]) == 0  # the stored check still holds


def test_kinds_unique_repeat_and_bot(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    # Shuffled inside the batch: the sink orders by time before deciding.
    first = [click(T0 + 2, "a"), click(T0 + 1, "a"), click(T0 + 3, "b", is_bot=True), click(T0 + 4, "b")]
    sink.insert(first)
    sink.insert([click(T0 + 10, "b"), click(T0 + 11, "c"), click(T0 + 12, "a", is_bot=True)])
    assert kinds(clickhouse) == [
        ("a", "unique"),
        ("a", "repeat"),
        ("b", "bot"),
        ("b", "unique"),
        ("b", "repeat"),
        ("c", "unique"),
        ("a", "bot"),
    ]


def test_a_visitor_is_unique_per_link(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    sink.insert([click(T0, "a"), click(T0 + 1, "a", link=OTHER_LINK)])
    assert [kind for _, kind in kinds(clickhouse)] == ["unique", "unique"]


def test_previous_clicks_are_recorded_per_visitor_and_country(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    sink.insert([click(T0, "a", country="BR"), click(T0 + 5, "a", country="PT")])
    sink.insert([click(T0 + 9, "a", country="BR"), click(T0 + 7, "a", country="BR")])
    result = clickhouse.query(
        "SELECT toUnixTimestamp64Milli(ts) - {t0:Int64}, toUnixTimestamp64Milli(visitor_prev_ts),"
        " toUnixTimestamp64Milli(visitor_prev_country_ts) FROM clicks ORDER BY ts",
        parameters={"t0": T0},
    )
    assert result.result_rows == [(0, 0, 0), (5, T0, 0), (7, T0 + 5, T0), (9, T0 + 7, T0 + 7)]


def test_a_late_click_never_starts_a_second_visit(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    sink.insert([click(T0 + 3_600_000, "a")])
    sink.insert([click(T0, "a")])  # an hour older, from a spool shipped late
    assert [kind for _, kind in kinds(clickhouse)] == ["repeat", "unique"]
    assert totals(clickhouse)["unique"] == 1


def test_the_sink_inserts_the_rows_as_they_are(clickhouse: Client) -> None:
    # Everything is decided before the sink: it neither drops nor classifies.
    row = click(T0, "a", kind="repeat", visitor_prev_ts=T0 - 5)
    ClickSink(clickhouse).insert([row, replace(row)])
    ClickSink(clickhouse).insert([])
    result = clickhouse.query(
        "SELECT toString(kind), toUnixTimestamp64Milli(visitor_prev_ts) FROM clicks"
    ).result_rows
    assert result == [("repeat", T0 - 5), ("repeat", T0 - 5)]


def test_event_ids_sent_as_text_are_stored_as_the_same_uuids(clickhouse: Client) -> None:
    # The sink and the staging table send ids as String for the server to parse into UUID.
    ids = [
        "0190000000007000800000000000000a",
        "ffffffffffffffffffffffffffffffff",
        "00000000000000000000000000000001",
    ]
    rows = [replace(click(T0 + i, "a"), event_id=event_id, kind="unique") for i, event_id in enumerate(ids)]
    ClickSink(clickhouse).insert(rows)
    stored = clickhouse.query("SELECT event_id FROM clicks ORDER BY ts").result_rows
    assert [value.hex for (value,) in stored] == ids
    staging.stage(clickhouse, rows)
    found = clickhouse.query(f"SELECT count() FROM clicks WHERE {staging.STORED}").result_rows
    assert found == [(3,)]


def test_dead_letters_are_stored_without_client_ips(clickhouse: Client) -> None:
    event = {"v": 1, "event_id": "x", "ip": "203.0.113.9", "user_agent": "curl/8"}
    DeadLetterTable(clickhouse).store(
        [("bad_field", "ts has the wrong type", orjson.dumps(event)), ("not_json", "garbage", b"\xff{oops")]
    )
    rows = clickhouse.query("SELECT reason, detail, payload FROM dead_letters ORDER BY reason").result_rows
    assert [(reason, detail) for reason, detail, _ in rows] == [
        ("bad_field", "ts has the wrong type"),
        ("not_json", "garbage"),
    ]
    stored = orjson.loads(rows[0][2])
    assert stored["ip"] == ""
    assert stored["user_agent"] == "curl/8"
    assert "203.0.113.9" not in rows[0][2]
    assert rows[1][2] == "\ufffd{oops"


def mirror_link(**changes: object) -> Link:
    now = datetime(2025, 5, 1, tzinfo=UTC)
    link = Link(
        id=LINK,
        tenant_id=TENANT,
        code="abc1234",
        destination_url="https://example.com/",
        title="Spring sale",
        expires_at=None,
        campaign="spring",
        contact_id=None,
        created_at=now,
        updated_at=now,
    )
    return replace(link, **changes)  # type: ignore[arg-type]


def mirror(client: Client) -> list[tuple[str, str, int]]:
    result = client.query("SELECT link_id, title, deleted FROM links FINAL ORDER BY link_id")
    return [(link, title, deleted) for link, title, deleted in result.result_rows]


def test_the_link_mirror_keeps_the_newest_version(clickhouse: Client) -> None:
    links = LinkMirror(clickhouse)
    later = datetime(2025, 5, 2, tzinfo=UTC)
    assert links.upsert([mirror_link()]) == 1
    links.upsert([mirror_link(title="Summer sale", updated_at=later)])
    links.upsert([mirror_link(title="stale replay")])
    assert mirror(clickhouse) == [(LINK, "Summer sale", 0)]


def test_deleting_a_link_removes_its_analytics_for_good(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    LinkMirror(clickhouse).upsert([mirror_link(), mirror_link(id=OTHER_LINK)])
    mine = [
        click(T0 + n * 60_000, f"v{n % 4}", is_bot=n % 5 == 0, country="BR", city="Rio", campaign="spring")
        for n in range(30)
    ]
    mine[1].contact_id = "c-1"  # a contact's click: the campaign funnel's rollup holds it too
    others = [click(T0 + n * 60_000 + 1, "w", link=OTHER_LINK) for n in range(7)]
    sink.insert(mine + others)
    assert all(count(clickhouse, table) > 0 for table in CLICK_DATA_TABLES)

    LinkDeletions(clickhouse).delete_link(TENANT, LINK)

    assert all(count(clickhouse, table) == 0 for table in CLICK_DATA_TABLES)
    queries = AnalyticsQueries(clickhouse)
    for use_rollups in (True, False):
        result = AnalyticsQueries(clickhouse, use_rollups).link_analytics(TENANT, LINK, *DAY, interval="hour")
        assert result["totals"] == {"total": 0, "unique": 0, "bots": 0}
        assert all(item["total"] == 0 for item in result["timeseries"])
        assert result["countries"] == result["cities"] == result["browsers"] == []
    assert queries.lifetime_clicks(TENANT, [LINK, OTHER_LINK]) == {LINK: 0, OTHER_LINK: 7}
    assert queries.click_log(TENANT, LINK) == ([], None)
    assert mirror(clickhouse) == [(OTHER_LINK, "Spring sale", 0)]  # its row is gone, names and all

    # A replay of the event log, to this sink or a new one, does not bring them back.
    assert sink.insert([replace(row) for row in mine]) == 0
    assert ClickIngest(clickhouse).insert([replace(row) for row in mine + others]) == 0
    late = click(T0 + 10 * 86_400_000, "v9")
    assert ClickIngest(clickhouse).insert([late]) == 0
    assert count(clickhouse) == 0
    assert totals(clickhouse, OTHER_LINK)["total"] == 7


def test_a_batch_racing_a_delete_purges_itself(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    rows = [click(T0 + n, "v") for n in range(5)]
    # The tombstone lands between the batch's check and its insert.
    original = sink.visits.history

    def delete_meanwhile() -> dict[tuple[str, str, str], int]:
        clickhouse.insert(
            "deleted_links",
            [[TENANT, LINK, datetime.now(UTC)]],
            column_names=["tenant_id", "link_id", "deleted_at"],
        )
        return original()

    sink.visits.history = delete_meanwhile  # type: ignore[method-assign]
    assert sink.insert(rows) == 0
    assert all(count(clickhouse, table) == 0 for table in CLICK_DATA_TABLES)


def test_clicks_of_a_tenant_that_collects_no_metadata(clickhouse: Client) -> None:
    ClickIngest(clickhouse).insert(
        [click(T0, "v"), click(T0 + 1, "v", is_bot=True, bot_kind="head", method="HEAD")]
    )
    result = AnalyticsQueries(clickhouse).link_analytics(TENANT, LINK, *DAY)
    assert result["totals"] == {"total": 2, "unique": 1, "bots": 1}
    assert result["countries"] == result["cities"] == result["locations"] == []
    assert result["browsers"] == result["platforms"] == result["os"] == [{"name": "Unknown", "clicks": 2}]
    assert result["referrers"] == [{"name": "Direct", "clicks": 2}]


def test_an_empty_batch_is_nothing(clickhouse: Client) -> None:
    sink = ClickIngest(clickhouse)
    assert sink.insert([]) == 0
    sink.dead_letter([])
    assert LinkMirror(clickhouse).upsert([]) == 0


def test_insert_accepts_many_links_and_visitors_in_one_batch(clickhouse: Client) -> None:
    rows: list[ClickRow] = [
        click(T0 + n, f"visitor{n % 997}", link=f"{n % 50:032x}", country="BR") for n in range(5000)
    ]
    assert ClickIngest(clickhouse).insert(rows) == 5000
    uniques = clickhouse.query("SELECT countIf(kind = 'unique') FROM clicks").result_rows[0][0]
    assert uniques == len({(row.link_id, row.visitor_id) for row in rows})
    assert AnalyticsQueries(clickhouse).lifetime_clicks(TENANT, [f"{0:032x}"]) == {f"{0:032x}": 100}


def test_a_huge_dead_letter_is_cut(clickhouse: Client) -> None:
    DeadLetterTable(clickhouse).store([("not_json", "flood", b"x" * 1_000_000)])
    assert clickhouse.query("SELECT length(payload) FROM dead_letters").result_rows == [(65_536,)]


def test_each_batch_step_is_timed(clickhouse: Client) -> None:
    first = click(T0, "a")
    ClickIngest(clickhouse).insert([first])
    # As if that insert had been cut off: it never recorded itself as finished.
    clickhouse.command("TRUNCATE TABLE inserted_clicks")
    again = ClickIngest(clickhouse)  # a restart: the batch comes again, with a new click
    again.insert([replace(first), click(T0 + 1, "b")])
    assert list(again.seconds) == [
        "distinct",
        "stage",
        "drop_deleted",
        "drop_stored",
        "repair_rollups",
        "classify_visits",
        "insert",
        "mark_inserted",
        "purge_deleted_since",
    ]
    assert all(seconds > 0 for seconds in again.seconds.values())


def test_a_batch_whose_insert_finished_is_not_compared_again(clickhouse: Client) -> None:
    batch = [click(T0, "a"), click(T0 + 1, "b")]
    ClickIngest(clickhouse).insert(batch)
    finished = clickhouse.query("SELECT replaceAll(toString(event_id), '-', '') FROM inserted_clicks")
    assert sorted(value for (value,) in finished.result_rows) == sorted(row.event_id for row in batch)
    again = ClickIngest(clickhouse)
    assert again.insert([replace(row) for row in batch]) == 0
    assert "repair_rollups" not in again.seconds
    assert totals(clickhouse) == {"total": 2, "unique": 2, "bots": 0}

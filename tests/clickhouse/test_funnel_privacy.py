"""A tenant that switched metadata collection off: its browser conversions are stored
without country, device, browser or OS (the IP and user agent are not even looked at),
and no conversion ever keeps the raw IP. Real GeoIP and user-agent readers, real chDB."""

from __future__ import annotations

import time

from consumer.enrich import Enricher
from consumer.funnel import FunnelSink, describer
from schemas.events import CONVERSION, FunnelEvent
from smartlinks.clickhouse import Client
from tests.consumer.conftest import CHROME, enricher, geo
from tests.support.funnel_events import funnel_event

__all__ = ["enricher", "geo"]

IP = "81.2.69.142"  # London in the test GeoIP database


def browser_conversion(conversion_id: str, collect_metadata: bool) -> FunnelEvent:
    return funnel_event(
        CONVERSION, "t-private", conversion_id, int(time.time() * 1000), campaign="spring", contact_id="c-1",
        name="signup", ip=IP, user_agent=CHROME, collect_metadata=collect_metadata,
    )  # fmt: skip


def text(value: object) -> str:
    # FixedString(2) (country) comes back as bytes, NUL-padded when empty.
    return (value.decode() if isinstance(value, bytes) else str(value)).replace("\x00", "")


def stored(clickhouse: Client) -> dict[str, dict[str, str]]:
    """Every column of every conversion, as text, by conversion id."""
    result = clickhouse.query("SELECT * FROM conversions")
    rows = [dict(zip(result.column_names, map(text, row), strict=True)) for row in result.result_rows]
    return {row["id"]: row for row in rows}


def test_a_browser_conversion_keeps_no_metadata_when_the_tenant_collects_none(
    clickhouse: Client, enricher: Enricher
) -> None:
    real = describer(enricher.geo, enricher.agents)
    described: list[tuple[str, str]] = []

    def describe(ip: str, user_agent: str) -> tuple[str, str, str, str]:
        described.append((ip, user_agent))
        return real(ip, user_agent)

    sink = FunnelSink(clickhouse, describe)
    sink.insert([browser_conversion("private", collect_metadata=False)])
    assert described == []
    sink.insert([browser_conversion("collected", collect_metadata=True)])
    assert described == [(IP, CHROME)]

    rows = stored(clickhouse)
    private, collected = rows["private"], rows["collected"]
    where = ("country", "device", "browser", "os")
    assert [private[name] for name in where] == ["", "", "", ""]
    # The same conversion from a tenant that collects: the readers would have found all four.
    assert [collected[name] for name in where] == ["GB", "desktop", "Chrome", "Windows"]
    # Counting still has what it needs.
    assert (private["campaign"], private["contact_id"], private["name"]) == ("spring", "c-1", "signup")
    # Neither keeps the IP or the user agent, in any column.
    for row in (private, collected):
        assert not any(IP in value or "Mozilla" in value for value in row.values())

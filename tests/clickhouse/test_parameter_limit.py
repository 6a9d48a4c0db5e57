"""Lists of ids sent as query parameters stay under a ClickHouse server's 128 KiB limit
(``http_max_field_value_size``): chDB has none, so a client that refuses what a server
would refuses it here, in front of the real chDB engine, and the funnel's queries are run
through it with batches bigger than one parameter holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from clickhouse_connect.driver.binding import format_bind_value

from consumer.funnel import FunnelSink
from schemas.events import CONVERSION, DELIVERED, FunnelEvent
from smartlinks.clickhouse import Client
from smartlinks.query_parameters import (
    MAX_PARAMETER_CHARS,
    pair_chars,
    parameter_batches,
    string_chars,
)
from smartlinks.recorded_events import recorded_ids
from tests.clickhouse.truth import TENANT
from tests.support.funnel_events import funnel_event

SERVER_LIMIT = 128 * 1024  # bytes of one parameter a server accepts by default
T0 = 1_743_465_600_000
AWKWARD = ["plain", "it's", "back\\slash", "ünïcödé", "tab\there", "🙂" * 3, ""]


class ParameterTooLarge(Exception):
    pass


class ServerLimitedClient:
    """The real client, but a parameter a ClickHouse server would refuse is refused."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.largest = 0

    def query(self, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        for value in (parameters or {}).values():
            size = len(format_bind_value(value).encode())
            self.largest = max(self.largest, size)
            if size > SERVER_LIMIT:
                raise ParameterTooLarge(f"{size} bytes")
        return self.client.query(sql, parameters=parameters, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def ids(count: int, width: int = 40) -> list[str]:
    return [f"{AWKWARD[n % len(AWKWARD)]}-{n}".ljust(width, "x") for n in range(count)]


@pytest.mark.parametrize("text", [*AWKWARD, "'" * 50, "\\" * 50, "\x00\x01", "a" * 300])
def test_a_strings_estimate_is_never_below_what_it_takes(text: str) -> None:
    # An element's share of "['a', 'b']": its quoted, escaped text and the ", " after it.
    assert string_chars(text) >= len(format_bind_value([text]).encode()) - len("[]") + len(", ")
    pair = (text, text[::-1])
    assert pair_chars(pair) >= len(format_bind_value([pair]).encode()) - len("[]") + len(", ")


def test_batches_keep_every_value_in_order_and_each_fits() -> None:
    values = ids(20_000)
    batches = list(parameter_batches(values, string_chars))
    assert [value for batch in batches for value in batch] == values
    assert len(batches) > 1
    assert all(len(format_bind_value(batch).encode()) <= SERVER_LIMIT for batch in batches)
    assert all(sum(string_chars(value) for value in batch) <= MAX_PARAMETER_CHARS for batch in batches)
    # A value bigger than the limit goes alone rather than being lost.
    huge = "y" * (MAX_PARAMETER_CHARS + 1)
    assert list(parameter_batches(["a", huge, "b"], string_chars)) == [["a"], [huge], ["b"]]


def test_recorded_ids_of_a_big_batch_fit_a_servers_limit(clickhouse: Client) -> None:
    wanted = ids(12_000)
    assert len(format_bind_value(wanted).encode()) > SERVER_LIMIT  # one parameter would be refused
    sent = [wanted[0], wanted[5_000], wanted[-1]]
    FunnelSink(clickhouse).insert([funnel_event(DELIVERED, TENANT, event_id, T0) for event_id in sent])

    limited = ServerLimitedClient(clickhouse)
    assert recorded_ids(limited, TENANT, wanted) == set(sent)  # type: ignore[arg-type]
    assert 0 < limited.largest <= SERVER_LIMIT


def test_a_funnel_batch_of_ten_thousand_conversions_fits_a_servers_limit(clickhouse: Client) -> None:
    conversions: Sequence[FunnelEvent] = [
        funnel_event(
            CONVERSION,
            TENANT,
            event_id,
            T0,
            campaign=f"campaign {n % 3}",
            contact_id=f"contact-{n}".ljust(30, "z"),
        )
        for n, event_id in enumerate(ids(10_000))
    ]
    limited = ServerLimitedClient(clickhouse)
    sink = FunnelSink(limited)  # type: ignore[arg-type]

    first = sink.insert(conversions)  # fresh ids, last clicks by (campaign, contact)
    assert len(first.conversions or ()) == 10_000
    again = sink.insert(conversions)  # every id known: the stored conversions read back
    assert again.count == 0 and len(again.known_conversions or ()) == 10_000
    assert {stored.attribution for stored in again.known_conversions or ()} == {"sent"}
    assert 0 < limited.largest <= SERVER_LIMIT
    stored = clickhouse.query("SELECT count() FROM conversions").result_rows[0][0]
    assert stored == 10_000

"""Deliveries and conversions into ClickHouse: de-duplicated by the sender's id, and each
conversion attributed to the click it follows.

A conversion finds its click, in this order:

1. ``click_id``: the click whose event id the site sent back (the ``sl_click`` parameter
   the redirect appended); the click's link, campaign and contact are the conversion's.
2. ``last_click``: the contact's last human click on a link of the conversion's campaign
   within the tenant's attribution window before the conversion.
3. ``sent``: no click; the campaign and contact as the sender gave them.

A conversion whose click id names a click not stored yet may be left out of the insert,
to wait for its click (``may_wait``; the funnel consumer's hold, consumer/funnel_hold.py):
the click consumer reads its own topic or log and may be behind.

A click of a deleted link is gone, so a conversion sent later falls through to 2 or 3;
conversions recorded before the deletion lose their click there
(``LinkDeletions.delete_link``, consumer/link_changes.py).

The methods are synchronous; the consumer calls them from a worker thread.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from consumer.dedup import FINISHED_TABLE
from consumer.enrich.geo import GeoLocator
from consumer.enrich.useragent import UserAgentParser
from schemas.clickhouse import CONVERSION_COLUMNS, DELIVERY_COLUMNS
from schemas.events import CONVERSION, DELIVERED, FunnelEvent
from smartlinks.clickhouse import Client
from smartlinks.ids import HEX_ID
from smartlinks.models import from_ms
from smartlinks.query_parameters import UUID_CHARS, pair_chars, parameter_batches, string_chars
from smartlinks.recorded_events import recorded_ids

# Country, device, browser and OS of a browser conversion, from its IP and user agent.
Describe = Callable[[str, str], tuple[str, str, str, str]]
_NO_DESCRIPTION = ("", "", "", "")
_EPOCH_MS = 0
# Whether a conversion whose click id names no stored click may wait for it.
MayWait = Callable[[FunnelEvent], bool]

READS: dict[str, set[str]] = {
    "clicks": {"tenant_id", "event_id", "link_id", "campaign", "contact_id", "ts", "is_bot"},
    FINISHED_TABLE: {"event_id"},
    "deliveries": {"tenant_id", "id"},
    "conversions": {"tenant_id", "id"},
}


def describer(geo: GeoLocator, agents: UserAgentParser) -> Describe:
    """Country, device, browser and OS from the enrichment's own readers (and caches)."""

    def describe(ip: str, user_agent: str) -> tuple[str, str, str, str]:
        country = geo.lookup(ip).country if ip else ""
        if not user_agent:
            return country, "", "", ""
        agent = agents.parse(user_agent)
        return country, agent.device, agent.browser, agent.os

    return describe


@dataclass(frozen=True, slots=True)
class Click:
    event_id: str
    link_id: str
    campaign: str
    contact_id: str
    ts: int  # ms


@dataclass(slots=True)
class StoredConversion:
    """A conversion as ClickHouse now holds it: what a ``conversion.recorded`` trigger needs."""

    event: FunnelEvent
    campaign: str
    contact_id: str
    link_id: str
    click_id: str
    click_ts: int  # ms; 0 without a click
    attribution: str


@dataclass(slots=True)
class FunnelInserted:
    """What an insert did: the deliveries and conversions that were new, and the
    conversions of the batch ClickHouse held already (a batch offered again after a crash
    between the insert and the triggers), so the triggers get their second chance too;
    ``waiting``, the new conversions left out to wait for their clicks."""

    deliveries: int = 0
    conversions: list[StoredConversion] | None = None
    known_conversions: list[StoredConversion] | None = None
    waiting: list[FunnelEvent] | None = None

    @property
    def count(self) -> int:
        return self.deliveries + len(self.conversions or ())

    def all_conversions(self) -> list[StoredConversion]:
        return [*(self.known_conversions or ()), *(self.conversions or ())]


class FunnelSink:
    def __init__(self, client: Client, describe: Describe | None = None) -> None:
        self.client = client
        self.describe = describe

    def insert(self, events: Sequence[FunnelEvent], may_wait: MayWait | None = None) -> FunnelInserted:
        """Store the new events; a conversion whose click id names no stored click is left
        out (``waiting``) when ``may_wait`` says it may wait for that click."""
        fresh, known = self._fresh(events)
        deliveries = [event for event in fresh if event.type == DELIVERED]
        conversions, waiting = self.attribute([e for e in fresh if e.type == CONVERSION], may_wait)
        if deliveries:
            self.client.insert(
                "deliveries", _delivery_columns(deliveries), DELIVERY_COLUMNS, column_oriented=True
            )
        if conversions:
            rows = [self._conversion_row(stored) for stored in conversions]
            self.client.insert("conversions", rows, CONVERSION_COLUMNS)
        known_conversions = self._stored([e for e in known if e.type == CONVERSION])
        return FunnelInserted(len(deliveries), conversions, known_conversions, waiting)

    def _stored(self, events: list[FunnelEvent]) -> list[StoredConversion]:
        """Conversions ClickHouse holds, as it holds them (their attribution was decided
        when they were first inserted)."""
        by_tenant: dict[str, dict[str, FunnelEvent]] = defaultdict(dict)
        for event in events:
            by_tenant[event.tenant_id][event.id] = event
        stored: list[StoredConversion] = []
        for tenant_id, by_id in by_tenant.items():
            rows: list[Sequence[Any]] = []
            for ids in parameter_batches(sorted(by_id), string_chars):
                rows += self.client.query(
                    "SELECT id, campaign, contact_id, link_id, click_id, toUnixTimestamp64Milli(click_ts),"
                    " toString(attribution) FROM conversions"
                    " WHERE tenant_id = {tenant:String} AND id IN {ids:Array(String)} LIMIT 1 BY id",
                    parameters={"tenant": tenant_id, "ids": ids},
                ).result_rows
            for event_id, campaign, contact, link_id, click_id, click_ts, how in rows:
                stored.append(
                    StoredConversion(by_id[event_id], campaign, contact, link_id, click_id, click_ts, how)
                )
        return stored

    def _fresh(self, events: Sequence[FunnelEvent]) -> tuple[list[FunnelEvent], list[FunnelEvent]]:
        """Each (tenant, id) once: those ClickHouse does not hold yet, and those it holds
        (a redelivery, or an id sent again)."""
        first: dict[tuple[str, str], FunnelEvent] = {}
        for event in events:
            first.setdefault((event.tenant_id, event.id), event)
        by_tenant: dict[str, list[str]] = defaultdict(list)
        for tenant_id, event_id in first:
            by_tenant[tenant_id].append(event_id)
        known = {
            (tenant_id, event_id)
            for tenant_id, ids in by_tenant.items()
            for event_id in recorded_ids(self.client, tenant_id, ids)
        }
        fresh = [event for key, event in first.items() if key not in known]
        return fresh, [event for key, event in first.items() if key in known]

    # -- attribution -------------------------------------------------------------------

    def attribute(
        self, conversions: list[FunnelEvent], may_wait: MayWait | None = None
    ) -> tuple[list[StoredConversion], list[FunnelEvent]]:
        """Each conversion with its click, and those left to wait for theirs."""
        by_id = self._clicks_by_id([event for event in conversions if event.click_id])
        stored: list[StoredConversion] = []
        unmatched: list[FunnelEvent] = []
        for event in conversions:
            click = by_id.get((event.tenant_id, event.click_id or ""))
            if click is not None:
                stored.append(_attributed(event, click, "click_id"))
            else:
                unmatched.append(event)
        waiting = self._waiting(unmatched, may_wait) if may_wait is not None else []
        if waiting:
            held = {(event.tenant_id, event.id) for event in waiting}
            unmatched = [event for event in unmatched if (event.tenant_id, event.id) not in held]
        last = self._last_clicks([event for event in unmatched if event.campaign and event.contact_id])
        for event in unmatched:
            click = last.get(event.id)
            if click is not None:
                stored.append(_attributed(event, click, "last_click"))
            else:
                campaign, contact = event.campaign or "", event.contact_id or ""
                stored.append(StoredConversion(event, campaign, contact, "", "", _EPOCH_MS, "sent"))
        return stored, waiting

    def _waiting(self, unmatched: list[FunnelEvent], may_wait: MayWait) -> list[FunnelEvent]:
        waiting = [event for event in unmatched if event.click_id and may_wait(event)]
        if not waiting:
            return []
        # Recorded, yet not found for this tenant: another tenant's click, or one of a
        # deleted link. It is not coming.
        elsewhere = self.recorded_clicks(event.click_id or "" for event in waiting)
        return [event for event in waiting if event.click_id not in elsewhere]

    def recorded_clicks(self, click_ids: Iterable[str]) -> set[str]:
        """Those of ``click_ids`` whose click insert has finished, whatever the tenant: a
        primary-key lookup in ``inserted_clicks`` (consumer/dedup.py), which also holds the
        ids of clicks of deleted links, never stored."""
        found: set[str] = set()
        # Anything but a click id as the redirect writes it names no click (and would not
        # parse as a UUID in the query).
        valid = sorted({c for c in click_ids if HEX_ID.fullmatch(c)})
        for chunk in parameter_batches(valid, _uuid_chars):
            rows = self.client.query(
                f"SELECT DISTINCT lower(hex(event_id)) FROM {FINISHED_TABLE}"
                " WHERE event_id IN {ids:Array(UUID)}",
                parameters={"ids": [_uuid(click_id) for click_id in chunk]},
            ).result_rows
            found.update(row[0] for row in rows)
        return found

    def _clicks_by_id(self, events: list[FunnelEvent]) -> dict[tuple[str, str], Click]:
        found: dict[tuple[str, str], Click] = {}
        by_tenant: dict[str, set[str]] = defaultdict(set)
        for event in events:
            if HEX_ID.fullmatch(event.click_id or ""):
                by_tenant[event.tenant_id].add(event.click_id or "")
        for tenant_id, ids in by_tenant.items():
            for chunk in parameter_batches(sorted(ids), _uuid_chars):
                # No time bound from the UUIDv7's clock: ids are bumped to stay monotonic,
                # so their time may run ahead of the click's; the bloom index finds them anyway.
                rows = self.client.query(
                    "SELECT lower(hex(event_id)), link_id, campaign, contact_id, toUnixTimestamp64Milli(ts)"
                    " FROM clicks WHERE tenant_id = {tenant:String} AND event_id IN {ids:Array(UUID)}",
                    parameters={"tenant": tenant_id, "ids": [_uuid(click_id) for click_id in chunk]},
                ).result_rows
                for event_id, link_id, campaign, contact, ts in rows:
                    found[(tenant_id, event_id)] = Click(event_id, link_id, campaign, contact, ts)
        return found

    def _last_clicks(self, events: list[FunnelEvent]) -> dict[str, Click]:
        """Each conversion's contact's last human click on the campaign in its window."""
        found: dict[str, Click] = {}
        by_tenant: dict[str, list[FunnelEvent]] = defaultdict(list)
        for event in events:
            by_tenant[event.tenant_id].append(event)
        batches = (
            (tenant_id, part)
            for tenant_id, group in by_tenant.items()
            for part in parameter_batches(sorted(group, key=_pair), lambda event: pair_chars(_pair(event)))
        )
        for tenant_id, part in batches:
            rows = self.client.query(
                "SELECT lower(hex(event_id)), link_id, campaign, contact_id, toUnixTimestamp64Milli(ts)"
                " FROM clicks WHERE tenant_id = {tenant:String} AND NOT is_bot"
                " AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')"
                " AND ts <= fromUnixTimestamp64Milli({end:Int64}, 'UTC')"
                " AND (campaign, contact_id) IN {pairs:Array(Tuple(String, String))}",
                parameters={
                    "tenant": tenant_id,
                    "start": min(event.at - event.attribution_window_ms for event in part),
                    "end": max(event.at for event in part),
                    "pairs": sorted({_pair(event) for event in part}),
                },
            ).result_rows
            clicks: dict[tuple[str, str], list[Click]] = defaultdict(list)
            for event_id, link_id, campaign, contact, ts in rows:
                clicks[(campaign, contact)].append(Click(event_id, link_id, campaign, contact, ts))
            for event in part:
                candidates = [
                    click
                    for click in clicks.get(_pair(event), ())
                    if event.at - event.attribution_window_ms <= click.ts <= event.at
                ]
                if candidates:
                    found[event.id] = max(candidates, key=lambda click: (click.ts, click.event_id))
        return found

    # -- rows ----------------------------------------------------------------------------

    def _conversion_row(self, stored: StoredConversion) -> list[Any]:
        event = stored.event
        country, device, browser, os = _NO_DESCRIPTION
        if event.collect_metadata and self.describe is not None and (event.ip or event.user_agent):
            country, device, browser, os = self.describe(event.ip, event.user_agent)
        values: dict[str, Any] = {
            "tenant_id": event.tenant_id,
            "campaign": stored.campaign,
            "ts": from_ms(event.at),
            "id": event.id,
            "name": event.name or "",
            "contact_id": stored.contact_id,
            "link_id": stored.link_id,
            "click_id": stored.click_id,
            "click_ts": from_ms(stored.click_ts),
            "attribution": stored.attribution,
            "value": Decimal(event.value) if event.value is not None else Decimal(0),
            "currency": event.currency or "",
            "country": country if len(country) == 2 else "",
            "device": device,
            "browser": browser,
            "os": os,
            "received_at": from_ms(event.received_at),
        }
        return [values[name] for name in CONVERSION_COLUMNS]


def _attributed(event: FunnelEvent, click: Click, how: str) -> StoredConversion:
    campaign = click.campaign or event.campaign or ""
    contact = click.contact_id or event.contact_id or ""
    return StoredConversion(event, campaign, contact, click.link_id, click.event_id, click.ts, how)


def _delivery_columns(events: list[FunnelEvent]) -> list[list[Any]]:
    values: dict[str, list[Any]] = {
        "tenant_id": [event.tenant_id for event in events],
        "campaign": [event.campaign or "" for event in events],
        "ts": [from_ms(event.at) for event in events],
        "id": [event.id for event in events],
        "contact_id": [event.contact_id or "" for event in events],
        "message_id": [event.message_id or "" for event in events],
        "received_at": [from_ms(event.received_at) for event in events],
    }
    return [values[name] for name in DELIVERY_COLUMNS]


def _uuid_chars(_: str) -> int:
    return UUID_CHARS


def _pair(event: FunnelEvent) -> tuple[str, str]:
    return event.campaign or "", event.contact_id or ""


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"

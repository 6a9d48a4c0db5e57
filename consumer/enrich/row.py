"""The enriched click: what the consumer writes to ClickHouse for one click event, and a
click ClickHouse holds (``StoredClick``), which the click triggers act on.

Never the raw IP: it becomes a location and a visitor id inside the enricher and stops
there. Missing values are empty strings (``None`` only for coordinates), because the
columns are plain ``String`` / ``LowCardinality(String)``, cheaper than ``Nullable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(slots=True)
class ClickRow:
    event_id: str
    ts: int  # Unix milliseconds, UTC
    tenant_id: str
    link_id: str
    code: str
    campaign: str = ""
    contact_id: str = ""
    method: str = "GET"
    # '' for a person, else one of bots.BOT_KINDS (head, empty_ua, preview, cli, crawler,
    # ...) and the rule that decided, one of bots.BOT_REASONS.
    is_bot: bool = False
    bot_kind: str = ""
    bot_reason: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    region: str = ""  # first subdivision's English name
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None
    # desktop | mobile | tablet | other; '' when the tenant does not collect metadata.
    device: str = ""
    browser: str = ""  # one of useragent.BROWSERS
    browser_version: str = ""  # major only
    os: str = ""  # one of useragent.OPERATING_SYSTEMS
    os_version: str = ""  # major only
    referrer_host: str = ""
    visitor_id: str = ""
    # Set by the classify_visits step (consumer/enrich/visits.py), once the batch's
    # visitor history is known: unique | repeat | bot, and this visitor's previous click on
    # the link, overall and in this country (Unix ms; 0 when there is none).
    kind: str = ""
    visitor_prev_ts: int = 0
    visitor_prev_country_ts: int = 0
    # The A/B variant's destination_url as the link's client sent it; '' for none. Decided
    # by the redirector (the click event's ``variant``) and passed through as it is.
    variant: str = ""


class StoredClick(NamedTuple):
    """A click ClickHouse holds, with the kind it was stored as: unique, repeat or bot.

    A named tuple: one is made per click of every batch, and a frozen dataclass cost
    ~1 µs each to build (its ``__init__`` sets fields through ``object.__setattr__``)."""

    row: ClickRow
    kind: str

"""A tenant's settings as the API shows them, and a change to them."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from api.bodies.fields import END, NOT_BLANK, Body, documented
from api.bodies.reading import RequestBody

# The click id rides in the destination's query string: a name that needs no escaping
# there, and that a site's code can read back as it was written.
CLICK_ID_PARAM = f"^[A-Za-z0-9_.-]{{1,64}}{END}"
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 1, 365

CollectMetadata = bool
ConversionTracking = Annotated[
    bool, Meta(description="The default `conversion_tracking` of new links (existing links keep theirs).")
]
ClickIdParam = Annotated[
    str,
    Meta(
        pattern=CLICK_ID_PARAM,
        description="The query parameter a tracked link's redirect puts the click id under.",
    ),
]
AttributionWindowDays = Annotated[
    int,
    Meta(
        ge=MIN_WINDOW_DAYS,
        le=MAX_WINDOW_DAYS,
        description="How far back a conversion without a click id looks for its contact's last click"
        " on the campaign.",
    ),
]

# Tenant-marked bots: enough for a team's monitors and QA, few enough that every click's
# check stays a handful of substring tests.
MAX_BOT_RULES, MAX_BOT_USER_AGENT = 100, 200
# An IPv4 or IPv6 address, with or without a prefix length. The document states it as a
# pattern; api.settings_routes holds each entry to it and then parses it (the code
# invalid_bot_ip_range), so nothing the pattern refuses gets in, nor anything Python's
# ipaddress cannot read.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = (
    rf"(?:(?:{_H}:){{7}}{_H}|(?:{_H}:){{1,7}}:|(?:{_H}:){{1,6}}:{_H}|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}|:(?:(?::{_H}){{1,7}}|:)|::(?:ffff(?::0{{1,4}})?:)?{_IPV4}"
    rf"|(?:{_H}:){{1,4}}:{_IPV4})"
)
IP_RANGE = rf"{_IPV4}(?:/(?:3[0-2]|[12]?[0-9]))?|{_IPV6}(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?"

BotUserAgents = Annotated[
    list[Annotated[str, Meta(max_length=MAX_BOT_USER_AGENT, pattern=NOT_BLANK)]],
    Meta(
        max_length=MAX_BOT_RULES,
        description="Clients of your own that are no people (monitors, QA): a click whose user agent"
        " contains one of these (case-insensitive) counts as a bot, with bot_reason `tenant_ua`.",
    ),
]
BotIpRanges = Annotated[
    list[
        Annotated[str, documented("An IP address or network in CIDR notation.", pattern=f"^(?:{IP_RANGE})$")]
    ],
    Meta(
        max_length=MAX_BOT_RULES,
        description="A click from one of these networks counts as a bot, with bot_reason `tenant_ip`."
        " Kept as the networks they mean (203.0.113.7/24 reads back as 203.0.113.0/24).",
    ),
]


class Settings(Body):
    collect_metadata: CollectMetadata
    conversion_tracking: ConversionTracking
    click_id_param: ClickIdParam
    attribution_window_days: AttributionWindowDays
    bot_user_agents: BotUserAgents
    bot_ip_ranges: BotIpRanges


class SettingsPatch(RequestBody):
    """Settings left out stay as they are. A change reaches every redirector within a second
    (links cached with the old `click_id_param` are read again), and the consumer, which
    counts clicks matching the new bot rules as bots from its next click on."""

    collect_metadata: CollectMetadata | UnsetType = UNSET
    conversion_tracking: ConversionTracking | UnsetType = UNSET
    click_id_param: ClickIdParam | UnsetType = UNSET
    attribution_window_days: AttributionWindowDays | UnsetType = UNSET
    bot_user_agents: BotUserAgents | UnsetType = UNSET
    bot_ip_ranges: BotIpRanges | UnsetType = UNSET
    refusals = {
        "click_id_param": "invalid_click_id_param",
        "attribution_window_days": "invalid_attribution_window",
        "bot_user_agents": "too_many_bot_rules",
        "bot_ip_ranges": "too_many_bot_rules",
        "bot_user_agents[]": "blank",
    }
    explanations = {
        "click_id_param": "click_id_param must be 1-64 ASCII letters, digits, '_', '.' or '-'.",
        "attribution_window_days": (
            f"attribution_window_days must be from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}."
        ),
    }

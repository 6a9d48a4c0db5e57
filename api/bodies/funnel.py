"""A campaign's or a link's funnel (delivered → clicked → converted), as the API shows it.
The range and the per-link rows are built as Structs; the figures come from the ClickHouse
queries (api/analytics/funnel.py) as plain dicts in these shapes."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, field

from api.bodies.analytics import Interval
from api.bodies.campaigns import LINK_TABLE_LIMIT
from api.bodies.fields import END, Body, Count, Time

_CONTACTS = "Distinct contacts (non-empty contact_id)"
# A share or a duration: none when there is nothing to divide by or measure.
Rate = Annotated[float, Meta(ge=0)] | None


class FunnelRange(Body):
    """An analytics range without exclude_bots: a bot never counts in a funnel."""

    start: Time = field(name="from")
    end: Time = field(name="to")
    interval: Interval
    tz: str


class Revenue(Body):
    currency: Annotated[str, Meta(pattern=f"^[A-Z]{{3}}{END}")]
    value: Annotated[
        str,
        Meta(
            pattern=rf"^[0-9]+(\.[0-9]+)?{END}",
            description="A decimal string, exact: as many decimals as the currency's minor unit (2 for"
            " EUR, 0 for JPY, 3 for KWD), more only when the sum has nonzero digits beyond it (values"
            " keep 4).",
        ),
    ]


class FunnelBucket(Body):
    t: Annotated[str, Meta(description="The bucket's start in `tz`, with its offset (`Z` in UTC).")]
    delivered: Count
    clicked: Count
    converted: Count


class FunnelLink(Body):
    link_id: str
    code: str
    clicked: Annotated[Count, Meta(description=f"{_CONTACTS} who clicked the link in range.")]
    converted: Annotated[Count, Meta(description=f"{_CONTACTS} with conversions attributed to the link.")]


class Funnel(Body):
    """Delivered → clicked → converted, in distinct contacts; each step counts on its own (a
    contact may click without a delivery report in range)."""

    range: FunnelRange
    delivered: Annotated[
        Count,
        Meta(
            description=f"{_CONTACTS} with a delivery in range. For a link: its contact, if delivered"
            " in the link's campaign (0 for a link without a campaign)."
        ),
    ]
    clicked: Annotated[
        Count,
        Meta(
            description=f"{_CONTACTS} with a human click in range on the campaign's links (the"
            " link's); a bot's click never makes a contact clicked."
        ),
    ]
    converted: Annotated[
        Count,
        Meta(description=f"{_CONTACTS} with a conversion in range attributed to the campaign (the link)."),
    ]
    click_rate: Annotated[Rate, Meta(description="clicked / delivered; null when delivered is 0.")]
    conversion_rate: Annotated[Rate, Meta(description="converted / clicked; null when clicked is 0.")]
    conversions: Annotated[Count, Meta(description="Conversion events in range, with a contact or not.")]
    revenue: Annotated[
        list[Revenue], Meta(description="The conversions' values summed per currency, by currency code.")
    ]
    median_time_to_click_s: Annotated[
        Rate,
        Meta(
            description="Over the contacts with a delivery and a later click in range: the median"
            " seconds from their first delivery to their first click after it (to the millisecond;"
            " the mean of the middle two for an even count). null for no such contact."
        ),
    ]
    median_time_to_convert_s: Annotated[
        Rate,
        Meta(
            description="Over the contacts with a click and a later conversion in range: the median"
            " seconds from their first click to their first conversion after it. null for none."
        ),
    ]
    timeseries: Annotated[
        list[FunnelBucket],
        Meta(
            description="Every bucket of the range in order, empty ones included. Each step counts the"
            " distinct contacts with that step in the bucket, so a contact may count in several buckets."
        ),
    ]
    links: Annotated[
        list[FunnelLink],
        Meta(
            description="The campaign's live links, most clicked first (then most converted, then"
            f" oldest first), at most {LINK_TABLE_LIMIT}; for a link, the link alone."
        ),
    ]
    links_truncated: Annotated[
        bool,
        Meta(
            description=f"Whether the campaign has more live links than `links` holds ({LINK_TABLE_LIMIT});"
            " always false for a link."
        ),
    ]

"""A tenant's campaigns and one campaign's analytics, as the API shows them. The list's
items and the per-link table are built as Structs; the analytics' figures come from the
ClickHouse queries (api/analytics/) as plain dicts in these shapes, as a link's do."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from api.bodies.analytics import Breakdowns, Totals
from api.bodies.fields import Body, Count, NextCursor, Time
from api.bodies.links import LinkRef

# Rows of a campaign's per-link table; `links_truncated` says when it has more links.
LINK_TABLE_LIMIT = 500


class CampaignSummary(Body):
    campaign: str
    links: Annotated[Count, Meta(description="Live links with this campaign.")]
    total: Annotated[Count, Meta(description="Lifetime clicks of those links, bots included.")]
    unique: Annotated[Count, Meta(description="Lifetime unique visitors: the sum over the links.")]
    bots: Count
    first_link_at: Annotated[Time, Meta(description="When the oldest live link was created.")]
    last_link_at: Annotated[Time, Meta(description="When the newest live link was created.")]


class CampaignList(Body):
    items: list[CampaignSummary]
    next_cursor: NextCursor


class CampaignLink(LinkRef):
    contact_id: str | None
    total: Annotated[Count, Meta(description="Clicks in range (humans only with exclude_bots).")]
    unique: Count
    bots: Count


class CampaignName(Body):
    campaign: str
    links: Count


class CampaignTotals(Totals):
    contacts: Annotated[
        Count,
        Meta(
            description="Distinct contacts (non-empty contact_id) who clicked in range;"
            " with exclude_bots, who clicked as people."
        ),
    ]


class CampaignAnalytics(Breakdowns):
    """The link analytics of the campaign's live links: every figure is the sum of the
    links' own, so `unique` is the sum of each link's unique visitors (a person who clicks
    two links counts on each). Links deleted since are left out, clicks and all."""

    campaign: CampaignName
    totals: CampaignTotals
    links: Annotated[
        list[CampaignLink],
        Meta(
            description="The campaign's live links, most clicks in range first (then oldest first),"
            f" at most {LINK_TABLE_LIMIT}."
        ),
    ]
    links_truncated: Annotated[
        bool, Meta(description=f"Whether the campaign has more than {LINK_TABLE_LIMIT} links.")
    ]

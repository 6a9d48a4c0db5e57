"""A tenant's tags and one tag's analytics, as the API shows them: a tag's analytics are
a campaign's (api/bodies/campaigns.py) over the tag's live links."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from api.bodies.analytics import Breakdowns
from api.bodies.campaigns import LINK_TABLE_LIMIT, CampaignLink, CampaignTotals
from api.bodies.fields import Body, Count


class TagSummary(Body):
    tag: Annotated[str, Meta(description="As the links have it (the first in sort order of its spellings).")]
    links: Annotated[Count, Meta(description="Live links with this tag.")]


class TagList(Body):
    items: Annotated[list[TagSummary], Meta(description="Every tag of the tenant's live links, by tag.")]


class TagName(Body):
    tag: str
    links: Count


class TagAnalytics(Breakdowns):
    """The link analytics of the tag's live links (matched case-insensitively), in the shape
    of a campaign's: every figure is the sum of the links' own. Links deleted or untagged
    since are left out, clicks and all."""

    tag: TagName
    totals: CampaignTotals
    links: Annotated[
        list[CampaignLink],
        Meta(
            description="The tag's live links, most clicks in range first (then oldest first),"
            f" at most {LINK_TABLE_LIMIT}."
        ),
    ]
    links_truncated: Annotated[
        bool, Meta(description=f"Whether the tag has more than {LINK_TABLE_LIMIT} links.")
    ]

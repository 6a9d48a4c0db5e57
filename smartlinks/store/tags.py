"""Link tags in the store: the ``link_tags`` rows kept beside each link's own list, and the
reads over them (a tag's links, the tenant's tags with counts).

A link keeps its tags as given in its own row (read with the link, no join); ``link_tags``
holds one row per (tenant, casefolded tag, link) so that a filter by tag walks the primary
key newest link first, on SQLite and PostgreSQL alike. Rows are written in the link's own
transaction and deleted with the link, so only live links are ever found by a tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smartlinks.models import Link
from smartlinks.store.database import Database, Transaction

_INSERT = "INSERT INTO link_tags (tenant_id, tag, link_id, label)"
_TYPES = ("text", "text", "text", "text")


def fold(tag: str) -> str:
    """What tags are matched by: case-insensitively, Unicode included."""
    return tag.casefold()


async def add_tags(tx: Transaction, links: Sequence[Link]) -> None:
    """The ``link_tags`` rows of new links."""
    values = [(link.tenant_id, fold(tag), link.id, tag) for link in links for tag in link.tags]
    if values:
        await tx.insert_later(_INSERT, _TYPES, values)


async def drop_tags(tx: Transaction, link_id: str) -> None:
    await tx.execute("DELETE FROM link_tags WHERE link_id = ?", (link_id,))


async def replace_tags(tx: Transaction, link: Link) -> None:
    """The rows of an edited link's new list."""
    await drop_tags(tx, link.id)
    await add_tags(tx, [link])


@dataclass(frozen=True, slots=True)
class TagSummary:
    tag: str  # as the links have it (the smallest of its spellings, if several)
    links: int  # live links with it


class TagStore:
    """The reads over tags; writes go with the links' (``LinkStore``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def link_ids(self, tenant_id: str, tag: str) -> list[str]:
        """The ids of the tenant's live links with ``tag`` (any case), oldest first."""
        found = await self.db.all(
            "SELECT link_id FROM link_tags WHERE tenant_id = ? AND tag = ? ORDER BY link_id",
            (tenant_id, fold(tag)),
        )
        return [row["link_id"] for row in found]

    async def list_tags(self, tenant_id: str) -> list[TagSummary]:
        """The tenant's tags with their live links, by tag."""
        found = await self.db.all(
            "SELECT tag, min(label) AS label, count(*) AS links FROM link_tags WHERE tenant_id = ?"
            " GROUP BY tag ORDER BY tag",
            (tenant_id,),
        )
        return [TagSummary(row["label"], int(row["links"])) for row in found]

"""How the API learns a link's lifetime click total, without depending on analytics."""

from __future__ import annotations

from typing import Protocol


class ClickCounter(Protocol):
    async def lifetime_clicks(self, tenant_id: str, link_ids: list[str]) -> dict[str, int]:
        """Total clicks per link id; ids without clicks may be left out."""


class ZeroClickCounter:
    """Stands in until analytics is wired: every link has 0 clicks."""

    async def lifetime_clicks(self, tenant_id: str, link_ids: list[str]) -> dict[str, int]:
        return dict.fromkeys(link_ids, 0)

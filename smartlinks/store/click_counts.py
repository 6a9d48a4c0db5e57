"""The click counter behind ``max_clicks`` (``store.click_counts``): one row a limited link,
the human clicks already handed out to redirectors, written once for every engine.

A redirector does not ask per click: it leases a block (``lease``) and spends it in memory
(``redirector/click_budget.py``). A lease never grants past the limit, so however many
redirectors share the store the clicks they let through never exceed ``max_clicks``; what
one of them holds unspent is handed back on a clean shutdown (``give_back``).
"""

from __future__ import annotations

from dataclasses import dataclass

from smartlinks.store.database import Database


@dataclass(frozen=True, slots=True)
class Lease:
    granted: int  # clicks this redirector may let through; 0: the link is used up
    left: int  # clicks still unleased in the store after this lease


class ClickCounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def lease(self, link_id: str, max_clicks: int, want: int) -> Lease:
        """Up to ``want`` clicks of ``link_id``, never past ``max_clicks`` in all."""
        async with self.db.transaction() as tx:
            # The upsert both creates the row and, on PostgreSQL, locks it until commit: two
            # redirectors leasing the same link at once queue here instead of both reading
            # the same count. SQLite's transaction holds its one write lock already.
            row = await tx.one(
                "INSERT INTO link_click_counts (link_id, used) VALUES (?, 0) ON CONFLICT (link_id)"
                " DO UPDATE SET used = link_click_counts.used RETURNING used",
                (link_id,),
            )
            used = 0 if row is None else int(row["used"])
            granted = max(0, min(want, max_clicks - used))
            if granted:
                await tx.execute(
                    "UPDATE link_click_counts SET used = used + ? WHERE link_id = ?", (granted, link_id)
                )
        return Lease(granted, max(0, max_clicks - used - granted))

    async def give_back(self, link_id: str, clicks: int) -> None:
        """Return clicks leased and not spent, so other redirectors may lease them."""
        if clicks <= 0:
            return
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE link_click_counts SET used = CASE WHEN used > ? THEN used - ? ELSE 0 END"
                " WHERE link_id = ?",
                (clicks, clicks, link_id),
            )

    async def used(self, link_id: str) -> int:
        """Clicks handed out so far (spent, or leased and not given back)."""
        row = await self.db.one("SELECT used FROM link_click_counts WHERE link_id = ?", (link_id,))
        return 0 if row is None else int(row["used"])

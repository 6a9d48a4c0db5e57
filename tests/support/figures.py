"""Every figure the product shows for one link's clicks, read through the public API, so
that a fault test can check that they all agree."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class LinkFigures:
    lifetime: int  # the link object's ``clicks``
    week: int  # 7-day analytics total
    hourly: int  # sum of the 7-day hourly buckets
    campaign: int  # the campaign's 7-day analytics total
    campaign_list: int  # the campaign's lifetime total in GET /campaigns

    def values(self) -> set[int]:
        return {self.lifetime, self.week, self.hourly, self.campaign, self.campaign_list}


def link_figures(base_url: str, key: str, link_id: str, campaign: str) -> LinkFigures:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as api:

        def get(path: str, **params: str) -> dict:  # type: ignore[type-arg]
            response = api.get(path, params=params)
            assert response.status_code == 200, (path, response.status_code, response.text)
            return response.json()  # type: ignore[no-any-return]

        lifetime = get(f"/api/v1/links/{link_id}")["clicks"]
        week = get(f"/api/v1/links/{link_id}/analytics", preset="7d")["totals"]["total"]
        hours = get(f"/api/v1/links/{link_id}/analytics", preset="7d", interval="hour")["timeseries"]
        in_campaign = get(f"/api/v1/campaigns/{campaign}/analytics", preset="7d")["totals"]["total"]
        listed = [
            item for item in get("/api/v1/campaigns", limit="200")["items"] if item["campaign"] == campaign
        ]
        return LinkFigures(
            lifetime=lifetime,
            week=week,
            hourly=sum(bucket["total"] for bucket in hours),
            campaign=in_campaign,
            campaign_list=listed[0]["total"] if listed else 0,
        )

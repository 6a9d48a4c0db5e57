"""The campaign funnel end to end on the embedded product: deliveries, real redirects (people
and a link-preview bot) and conversions (by click id from a real Location, by campaign and
contact, one outside the window), every figure checked against ground truth."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.funnel_scenario import check_funnel, run_scenario
from tests.support.product import start, stop


def test_a_campaign_is_followed_from_delivery_to_conversion(tmp_path: Path) -> None:
    process, running = start(tmp_path / "data", ready="/readyz")
    try:
        headers = {"Authorization": f"Bearer {running.key}"}
        with httpx.Client(base_url=running.url, headers=headers, timeout=30) as api:
            truth = run_scenario(api, lambda code: f"{running.url}/{code}")
            check_funnel(api, truth)
    finally:
        stop(process)

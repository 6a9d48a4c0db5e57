"""What is kept of a click when its tenant turned metadata collection off.

Kept: what counting needs (ids, time, campaign, contact, method, visitor id) and the bot
verdict. Bot detection still runs for such tenants: a preview fetcher or a crawler must
not be counted as a person, and the verdict says nothing about the person. Dropped:
location, device, browser, OS and referrer. The enrichment steps that look these up also
skip the lookup for such clicks (the IP is not even looked up); this step is the one place
that says what such a row holds, whatever ran before it.
"""

from __future__ import annotations

from consumer.enrich.row import ClickRow


def strip_metadata(row: ClickRow) -> None:
    row.country = row.region = row.city = ""
    row.latitude = row.longitude = None
    row.device = ""  # '' = not collected, unlike 'other' = collected but unknown
    row.browser = row.browser_version = row.os = row.os_version = ""
    row.referrer_host = ""

"""A webhook body names a link by the short URL its tenant shares: on the link's own
domain when it has one."""

from __future__ import annotations

from consumer.webhooks.payload import link_json
from smartlinks.models import Link, utcnow


def test_the_short_url_in_a_webhook_body_uses_the_link_s_domain() -> None:
    now = utcnow()
    link = Link("0" * 32, "t", "Promo1", "https://shop.example/", None, None, None, None, now, now)
    assert link_json(link, "https://sl.example")["short_url"] == "https://sl.example/Promo1"
    on_domain = Link("1" * 32, "t", "Promo1", "https://shop.example/", None, None, None, None, now, now,
                     domain="go.acme.example")  # fmt: skip
    assert link_json(on_domain, "https://sl.example")["short_url"] == "https://go.acme.example/Promo1"

"""Click ids: a link that tracks conversions sends the visitor on with its click's event id
(``sl_click`` or the tenant's ``click_id_param``), the very id of the click logged."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from smartlinks.models import LinkPatch, TenantPatch
from smartlinks.outbox import ChangeRelay
from tests.redirector.conftest import Edge, make_edge


def location(edge: Edge, path: str) -> str:
    response = httpx.get(edge.url + path, follow_redirects=False)
    assert response.status_code == 302
    return response.headers["location"]


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def publish_store_changes(edge: Edge) -> None:
    """What the API does after a write: the store's outbox, relayed to the redirector."""
    edge.call(ChangeRelay(edge.store, edge.changes).deliver())


def test_a_tracked_link_carries_the_logged_click_event_id(edge: Edge) -> None:
    link = edge.link("https://shop.example/sale?utm_source=wa#top", conversion_tracking=True)
    first = location(edge, f"/{link.code}")
    second = location(edge, f"/{link.code}")
    events = edge.events()
    assert [event.link_id for event in events] == [link.id, link.id]
    assert first == f"https://shop.example/sale?utm_source=wa&sl_click={events[0].event_id}#top"
    assert second == f"https://shop.example/sale?utm_source=wa&sl_click={events[1].event_id}#top"
    assert events[0].event_id != events[1].event_id


def test_a_visitors_sl_click_is_replaced_by_the_real_one(edge: Edge) -> None:
    link = edge.link("https://shop.example/p?sl_click=from-the-destination", conversion_tracking=True)
    forged = location(edge, f"/{link.code}?sl_click=forged&ref=ad&sl%5Fclick=encoded&sl_click")
    [event] = edge.events()
    # The visitor's other parameters still go along; only the real click id is there.
    assert query_of(forged) == [("ref", "ad"), ("sl_click", event.event_id)]


def test_the_tenants_click_id_param_is_used_and_reaches_cached_links(edge: Edge) -> None:
    link = edge.link("https://shop.example/", conversion_tracking=True)
    assert query_of(location(edge, f"/{link.code}"))[0][0] == "sl_click"  # now cached
    edge.call(edge.store.update_tenant(edge.tenant_id, TenantPatch(click_id_param="cid")))
    publish_store_changes(edge)
    moved = location(edge, f"/{link.code}?sl_click=kept")
    # The old name is no longer ours: a visitor's value under it is forwarded like any other.
    assert query_of(moved) == [("sl_click", "kept"), ("cid", edge.events()[-1].event_id)]


def test_an_untracked_link_is_left_as_it_was(edge: Edge) -> None:
    link = edge.link("https://shop.example/p?a=1")
    assert location(edge, f"/{link.code}") == "https://shop.example/p?a=1"
    assert location(edge, f"/{link.code}?sl_click=x") == "https://shop.example/p?a=1&sl_click=x"
    # A tenant's default is for new links: turning it on changes no existing link.
    edge.call(edge.store.update_tenant(edge.tenant_id, TenantPatch(conversion_tracking=True)))
    publish_store_changes(edge)
    assert location(edge, f"/{link.code}") == "https://shop.example/p?a=1"


def test_turning_tracking_on_and_off_takes_effect_on_the_next_redirect(edge: Edge) -> None:
    link = edge.link("https://shop.example/")
    assert location(edge, f"/{link.code}") == "https://shop.example/"
    edge.call(edge.store.update_link(edge.tenant_id, link.id, LinkPatch(conversion_tracking=True)))
    publish_store_changes(edge)
    assert location(edge, f"/{link.code}") == f"https://shop.example/?sl_click={edge.events()[-1].event_id}"
    edge.call(edge.store.update_link(edge.tenant_id, link.id, LinkPatch(conversion_tracking=False)))
    publish_store_changes(edge)
    assert location(edge, f"/{link.code}") == "https://shop.example/"


def test_the_click_id_goes_along_when_query_forwarding_is_off(tmp_path: Path) -> None:
    for edge in make_edge(tmp_path, forward_query=False):
        link = edge.link("https://shop.example/?a=1", conversion_tracking=True)
        moved = location(edge, f"/{link.code}?b=2&sl_click=forged")
        assert moved == f"https://shop.example/?a=1&sl_click={edge.events()[-1].event_id}"

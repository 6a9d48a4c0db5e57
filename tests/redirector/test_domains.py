"""Own domains at the redirect edge, over real HTTP: a link is found by (Host, code), an
unknown host is answered as the default domain, a domain's unknown codes go to its
not_found_url, and every change (of a link on a domain, of the domains themselves)
reaches the edge through the store's outbox, as in the product."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smartlinks.models import LinkPatch
from smartlinks.outbox import ChangeRelay
from smartlinks.passwords import hash_password
from smartlinks.rules import LinkRules
from tests.redirector.conftest import Edge, make_edge

ONE, TWO = "one.acme.example", "two.acme.example"


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Edge]:
    yield from make_edge(tmp_path)


def get(edge: Edge, path: str, host: str | None = None) -> httpx.Response:
    headers = {} if host is None else {"Host": host}
    return httpx.get(edge.url + path, headers=headers, follow_redirects=False)


def deliver(edge: Edge) -> None:
    """What the API does after each write: the outbox's changes to every subscriber."""
    edge.call(ChangeRelay(edge.store, edge.changes).deliver())


def add_domain(edge: Edge, host: str, not_found_url: str | None = None) -> str:
    domain = edge.call(edge.store.domains.add(edge.tenant_id, host, not_found_url))
    deliver(edge)
    return str(domain.id)


def test_the_same_code_on_two_domains_and_the_default_one_by_host(edge: Edge) -> None:
    add_domain(edge, ONE)
    add_domain(edge, TWO)
    default = edge.link("https://example.com/default", code="Spring1")
    one = edge.link("https://example.com/one", code="Spring1", domain=ONE)
    two = edge.link("https://example.com/two", code="Spring1", domain=TWO)
    deliver(edge)
    for host, destination in [
        (ONE, "https://example.com/one"),
        (TWO, "https://example.com/two"),
        ("ONE.acme.example:8443", "https://example.com/one"),  # case and port do not matter
        (ONE + ".", "https://example.com/one"),
        ("elsewhere.example", "https://example.com/default"),  # an unknown host: the default
        (None, "https://example.com/default"),  # 127.0.0.1:port
    ]:
        response = get(edge, "/Spring1", host)
        assert (response.status_code, response.headers["location"]) == (302, destination), host
    # The click events keep the plain code; the link tells them apart.
    events = edge.events()
    assert {event.code for event in events} == {"Spring1"}
    assert [event.link_id for event in events] == [one.id, two.id, one.id, one.id, default.id, default.id]


def test_a_link_on_a_domain_is_not_served_on_the_default_host(edge: Edge) -> None:
    add_domain(edge, ONE)
    edge.link("https://example.com/one", code="OnlyOne1", domain=ONE)
    assert get(edge, "/OnlyOne1").status_code == 404
    assert get(edge, "/OnlyOne1", "unknown.example").status_code == 404
    assert get(edge, "/OnlyOne1", ONE).status_code == 302


def test_an_unknown_code_on_a_domain_goes_to_its_not_found_url(edge: Edge) -> None:
    add_domain(edge, ONE, "https://acme.example/missing?from=short")
    add_domain(edge, TWO)
    response = get(edge, "/Nothing1", ONE)
    assert response.status_code == 302
    assert response.headers["location"] == "https://acme.example/missing?from=short"
    assert response.headers["cache-control"] == "no-store"
    assert get(edge, "/Nothing1", TWO).status_code == 404  # no not_found_url: the 404 page
    assert get(edge, "/Nothing1").status_code == 404
    assert edge.events() == []  # none of them is a click


def test_a_change_of_not_found_url_and_a_removed_domain_take_effect_at_once(edge: Edge) -> None:
    domain_id = add_domain(edge, ONE)
    edge.link("https://example.com/default", code="Shared12")
    assert get(edge, "/Nothing1", ONE).status_code == 404
    edge.call(edge.store.domains.set_not_found_url(edge.tenant_id, domain_id, "https://acme.example/"))
    deliver(edge)
    assert get(edge, "/Nothing1", ONE).headers["location"] == "https://acme.example/"
    edge.call(edge.store.domains.remove(edge.tenant_id, domain_id))
    deliver(edge)
    assert get(edge, "/Nothing1", ONE).status_code == 404
    # No longer a domain here: its host is answered as the default domain.
    assert get(edge, "/Shared12", ONE).headers["location"] == "https://example.com/default"


def test_a_domain_added_later_is_answered_from_its_first_request(edge: Edge) -> None:
    edge.link("https://example.com/default", code="Later123")
    assert get(edge, "/Later123", ONE).headers["location"] == "https://example.com/default"
    add_domain(edge, ONE)
    assert get(edge, "/Later123", ONE).status_code == 404  # ONE has no such code
    edge.link("https://example.com/one", code="Later123", domain=ONE)
    deliver(edge)
    assert get(edge, "/Later123", ONE).headers["location"] == "https://example.com/one"
    assert get(edge, "/Later123").headers["location"] == "https://example.com/default"


def test_an_edit_and_a_delete_of_a_domain_link_reach_the_cache(edge: Edge) -> None:
    add_domain(edge, ONE)
    default = edge.link("https://example.com/default", code="Cached12")
    link = edge.link("https://old.example/", code="Cached12", domain=ONE)
    assert get(edge, "/Cached12", ONE).headers["location"] == "https://old.example/"
    assert get(edge, "/Cached12").headers["location"] == "https://example.com/default"
    hits = edge.cache.stats.hits
    assert get(edge, "/Cached12", ONE).headers["location"] == "https://old.example/"
    assert edge.cache.stats.hits == hits + 1  # from memory

    patch = LinkPatch(destination_url="https://new.example/")
    edge.call(edge.store.update_link(edge.tenant_id, link.id, patch))
    deliver(edge)
    assert get(edge, "/Cached12", ONE).headers["location"] == "https://new.example/"
    assert get(edge, "/Cached12").headers["location"] == "https://example.com/default"

    edge.call(edge.store.delete_link(edge.tenant_id, link.id))
    deliver(edge)
    assert get(edge, "/Cached12", ONE).status_code == 404
    assert get(edge, "/Cached12").headers["location"] == "https://example.com/default"
    edge.call(edge.store.delete_link(edge.tenant_id, default.id))
    deliver(edge)
    assert get(edge, "/Cached12").status_code == 404


def test_a_password_link_on_a_domain_takes_its_post_by_host(edge: Edge) -> None:
    add_domain(edge, ONE)
    edge.link("https://example.com/default", code="Secret12")
    rules = LinkRules(password_hash=hash_password("open sesame"))
    edge.link("https://example.com/guarded", code="Secret12", domain=ONE, rules=rules)
    page = get(edge, "/Secret12", ONE)
    assert page.status_code == 200 and b"password" in page.content.lower()

    def guess(host: str | None) -> httpx.Response:
        headers = {} if host is None else {"Host": host}
        return httpx.post(f"{edge.url}/Secret12", data={"password": "open sesame"}, headers=headers,
                          follow_redirects=False, timeout=30)  # fmt: skip

    admitted = guess(ONE)
    assert (admitted.status_code, admitted.headers["location"]) == (303, "https://example.com/guarded")
    # The default domain's link has no password: a POST there is refused, not admitted.
    assert guess(None).status_code == 405
    assert [event.code for event in edge.events()] == ["Secret12"]

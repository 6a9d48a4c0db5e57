"""Visitor ids: the one the redirector decided and the event carries; for events from before
they carried it, the cookie when there is one, else the keyed hash the redirector would set."""

from __future__ import annotations

from consumer.enrich import Enricher, GeoLocator
from smartlinks.visitor import visitor_hash
from tests.consumer.conftest import KEY, MakeEvent

COOKIE = "AbCdEfGhIjKlMnOpQrStUv"


def test_same_cookie_same_visitor(enricher: Enricher, make_event: MakeEvent) -> None:
    first = enricher.enrich(make_event(visitor_cookie=COOKIE, ip="1.1.1.1"))
    second = enricher.enrich(make_event(visitor_cookie=COOKIE, ip="8.8.8.8", user_agent="other"))
    assert first.visitor_id == second.visitor_id == COOKIE


def test_without_cookie_the_hash_of_ip_and_user_agent(enricher: Enricher, make_event: MakeEvent) -> None:
    one = enricher.enrich(make_event(ip="1.1.1.1"))
    again = enricher.enrich(make_event(ip="1.1.1.1"))
    other_ip = enricher.enrich(make_event(ip="1.1.1.2"))
    other_ua = enricher.enrich(make_event(ip="1.1.1.1", user_agent="curl/8.4.0"))
    assert one.visitor_id == again.visitor_id
    assert len({one.visitor_id, other_ip.visitor_id, other_ua.visitor_id}) == 3


def test_first_click_and_later_clicks_are_one_visitor(enricher: Enricher, make_event: MakeEvent) -> None:
    # The redirector sets the cookie to the same keyed hash the consumer computes without it.
    first = enricher.enrich(make_event(ip="1.1.1.1"))
    cookie = visitor_hash(KEY, "1.1.1.1", make_event().user_agent)
    later = enricher.enrich(make_event(ip="9.9.9.9", visitor_cookie=cookie))
    assert first.visitor_id == later.visitor_id == cookie


def test_the_hash_depends_on_the_key(geo: GeoLocator, make_event: MakeEvent) -> None:
    event = make_event(ip="1.1.1.1")
    assert (
        Enricher(geo, b"key-one").enrich(event).visitor_id
        != Enricher(geo, b"key-two").enrich(event).visitor_id
    )


def test_a_cookie_we_could_not_have_set_is_ignored(enricher: Enricher, make_event: MakeEvent) -> None:
    forged = enricher.enrich(make_event(ip="1.1.1.1", visitor_cookie="'; DROP TABLE clicks; --"))
    plain = enricher.enrich(make_event(ip="1.1.1.1"))
    assert forged.visitor_id == plain.visitor_id


def test_the_visitor_the_redirector_decided_is_kept(enricher: Enricher, make_event: MakeEvent) -> None:
    # The consumer does not recompute it: not even a different key changes it.
    decided = visitor_hash(b"the redirector's key", "1.1.1.1", "curl/8.4.0")
    row = enricher.enrich(make_event(ip="1.1.1.1", user_agent="curl/8.4.0", visitor_id=decided))
    assert row.visitor_id == decided
    assert enricher.enrich(make_event(visitor_cookie=COOKIE, visitor_id=COOKIE)).visitor_id == COOKIE


def test_an_event_without_a_visitor_gets_the_one_the_redirector_would_have_decided(
    enricher: Enricher, make_event: MakeEvent
) -> None:
    older = enricher.enrich(make_event(ip="1.1.1.1"))
    newer = enricher.enrich(
        make_event(ip="1.1.1.1", visitor_id=visitor_hash(KEY, "1.1.1.1", make_event().user_agent))
    )
    assert older.visitor_id == newer.visitor_id

"""A key sees only its own tenant's links: another tenant's link is 404 everywhere."""

from __future__ import annotations

import httpx

from tests.api.conftest import ApiServer, create, error_of


def test_another_tenants_link_is_404_on_every_link_endpoint(
    api: ApiServer, a: httpx.Client, b: httpx.Client
) -> None:
    link = create(a, title="A's", campaign="shared")
    path = f"/api/v1/links/{link['id']}"
    assert error_of(b.get(path)) == (404, "link_not_found", "id")
    assert error_of(b.patch(path, json={"title": "hijacked"})) == (404, "link_not_found", "id")
    assert error_of(b.delete(path)) == (404, "link_not_found", "id")
    # Nothing changed for A, and nothing was published.
    assert a.get(path).json() == link
    assert [c.kind for c in api.changes] == ["created"]


def test_lists_hold_only_the_callers_links(a: httpx.Client, b: httpx.Client) -> None:
    mine = {create(a, title="shared word", campaign="shared")["id"] for _ in range(3)}
    theirs = {create(b, title="shared word", campaign="shared")["id"] for _ in range(2)}
    for params in ({}, {"search": "shared"}, {"campaign": "shared"}, {"status": "active"}):
        assert {i["id"] for i in a.get("/api/v1/links", params=params).json()["items"]} == mine
        assert {i["id"] for i in b.get("/api/v1/links", params=params).json()["items"]} == theirs


def test_a_cursor_from_another_tenant_shows_nothing_of_theirs(a: httpx.Client, b: httpx.Client) -> None:
    for _ in range(3):
        create(a)
    cursor = a.get("/api/v1/links", params={"limit": 1}).json()["next_cursor"]
    assert b.get("/api/v1/links", params={"cursor": cursor}).json() == {"items": [], "next_cursor": None}

"""Own domains in ``smartlinks up`` as a user runs it: a domain added through the API is
answered by the redirector of the same process at once, by the Host of each request, and
an edit, a delete and the domain's removal take effect on the next redirect."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.product import Running

ONE, TWO = "go.acme.example", "links.other.example"


@pytest.fixture
def api(running: Running) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {running.key}"}
    with httpx.Client(base_url=running.url, headers=headers, timeout=30) as client:
        yield client


def test_links_on_own_domains_through_the_product(running: Running, api: httpx.Client) -> None:
    def post(path: str, **body: Any) -> dict[str, Any]:
        response = api.post(path, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def location(code: str, host: str | None = None) -> str | int:
        headers = {} if host is None else {"Host": host}
        response = httpx.get(f"{running.url}/{code}", headers=headers, follow_redirects=False)
        return response.headers["location"] if response.status_code == 302 else response.status_code

    one = post("/api/v1/domains", domain=ONE, not_found_url="https://acme.example/404")
    post("/api/v1/domains", domain=TWO)
    on_one = post("/api/v1/links", destination_url="https://example.com/one", code="Promo1", domain=ONE)
    post("/api/v1/links", destination_url="https://example.com/two", code="Promo1", domain=TWO)
    default = post("/api/v1/links", destination_url="https://example.com/default", code="Promo1")
    assert on_one["short_url"] == f"https://{ONE}/Promo1"
    assert default["short_url"] == f"{running.url}/Promo1"

    assert location("Promo1", ONE) == "https://example.com/one"
    assert location("Promo1", f"{TWO}:443") == "https://example.com/two"
    assert location("Promo1") == "https://example.com/default"
    assert location("Promo1", "unknown.example") == "https://example.com/default"
    assert location("Missing1", ONE) == "https://acme.example/404"
    assert location("Missing1", TWO) == 404

    edited = api.patch(f"/api/v1/links/{on_one['id']}", json={"destination_url": "https://example.com/new"})
    assert edited.status_code == 200
    assert location("Promo1", ONE) == "https://example.com/new"
    assert api.delete(f"/api/v1/links/{on_one['id']}").status_code == 204
    assert location("Promo1", ONE) == "https://acme.example/404"
    assert location("Promo1", TWO) == "https://example.com/two"

    assert api.delete(f"/api/v1/domains/{one['id']}").status_code == 204
    assert location("Promo1", ONE) == "https://example.com/default"  # no longer a domain here

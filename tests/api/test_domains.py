"""Own domains over real HTTP: adding, reading, changing and removing them, the refusals,
links on them (short URL, QR code, codes unique per domain) and the changes announced."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.conftest import BASE_URL, ApiServer, create, error_of, unique_code
from tests.api.test_qr import decode, draw, svg_matrix


def new_host(prefix: str = "go") -> str:
    """A domain no other test adds: hosts are global across tenants and tests."""
    return f"{prefix}.t{secrets.token_hex(4)}.example"


def add(client: httpx.Client, host: str, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/domains", json={"domain": host, **body})
    assert response.status_code == 201, response.text
    added: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/domains/{added['id']}"
    return added


def test_add_read_list_change_and_remove_a_domain(a: httpx.Client, b: httpx.Client) -> None:
    host = new_host()
    added = add(a, host.upper())  # kept in lower case
    assert set(added) == {"id", "domain", "not_found_url", "created_at", "updated_at"}
    assert added["domain"] == host and added["not_found_url"] is None
    assert a.get(f"/api/v1/domains/{added['id']}").json() == added
    assert a.get("/api/v1/domains").json() == {"items": [added]}
    assert b.get("/api/v1/domains").json() == {"items": []}
    assert error_of(b.get(f"/api/v1/domains/{added['id']}")) == (404, "domain_not_found", "id")

    changed = a.patch(f"/api/v1/domains/{added['id']}", json={"not_found_url": "https://acme.example/404"})
    assert changed.status_code == 200 and changed.json()["not_found_url"] == "https://acme.example/404"
    cleared = a.patch(f"/api/v1/domains/{added['id']}", json={"not_found_url": None}).json()
    assert cleared["not_found_url"] is None
    assert a.patch(f"/api/v1/domains/{added['id']}", json={}).json() == cleared

    assert error_of(b.delete(f"/api/v1/domains/{added['id']}")) == (404, "domain_not_found", "id")
    assert a.delete(f"/api/v1/domains/{added['id']}").status_code == 204
    assert error_of(a.get(f"/api/v1/domains/{added['id']}")) == (404, "domain_not_found", "id")
    assert error_of(a.delete(f"/api/v1/domains/{added['id']}")) == (404, "domain_not_found", "id")
    assert add(b, host)["domain"] == host  # removed: anyone may add it again


def test_a_domain_belongs_to_one_tenant(a: httpx.Client, b: httpx.Client) -> None:
    host = new_host()
    add(a, host)
    assert error_of(b.post("/api/v1/domains", json={"domain": host})) == (409, "domain_taken", "domain")
    assert error_of(a.post("/api/v1/domains", json={"domain": host.upper()})) == (
        409,
        "domain_taken",
        "domain",
    )


@pytest.mark.parametrize(
    "domain",
    [
        "https://go.acme.example",
        "go.acme.example:8443",
        "go.acme.example/path",
        "localhost",
        "10.0.0.1",
        "[::1]",
        "-bad.example",
        "bad-.example",
        "a..example",
        "under_score.example",
        "sp ace.example",
        "bücher.example",
        "x" * 64 + ".example",
        "go.acme.example.",
        " go.acme.example",
        "",
        "sl.example",  # the service's own host
        "SL.EXAMPLE",
    ],
)
def test_what_is_no_domain_is_422(a: httpx.Client, domain: str) -> None:
    assert BASE_URL == "https://sl.example"
    assert error_of(a.post("/api/v1/domains", json={"domain": domain})) == (422, "invalid_domain", "domain")


def test_other_refusals(a: httpx.Client) -> None:
    too_long = ("a" * 60 + ".") * 4 + "example"  # 251 characters: the most is 240
    assert error_of(a.post("/api/v1/domains", json={"domain": too_long})) == (422, "too_long", "domain")
    assert error_of(a.post("/api/v1/domains", json={})) == (422, "missing_field", "domain")
    assert error_of(a.post("/api/v1/domains", json={"domain": 1})) == (422, "invalid_type", "domain")
    body = {"domain": new_host(), "not_found_url": "ftp://x.example"}
    refused = a.post("/api/v1/domains", json=body)
    assert error_of(refused) == (422, "unsupported_scheme", "not_found_url")
    assert refused.json()["error"]["message"] == "not_found_url must use http or https"
    added = add(a, new_host())
    path = f"/api/v1/domains/{added['id']}"
    assert error_of(a.patch(path, json={"domain": new_host()})) == (422, "domain_immutable", "domain")
    assert error_of(a.patch(path, json={"not_found_url": "https://"})) == (
        422,
        "invalid_url",
        "not_found_url",
    )
    assert error_of(a.patch(path, json={"other": 1})) == (422, "unknown_field", "other")
    assert error_of(a.get("/api/v1/domains/nope")) == (404, "domain_not_found", "id")


def test_a_link_on_a_domain_has_its_short_url_and_qr_code(a: httpx.Client) -> None:
    host = new_host()
    add(a, host)
    link = create(a, domain=host.upper(), code=unique_code())
    assert link["domain"] == host
    assert link["short_url"] == f"https://{host}/{link['code']}"
    assert a.get(f"/api/v1/links/{link['id']}").json()["short_url"] == link["short_url"]
    matrix, _ = svg_matrix(a.get(f"/api/v1/links/{link['id']}/qr").content)
    image: Image.Image = draw(matrix)
    assert decode(image) == link["short_url"]
    plain = create(a)
    assert plain["domain"] is None and plain["short_url"] == f"{BASE_URL}/{plain['code']}"


def test_the_same_code_on_two_domains_and_the_default_one(a: httpx.Client, b: httpx.Client) -> None:
    one, two = new_host("one"), new_host("two")
    add(a, one)
    add(b, two)
    code = unique_code()
    first = create(a, code=code, domain=one, destination_url="https://example.com/one")
    second = create(b, code=code, domain=two, destination_url="https://example.com/two")
    default = create(a, code=code, destination_url="https://example.com/default")
    assert len({first["id"], second["id"], default["id"]}) == 3
    for client, host in ((a, one), (b, two), (a, None)):
        body = {"destination_url": "https://example.com/again", "code": code, "domain": host}
        assert error_of(client.post("/api/v1/links", json=body)) == (409, "code_taken", "code")
    # A deleted link's code stays taken on its domain.
    assert a.delete(f"/api/v1/links/{first['id']}").status_code == 204
    body = {"destination_url": "https://example.com/again", "code": code, "domain": one}
    assert error_of(a.post("/api/v1/links", json=body)) == (409, "code_taken", "code")


def test_a_link_only_goes_on_the_tenant_s_own_domain(a: httpx.Client, b: httpx.Client) -> None:
    theirs = new_host()
    add(b, theirs)
    for host in (theirs, new_host(), "not a host"):
        body = {"destination_url": "https://example.com/", "domain": host}
        assert error_of(a.post("/api/v1/links", json=body)) == (422, "unknown_domain", "domain")
    mine = new_host()
    add(a, mine)
    items = [
        {"destination_url": "https://example.com/1", "domain": mine},
        {"destination_url": "https://example.com/2", "domain": theirs},
        {"destination_url": "https://example.com/3"},
    ]
    result = a.post("/api/v1/links/bulk", json={"items": items}).json()
    assert [item["status"] for item in result["items"]] == [201, 422, 201]
    assert result["items"][0]["link"]["short_url"].startswith(f"https://{mine}/")
    assert result["items"][1]["error"]["code"] == "unknown_domain"


def test_a_link_s_domain_cannot_change(a: httpx.Client) -> None:
    host = new_host()
    add(a, host)
    link = create(a)
    for domain in (host, None):
        response = a.patch(f"/api/v1/links/{link['id']}", json={"domain": domain})
        assert error_of(response) == (422, "domain_immutable", "domain")


def test_a_domain_with_live_links_cannot_be_removed(a: httpx.Client) -> None:
    added = add(a, new_host())
    link = create(a, domain=added["domain"])
    assert error_of(a.delete(f"/api/v1/domains/{added['id']}")) == (409, "domain_in_use", "id")
    assert a.delete(f"/api/v1/links/{link['id']}").status_code == 204
    assert a.delete(f"/api/v1/domains/{added['id']}").status_code == 204


def test_changes_name_the_domain(api: ApiServer, a: httpx.Client) -> None:
    added = add(a, new_host())
    link = create(a, domain=added["domain"])
    a.patch(f"/api/v1/links/{link['id']}", json={"title": "t"})
    a.delete(f"/api/v1/links/{link['id']}")
    a.delete(f"/api/v1/domains/{added['id']}")
    seen = [(c.kind, c.link_id, c.code, c.domain) for c in api.changes]
    host = added["domain"]
    assert seen == [
        ("domain_changed", added["id"], "", host),
        ("created", link["id"], link["code"], host),
        ("updated", link["id"], link["code"], host),
        ("deleted", link["id"], link["code"], host),
        ("domain_changed", added["id"], "", host),
    ]

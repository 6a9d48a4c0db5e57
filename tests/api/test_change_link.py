"""PATCH and DELETE /api/v1/links/{id}, and the change events they publish."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import ApiServer, create, error_of, unique_code
from tests.api.test_create_link import INVALID


def _patch(client: httpx.Client, link_id: str, body: Any) -> httpx.Response:
    return client.patch(f"/api/v1/links/{link_id}", json=body)


def test_patch_changes_only_the_fields_sent(a: httpx.Client) -> None:
    link = create(a, title="Old", expires_at="2999-01-01", campaign="c", contact_id="p")
    time.sleep(0.002)  # so updated_at visibly moves
    response = _patch(a, link["id"], {"destination_url": "https://new.example/"})
    assert response.status_code == 200
    patched = response.json()
    assert patched["destination_url"] == "https://new.example/"
    unchanged = ("id", "code", "short_url", "title", "expires_at", "campaign", "contact_id", "created_at")
    assert {k: patched[k] for k in unchanged} == {k: link[k] for k in unchanged}
    assert patched["updated_at"] > link["updated_at"]
    assert a.get(f"/api/v1/links/{link['id']}").json() == patched


def test_patch_title_and_expiry_then_clear_them_with_null(a: httpx.Client) -> None:
    link = create(a, title="Old")
    patched = _patch(a, link["id"], {"title": "New", "expires_at": "2999-05-05T05:05:05Z"}).json()
    assert (patched["title"], patched["expires_at"]) == ("New", "2999-05-05T05:05:05.000Z")
    cleared = _patch(a, link["id"], {"title": None, "expires_at": None}).json()
    assert (cleared["title"], cleared["expires_at"], cleared["status"]) == (None, None, "active")


def test_patch_makes_the_new_destination_searchable(a: httpx.Client) -> None:
    link = create(a, destination_url="https://old.example/")
    _patch(a, link["id"], {"destination_url": "https://Renamed.example/"})
    found = a.get("/api/v1/links", params={"search": "renamed"}).json()["items"]
    assert [item["id"] for item in found] == [link["id"]]
    assert a.get("/api/v1/links", params={"search": "old.example"}).json()["items"] == []


def test_an_empty_patch_changes_nothing(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    api.changes.clear()
    response = _patch(a, link["id"], {})
    assert response.status_code == 200 and response.json() == link
    assert api.changes == []


# A change obeys the rules a new link's fields do: the creation tests' refusals for the
# fields a PATCH may carry, and the rules of changing a link besides.
CHANGEABLE = {"destination_url", "title", "expires_at"}
AS_WHEN_CREATED = [
    case for case in INVALID if case[1] == 422 and case[2] != "missing_field" and set(case[0]) <= CHANGEABLE
]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        *AS_WHEN_CREATED,
        ({"code": "newcode1"}, 422, "code_immutable", "code"),
        ({"code": None, "title": "x"}, 422, "code_immutable", "code"),
        ({"destination_url": "mailto:a@b.c"}, 422, "unsupported_scheme", "destination_url"),
        ({"title": "a\rb"}, 422, "control_characters", "title"),
        ({"expires_at": False}, 422, "invalid_type", "expires_at"),
        ({"campaign": "c"}, 422, "unknown_field", "campaign"),
        ({"contact_id": "c"}, 422, "unknown_field", "contact_id"),
        ({"status": "expired"}, 422, "unknown_field", "status"),
    ],
)
def test_patch_rules(
    api: ApiServer, a: httpx.Client, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    link = create(a, title="keep")
    api.changes.clear()
    assert error_of(_patch(a, link["id"], body)) == (status, code, field)
    assert a.get(f"/api/v1/links/{link['id']}").json() == link
    assert api.changes == []


def test_patch_of_an_unknown_link_is_404_even_with_a_bad_body(a: httpx.Client) -> None:
    assert error_of(_patch(a, "0" * 32, {"code": "x"})) == (404, "link_not_found", "id")


def test_delete_then_everything_is_404(api: ApiServer, a: httpx.Client) -> None:
    code = unique_code()
    link = create(a, code=code)
    response = a.delete(f"/api/v1/links/{link['id']}")
    assert response.status_code == 204 and response.content == b""
    assert error_of(a.get(f"/api/v1/links/{link['id']}"))[:2] == (404, "link_not_found")
    assert error_of(_patch(a, link["id"], {"title": "x"}))[:2] == (404, "link_not_found")
    assert error_of(a.delete(f"/api/v1/links/{link['id']}"))[:2] == (404, "link_not_found")
    assert a.get("/api/v1/links").json()["items"] == []
    assert api.call(api.store.resolve(code)) is None


def test_changes_are_published_after_each_write(api: ApiServer, a: httpx.Client) -> None:
    code = unique_code()
    link = create(a, code=code)
    _patch(a, link["id"], {"title": "t"})
    a.delete(f"/api/v1/links/{link['id']}")
    assert [(c.kind, c.tenant_id, c.link_id, c.code) for c in api.changes] == [
        ("created", api.a.id, link["id"], code),
        ("updated", api.a.id, link["id"], code),
        ("deleted", api.a.id, link["id"], code),
    ]
    assert all(c.at > 0 and c.v == 1 for c in api.changes)


def test_reads_publish_nothing(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    api.changes.clear()
    a.get(f"/api/v1/links/{link['id']}")
    a.get("/api/v1/links")
    assert api.changes == []

"""Bearer keys: a missing, wrong, malformed or revoked key is 401 on every route."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import ApiServer, create, error_of, served_routes
from tests.support.keys import behind_auth

# Every path but this document and the conversion beacon, which checks its publishable key
# itself (tests/api/test_track.py).
PROTECTED = behind_auth(served_routes())


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer sl_wrongwrongwrongwrongwrongwrong",
        "Basic dXNlcjpwYXNz",
        "Token sl_x",
        "Bearer " + "x" * 5000,
        "Bearer sl_ünïcode_kéy".encode(),
    ],
)
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_route_needs_a_valid_key(
    api: ApiServer, method: str, path: str, authorization: str | bytes | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.request(method, api.url + path, headers=headers, json={})
    assert error_of(response) == (401, "unauthorized", None)
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_scheme_is_case_insensitive(api: ApiServer) -> None:
    response = httpx.get(api.url + "/api/v1/links", headers={"Authorization": f"bearer {api.a.key}"})
    assert response.status_code == 200


def test_unknown_paths_and_methods_still_need_a_key(api: ApiServer) -> None:
    assert httpx.get(api.url + "/api/v1/nothing").status_code == 401
    assert httpx.put(api.url + "/api/v1/links").status_code == 401


def test_openapi_needs_no_key(api: ApiServer) -> None:
    assert httpx.get(api.url + "/api/v1/openapi.json").status_code == 200


def test_a_revoked_key_stops_working_at_once(api: ApiServer, a: httpx.Client) -> None:
    created = a.post("/api/v1/keys", json={"name": "temp"}).json()
    with api.client(created["key"]) as temp:
        assert temp.get("/api/v1/links").status_code == 200
        assert a.delete(f"/api/v1/keys/{created['id']}").status_code == 204
        response = temp.get("/api/v1/links")
        assert error_of(response) == (401, "unauthorized", None)


def test_a_second_key_acts_for_the_same_tenant(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    key = a.post("/api/v1/keys", json={"name": "second"}).json()["key"]
    with api.client(key) as second:
        assert second.get(f"/api/v1/links/{link['id']}").json() == link

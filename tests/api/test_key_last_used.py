"""Each API key's last use over real HTTP: ``last_used_at`` in RFC 3339 with Z once the key
has authenticated a request (a dashboard session's too), null for a key never used."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from tests.api.conftest import ApiServer

KEYS = "/api/v1/keys"
RFC3339_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def last_used(client: httpx.Client) -> dict[str, str | None]:
    return {key["name"]: key["last_used_at"] for key in client.get(KEYS).json()["items"]}


def test_a_used_key_shows_when_a_new_one_shows_null(api: ApiServer, a: httpx.Client) -> None:
    used = a.post(KEYS, json={"name": "used"}).json()
    a.post(KEYS, json={"name": "idle"})
    assert used["last_used_at"] is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    with api.client(used["key"]) as client:
        assert client.get("/api/v1/links").status_code == 200
    seen = last_used(a)
    assert seen["idle"] is None
    at = seen["used"]
    assert at is not None and RFC3339_Z.fullmatch(at)
    assert before <= datetime.fromisoformat(at) <= datetime.now(UTC)
    assert seen["first"] is not None  # the key that lists them was used to list them


def test_a_dashboard_session_uses_its_key(api: ApiServer, a: httpx.Client) -> None:
    page_key = a.post(KEYS, json={"name": "dashboard"}).json()
    host = api.url.removeprefix("http://")
    with httpx.Client(base_url=api.url, headers={"Origin": f"http://{host}"}, timeout=10) as page:
        assert page.post("/dashboard/session", json={"key": page_key["key"]}).status_code == 200
        assert page.get("/api/v1/links").status_code == 200
    assert last_used(a)["dashboard"] is not None

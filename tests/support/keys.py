"""API keys as the API tests use them: a key made over the API, the routes a key is
needed for (with their placeholders filled), and one request to such a route with a key,
for the tests that go through every route and check that a key is refused."""

from __future__ import annotations

import re
from typing import Any

import httpx

KEYS = "/api/v1/keys"
NO_ID = "0" * 32  # an id no row has
# Open to anyone: the API's own description, and the conversion beacon, which checks its
# publishable key itself (tests/api/test_track.py).
OPEN = ("openapi.json", "/track/conversion")


def new_key(client: httpx.Client, **body: Any) -> dict[str, Any]:
    """Create a key through the API and return its JSON (the key itself with it), failing
    the test on any error."""
    response = client.post(KEYS, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def filled(path: str) -> str:
    """A route's path template with a value in each placeholder: ``{id}`` an id no row has,
    any other its first letter (``{campaign}`` → ``c``)."""
    return re.sub(r"\{(\w+)\}", lambda name: NO_ID if name[1] == "id" else name[1][0], path)


def behind_auth(routes: list[tuple[str, str]], *, changes_only: bool = False) -> list[tuple[str, str]]:
    """The (method, path) of each of ``routes`` that needs a key, or only those that change
    something; as a client would call them."""
    return [
        (method, filled(path))
        for method, path in routes
        if not path.endswith(OPEN) and not (changes_only and method in ("GET", "HEAD"))
    ]


def call_with(url: str, key: str, method: str, path: str) -> httpx.Response:
    """One request to the API at ``url`` with ``key`` as its bearer token and an empty JSON
    body."""
    return httpx.request(method, url + path, headers={"Authorization": f"Bearer {key}"}, json={})

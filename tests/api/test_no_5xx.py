"""Random input never produces a 5xx: every answer is a success or a JSON 4xx error."""

from __future__ import annotations

import json
import random
import string
from typing import Any
from urllib.parse import quote

import httpx

from tests.api.conftest import ApiServer, create

FIELDS = ["destination_url", "title", "code", "expires_at", "campaign", "contact_id", "collect_metadata",
          "name", "status", "", "\x00", "é"]  # fmt: skip
STRINGS = ["", " ", "https://example.com/", "http://bücher.example/ä?q=ü", "https://a.b/" + "x" * 5000,
           "2999-01-01", "2999-01-01T00:00:00Z", "9999-12-31T23:59:59.999+14:00", "0000-00-00", "abcd",
           "api", "\x00\x01", "\ud7ff\ue000", "😀" * 300, "%00%ff", "\\", "javascript:x", "https://[::1]:0/",
           "https://user@x", "http://x:65536", "http://.x/", "http://x../", "http://ex\u200bample.com/",
           "http://\u3002/", "http://xn--/", "http://" + "a" * 70 + ".com/",
           "https://example.com/\u2028"]  # fmt: skip


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 2 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63 - 1, -(2**63), 2**64, 10**30, 1.5, -0.0, 1e308])
    if kind in (3, 4):
        return rng.choice(STRINGS)
    if kind in (5, 6):
        alphabet = string.printable + "éß\u0130\u0085\x7f\u202e\ufeff"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
    if kind in (7, 8):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(FIELDS): _value(rng, depth + 1) for _ in range(rng.randrange(3))}


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text)
    if response.status_code >= 400:
        assert set(response.json()["error"]) >= {"code", "message"}


def test_random_bodies(a: httpx.Client) -> None:
    rng = random.Random(20240501)
    link_id = create(a)["id"]
    targets = [("POST", "/api/v1/links"), ("PATCH", f"/api/v1/links/{link_id}"),
               ("PATCH", "/api/v1/settings"), ("POST", "/api/v1/keys")]  # fmt: skip
    for _ in range(600):
        method, path = rng.choice(targets)
        body = {rng.choice(FIELDS): _value(rng) for _ in range(rng.randrange(1, 5))}
        if rng.random() < 0.6:
            body.setdefault("destination_url", rng.choice(STRINGS))
        if rng.random() < 0.1:
            body = _value(rng)
        _check(a.request(method, path, content=json.dumps(body).encode()))


def _text(rng: random.Random, length: int) -> str:
    """Any characters at all, surrogates aside (JSON cannot carry them unpaired)."""
    chars = []
    while len(chars) < length:
        point = rng.choice([rng.randrange(0x20, 0x250), rng.randrange(0x80, 0x3000), rng.randrange(0x110000)])
        if not 0xD800 <= point <= 0xDFFF:
            chars.append(chr(point))
    return "".join(chars)


def test_random_text_in_valid_places_round_trips(a: httpx.Client) -> None:
    rng = random.Random(5)
    created = 0
    for _ in range(150):
        body = {
            "destination_url": rng.choice(STRINGS[2:4]) + _text(rng, rng.randrange(30)),
            "title": _text(rng, rng.randrange(40)),
            "campaign": _text(rng, rng.randrange(10)),
        }
        response = a.post("/api/v1/links", content=json.dumps(body).encode())
        _check(response)
        if response.status_code == 201:
            created += 1
            link = response.json()
            assert (link["title"], link["campaign"]) == (body["title"], body["campaign"])
            assert a.get(f"/api/v1/links/{link['id']}").json() == link
    assert created > 20  # the valid paths were exercised, not only the refusals


def test_random_bytes(a: httpx.Client) -> None:
    rng = random.Random(7)
    for _ in range(200):
        content = bytes(rng.randrange(256) for _ in range(rng.randrange(60)))
        _check(a.post("/api/v1/links", content=content))


def test_random_queries_and_paths(api: ApiServer, a: httpx.Client) -> None:
    rng = random.Random(99)
    create(a)
    names = ["limit", "cursor", "status", "search", "campaign", "limit", "x"]
    for _ in range(300):
        pairs = []
        for _ in range(rng.randrange(1, 4)):
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
            value = quote(raw) if rng.random() < 0.5 else quote(str(_value(rng)))
            pairs.append(f"{rng.choice(names)}={value}")
        _check(a.get(api.url + "/api/v1/links?" + "&".join(pairs)))
        segment = quote(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))), safe="")
        method = rng.choice(["GET", "PATCH", "DELETE", "POST", "PUT"])
        prefix = rng.choice(["/api/v1/links/", "/api/v1/keys/", "/api/v1/", "/api/"])
        _check(a.request(method, prefix + segment, content=b"{}"))

"""Malformed requests: bodies, sizes, media types, unknown paths and methods, all JSON 4xx."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from api.validation import MAX_BODY_BYTES
from tests.api.conftest import ApiServer, create, error_of

WRITES = [("POST", "/api/v1/links"), ("PATCH", "/api/v1/links/{id}"), ("PATCH", "/api/v1/settings"),
          ("POST", "/api/v1/keys")]  # fmt: skip


def _path(a: httpx.Client, template: str) -> str:
    return template.replace("{id}", create(a)["id"]) if "{id}" in template else template


@pytest.mark.parametrize(("method", "template"), WRITES)
@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "invalid_json"),
        (b"{", "invalid_json"),
        (b"{'a': 1}", "invalid_json"),
        (b'{"a": NaN}', "invalid_json"),
        (b'"\\ud800"', "invalid_json"),
        (b'{"title": "\xff"}', "invalid_json"),
        (b"\xef\xbb\xbf{}", "invalid_json"),
        (b"[" * 5000 + b"]" * 5000, "invalid_json"),
        (b"1e400", "invalid_json"),
        (b"[]", "body_not_object"),
        (b"null", "body_not_object"),
        (b'"text"', "body_not_object"),
        (b"42", "body_not_object"),
    ],
)
def test_bodies_that_are_not_json_objects_are_400(
    a: httpx.Client, method: str, template: str, content: bytes, code: str
) -> None:
    response = a.request(
        method, _path(a, template), content=content, headers={"Content-Type": "application/json"}
    )
    assert error_of(response) == (400, code, None)


@pytest.mark.parametrize(("method", "template"), WRITES)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_non_json_media_types_are_415(a: httpx.Client, method: str, template: str, content_type: str) -> None:
    response = a.request(method, _path(a, template), content=b"{}", headers={"Content-Type": content_type})
    assert error_of(response) == (415, "unsupported_media_type", None)


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_media_types_and_none_are_accepted(a: httpx.Client, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = a.post("/api/v1/links", content=b'{"destination_url": "https://example.com"}', headers=headers)
    assert response.status_code == 201


def test_a_body_over_one_mib_is_413(a: httpx.Client) -> None:
    title = "x" * MAX_BODY_BYTES
    response = a.post("/api/v1/links", json={"destination_url": "https://example.com", "title": title})
    assert error_of(response) == (413, "body_too_large", None)


def test_a_streamed_body_over_one_mib_is_413(a: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = a.post("/api/v1/links", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert error_of(response) == (413, "body_too_large", None)


def test_a_declared_length_over_one_mib_is_refused_before_reading(api: ApiServer) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/links HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {api.a.key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{"
        )
        head = sock.recv(65536).split(b"\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v2/links", "/api/", "/api/v1/links/x/y"])
def test_unknown_paths_are_json_404(a: httpx.Client, path: str) -> None:
    assert error_of(a.get(path)) == (404, "not_found", None)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v1/links", {"GET", "HEAD", "POST"}),
        ("DELETE", "/api/v1/links", {"GET", "HEAD", "POST"}),
        ("POST", "/api/v1/links/" + "0" * 32, {"GET", "HEAD", "PATCH", "DELETE"}),
        ("DELETE", "/api/v1/settings", {"GET", "HEAD", "PATCH"}),
        ("PATCH", "/api/v1/keys", {"GET", "HEAD", "POST"}),
        ("GET", "/api/v1/keys/" + "0" * 32, {"DELETE"}),
        ("POST", "/api/v1/openapi.json", {"GET", "HEAD"}),
    ],
)
def test_wrong_methods_are_json_405_with_allow(
    a: httpx.Client, method: str, path: str, allowed: set[str]
) -> None:
    response = a.request(method, path)
    assert error_of(response) == (405, "method_not_allowed", None)
    assert set(response.headers["allow"].split(", ")) == allowed


def test_head_of_a_link_is_answered_without_a_body(a: httpx.Client) -> None:
    link = create(a)
    response = a.head(f"/api/v1/links/{link['id']}")
    assert response.status_code == 200 and response.content == b""


def test_a_failing_dependency_is_a_json_500_not_a_stack_trace(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    api.clicks.fail = True
    response = a.get(f"/api/v1/links/{link['id']}")
    assert error_of(response) == (500, "internal_error", None)
    assert "ConnectionError" not in response.text


def test_a_committed_write_succeeds_even_when_the_change_feed_fails(api: ApiServer, a: httpx.Client) -> None:
    api.feed.fail = True
    link = create(a)
    assert a.patch(f"/api/v1/links/{link['id']}", json={"title": "t"}).status_code == 200
    assert a.get(f"/api/v1/links/{link['id']}").json()["title"] == "t"
    assert api.changes == []
    # Nothing was lost: the outbox kept both changes, and the relay delivers them in order.
    api.feed.fail = False
    assert api.call(api.relay.deliver()) == 2
    assert [(c.kind, c.link_id) for c in api.changes] == [("created", link["id"]), ("updated", link["id"])]

"""POST /api/v1/links: the link object, custom and generated codes, and every field rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from smartlinks.codes import ALPHABET
from tests.api.conftest import BASE_URL, ApiServer, create, error_of, unique_code
from tests.core.test_urls import NORMALISED_INTO_ANOTHER_URL

RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
FUTURE = "2999-01-01T00:00:00Z"


def test_creates_a_link_with_every_field(a: httpx.Client) -> None:
    code = unique_code("Sp")
    response = a.post(
        "/api/v1/links",
        json={
            "destination_url": "https://example.com/landing?x=1",
            "title": "Spring sale",
            "code": code,
            "expires_at": "2999-06-01T12:30:00.123456+02:00",
            "campaign": "spring",
            "contact_id": "c-42",
        },
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    link = response.json()
    assert response.headers["location"] == f"/api/v1/links/{link['id']}"
    assert set(link) == {
        "id", "code", "short_url", "destination_url", "title", "status", "expires_at",
        "created_at", "updated_at", "campaign", "contact_id", "conversion_tracking", "clicks",
        "max_clicks", "expired_url", "has_password", "targets", "variants", "tags", "domain",
    }  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{32}", link["id"])
    assert link["code"] == code
    assert link["short_url"] == f"{BASE_URL}/{code}"
    assert link["destination_url"] == "https://example.com/landing?x=1"
    assert (link["title"], link["campaign"], link["contact_id"]) == ("Spring sale", "spring", "c-42")
    assert link["status"] == "active"
    assert link["expires_at"] == "2999-06-01T10:30:00.123Z"  # in UTC, to the millisecond
    assert RFC3339_UTC.fullmatch(link["created_at"])
    assert link["updated_at"] == link["created_at"]
    assert link["clicks"] == 0
    # No rules asked for: a plain link.
    assert (link["max_clicks"], link["expired_url"], link["has_password"]) == (None, None, False)
    assert (link["targets"], link["variants"]) == ([], [])
    # What was answered is what was stored.
    assert a.get(f"/api/v1/links/{link['id']}").json() == link


def test_optional_fields_default_to_null_and_the_code_is_generated(a: httpx.Client) -> None:
    link = create(a, destination_url="https://example.com/")
    assert (link["title"], link["expires_at"], link["campaign"], link["contact_id"]) == (None,) * 4
    assert len(link["code"]) == 7 and set(link["code"]) <= set(ALPHABET)
    assert RFC3339_UTC.fullmatch(link["created_at"])
    explicit_nulls = create(a, title=None, code=None, expires_at=None, campaign=None, contact_id=None)
    assert len(explicit_nulls["code"]) == 7


def test_generated_codes_differ(a: httpx.Client) -> None:
    codes = {create(a)["code"] for _ in range(20)}
    assert len(codes) == 20


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com:8080/a/b?c=d#e",
        "https://bücher.example/straße?q=ü",
        "https://xn--bcher-kva.example/",
        "  https://example.com/trimmed  ",
    ],
)
def test_accepts_destinations(a: httpx.Client, url: str) -> None:
    assert create(a, destination_url=url)["destination_url"] == url.strip()


def test_a_date_expires_at_means_midnight_utc(a: httpx.Client) -> None:
    assert create(a, expires_at="2999-01-31")["expires_at"] == "2999-01-31T00:00:00.000Z"


def test_the_last_millisecond_of_year_9999_round_trips(a: httpx.Client) -> None:
    link = create(a, expires_at="9999-12-31T23:59:59.999Z")
    assert a.get(f"/api/v1/links/{link['id']}").json()["expires_at"] == "9999-12-31T23:59:59.999Z"


def test_limits_are_inclusive(a: httpx.Client) -> None:
    code = unique_code() + "ab"
    link = create(
        a,
        destination_url="https://example.com/" + "a" * (4096 - 20),
        title="t" * 500,
        campaign="c" * 200,
        contact_id="é" * 200,
        code=code,
    )
    assert len(link["destination_url"]) == 4096 and link["code"] == code


def test_code_taken_by_any_tenant_or_a_deleted_link_is_409(a: httpx.Client, b: httpx.Client) -> None:
    taken, gone = unique_code(), unique_code()
    create(a, code=taken)
    for client in (a, b):
        response = client.post("/api/v1/links", json={"destination_url": "https://x.org", "code": taken})
        assert error_of(response) == (409, "code_taken", "code")
    deleted = create(a, code=gone)
    assert a.delete(f"/api/v1/links/{deleted['id']}").status_code == 204
    response = a.post("/api/v1/links", json={"destination_url": "https://x.org", "code": gone})
    assert error_of(response) == (409, "code_taken", "code")
    # Codes are case-sensitive: another case is another code.
    assert create(a, code=taken.upper())["code"] == taken.upper()


def test_only_whole_reserved_words_are_refused(a: httpx.Client) -> None:
    code = unique_code("api")
    assert create(a, code=code)["code"] == code


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


INVALID: list[tuple[dict[str, Any], int, str, str | None]] = [
    ({}, 422, "missing_field", "destination_url"),
    ({"title": "no url"}, 422, "missing_field", "destination_url"),
    ({"destination_url": None}, 422, "invalid_type", "destination_url"),
    ({"destination_url": 42}, 422, "invalid_type", "destination_url"),
    ({"destination_url": ["https://example.com"]}, 422, "invalid_type", "destination_url"),
    ({"destination_url": ""}, 422, "invalid_url", "destination_url"),
    ({"destination_url": "example.com"}, 422, "unsupported_scheme", "destination_url"),
    ({"destination_url": "/relative/path"}, 422, "unsupported_scheme", "destination_url"),
    ({"destination_url": "javascript:alert(1)"}, 422, "unsupported_scheme", "destination_url"),
    ({"destination_url": "ftp://example.com/file"}, 422, "unsupported_scheme", "destination_url"),
    ({"destination_url": "https://user:pw@example.com/"}, 422, "url_has_credentials", "destination_url"),
    ({"destination_url": "https://user@example.com/"}, 422, "url_has_credentials", "destination_url"),
    ({"destination_url": "https://exa mple.com/"}, 422, "url_control_characters", "destination_url"),
    ({"destination_url": "https://example.com/\r\nX: y"}, 422, "url_control_characters", "destination_url"),
    ({"destination_url": "https://example.com/\x00"}, 422, "url_control_characters", "destination_url"),
    ({"destination_url": "https://example.com/" + "a" * 4077}, 422, "url_too_long", "destination_url"),
    ({"destination_url": "https://"}, 422, "invalid_url", "destination_url"),
    ({"destination_url": "https://a..b/"}, 422, "invalid_url", "destination_url"),
    ({"destination_url": "https://example.com:99999/"}, 422, "invalid_url", "destination_url"),
    ({"destination_url": "https://[zz/"}, 422, "invalid_url", "destination_url"),
    ({"destination_url": "https://example.com\\@evil.com"}, 422, "invalid_url", "destination_url"),
    ({"code": 1234}, 422, "invalid_type", "code"),
    ({"code": "abc"}, 422, "invalid_code", "code"),
    ({"code": "abcdefghijklm"}, 422, "invalid_code", "code"),
    ({"code": "ab-cd"}, 422, "invalid_code", "code"),
    ({"code": "abcé"}, 422, "invalid_code", "code"),
    ({"code": "abcd\n"}, 422, "invalid_code", "code"),
    ({"code": "Dashboard"}, 422, "code_reserved", "code"),
    ({"code": "healthz"}, 422, "code_reserved", "code"),
    ({"code": "METRICS"}, 422, "code_reserved", "code"),
    ({"title": 5}, 422, "invalid_type", "title"),
    ({"title": "t" * 501}, 422, "too_long", "title"),
    ({"title": "line\nbreak"}, 422, "control_characters", "title"),
    ({"title": "bell\x07"}, 422, "control_characters", "title"),
    ({"title": "c1\x85"}, 422, "control_characters", "title"),
    ({"campaign": {"a": 1}}, 422, "invalid_type", "campaign"),
    ({"campaign": "c" * 201}, 422, "too_long", "campaign"),
    ({"campaign": "tab\there"}, 422, "control_characters", "campaign"),
    ({"contact_id": 42}, 422, "invalid_type", "contact_id"),
    ({"contact_id": True}, 422, "invalid_type", "contact_id"),
    ({"contact_id": "x" * 201}, 422, "too_long", "contact_id"),
    ({"contact_id": "\x00"}, 422, "control_characters", "contact_id"),
    ({"expires_at": 1893456000}, 422, "invalid_type", "expires_at"),
    ({"expires_at": "tomorrow"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "2999-01-01T00:00:00"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "2999-02-30T00:00:00Z"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "2999-01-01T25:00:00Z"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "29990101T000000Z"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "２９９９-01-01"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "9999-12-31T23:59:59-01:00"}, 422, "invalid_datetime", "expires_at"),
    ({"expires_at": "2000-01-01T00:00:00Z"}, 422, "expires_in_past", "expires_at"),
    ({"expires_at": "2000-01-01"}, 422, "expires_in_past", "expires_at"),
    ({"expires_at": _in(-1)}, 422, "expires_in_past", "expires_at"),
    ({"expires_at": _in(5)}, 201, "", None),
    ({"clicks": 5}, 422, "unknown_field", "clicks"),
    ({"destination": "https://example.com"}, 422, "unknown_field", "destination"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), INVALID)
def test_field_rules(
    a: httpx.Client, body: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    if "destination_url" not in body and code != "missing_field":
        body = {"destination_url": "https://example.com/", **body}
    response = a.post("/api/v1/links", json=body)
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        assert error_of(response) == (status, code, field)


def test_a_refused_create_stores_and_publishes_nothing(api: ApiServer, a: httpx.Client) -> None:
    a.post("/api/v1/links", json={"destination_url": "ftp://example.com"})
    assert a.get("/api/v1/links").json()["items"] == []
    assert api.changes == []


@pytest.mark.parametrize("url", NORMALISED_INTO_ANOTHER_URL)
def test_a_destination_whose_location_would_lead_elsewhere_is_refused_everywhere(
    api: ApiServer, a: httpx.Client, url: str
) -> None:
    """Create, change and bulk create share one rule: what the redirector would send as
    ``Location`` must name the host that was checked, so none of them stores such a URL."""
    refused = (422, "url_unsafe_normalisation", "destination_url")
    assert error_of(a.post("/api/v1/links", json={"destination_url": url})) == refused
    link = create(a, destination_url="https://example.com/kept")
    api.changes.clear()
    assert error_of(a.patch(f"/api/v1/links/{link['id']}", json={"destination_url": url})) == refused
    assert a.get(f"/api/v1/links/{link['id']}").json() == link
    bulk = a.post("/api/v1/links/bulk", json={"items": [{"destination_url": url}]})
    assert bulk.status_code == 200, bulk.text
    (item,) = bulk.json()["items"]
    assert (item["status"], item["error"]["code"], item["error"]["field"]) == refused
    assert [found["id"] for found in a.get("/api/v1/links").json()["items"]] == [link["id"]]
    assert api.changes == []

"""The OpenAPI document against the app: every route documented, nothing else, and the
bodies the API really sends validate against the documented schemas."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from jsonschema import Draft202012Validator

from api.bodies.fields import NO_CONTROL, NOT_BLANK
from api.errors import ERROR_CODES, ErrorCode
from api.validation import CONTROL
from tests.api.conftest import ApiServer, create, served_routes

ROOT = Path(__file__).parents[2]
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


@pytest.fixture
def document(api: ApiServer) -> dict[str, Any]:
    response = httpx.get(api.url + "/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _validator(document: dict[str, Any], schema: str) -> Draft202012Validator:
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; "$ref"s resolve against the document.
    return Draft202012Validator({**document, "$ref": f"#/components/schemas/{schema}"})


def test_is_openapi_3_1_with_bearer_auth(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    bearer = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert "insufficient_scope" in bearer["description"]
    assert document["security"] == [{"bearerAuth": []}]
    assert document["servers"] == [{"url": "https://sl.example"}]


def test_documents_exactly_the_routes_served(document: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == set(served_routes())


def test_every_operation_is_complete(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in ((m, o) for m, o in item.items() if m in METHODS):
            assert operation["operationId"] and operation["summary"]
            assert any(status.startswith("2") for status in operation["responses"]), (method, path)
            if path.endswith("openapi.json") or (method, path) == ("options", "/api/v1/track/conversion"):
                assert operation["security"] == []  # this document, and a CORS preflight
            else:
                assert "401" in operation["responses"]
            if method in ("post", "patch"):
                assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)
            for param in item.get("parameters", []):
                assert "{" + param["name"] + "}" in path


def test_every_schema_is_valid_json_schema(document: dict[str, Any]) -> None:
    for name in document["components"]["schemas"]:
        Draft202012Validator.check_schema(document["components"]["schemas"][name])
        _validator(document, name)  # refs resolve


def _named_codes(document: dict[str, Any]) -> dict[str, set[str]]:
    """Each code the operations' error responses name (``x-codes``), with where."""
    named: dict[str, set[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in ((m, o) for m, o in item.items() if m in METHODS):
            for status, response in operation["responses"].items():
                for code in response.get("x-codes", []):
                    named.setdefault(code, set()).add(f"{method.upper()} {path} {status}")
                    assert f"`{code}`" in response["description"]
    return named


def test_the_error_codes_served_are_the_declared_ones(document: dict[str, Any]) -> None:
    """api.errors declares the codes once (the ErrorCode type, which mypy holds every
    ApiError to, and ERROR_CODES, their meanings): the document lists exactly those, each
    with its meaning, and names each in the responses of the operations that answer it."""
    assert set(get_args(ErrorCode)) == set(ERROR_CODES)
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    code = schemas["ErrorDetail"]["properties"]["code"]
    assert sorted(code["enum"]) == sorted(ERROR_CODES)
    for name, meaning in ERROR_CODES.items():
        assert f"- `{name}`: {meaning}" in code["description"]
    named = _named_codes(document)
    assert set(named) <= set(ERROR_CODES)
    # The router's own (any path, any method) and a failure of the server are named once,
    # in the document's description or not at all.
    assert set(ERROR_CODES) - set(named) == {
        "not_found",
        "method_not_allowed",
        "bad_request",
        "internal_error",
    }
    assert "`not_found`" in document["info"]["description"]
    assert "`method_not_allowed`" in document["info"]["description"]


def test_the_text_patterns_are_the_server_s_rules() -> None:
    # The document's patterns in JSON Schema's (ECMA-262) syntax, read here by Python's re
    # (fullmatch: ECMA's "$" is the very end, never before a last newline).
    everything = [chr(n) for n in range(0x110000) if not 0xD800 <= n <= 0xDFFF]
    no_control, not_blank = re.compile(NO_CONTROL), re.compile(NOT_BLANK)
    assert [c for c in everything if not no_control.fullmatch(c)] == [
        c for c in everything if CONTROL.search(c)
    ]
    # A name that is only white space is blank: str.strip() leaves nothing of it.
    allowed = [c for c in everything if no_control.fullmatch(c)]
    assert [c for c in allowed if not not_blank.fullmatch(c)] == [c for c in allowed if not c.strip()]


def test_every_query_parameter_takes_one_value(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in ((m, o) for m, o in item.items() if m in METHODS):
            if any(parameter["in"] == "query" for parameter in operation.get("parameters", [])):
                assert "repeated_parameter" in operation["responses"]["400"]["x-codes"], (method, path)


def test_responses_match_their_schemas(api: ApiServer, a: httpx.Client, document: dict[str, Any]) -> None:
    link = create(a, title="t", campaign="c", contact_id="p", expires_at="2999-01-01")
    bare = create(a)
    checks: list[tuple[str, Any]] = [
        ("Link", link),
        ("Link", bare),
        ("Link", a.get(f"/api/v1/links/{link['id']}").json()),
        ("Link", a.patch(f"/api/v1/links/{link['id']}", json={"title": None}).json()),
        ("LinkList", a.get("/api/v1/links", params={"limit": 1}).json()),
        ("Settings", a.get("/api/v1/settings").json()),
        ("Settings", a.patch("/api/v1/settings", json={"collect_metadata": False}).json()),
        ("Settings", a.patch("/api/v1/settings", json={"click_id_param": "cid"}).json()),
        ("Link", create(a, conversion_tracking=True)),
        ("ApiKeyCreated", a.post("/api/v1/keys", json={"name": "k"}).json()),
        ("ApiKeyCreated", a.post("/api/v1/keys", json={"name": "p", "kind": "publishable"}).json()),
        ("ApiKeyList", a.get("/api/v1/keys").json()),
        ("Error", a.post("/api/v1/links", json={}).json()),
        ("Error", a.get("/api/v1/links/x").json()),
        ("Error", httpx.get(api.url + "/api/v1/links").json()),
        ("Error", a.put("/api/v1/links").json()),
    ]
    for schema, body in checks:
        _validator(document, schema).validate(body)


def test_request_schemas_accept_what_the_api_accepts(document: dict[str, Any]) -> None:
    _validator(document, "LinkCreate").validate(
        {"destination_url": "https://x.org", "code": "abcd", "title": None, "expires_at": "2999-01-01"}
    )
    _validator(document, "LinkPatch").validate({"title": None, "expires_at": None})
    assert not _validator(document, "LinkPatch").is_valid({"code": "abcd"})
    assert not _validator(document, "LinkCreate").is_valid({"title": "no url"})
    _validator(document, "SettingsPatch").validate(
        {"click_id_param": "sl_click", "attribution_window_days": 30}
    )
    assert not _validator(document, "SettingsPatch").is_valid({"click_id_param": "a b"})
    assert not _validator(document, "SettingsPatch").is_valid({"attribution_window_days": 366})
    assert not _validator(document, "ApiKeyCreate").is_valid({"name": "k", "kind": "public"})


def test_the_key_schema_states_which_keys_take_a_scope(document: dict[str, Any]) -> None:
    keys = _validator(document, "ApiKeyCreate")
    for body in (
        {"name": "k", "scope": "read_only"},
        {"name": "k", "kind": "secret", "scope": "read_only"},
        {"name": "k", "kind": "publishable"},
        {"name": "k", "kind": "publishable", "scope": "full"},
    ):
        assert keys.is_valid(body), body
    assert not keys.is_valid({"name": "k", "kind": "publishable", "scope": "read_only"})
    assert not keys.is_valid({"name": "k", "scope": "read"})

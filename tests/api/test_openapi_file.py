"""docs/openapi.json, the API reference the repository carries, is the document the code serves."""

from __future__ import annotations

import json

from api.openapi_file import FILE, document_text


def test_the_committed_document_is_the_one_the_code_serves() -> None:
    assert FILE.exists(), "docs/openapi.json is missing: run `.venv/bin/python -m api.openapi_file`"
    committed = FILE.read_text(encoding="utf-8")
    assert committed == document_text(), (
        "docs/openapi.json is older than the API's code: run `.venv/bin/python -m api.openapi_file`"
    )
    assert json.loads(committed)["paths"]["/api/v1/links"]["get"]

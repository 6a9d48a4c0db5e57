"""The OpenAPI document as the repository carries it, ``docs/openapi.json``: the API's
reference for whoever reads the code without running it (every API process also serves
its own at ``/api/v1/openapi.json``, with its public URL as the server). A test fails when
the file is older than the code.

    .venv/bin/python -m api.openapi_file      # rewrites docs/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from api.openapi import openapi_document
from smartlinks.settings import Settings

FILE = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def document_text() -> str:
    """The document with the default settings (the embedded product's URL), as the file holds it."""
    return json.dumps(openapi_document(Settings.from_env({})), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    FILE.write_text(document_text(), encoding="utf-8")
    print(f"wrote {FILE}")

"""OpenAPI paths and schemas of the webhooks endpoints (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

PATHS: dict[str, Any] = {}
SCHEMAS: dict[str, Any] = {}

"""OpenAPI paths and schemas of the qr endpoints (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.openapi_parts import ID_PARAMETER, error, operation, query
from api.qr import (
    CACHE_CONTROL,
    DEFAULT_FORMAT,
    DEFAULT_SIZE,
    MAX_SIZE,
    MEDIA_TYPES,
    MIN_SIZE,
    PARAM_ERROR_STATUS,
    PATH,
    QUIET_ZONE,
)

_HEADERS = {
    "ETag": {
        "description": "Changes only with the short URL, format and size.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": f"`{CACHE_CONTROL}`.", "schema": {"type": "string"}},
}

PATHS: dict[str, Any] = {
    PATH: {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "getLinkQrCode",
            "The link's short URL as a QR code image: square, black on white, error correction"
            f" at least M, a quiet zone of {QUIET_ZONE} modules, every module a whole number of"
            " pixels. Its side is the largest multiple of the symbol's width in modules (quiet"
            " zone included) that is at most `size`.",
            {
                "200": {
                    "description": "The image. `Content-Disposition` names it `qr-<code>.<format>`,"
                    " as an attachment with `download=true`.",
                    "headers": {
                        **_HEADERS,
                        "Content-Disposition": {
                            "description": '`inline` or `attachment`; `filename="qr-<code>.<format>"`.',
                            "schema": {"type": "string"},
                        },
                    },
                    "content": {
                        media_type: {"schema": {"type": "string", "contentMediaType": media_type}}
                        for media_type in MEDIA_TYPES.values()
                    },
                },
                "304": {
                    "description": "`If-None-Match` named the current ETag; no body.",
                    "headers": _HEADERS,
                },
                "404": error("link_not_found"),
                str(PARAM_ERROR_STATUS): error("invalid_format", "invalid_size", "invalid_boolean"),
            },
            parameters=[
                query(
                    "format",
                    f"Image format, default {DEFAULT_FORMAT}.",
                    {"type": "string", "enum": list(MEDIA_TYPES)},
                ),
                query(
                    "size",
                    f"Largest width and height in pixels, default {DEFAULT_SIZE}. A size smaller than"
                    " one pixel a module is `invalid_size`.",
                    {"type": "integer", "minimum": MIN_SIZE, "maximum": MAX_SIZE},
                ),
                query("download", "Send as an attachment; default false.", {"type": "boolean"}),
            ],
        ),
    },
}
SCHEMAS: dict[str, Any] = {}

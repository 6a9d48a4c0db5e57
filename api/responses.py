"""JSON responses, encoded by msgspec: a body's Struct (api/bodies/) or plain data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.responses import Response

_encode = msgspec.json.Encoder().encode


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _encode(content)


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return JSONBody(content, status_code=status, headers=headers)

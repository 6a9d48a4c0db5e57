"""QR codes of short links: ``GET /api/v1/links/{id}/qr`` draws a link's short URL as an
SVG or PNG image (segno writes both itself; no imaging library is involved).

The image is square and drawn on whole pixels: ``side = (N + 8) * floor(size / (N + 8))``,
where ``N`` is the symbol's width in modules (21 + 4 * (version - 1)) and 8 is the quiet
zone of 4 modules on each side. So ``size - (N + 8) < side <= size``: the largest image of
whole-pixel modules that fits in ``size``. A ``size`` below ``N + 8`` (one pixel a module)
is refused, which only a very long public base URL can cause at the lowest ``size``.

Error correction is at least M (15 % of the symbol restorable): enough for a screen or a
clean print without making the symbol denser; segno raises it to Q or H whenever that fits
in the same symbol version, so the extra robustness costs no size.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
from dataclasses import dataclass

import segno
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.context import ApiContext
from api.errors import ApiError
from api.links import PREFIX, LinkEndpoints
from api.routing import resource
from api.serialize import link_body
from api.validation import query_boolean
from smartlinks.models import utcnow

PATH = PREFIX + "/{id}/qr"
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
DEFAULT_FORMAT = "svg"
MIN_SIZE, DEFAULT_SIZE, MAX_SIZE = 64, 512, 2048
QUIET_ZONE = 4  # modules on each side, as ISO/IEC 18004 asks
ERROR_LEVEL = "M"
# A bad query parameter is a 400, as on the list and analytics endpoints.
PARAM_ERROR_STATUS = 400
# The body changes only with the short URL and these parameters, so a client revalidates
# (cheaply, by ETag) instead of reusing an image of a link that may have been deleted since.
CACHE_CONTROL = "private, no-cache"
_SIZE = re.compile(r"[0-9]{1,5}")
_VERSION = f"segno {segno.__version__}, {ERROR_LEVEL}, quiet zone {QUIET_ZONE}"


@dataclass(frozen=True, slots=True)
class QrParams:
    format: str
    size: int
    download: bool


def qr_params(params: QueryParams) -> QrParams:
    """The query parameters; an empty one counts as not given, but for ``download``: an empty
    value is neither true nor false."""
    fmt = (params.get("format") or DEFAULT_FORMAT).lower()
    if fmt not in MEDIA_TYPES:
        raise ApiError(PARAM_ERROR_STATUS, "invalid_format", "format must be svg or png.", field="format")
    raw_size = params.get("size")
    size = DEFAULT_SIZE
    if raw_size:
        if not _SIZE.fullmatch(raw_size) or not MIN_SIZE <= int(raw_size) <= MAX_SIZE:
            raise _invalid_size(f"size must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE}.")
        size = int(raw_size)
    return QrParams(fmt, size, query_boolean(params, "download"))


def _invalid_size(message: str) -> ApiError:
    return ApiError(PARAM_ERROR_STATUS, "invalid_size", message, field="size")


def render_qr(text: str, fmt: str, size: int) -> bytes:
    """``text`` as a QR code image in ``fmt``, at most ``size`` pixels on a side."""
    symbol = segno.make_qr(text, error=ERROR_LEVEL, boost_error=True)
    modules = symbol.symbol_size(scale=1, border=QUIET_ZONE)[0]
    scale = size // modules
    if scale < 1:
        raise _invalid_size(f"This link's QR code needs a size of at least {modules} pixels.")
    out = io.BytesIO()
    if fmt == "svg":
        # unit="px" writes a viewBox beside width and height, so the image scales in a page.
        symbol.save(out, kind="svg", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff", unit="px")
    else:
        symbol.save(out, kind="png", scale=scale, border=QUIET_ZONE, dark="#000", light="#fff")
    return out.getvalue()


def qr_etag(text: str, fmt: str, size: int) -> str:
    """A strong ETag of the image, known without drawing it."""
    digest = hashlib.sha256(f"{_VERSION}\n{fmt}\n{size}\n{text}".encode()).digest()
    return '"' + base64.urlsafe_b64encode(digest[:18]).decode() + '"'


def _none_match(header: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (compared weakly, as RFC 9110 says). A bare
    ``*`` gets the full answer: honouring it would answer a refused ``size`` with a 304."""
    if header is None:
        return False
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


class QrEndpoints:
    def __init__(self, ctx: ApiContext, links: LinkEndpoints) -> None:
        self.ctx = ctx
        self.links = links

    def routes(self) -> list[Route]:
        return [resource(PATH, get=self.qr)]

    async def qr(self, request: Request) -> Response:
        link = await self.links.link_of(request)
        params = qr_params(request.query_params)
        # The very short_url the link object shows, built in one place.
        short_url: str = link_body(link, self.ctx.settings, 0, utcnow()).short_url
        etag = qr_etag(short_url, params.format, params.size)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if _none_match(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        # A large PNG takes milliseconds to draw: off the event loop.
        body = await asyncio.to_thread(render_qr, short_url, params.format, params.size)
        disposition = "attachment" if params.download else "inline"
        headers["Content-Disposition"] = f'{disposition}; filename="qr-{link.code}.{params.format}"'
        headers["X-Content-Type-Options"] = "nosniff"
        return Response(body, media_type=MEDIA_TYPES[params.format], headers=headers)

"""QR codes of links over real HTTP. Every image is read back: the PNG by zxing-cpp, the
SVG by drawing its path module by module and handing that to the same decoder, and the two
must be the same symbol."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import zxingcpp
from PIL import Image

from api.errors import ApiError
from api.qr import render_qr
from tests.api.conftest import ApiServer, create, error_of, unique_code

QUIET_ZONE = 4
SVG_NS = "{http://www.w3.org/2000/svg}"
Matrix = list[list[bool]]  # rows of modules, quiet zone included; True is dark


def qr_path(link: dict[str, object]) -> str:
    return f"/api/v1/links/{link['id']}/qr"


def decode(image: Image.Image) -> str:
    [found] = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    assert found.ec_level in ("M", "Q", "H")  # at least M
    return found.text


def png_matrix(body: bytes) -> tuple[Matrix, int]:
    """The modules of a PNG code and its pixels a module."""
    image = Image.open(io.BytesIO(body)).convert("L")
    side = image.width
    assert image.height == side
    # The top-left finder pattern starts right after the quiet zone, on the diagonal.
    first_dark = next(i for i in range(side) if image.getpixel((i, i)) == 0)
    scale, rest = divmod(first_dark, QUIET_ZONE)
    assert rest == 0 and scale >= 1 and side % scale == 0
    modules = side // scale
    # Every pixel of a module has the module's colour: whole-pixel modules, no blur.
    for row in range(modules):
        for col in range(modules):
            box = image.crop((col * scale, row * scale, (col + 1) * scale, (row + 1) * scale))
            low, high = box.getextrema()
            assert low == high and low in (0, 255)
    matrix = [
        [image.getpixel((col * scale, row * scale)) == 0 for col in range(modules)] for row in range(modules)
    ]
    return matrix, scale


def svg_matrix(body: bytes) -> tuple[Matrix, int]:
    """The modules segno's SVG draws and its width in pixels: a white square and one dark
    path of horizontal unit-wide strokes through module centres, scaled to whole pixels."""
    root = ET.fromstring(body)
    assert root.tag == SVG_NS + "svg"
    width, height = root.get("width"), root.get("height")
    assert width == height and width is not None and width.endswith("px")
    side = int(width.removesuffix("px"))
    assert root.get("viewBox") == f"0 0 {side} {side}"  # it scales in a page
    transforms = [element.get("transform") for element in root.iter() if element.get("transform")]
    found = re.fullmatch(r"scale\((\d+)\)", transforms[0] if transforms else "scale(1)")
    assert len(transforms) <= 1 and found is not None
    scale = int(found.group(1))
    assert side % scale == 0
    modules = side // scale
    [light] = [p.get("d") for p in root.iter(SVG_NS + "path") if p.get("fill") == "#fff"]
    assert light == f"M0 0h{modules}v{modules}h-{modules}z"  # readable on a dark page too
    [dark] = [p.get("d") or "" for p in root.iter(SVG_NS + "path") if p.get("stroke") == "#000"]
    matrix = [[False] * modules for _ in range(modules)]
    x = y = 0.0
    strokes = re.findall(r"([Mm])(-?[\d.]+) (-?[\d.]+)h(\d+)", dark)
    assert strokes and "".join(f"{c}{dx} {dy}h{n}" for c, dx, dy, n in strokes) == dark  # all read
    for command, dx, dy, length in strokes:
        x, y = (float(dx), float(dy)) if command == "M" else (x + float(dx), y + float(dy))
        row, fraction = divmod(y, 1)
        assert fraction == 0.5 and x == int(x)  # strokes through module centres
        for col in range(int(x), int(x) + int(length)):
            matrix[int(row)][col] = True
        x += int(length)
    return matrix, side


def draw(matrix: Matrix, scale: int = 4) -> Image.Image:
    """A module matrix as a black-on-white image, for the decoder."""
    image = Image.new("L", (len(matrix) * scale,) * 2, 255)
    for row, line in enumerate(matrix):
        for col, is_dark in enumerate(line):
            if is_dark:
                image.paste(0, (col * scale, row * scale, (col + 1) * scale, (row + 1) * scale))
    return image


def assert_quiet_zone(matrix: Matrix) -> None:
    inner = range(QUIET_ZONE, len(matrix) - QUIET_ZONE)
    for row, line in enumerate(matrix):
        for col, is_dark in enumerate(line):
            if is_dark:
                assert row in inner and col in inner


def test_svg_by_default_reads_back_as_the_short_url(a: httpx.Client) -> None:
    link = create(a)
    response = a.get(qr_path(link))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-disposition"] == f'inline; filename="qr-{link["code"]}.svg"'
    assert response.headers["x-content-type-options"] == "nosniff"
    matrix, side = svg_matrix(response.content)
    assert side <= 512
    assert_quiet_zone(matrix)
    assert decode(draw(matrix)) == link["short_url"]


def test_png_reads_back_as_the_short_url_and_is_the_svgs_symbol(a: httpx.Client) -> None:
    link = create(a, code=unique_code("QrPng"))
    response = a.get(qr_path(link), params={"format": "png", "size": "300"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == f'inline; filename="qr-{link["code"]}.png"'
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.width == image.height <= 300
    assert decode(image) == link["short_url"]  # the case of the code survives
    png, _ = png_matrix(response.content)
    assert_quiet_zone(png)
    svg, _ = svg_matrix(a.get(qr_path(link), params={"size": "300"}).content)
    assert png == svg


@pytest.mark.parametrize("size", [64, 65, 99, 100, 333, 512, 1000, 2048])
def test_the_image_is_the_largest_whole_pixel_code_within_size(a: httpx.Client, size: int) -> None:
    link = create(a)
    png = a.get(qr_path(link), params={"format": "png", "size": str(size)})
    svg = a.get(qr_path(link), params={"format": "svg", "size": str(size)})
    png_modules, scale = png_matrix(png.content)
    svg_modules, svg_side = svg_matrix(svg.content)
    modules = len(png_modules)  # the symbol and both quiet zones
    side = modules * scale
    assert svg_modules == png_modules and svg_side == side
    assert side <= size < side + modules  # one more pixel a module would not fit
    assert decode(Image.open(io.BytesIO(png.content))) == link["short_url"]


@pytest.mark.parametrize(
    "size", ["63", "2049", "0", "-64", "512.0", "1e3", " 512", "+512", "abc", "99999999"]
)
def test_a_size_out_of_bounds_or_not_a_whole_number_is_400(a: httpx.Client, size: str) -> None:
    link = create(a)
    for fmt in ("svg", "png"):
        response = a.get(qr_path(link), params={"format": fmt, "size": size})
        assert error_of(response) == (400, "invalid_size", "size")


@pytest.mark.parametrize("fmt", ["jpg", "svgz", "gif", "image/png", "png "])
def test_another_format_is_400(a: httpx.Client, fmt: str) -> None:
    link = create(a)
    assert error_of(a.get(qr_path(link), params={"format": fmt})) == (400, "invalid_format", "format")


def test_empty_parameters_count_as_not_given_and_format_ignores_case(a: httpx.Client) -> None:
    link = create(a)
    default = a.get(qr_path(link))
    empty = a.get(qr_path(link), params={"format": "", "size": ""})
    assert empty.status_code == 200 and empty.content == default.content
    assert empty.headers["etag"] == default.headers["etag"]
    assert svg_matrix(default.content)[1] <= 512
    upper = a.get(qr_path(link), params={"format": "PNG"})
    assert upper.status_code == 200 and upper.headers["content-type"] == "image/png"


def test_an_empty_download_is_neither_true_nor_false(a: httpx.Client) -> None:
    # The document's download is a boolean: an empty value is not one (as the OpenAPI
    # document's allowEmptyValue says of the other parameters, and not of this one).
    link = create(a)
    assert error_of(a.get(qr_path(link), params={"download": ""})) == (400, "invalid_boolean", "download")


def test_a_parameter_given_twice_is_400(a: httpx.Client) -> None:
    link = create(a)
    response = a.get(qr_path(link) + "?size=100&size=200")
    assert error_of(response) == (400, "repeated_parameter", "size")


def test_download_makes_an_attachment(a: httpx.Client) -> None:
    link = create(a)
    for value in ("true", "1"):
        response = a.get(qr_path(link), params={"format": "png", "download": value})
        assert response.headers["content-disposition"] == f'attachment; filename="qr-{link["code"]}.png"'
    inline = a.get(qr_path(link), params={"download": "false"})
    assert inline.headers["content-disposition"].startswith("inline;")
    bad = a.get(qr_path(link), params={"download": "yes please"})
    assert error_of(bad) == (400, "invalid_boolean", "download")


def test_etag_revalidates_to_304(a: httpx.Client) -> None:
    link = create(a)
    first = a.get(qr_path(link), params={"format": "png"})
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[A-Za-z0-9_-]+"', etag)
    assert first.headers["cache-control"] == "private, no-cache"
    for header in (etag, f"W/{etag}", f'"other", {etag}'):
        again = a.get(qr_path(link), params={"format": "png"}, headers={"If-None-Match": header})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag and again.headers["cache-control"] == "private, no-cache"
    for header in ('"other"', "*"):
        full = a.get(qr_path(link), params={"format": "png"}, headers={"If-None-Match": header})
        assert full.status_code == 200 and full.content == first.content
    # The ETag follows the bytes: same request, same tag; another format or size, another.
    assert a.get(qr_path(link), params={"format": "png"}).headers["etag"] == etag
    others = {
        a.get(qr_path(link), params=params).headers["etag"]
        for params in ({"format": "svg"}, {"format": "png", "size": "256"})
    }
    assert etag not in others and len(others) == 2
    other_link = create(a)
    assert a.get(qr_path(other_link), params={"format": "png"}).headers["etag"] != etag


def test_a_stale_etag_does_not_hide_errors(a: httpx.Client, b: httpx.Client) -> None:
    link = create(a)
    etag = a.get(qr_path(link)).headers["etag"]
    assert error_of(b.get(qr_path(link), headers={"If-None-Match": etag})) == (404, "link_not_found", "id")
    assert a.delete(f"/api/v1/links/{link['id']}").status_code == 204
    assert error_of(a.get(qr_path(link), headers={"If-None-Match": etag})) == (404, "link_not_found", "id")


def test_another_tenants_unknown_and_deleted_links_are_404(a: httpx.Client, b: httpx.Client) -> None:
    link = create(a)
    assert error_of(b.get(qr_path(link))) == (404, "link_not_found", "id")
    assert error_of(b.get(qr_path(link), params={"format": "png"})) == (404, "link_not_found", "id")
    assert error_of(a.get("/api/v1/links/nope/qr")) == (404, "link_not_found", "id")
    assert a.delete(f"/api/v1/links/{link['id']}").status_code == 204
    assert error_of(a.get(qr_path(link))) == (404, "link_not_found", "id")


def test_the_link_is_checked_before_the_parameters(b: httpx.Client, a: httpx.Client) -> None:
    link = create(a)
    assert error_of(b.get(qr_path(link), params={"format": "jpg"})) == (404, "link_not_found", "id")


def test_an_expired_link_keeps_its_code(api: ApiServer, a: httpx.Client) -> None:
    # The owner may still print it or extend the link; the short URL itself answers 410.
    link = api.insert(api.a, expires_at=datetime.now(UTC) - timedelta(days=1))
    response = a.get(f"/api/v1/links/{link.id}/qr", params={"format": "png"})
    assert response.status_code == 200
    assert decode(Image.open(io.BytesIO(response.content))) == f"https://sl.example/{link.code}"


def test_needs_a_key(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    response = httpx.get(api.url + qr_path(link))
    assert error_of(response) == (401, "unauthorized", None)


def test_the_dashboard_session_cookie_may_read_it(api: ApiServer, a: httpx.Client) -> None:
    link = create(a)
    with httpx.Client(base_url=api.url, timeout=10) as browser:
        signed_in = browser.post("/dashboard/session", json={"key": api.a.key})
        assert signed_in.status_code == 200, signed_in.text
        response = browser.get(qr_path(link), params={"format": "png"})  # no CSRF token: a read
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert decode(Image.open(io.BytesIO(response.content))) == link["short_url"]


def test_head_sends_the_headers_of_get_without_the_body(a: httpx.Client) -> None:
    link = create(a)
    got = a.get(qr_path(link), params={"format": "png"})
    head = a.head(qr_path(link), params={"format": "png"})
    assert head.status_code == 200 and head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control", "content-disposition"):
        assert head.headers[name] == got.headers[name]


def test_other_methods_are_405(a: httpx.Client) -> None:
    link = create(a)
    response = a.post(qr_path(link))
    assert error_of(response) == (405, "method_not_allowed", None)
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_a_size_below_one_pixel_a_module_is_refused() -> None:
    # Only a very long public base URL makes a symbol wider than the smallest size.
    long_url = "https://" + "s" * 200 + ".example/abcdefg"
    with pytest.raises(ApiError) as refused:
        render_qr(long_url, "png", 64)
    assert (refused.value.status, refused.value.code, refused.value.field) == (400, "invalid_size", "size")
    modules = int(re.findall(r"\d+", refused.value.message)[0])
    assert modules > 64
    image = Image.open(io.BytesIO(render_qr(long_url, "png", modules)))
    assert image.width == modules and decode(image.resize((modules * 4,) * 2, Image.NEAREST)) == long_url

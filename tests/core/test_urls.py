from __future__ import annotations

import pytest

from smartlinks.urls import InvalidURL, display_host, to_header_url, validate_destination


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com:8080/path?q=1#frag",
        "https://bücher.example/straße",
        "https://[2001:db8::1]/x",
        "https://example.com/" + "a" * 4000,
    ],
)
def test_accepted(url: str) -> None:
    assert validate_destination(url) == url


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "invalid_url"),
        ("example.com", "unsupported_scheme"),
        ("ftp://example.com", "unsupported_scheme"),
        ("javascript:alert(1)", "unsupported_scheme"),
        ("data:text/html,hi", "unsupported_scheme"),
        ("https://user:pass@example.com", "url_has_credentials"),
        ("https://user@example.com", "url_has_credentials"),
        ("https://exa mple.com", "url_control_characters"),
        ("https://example.com/\r\nSet-Cookie: x", "url_control_characters"),
        ("https://example.com/\x00", "url_control_characters"),
        ("https://", "invalid_url"),
        ("https://example.com:99999/", "invalid_url"),
        ("https://a.com\\@b.com", "invalid_url"),
        ("https://" + "a" * 4100 + ".com", "url_too_long"),
    ],
)
def test_refused(url: str, code: str) -> None:
    with pytest.raises(InvalidURL) as info:
        validate_destination(url)
    assert info.value.code == code


# Each of these looks like one host but becomes another (or a broken one) once IDNA and
# NFKC turn its host into the ASCII the Location header carries.
NORMALISED_INTO_ANOTHER_URL = [
    "https://evil.com\uff3c.example.com/",  # full-width reverse solidus: "\\", read as "/"
    "https://evil.com\u00a0.example.com/",  # no-break space: a space
    "https://evil.com\u2002.example.com/",  # en space
    "https://evil.com\u3000.example.com/",  # ideographic space
    "https://evil.com\uff05.example.com/",  # full-width percent sign: "%"
    "https://evil\uff3bx.example.com/",  # full-width "[": an unclosed IPv6 literal
]


@pytest.mark.parametrize("url", NORMALISED_INTO_ANOTHER_URL)
def test_a_host_that_normalises_into_another_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidURL) as info:
        validate_destination(url)
    assert info.value.code == "url_unsafe_normalisation"


@pytest.mark.parametrize(
    ("url", "location"),
    [
        # The same characters outside the host are percent-encoded, so nothing changes.
        ("https://example.com/a\uff3cb\uff05c", "https://example.com/a%EF%BC%BCb%EF%BC%85c"),
        ("https://example.com/?q=\u00a0\u3000x", "https://example.com/?q=%C2%A0%E3%80%80x"),
        # NFKC that keeps a plain host name: what a browser makes of the original too.
        ("https://\uff21\uff22.example/", "https://ab.example/"),
        ("https://a\uff0eexample.com/", "https://a.example.com/"),
    ],
)
def test_a_host_that_normalises_into_a_plain_host_is_kept(url: str, location: str) -> None:
    assert validate_destination(url) == url
    assert to_header_url(url) == location


@pytest.mark.parametrize(
    "url",
    ["https://a%25.example/", "https://a^b.example/", "https://a|b.example/", "https://[fe80::1%25eth0]/"],
)
def test_an_ascii_host_with_characters_no_host_has_is_refused(url: str) -> None:
    with pytest.raises(InvalidURL) as info:
        validate_destination(url)
    assert info.value.code == "invalid_url"


@pytest.mark.parametrize(
    "url",
    [
        "https://-bad-.example/",
        "https://bad-.example/",
        "https://-bad.example/",
        "https://shop.-x.example/",
        "https://" + "a" * 64 + ".example/",
        "https://" + ".".join(["a" * 63] * 4) + ".example/",  # 263 characters
        "https://example.com../",
        "https://xn--bcher-kva-.example/",
    ],
)
def test_a_host_dns_would_not_resolve_is_refused(url: str) -> None:
    with pytest.raises(InvalidURL) as info:
        validate_destination(url)
    assert info.value.code == "invalid_url"


@pytest.mark.parametrize(
    "url",
    [
        "https://a-b.example/",
        "https://" + "a" * 63 + ".example/",
        "https://example.com./",
        "https://1.2.3.4/",
        "https://my_host.example/",
    ],
)
def test_a_host_at_dns_limits_is_accepted(url: str) -> None:
    assert validate_destination(url) == url


def test_header_form_is_ascii() -> None:
    assert to_header_url("https://example.com/a?b=c") == "https://example.com/a?b=c"
    assert to_header_url("https://bücher.example:8443/ü?q=ä#ö") == (
        "https://xn--bcher-kva.example:8443/%C3%BC?q=%C3%A4#%C3%B6"
    )


def test_look_alike_hosts_show_as_punycode() -> None:
    assert display_host("https://аpple.com/") == "xn--pple-43d.com"

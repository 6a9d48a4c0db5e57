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


def test_header_form_is_ascii() -> None:
    assert to_header_url("https://example.com/a?b=c") == "https://example.com/a?b=c"
    assert to_header_url("https://bücher.example:8443/ü?q=ä#ö") == (
        "https://xn--bcher-kva.example:8443/%C3%BC?q=%C3%A4#%C3%B6"
    )


def test_look_alike_hosts_show_as_punycode() -> None:
    assert display_host("https://аpple.com/") == "xn--pple-43d.com"

from __future__ import annotations

import pytest

from consumer.enrich.referrer import referrer_host


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        ("https://www.google.com/", "google.com"),
        ("https://WWW.Example.COM:8443/a/b?c=d#e", "example.com"),
        ("http://news.ycombinator.com", "news.ycombinator.com"),
        ("https://l.facebook.com/l.php?u=x", "l.facebook.com"),
        ("https://user:pass@mail.example.org/inbox", "mail.example.org"),
        ("https://example.com.", "example.com"),
        ("https://[2001:db8::1]:8080/x", "[2001:db8::1]"),
        ("https://bücher.example/", "bücher.example"),
        ("android-app://com.google.android.gm/", "com.google.android.gm"),
        ("android-app://org.telegram.messenger", "org.telegram.messenger"),
        ("", ""),
        ("-", ""),
        ("google.com", ""),
        ("/relative/path", ""),
        ("ftp://files.example.com/x", ""),
        ("javascript:alert(1)", ""),
        ("https://", ""),
        ("https:///path", ""),
        ("https://exa mple.com/", ""),
        ("https://bad\x00host.com/", ""),
        ("https://%65xample.com/", ""),
        ("https://" + "a" * 300 + ".com/", ""),
    ],
)
def test_referrer_host(referer: str, host: str) -> None:
    assert referrer_host(referer) == host

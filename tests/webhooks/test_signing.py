"""Delivery signatures, checked with an HMAC computed here, as a receiver would."""

from __future__ import annotations

import hashlib
import hmac

from consumer.webhooks import signing

SECRET = "whsec_0123456789abcdef"
BODY = b'{"id": "d1", "type": "link.clicked"}'


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    header = signing.header_value(SECRET, BODY, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature_only() -> None:
    header = signing.header_value(SECRET, BODY, timestamp=1_700_000_000)
    assert signing.verify(SECRET, header, BODY, now=1_700_000_100)
    assert not signing.verify(SECRET, header, BODY + b" ", now=1_700_000_100)  # body changed
    assert not signing.verify("whsec_other", header, BODY, now=1_700_000_100)  # another secret
    assert not signing.verify(SECRET, header, BODY, now=1_700_000_000 + 301)  # replayed later
    assert not signing.verify(SECRET, header.replace("t=1700000000", "t=1700000100"), BODY, now=1_700_000_100)
    assert not signing.verify(SECRET, "garbage", BODY)
    # Several v1 values (a receiver mid-rotation): one that matches is enough.
    assert signing.verify(SECRET, header.replace(",v1=", ",v1=00,v1="), BODY, now=1_700_000_000)

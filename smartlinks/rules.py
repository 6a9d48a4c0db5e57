"""A link's rules: what the redirect edge decides per click beyond the one destination.

``max_clicks`` (then ``expired_url`` or the 410 page), a password, targets by OS, device
and country, and weighted A/B variants. The store keeps them as one JSON column (NULL for
a link without rules: most links), the redirector's cache carries them inside the cached
link (``ResolvedLink.rules``) so every decision is made without another store read, and
a link without rules pays one ``is None`` test for all of them.

Destinations are kept as the client sent them (after validation); the edge turns the one
it picks into a header value. The password is kept only as its slow hash
(``smartlinks.passwords``): the edge needs the hash to check a visitor's guess.
"""

from __future__ import annotations

from typing import Literal

import msgspec

OS = Literal["ios", "android", "windows", "macos", "linux"]
Device = Literal["mobile", "desktop", "tablet"]
OPERATING_SYSTEMS: tuple[OS, ...] = ("ios", "android", "windows", "macos", "linux")
DEVICES: tuple[Device, ...] = ("mobile", "desktop", "tablet")


class Target(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """Where a visitor goes when every condition it names holds (at least one is named)."""

    destination_url: str
    os: OS | None = None
    device: Device | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case


class Variant(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One arm of an A/B test: a visitor lands on it with weight / (sum of weights)."""

    destination_url: str
    weight: int


class LinkRules(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    max_clicks: int | None = None  # human clicks; bots never use a link up
    expired_url: str | None = None  # where an expired or used-up link sends visitors
    password_hash: str | None = None
    targets: tuple[Target, ...] = ()
    variants: tuple[Variant, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.max_clicks is not None
            or self.expired_url is not None
            or self.password_hash is not None
            or self.targets
            or self.variants
        )


NO_RULES = LinkRules()

_json = msgspec.json.Encoder()
_from_json = msgspec.json.Decoder(LinkRules)
_packed = msgspec.msgpack.Encoder()
_from_packed = msgspec.msgpack.Decoder(LinkRules)


def rules_or_none(rules: LinkRules | None) -> LinkRules | None:
    """None for rules that decide nothing: a link without rules is stored and cached as one."""
    return rules if rules else None


def rules_to_json(rules: LinkRules | None) -> str | None:
    """The store's column: NULL for no rules."""
    return _json.encode(rules).decode() if rules else None


def rules_from_json(text: str | bytes | None) -> LinkRules | None:
    return None if not text else _from_json.decode(text)


def pack_rules(rules: LinkRules) -> bytes:
    """The rules inside a packed cache record (msgpack: smaller and faster than JSON)."""
    return _packed.encode(rules)


def unpack_rules(data: bytes | bytearray | memoryview) -> LinkRules:
    return _from_packed.decode(data)

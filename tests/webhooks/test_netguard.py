"""Which webhook URLs the service may call: judged by the addresses a host resolves to."""

from __future__ import annotations

import ipaddress

import pytest

from smartlinks import netguard

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "169.254.169.254", "100.64.0.1", "100.127.255.254", "224.0.0.1", "239.1.2.3", "240.0.0.1",
        "255.255.255.255", "192.0.2.1", "198.18.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1",
    ],
)  # fmt: skip
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert netguard.forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not netguard.forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8080/hook",
        "https://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9000/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8080/hook",  # a name that resolves to loopback
        "http://LOCALHOST./hook",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://0/",
    ],
)
async def test_urls_into_private_networks_are_refused(url: str) -> None:
    with pytest.raises(netguard.ForbiddenTarget, match="not a public address"):
        await netguard.check(url, allow_private=False)


async def test_the_deployment_may_allow_private_addresses() -> None:
    [target] = await netguard.check("http://127.0.0.1:8080/hook?x=1", allow_private=True)
    assert target == netguard.Target(
        "http://127.0.0.1:8080/hook?x=1", "127.0.0.1:8080", "127.0.0.1", "127.0.0.1"
    )
    targets = await netguard.check("http://localhost:9/", allow_private=True)
    assert {t.address for t in targets} <= {"127.0.0.1", "::1"} and targets[0].host_header == "localhost:9"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://8.8.8.8/", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("https://user:pw@8.8.8.8/", "user name or password"),
        ("https://8.8.8.8/#frag", "fragment"),
        ("https:///nohost", "name a host"),
        ("https://8.8.8.8/a b", "spaces"),
        ("https://8.8.8.8\\@10.0.0.1/", "backslashes"),
        ("https://8.8.8.8:99999/", "not valid"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("", "1 to 2048"),
        ("https://8.8.8.8/" + "a" * 2100, "1 to 2048"),
    ],
)
async def test_malformed_urls_are_invalid(url: str, words: str) -> None:
    with pytest.raises(netguard.InvalidTarget, match=words):
        await netguard.check(url, allow_private=True)


async def test_a_checked_url_is_pinned_to_its_address() -> None:
    # The request goes to the address checked; Host and TLS (SNI) keep the name.
    [target] = await netguard.check("https://93.184.215.14/a/b?c=d", allow_private=False)
    assert target.url == "https://93.184.215.14:443/a/b?c=d" and target.host_header == "93.184.215.14"
    [target] = await netguard.check("https://[2606:4700:4700::1111]:8443", allow_private=False)
    assert target.url == "https://[2606:4700:4700::1111]:8443/"
    assert (target.host_header, target.hostname) == ("[2606:4700:4700::1111]:8443", "2606:4700:4700::1111")


async def test_the_resolver_keeps_answers_briefly() -> None:
    resolver = netguard.Resolver(ttl=60)
    first = await resolver.resolve("localhost", 80)
    assert first and all(address.is_loopback for address in first)
    assert await resolver.resolve("localhost", 80) is first

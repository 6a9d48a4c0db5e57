"""Enrichment of click events: visitor, bot verdict, user agent, location, referrer, and
(per batch) the visit classification.

``Enricher(geo, visitor_key).enrich(event)`` turns a validated ``ClickEvent`` into a
``ClickRow``; each step lives in its own module.
"""

from consumer.enrich.geo import GeoDatabaseError, GeoLocator, Location
from consumer.enrich.pipeline import Enricher, EnrichStats
from consumer.enrich.row import ClickRow, StoredClick

__all__ = [
    "ClickRow",
    "EnrichStats",
    "Enricher",
    "GeoDatabaseError",
    "GeoLocator",
    "Location",
    "StoredClick",
]

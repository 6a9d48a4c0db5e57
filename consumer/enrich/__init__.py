"""Enrichment of click events: bot verdict, user agent, location, referrer, visitor.

``Enricher(geo, visitor_key).enrich(event)`` turns a ``ClickEvent`` into a ``ClickRow``
or raises ``RejectedEvent``; each step lives in its own module.
"""

from consumer.enrich.geo import GeoDatabaseError, GeoLocator, Location
from consumer.enrich.pipeline import DropReason, Enricher, EnrichStats, RejectedEvent
from consumer.enrich.row import ClickRow

__all__ = [
    "ClickRow",
    "DropReason",
    "EnrichStats",
    "Enricher",
    "GeoDatabaseError",
    "GeoLocator",
    "Location",
    "RejectedEvent",
]

"""Click analytics over ClickHouse: the queries behind the analytics and click-log endpoints."""

from api.analytics.buckets import RangeError
from api.analytics.query import AnalyticsQueries, ClickCursor

__all__ = ["AnalyticsQueries", "ClickCursor", "RangeError"]

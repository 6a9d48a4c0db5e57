"""``smartlinks analytics``: the consumer and the API in one process.

A single analytics node: the two halves share one ClickHouse, which may then be chDB in
the data directory. Clicks still come from the redirectors through Kafka.
"""

from __future__ import annotations

from roles.analyst_http import AnalystPart
from roles.api import ApiPart
from roles.consumer import ConsumerPart
from roles.process import Process
from smartlinks.settings import Settings


def build(settings: Settings) -> Process:
    process = Process(settings, embedded=False)
    process.add(ConsumerPart(process))
    process.add(ApiPart(process))
    process.add(AnalystPart(process))  # analysts' read-only queries when ClickHouse is chDB
    return process

"""``smartlinks up``: every part in one process (the embedded mode).

The consumer reads the redirector's edge log and the API's funnel log in-process, link
changes go through the in-process feed, and the stores are SQLite and chDB in the data
directory; set Kafka or the servers and the same process uses them instead. Only the
transport differs from the distributed deployment: the parts are the same code.

When the process may use more than one CPU, the consumer's decoding and enrichment run in
a child process (``SMARTLINKS_ENRICH_WORKERS``, consumer/enrich_worker.py): they cost about
what a redirect does and would hold this process's GIL. Its inserts and the API's
analytics stay here, with chDB, which allows one process per data directory.
"""

from __future__ import annotations

from roles.analyst_http import AnalystPart
from roles.api import ApiPart
from roles.consumer import ConsumerPart
from roles.process import Process
from roles.redirector import RedirectorPart
from smartlinks.settings import Settings


def build(settings: Settings) -> Process:
    process = Process(settings, embedded=True)
    # Started in this order and stopped in reverse. The logs the redirector and the API
    # write are opened before any part starts and closed after all have stopped, so the
    # consumer's last drain still reads them.
    process.add(ConsumerPart(process))
    process.add(RedirectorPart(process))
    process.add(ApiPart(process))
    process.add(AnalystPart(process))  # analysts' read-only queries when ClickHouse is chDB
    return process

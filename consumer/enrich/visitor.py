"""The visitor id of a click, for unique counting.

The redirector decides it (the cookie, or the hash that becomes the cookie) and the event
carries it. Events written before they carried it get the same function the redirector
uses (``smartlinks.visitor``), on the raw IP and user agent as the redirector saw them: a
first click without a cookie and the later clicks with it count as one visitor.
"""

from __future__ import annotations

from schemas.events import ClickEvent
from smartlinks.bots.text import scrub
from smartlinks.visitor import visitor_id


def visitor_of(key: bytes, event: ClickEvent) -> str:
    if event.visitor_id is not None:
        return event.visitor_id
    try:
        return visitor_id(key, event.visitor_cookie, event.ip, event.user_agent)
    except UnicodeEncodeError:  # no redirector sends these: any stable id will do
        return visitor_id(key, event.visitor_cookie, scrub(event.ip), scrub(event.user_agent))

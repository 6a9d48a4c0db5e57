"""Funnel events as the API makes them (``api.funnel_events``), for tests that feed the
funnel sink or consumer directly: every optional field empty unless given."""

from __future__ import annotations

from typing import Any

from schemas.events import FunnelEvent

DAY_MS = 86_400_000


def funnel_event(kind: str, tenant_id: str, event_id: str, at: int, **fields: Any) -> FunnelEvent:
    """A ``kind`` event (DELIVERED or CONVERSION) that happened at ``at`` (Unix ms), received
    5 ms later, with a 30-day attribution window; ``fields`` override the rest."""
    values: dict[str, Any] = {
        "campaign": None, "contact_id": None, "message_id": None, "name": None, "click_id": None,
        "value": None, "currency": None, "ip": "", "user_agent": "", "collect_metadata": True,
        "received_at": at + 5, "attribution_window_ms": 30 * DAY_MS,
    }  # fmt: skip
    values.update(fields)
    return FunnelEvent(type=kind, id=event_id, tenant_id=tenant_id, at=at, **values)

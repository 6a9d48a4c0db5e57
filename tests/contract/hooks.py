"""schemathesis hooks of the contract run (loaded through ``schemathesis.toml``).

A few rules of the API depend on something no JSON Schema can see, so a request the
document allows may be refused for them alone. Only those refusals are forgiven, each by
its own machine code, and only where its rule applies:

- ``invalid_range``: an analytics range must end after it starts and hold at most
  10,000 buckets of its interval; a schema checks each value on its own and cannot compare
  ``from`` with ``to``. Forgiven for a request that sends ``from``.
- ``expires_in_past`` and ``at_out_of_range``: a link's expiry must be in the future and an
  event's time within a window around now, which moves while the document stays the same.
- ``idempotency_key_reused``: a bulk create's Idempotency-Key sent before with another body
  (the run draws few distinct keys); the document states the rule, but it is about
  requests made before, not this one.

Every other failure stands.
"""

from __future__ import annotations

from typing import Any

import schemathesis

# Rules of the moment (what now is) and of the past (an Idempotency-Key used before).
_MOMENT_CODES = frozenset({"expires_in_past", "at_out_of_range", "idempotency_key_reused"})


# Rules of the store's state: a link's domain must be one its tenant added, a fact of the
# store that no JSON Schema can state (the document says what a domain name looks like).
_STATE_CODES = frozenset({"unknown_domain"})


def _forgiven(code: str, query: dict[str, Any]) -> bool:
    return (
        code in _MOMENT_CODES or code in _STATE_CODES or (code == "invalid_range" and bool(query.get("from")))
    )


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep a failure unless it is a refusal of valid data for one of the rules above, or
    the known disagreement."""
    if type(failure).__name__ != "RejectedPositiveData":
        return True
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return True
    return not (400 <= response.status_code < 500 and _forgiven(code, case.query or {}))

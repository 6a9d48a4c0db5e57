"""One delivery attempt over HTTP: check the URL again, POST the signed body to the
address that was checked, keep the start of the answer.

Never follows redirects (a 3xx is a failed attempt, like any other non-2xx), ignores
proxy variables of the environment (the request must go to the address checked), and
reads at most ``BODY_KEPT`` bytes of a response. An attempt never raises: whatever
happens becomes a ``DeliveryAttempt`` with a status code or an error.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

import httpx

from consumer.webhooks import signing
from smartlinks import netguard
from smartlinks.models import utcnow
from smartlinks.webhooks import ClaimedDelivery, DeliveryAttempt

USER_AGENT = "Smartlinks-Webhooks/1"
BODY_KEPT = 1024
ERROR_KEPT = 300
_ADDRESSES_TRIED = 3  # of a name's addresses, when the first ones refuse connections
_CLIENTS = 64  # hosts with a connection pool of their own at a time


class Sender:
    def __init__(self, allow_private: bool, timeout: float = 10.0, connections: int = 16) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.connections = connections
        self.resolver = netguard.Resolver()
        # One pool per host name: pooled connections are keyed by address, and a TLS
        # connection verified for one name must never carry a request for another name
        # that happens to share the address (a CDN, say).
        self._clients: OrderedDict[tuple[str, str], httpx.AsyncClient] = OrderedDict()

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            await client.aclose()

    async def send(self, claimed: ClaimedDelivery) -> DeliveryAttempt:
        at = utcnow()
        started = time.perf_counter()
        status: int | None = None
        body: str | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                targets = await netguard.check(claimed.url, self.allow_private, self.resolver)
                status, body = await self._post(targets, claimed)
        except netguard.ForbiddenTarget as exc:
            error = f"refused: {exc}"
        except netguard.InvalidTarget as exc:
            error = str(exc)
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = round((time.perf_counter() - started) * 1000)
        return DeliveryAttempt(at, status, _clean(error, ERROR_KEPT), _clean(body, BODY_KEPT), duration_ms)

    async def _post(self, targets: list[netguard.Target], claimed: ClaimedDelivery) -> tuple[int, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Smartlinks-Delivery": claimed.id,
            "Smartlinks-Event": claimed.type,
            signing.HEADER: signing.header_value(claimed.secret, claimed.payload),
        }
        client = await self._client(targets[0])
        refused: httpx.ConnectError | None = None
        for target in targets[:_ADDRESSES_TRIED]:
            request = client.build_request(
                "POST",
                target.url,
                content=claimed.payload,
                headers={**headers, "Host": target.host_header},
                extensions={"sni_hostname": target.hostname},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                refused = exc
                continue
            try:
                return response.status_code, await _start_of(response)
            finally:
                await response.aclose()
        assert refused is not None
        raise refused

    async def _client(self, target: netguard.Target) -> httpx.AsyncClient:
        key = (target.url.split(":", 1)[0], target.hostname)
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=self.connections, keepalive_expiry=30),
        )
        self._clients[key] = client
        if len(self._clients) > _CLIENTS:
            _, oldest = self._clients.popitem(last=False)
            await oldest.aclose()
        return client


async def _start_of(response: httpx.Response) -> str:
    kept = b""
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= BODY_KEPT:
            break
    return kept[:BODY_KEPT].decode("utf-8", "replace")


def _clean(text: str | None, limit: int) -> str | None:
    # PostgreSQL's text cannot hold NUL; a response body can.
    return None if text is None else text[:limit].replace("\x00", "")

"""``/api/v1/domains``: a tenant's own domains, for short URLs such as
https://go.acme.com/spring.

Adding, changing or removing a domain is announced like a link change (``domain_changed``
through the outbox), so every redirector starts or stops answering the host at once; the
API waits for that before it answers, as it does for link edits.
"""

from __future__ import annotations

from msgspec import UNSET
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.domains import Domain as DomainBody
from api.bodies.domains import DomainCreate, DomainList, DomainPatch
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError, error_code
from api.listing import is_id
from api.responses import json_response
from api.routing import resource
from api.validation import read_object
from smartlinks.domains import InvalidDomain, normalize_host, public_host
from smartlinks.models import Domain, rfc3339
from smartlinks.store.domain_store import DomainInUse, DomainTaken
from smartlinks.urls import InvalidURL, validate_destination

PREFIX = "/api/v1/domains"


def domain_body(domain: Domain) -> DomainBody:
    return DomainBody(
        id=domain.id,
        domain=domain.host,
        not_found_url=domain.not_found_url,
        created_at=rfc3339(domain.created_at),
        updated_at=rfc3339(domain.updated_at),
    )


def _not_found_url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return validate_destination(value, "not_found_url")
    except InvalidURL as exc:
        raise ApiError(422, error_code(exc.code), exc.message, field="not_found_url") from None


class DomainEndpoints:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self._own_host = public_host(ctx.settings.base_url)

    def routes(self) -> list[Route]:
        return [
            resource(PREFIX, get=self.list_domains, post=self.add_domain),
            resource(
                PREFIX + "/{id}", get=self.get_domain, patch=self.patch_domain, delete=self.remove_domain
            ),
        ]

    def _host(self, text: str) -> str:
        try:
            host = normalize_host(text)
        except InvalidDomain as exc:
            raise ApiError(422, "invalid_domain", f"{text!r}: {exc}.", field="domain") from None
        if host == self._own_host:
            raise ApiError(422, "invalid_domain", "The service's own host is everyone's.", field="domain")
        return host

    async def add_domain(self, request: Request) -> Response:
        tenant = tenant_of(request)
        sent = decode(await read_object(request), DomainCreate)
        host = self._host(sent.domain)
        try:
            domain = await self.ctx.store.domains.add(tenant.id, host, _not_found_url(sent.not_found_url))
        except DomainTaken:
            raise ApiError(409, "domain_taken", f"{host} is added already.", field="domain") from None
        await self.ctx.deliver_changes()
        return json_response(domain_body(domain), status=201, headers={"Location": f"{PREFIX}/{domain.id}"})

    async def list_domains(self, request: Request) -> Response:
        found = await self.ctx.store.domains.of_tenant(tenant_of(request).id)
        return json_response(DomainList([domain_body(domain) for domain in found]))

    async def _domain_of(self, request: Request) -> Domain:
        domain_id: str = request.path_params["id"]
        found = (
            await self.ctx.store.domains.get(tenant_of(request).id, domain_id) if is_id(domain_id) else None
        )
        if found is None:
            raise _not_found()
        return found

    async def get_domain(self, request: Request) -> Response:
        return json_response(domain_body(await self._domain_of(request)))

    async def patch_domain(self, request: Request) -> Response:
        domain = await self._domain_of(request)
        body = await read_object(request)
        if "domain" in body:
            message = "A domain's name cannot change: add the new one."
            raise ApiError(422, "domain_immutable", message, "domain")
        sent = decode(body, DomainPatch)
        if sent.not_found_url is UNSET:
            return json_response(domain_body(domain))
        url = _not_found_url(sent.not_found_url)
        changed = await self.ctx.store.domains.set_not_found_url(domain.tenant_id, domain.id, url)
        if changed is None:  # removed meanwhile
            raise _not_found()
        await self.ctx.deliver_changes()
        return json_response(domain_body(changed))

    async def remove_domain(self, request: Request) -> Response:
        domain_id: str = request.path_params["id"]
        tenant = tenant_of(request)
        try:
            removed = await self.ctx.store.domains.remove(tenant.id, domain_id) if is_id(domain_id) else None
        except DomainInUse as exc:
            raise ApiError(409, "domain_in_use", f"{exc.args[0]} still has live links.", field="id") from None
        if removed is None:
            raise _not_found()
        await self.ctx.deliver_changes()
        return Response(status_code=204)


def _not_found() -> ApiError:
    return ApiError(404, "domain_not_found", "No domain with this id.", field="id")

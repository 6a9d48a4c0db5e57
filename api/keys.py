"""A tenant's API keys: list, create (the plaintext is shown once) and revoke.

A key is ``secret`` (``sl_...``, the default: everything the API does) or ``publishable``
(``slp_...``: made to sit in a web page, it can only report conversions, see ``api.track``).
A secret key's ``scope`` is ``full`` (the default) or ``read_only`` (GET and HEAD only,
enforced by ``api.auth``); a publishable key has no scope of its own to choose.

Revoking is refused (409 ``last_active_key``) when it would leave the tenant without any
active full secret key, since nothing in the API could then let the tenant back in. Revoking the
key that makes the request is allowed when another active key exists: that is how a
key is rotated. Revoking an already revoked key is a no-op (204). The store decides
"another key is active" and revokes in one step, so concurrent revocations cannot both pass.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.keys import ApiKeyCreate, ApiKeyCreated, ApiKeyList
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError
from api.listing import is_id
from api.responses import json_response
from api.routing import resource
from api.serialize import key_body
from api.validation import read_object
from smartlinks.store.base import LastActiveKey

PATH = "/api/v1/keys"


def key_routes(ctx: ApiContext) -> list[Route]:
    async def list_keys(request: Request) -> Response:
        keys = await ctx.store.list_api_keys(tenant_of(request).id)
        return json_response(ApiKeyList([key_body(key) for key in keys]))

    async def create_key(request: Request) -> Response:
        tenant = tenant_of(request)
        sent = decode(await read_object(request), ApiKeyCreate)
        if sent.kind == "publishable" and sent.scope != "full":
            raise ApiError(
                422,
                "invalid_scope",
                "scope is for secret keys: a publishable key can only report conversions already.",
                field="scope",
            )
        record, key = await ctx.store.create_api_key(tenant.id, sent.name, sent.kind, sent.scope)
        created = ApiKeyCreated(**msgspec.structs.asdict(key_body(record)), key=key)
        return json_response(created, status=201, headers={"Location": f"{PATH}/{record.id}"})

    async def revoke_key(request: Request) -> Response:
        tenant = tenant_of(request)
        key_id: str = request.path_params["id"]
        keys = await ctx.store.list_api_keys(tenant.id) if is_id(key_id) else []
        if not any(key.id == key_id for key in keys):
            raise ApiError(404, "key_not_found", "No API key with this id.", field="id")
        try:
            await ctx.store.revoke_api_key(tenant.id, key_id)  # a revoked key stays as it is
        except LastActiveKey:
            raise ApiError(
                409,
                "last_active_key",
                "This is the tenant's last active full secret key; create another one before revoking it.",
                field="id",
            ) from None
        return Response(status_code=204)

    return [resource(PATH, get=list_keys, post=create_key), resource(PATH + "/{id}", delete=revoke_key)]

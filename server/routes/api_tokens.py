"""`/api/v1/tokens`: an organization's API tokens, managed by its signed-in accounts."""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.models import CreateApiTokenRequest
from server import activity
from server.activity import Actor
from server.auth import api_tokens
from server.auth.authenticate import require_user
from server.http.rate_limits import client_ip
from server.http.requests import read_json, uuid_param
from server.http.responses import envelope
from server.state import POOL

routes = web.RouteTableDef()


@routes.post("/api/v1/tokens")
async def create_token(request: web.Request) -> web.Response:
    principal = await require_user(request)
    body = await read_json(request, CreateApiTokenRequest)
    now = now_ms()
    async with request.app[POOL].acquire() as connection, connection.transaction():
        created, token = await api_tokens.create_api_token(
            connection, principal.organization_id, principal.id, body.name, body.scopes, now
        )
        await activity.record(
            connection, Actor.of(principal, client_ip(request)), "api_token_created", now,
            details={"tokenId": str(created.id), "name": body.name, "scopes": created.scopes},
        )  # fmt: skip
    return envelope(created, status=201, token=token)


@routes.get("/api/v1/tokens")
async def list_tokens(request: web.Request) -> web.Response:
    principal = await require_user(request)
    return envelope(await api_tokens.list_api_tokens(request.app[POOL], principal.organization_id))


@routes.delete("/api/v1/tokens/{token_id}")
async def revoke_token(request: web.Request) -> web.Response:
    token_id = uuid_param(request, "token_id", "tokenId")
    principal = await require_user(request)
    now = now_ms()
    async with request.app[POOL].acquire() as connection, connection.transaction():
        revoked = await api_tokens.revoke_api_token(
            connection, principal.organization_id, token_id, now
        )
        await activity.record(
            connection, Actor.of(principal, client_ip(request)), "api_token_revoked", now,
            details={"tokenId": str(revoked.id)},
        )  # fmt: skip
    return envelope(revoked)

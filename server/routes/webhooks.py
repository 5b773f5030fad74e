"""`/api/v1/webhooks`: an organization's webhook endpoints and their delivery history."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from aiohttp import web

from schema.clock import now_ms
from schema.models import CreateWebhookRequest, Webhook
from server import activity
from server.activity import Actor
from server.auth.authenticate import require_principal
from server.http import idempotency
from server.http.rate_limits import client_ip
from server.http.requests import numeric_cursor, page_limit, read_json, uuid_param
from server.http.responses import envelope
from server.state import JWT_KEY, POOL, SETTINGS
from server.webhooks import endpoints
from server.webhooks.destinations import check_destination

routes = web.RouteTableDef()

READ, WRITE = "webhooks:read", "webhooks:write"


@routes.post("/api/v1/webhooks")
async def create_webhook(request: web.Request) -> web.Response:
    """Register an endpoint; the secret is in this answer only. Honours Idempotency-Key."""
    principal = await require_principal(request, WRITE)
    body = await read_json(request, CreateWebhookRequest)
    url = await check_destination(
        body.url, allow_private=request.app[SETTINGS].webhook_allow_private
    )
    pool, now = request.app[POOL], now_ms()
    key = idempotency.from_header(
        request.headers.get(idempotency.HEADER),
        idempotency.principal_key(principal.kind, principal.id),
        request.method, request.path, await request.read(),
    )  # fmt: skip
    if key is not None and (stored := await idempotency.find(pool, key, now)) is not None:
        return await _replay(request, principal.organization_id, stored)

    async def record(connection: asyncpg.Connection, webhook: Webhook) -> None:
        await activity.record(
            connection, Actor.of(principal, client_ip(request)), "webhook_created", now,
            details={"webhookId": str(webhook.id), "url": url},
        )  # fmt: skip
        if key is not None:
            await idempotency.remember(connection, key, 201, {"webhookId": str(webhook.id)}, now)

    created_by = principal.id if principal.kind == "user" else None
    try:
        webhook, secret = await endpoints.create_webhook(
            pool, principal.organization_id, created_by, url, list(body.events),
            body.description, now, request.app[JWT_KEY], in_transaction=record,
        )  # fmt: skip
    except idempotency.Raced:
        assert key is not None
        stored = await idempotency.find(pool, key, now)
        assert stored is not None
        return await _replay(request, principal.organization_id, stored)
    return envelope(webhook, status=201, secret=secret)


async def _replay(
    request: web.Request, organization_id: uuid.UUID, stored: dict[str, Any]
) -> web.Response:
    webhook_id = uuid.UUID(stored["body"]["webhookId"])
    webhook, secret = await endpoints.fetch_webhook_with_secret(
        request.app[POOL], organization_id, webhook_id, request.app[JWT_KEY]
    )
    response = envelope(webhook, status=201, secret=secret)
    response.headers["Idempotent-Replayed"] = "true"
    return response


@routes.get("/api/v1/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    principal = await require_principal(request, READ)
    return envelope(await endpoints.list_webhooks(request.app[POOL], principal.organization_id))


@routes.get("/api/v1/webhooks/{webhook_id}")
async def get_webhook(request: web.Request) -> web.Response:
    webhook_id = uuid_param(request, "webhook_id", "webhookId")
    principal = await require_principal(request, READ)
    return envelope(
        await endpoints.fetch_webhook(request.app[POOL], principal.organization_id, webhook_id)
    )


@routes.delete("/api/v1/webhooks/{webhook_id}")
async def delete_webhook(request: web.Request) -> web.Response:
    webhook_id = uuid_param(request, "webhook_id", "webhookId")
    principal = await require_principal(request, WRITE)
    now = now_ms()
    await endpoints.delete_webhook(request.app[POOL], principal.organization_id, webhook_id)
    await activity.record(
        request.app[POOL], Actor.of(principal, client_ip(request)), "webhook_deleted", now,
        details={"webhookId": str(webhook_id)},
    )  # fmt: skip
    return web.Response(status=204)


@routes.get("/api/v1/webhooks/{webhook_id}/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    """Newest first, each with its attempts and the receiver's answers."""
    webhook_id = uuid_param(request, "webhook_id", "webhookId")
    limit, before = page_limit(request), numeric_cursor(request)
    principal = await require_principal(request, READ)
    pool = request.app[POOL]
    await endpoints.fetch_webhook(pool, principal.organization_id, webhook_id)
    page, next_cursor = await endpoints.list_deliveries(pool, webhook_id, limit, before)
    return envelope(page, nextCursor=next_cursor)

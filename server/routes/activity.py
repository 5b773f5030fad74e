"""`/api/v1/activity` (the caller's organization) and the admin views of every account,
session and action (`/api/v1/admin/…`, admins only)."""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.errors import invalid
from server import activity, sessions
from server.auth import accounts
from server.auth.authenticate import require_admin, require_principal
from server.http.requests import numeric_cursor, page_limit
from server.http.responses import envelope
from server.routes.sessions import session_list_params
from server.state import POOL

routes = web.RouteTableDef()


@routes.get("/api/v1/activity")
async def organization_activity(request: web.Request) -> web.Response:
    limit, before = page_limit(request, default=50), numeric_cursor(request)
    principal = await require_principal(request, "activity:read")
    page, next_cursor = await activity.list_activity(
        request.app[POOL], organization_id=principal.organization_id, actor_id=None,
        limit=limit, before=before,
    )  # fmt: skip
    return envelope(page, nextCursor=next_cursor)


@routes.get("/api/v1/admin/activity")
async def all_activity(request: web.Request) -> web.Response:
    limit, before = page_limit(request, default=100), numeric_cursor(request)
    user_id = request.query.get("user_id")
    if user_id is not None and not 1 <= len(user_id) <= 64:
        raise invalid("user_id must be an account's id")
    await require_admin(request)
    page, next_cursor = await activity.list_activity(
        request.app[POOL], organization_id=None, actor_id=user_id, limit=limit, before=before
    )
    return envelope(page, nextCursor=next_cursor)


@routes.get("/api/v1/admin/users")
async def all_users(request: web.Request) -> web.Response:
    limit = page_limit(request, default=50)
    raw_cursor = request.query.get("cursor")
    await require_admin(request)
    try:
        page, next_cursor = await accounts.list_users(request.app[POOL], limit, raw_cursor)
    except ValueError:
        raise invalid("cursor must be the nextCursor of a previous page") from None
    return envelope(page, nextCursor=next_cursor)


@routes.get("/api/v1/admin/sessions")
async def all_sessions(request: web.Request) -> web.Response:
    limit, cursor, status = session_list_params(request)
    await require_admin(request)
    page, next_cursor = await sessions.list_sessions(
        request.app[POOL], owner_id=None, organization_id=None, status=status, limit=limit,
        cursor=cursor, now=now_ms(),
    )  # fmt: skip
    return envelope(page, nextCursor=next_cursor)

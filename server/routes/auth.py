"""`/api/v1/auth`: register, login, refresh, logout, me."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode
from schema.models import LoginRequest, RefreshRequest, RegisterRequest
from server import activity
from server.activity import Actor
from server.auth import access_tokens, accounts
from server.auth.accounts import LoginGrant
from server.auth.authenticate import require_user
from server.http.rate_limits import client_ip, enforce
from server.http.requests import read_json
from server.http.responses import envelope, json_response
from server.state import JWT_KEY, PASSWORDS, POOL, SETTINGS

routes = web.RouteTableDef()

INVALID_CREDENTIALS = "Invalid credentials"


def _grant_response(request: web.Request, grant: LoginGrant, status: int = 200) -> web.Response:
    settings = request.app[SETTINGS]
    access = access_tokens.issue(
        request.app[JWT_KEY],
        grant.user_id,
        grant.family_id,
        now_ms() // 1000,
        settings.access_token_ttl,
    )
    tokens: dict[str, Any] = {
        "access_token": access,
        "refresh_token": grant.refresh_token,
        "token_type": "bearer",
        "expires_in": settings.access_token_ttl,
        "user": grant.user,
    }
    # The v1 API's token response at the top level, and the same inside the usual envelope.
    return json_response({"success": True, **tokens, "data": tokens}, status=status)


@routes.post("/api/v1/auth/register")
async def register(request: web.Request) -> web.Response:
    body = await read_json(request, RegisterRequest)
    settings = request.app[SETTINGS]
    password_hash = await request.app[PASSWORDS].hash(body.password)
    now = now_ms()
    grant = await accounts.register(
        request.app[POOL],
        username=body.username,
        email=body.email,
        password_hash=password_hash,
        organization_name=body.organization or f"{body.username}'s organization",
        now=now,
        refresh_ttl_ms=settings.refresh_token_ttl * 1000,
    )
    actor = Actor("user", str(grant.user_id), None, client_ip(request))
    organization_id = grant.user.organization.id
    await activity.record(
        request.app[POOL], actor, "account_registered", now,
        organization_id=organization_id, details={"username": body.username},
    )  # fmt: skip
    return _grant_response(request, grant, status=201)


@routes.post("/api/v1/auth/login")
async def login(request: web.Request) -> web.Response:
    body = await read_json(request, LoginRequest)
    settings = request.app[SETTINGS]
    # Per account as well as per IP: spreading guesses over many addresses does not help.
    await enforce(request, "auth-account", body.username.lower(), settings.rate_limit_auth)
    pool = request.app[POOL]
    found = await accounts.password_hash_for(pool, body.username)
    stored_hash = found[1] if found else None
    if not await request.app[PASSWORDS].verify(stored_hash, body.password) or found is None:
        raise ApiError(ErrorCode.UNAUTHORIZED, INVALID_CREDENTIALS)
    now = now_ms()
    grant = await accounts.start_login(pool, found[0], now, settings.refresh_token_ttl * 1000)
    organization_id = grant.user.organization.id
    await activity.record(
        pool, Actor("user", str(grant.user_id), None, client_ip(request)), "login", now,
        organization_id=organization_id,
    )  # fmt: skip
    return _grant_response(request, grant)


@routes.post("/api/v1/auth/refresh")
async def refresh(request: web.Request) -> web.Response:
    body = await read_json(request, RefreshRequest)
    settings = request.app[SETTINGS]
    grant = await accounts.rotate_refresh_token(
        request.app[POOL], body.refresh_token, now_ms(), settings.refresh_token_ttl * 1000
    )
    return _grant_response(request, grant)


@routes.post("/api/v1/auth/logout")
async def logout(request: web.Request) -> web.Response:
    """Revoke the login this access token belongs to: its refresh tokens and every access
    token issued with them stop working at once."""
    principal = await require_user(request)
    assert principal.family_id is not None
    await accounts.revoke_family(request.app[POOL], principal.family_id, now_ms())
    return envelope({"loggedOut": True})


@routes.get("/api/v1/auth/me")
async def me(request: web.Request) -> web.Response:
    principal = await require_user(request)
    return envelope(await accounts.fetch_user(request.app[POOL], principal.id))

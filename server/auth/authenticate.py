"""Finding who is calling with an account credential: a user's access token (JWT) or an
organization API token (`dk_…`), as a `Principal`. Participant and invite tokens are not
principals; they open one session and are resolved by `server/access.py`.

A principal is looked up once per request and kept on it.
"""

from __future__ import annotations

import asyncpg
from aiohttp import web

from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode
from server.auth import access_tokens
from server.auth.principal import SCOPES, Principal
from server.auth.secret_tokens import is_kind, token_digest
from server.http.requests import request_token
from server.state import JWT_KEY, POOL

_LAST_USED_GRANULARITY_MS = 60_000
_PRINCIPAL = web.RequestKey("principal", object)


def unauthorized(message: str = "Invalid or expired access token") -> ApiError:
    return ApiError(ErrorCode.UNAUTHORIZED, message)


def is_account_credential(token: str) -> bool:
    return is_kind(token, "api") or access_tokens.looks_like_jwt(token)


async def _user_principal(pool: asyncpg.Pool, key: bytes, token: str) -> Principal:
    try:
        claims = access_tokens.verify(key, token)
    except access_tokens.InvalidAccessToken:
        raise unauthorized() from None
    row = await pool.fetchrow(
        "SELECT u.id, u.organization_id, u.username, u.role FROM login_families f"
        " JOIN users u ON u.id = f.user_id"
        " WHERE f.id = $1 AND f.user_id = $2 AND f.revoked_at IS NULL",
        claims.family_id,
        claims.user_id,
    )
    if row is None:
        raise unauthorized("This access token has been revoked")
    return Principal(
        kind="user",
        id=row["id"],
        organization_id=row["organization_id"],
        name=row["username"],
        role=row["role"],
        scopes=frozenset(SCOPES),
        family_id=claims.family_id,
    )


async def _api_token_principal(pool: asyncpg.Pool, token: str) -> Principal:
    row = await pool.fetchrow(
        "SELECT id, organization_id, name, scopes, last_used_at FROM api_tokens"
        " WHERE token_hash = $1 AND revoked_at IS NULL",
        token_digest(token),
    )
    if row is None:
        raise unauthorized("Unknown or revoked API token")
    now = now_ms()
    if row["last_used_at"] is None or row["last_used_at"] < now - _LAST_USED_GRANULARITY_MS:
        # Coarse on purpose: one write a minute per token rather than one per request.
        await pool.execute("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", row["id"], now)
    return Principal(
        kind="api_token",
        id=row["id"],
        organization_id=row["organization_id"],
        name=row["name"],
        role="api",
        scopes=frozenset(row["scopes"]),
    )


async def optional_principal(request: web.Request) -> Principal | None:
    """The account credential's principal; None without one (or with a session token).
    A credential that is present but bad is a 401, never silently anonymous."""
    if _PRINCIPAL in request:
        return request[_PRINCIPAL]  # type: ignore[return-value]
    token = request_token(request)
    principal: Principal | None = None
    if token is not None and is_account_credential(token):
        pool = request.app[POOL]
        if is_kind(token, "api"):
            principal = await _api_token_principal(pool, token)
        else:
            principal = await _user_principal(pool, request.app[JWT_KEY], token)
    request[_PRINCIPAL] = principal
    return principal


async def require_principal(request: web.Request, scope: str | None = None) -> Principal:
    principal = await optional_principal(request)
    if principal is None:
        raise unauthorized("Send 'Authorization: Bearer <access token or API token>' for this call")
    if scope is not None and not principal.has_scope(scope):
        raise ApiError(ErrorCode.FORBIDDEN, f"This API token lacks the '{scope}' scope")
    return principal


async def require_organization_member(
    request: web.Request, scope: str, resource: str
) -> Principal:
    """An account of the organization or one of its API tokens, for what the organization
    keeps for itself (`resource`: the question bank, templates). A participant's token, a
    candidate's above all, is refused with 403 rather than looked at."""
    if await optional_principal(request) is None and request_token(request) is not None:
        raise ApiError(
            ErrorCode.FORBIDDEN,
            f"The {resource} is for the organization's accounts and API tokens, "
            "not for a participant's token",
        )
    return await require_principal(request, scope)


async def require_user(request: web.Request) -> Principal:
    """A signed-in account (not an API token)."""
    principal = await require_principal(request)
    if principal.kind != "user":
        raise ApiError(ErrorCode.FORBIDDEN, "This call needs a user's access token")
    return principal


async def require_admin(request: web.Request) -> Principal:
    principal = await require_principal(request)
    if not principal.is_admin:
        raise ApiError(ErrorCode.FORBIDDEN, "Only administrators may do this")
    return principal

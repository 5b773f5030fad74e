"""Who is calling: resolve a bearer token against a session, and the role rules.

Checks run in the order a client can act on: a malformed id (400), a session that does not
exist (404) or has expired (410), then the token: missing or unknown (401), another
session's (403). Expiry is checked here, on every call, so an expired session answers 410
before any sweep has removed it.

Three kinds of bearer open a session: its participant (and invite) tokens; the access token
of the account that owns it, which acts as an interviewer without an invite; and an API
token of the organization it belongs to, with the scope the call needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg
from aiohttp import web

from schema.errors import ApiError, ErrorCode
from schema.models import Session
from server import activity
from server.activity import Actor
from server.auth.authenticate import optional_principal
from server.auth.principal import Principal
from server.auth.secret_tokens import token_digest
from server.http.rate_limits import client_ip
from server.http.requests import request_token
from server.sessions import SESSION_COLUMNS, session_from_row
from server.state import POOL

_AUTHORIZE = """
SELECT s.expires_at, s.ended_at, s.owner_id, s.organization_id,
       t.session_id AS token_session, t.kind,
       coalesce(p.role, t.role) AS role, t.participant_id {session_columns}
FROM (SELECT 1) AS one
LEFT JOIN sessions s ON s.id = $1
LEFT JOIN session_tokens t ON t.token_hash = $2
LEFT JOIN participants p ON p.session_id = t.session_id AND p.id = t.participant_id
"""
_AUTHORIZE_ONLY = _AUTHORIZE.format(session_columns="")
# Reading a session is the hottest call: checking the token and loading the session in one
# round trip roughly halves its database time.
_AUTHORIZE_AND_FETCH = _AUTHORIZE.format(session_columns=", " + SESSION_COLUMNS)

READ = "sessions:read"
WRITE = "sessions:write"


@dataclass(frozen=True)
class Caller:
    session_id: str
    kind: str  # participant | invite | owner | api_token
    role: str
    # The participant; for an owner or an API token, the account's or token's id, which
    # then stands as the author of its edits and runs.
    participant_id: UUID | None
    principal: Principal | None = None
    organization_id: UUID | None = None
    ended: bool = False

    @property
    def is_interviewer(self) -> bool:
        return self.kind != "invite" and self.role == "interviewer"

    def actor(self, request: web.Request) -> Actor:
        return Actor.of(self.principal, client_ip(request), self.participant_id)


async def authorize(
    pool: asyncpg.Pool,
    session_id: str,
    token: str | None,
    now: int,
    *,
    invite_allowed: bool = False,
    principal: Principal | None = None,
    scope: str = WRITE,
) -> Caller:
    digest = token_digest(token) if token and principal is None else b""
    row = await pool.fetchrow(_AUTHORIZE_ONLY, session_id, digest)
    return _caller(row, session_id, token, now, invite_allowed, principal, scope)


async def authorize_and_fetch(
    pool: asyncpg.Pool,
    session_id: str,
    token: str | None,
    now: int,
    *,
    principal: Principal | None = None,
    scope: str = READ,
) -> tuple[Caller, Session]:
    """Authorize a caller and return the session it may read."""
    digest = token_digest(token) if token and principal is None else b""
    row = await pool.fetchrow(_AUTHORIZE_AND_FETCH, session_id, digest)
    caller = _caller(row, session_id, token, now, False, principal, scope)
    return caller, session_from_row(row)


async def session_caller(
    request: web.Request, session_id: str, now: int, *, scope: str = WRITE,
    invite_allowed: bool = False,
) -> Caller:  # fmt: skip
    principal = await optional_principal(request)
    return await authorize(
        request.app[POOL], session_id, request_token(request), now,
        invite_allowed=invite_allowed, principal=principal, scope=scope,
    )  # fmt: skip


async def session_caller_and_fetch(
    request: web.Request, session_id: str, now: int, *, scope: str = READ
) -> tuple[Caller, Session]:
    principal = await optional_principal(request)
    return await authorize_and_fetch(
        request.app[POOL], session_id, request_token(request), now,
        principal=principal, scope=scope,
    )  # fmt: skip


def _caller(
    row: asyncpg.Record | None,
    session_id: str,
    token: str | None,
    now: int,
    invite_allowed: bool,
    principal: Principal | None,
    scope: str,
) -> Caller:
    assert row is not None
    if row["expires_at"] is None:
        raise ApiError(ErrorCode.SESSION_NOT_FOUND, "Session not found")
    if row["expires_at"] <= now:
        raise ApiError(ErrorCode.SESSION_EXPIRED, "Session has expired")
    ended = row["ended_at"] is not None
    if principal is not None:
        return _principal_caller(row, session_id, principal, scope, ended)
    if token is None:
        raise ApiError(ErrorCode.UNAUTHORIZED, "Missing 'Authorization: Bearer <token>' header")
    if row["token_session"] is None:
        raise ApiError(ErrorCode.UNAUTHORIZED, "Unknown or revoked token")
    if row["token_session"] != session_id:
        raise ApiError(ErrorCode.FORBIDDEN, "This token belongs to another session")
    if row["kind"] == "invite" and not invite_allowed:
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "An invite token can only join; use the participant token that join returned",
        )
    caller = Caller(
        session_id, row["kind"], row["role"], row["participant_id"],
        organization_id=row["organization_id"], ended=ended,
    )  # fmt: skip
    if ended and not caller.is_interviewer:
        # The candidate's part is over; what remains is for interviewers only.
        raise session_ended(for_candidate=True)
    return caller


def _principal_caller(
    row: asyncpg.Record, session_id: str, principal: Principal, scope: str, ended: bool
) -> Caller:
    if principal.kind == "user":
        if row["owner_id"] != principal.id:
            raise ApiError(ErrorCode.FORBIDDEN, "This session belongs to another account")
        kind = "owner"
    else:
        if row["organization_id"] != principal.organization_id:
            raise ApiError(ErrorCode.FORBIDDEN, "This session belongs to another organization")
        if not principal.has_scope(scope):
            raise ApiError(ErrorCode.FORBIDDEN, f"This API token lacks the '{scope}' scope")
        kind = "api_token"
    return Caller(
        session_id, kind, "interviewer", principal.id, principal=principal,
        organization_id=row["organization_id"], ended=ended,
    )  # fmt: skip


def session_ended(*, for_candidate: bool = False) -> ApiError:
    if for_candidate:
        # A candidate has nothing left to do in the room: no word of what interviewers keep.
        return ApiError(
            ErrorCode.SESSION_ENDED, "This interview has ended. Thank you for taking part."
        )
    return ApiError(
        ErrorCode.SESSION_ENDED,
        "The interview has ended: code and language can no longer change and nothing runs",
    )


def require_active(caller: Caller) -> None:
    if caller.ended:
        raise session_ended()


def require_interviewer(caller: Caller, action: str) -> None:
    if not caller.is_interviewer:
        raise ApiError(ErrorCode.FORBIDDEN, f"Only interviewers may {action}")


def require_self_or_interviewer(caller: Caller, participant_id: UUID, action: str) -> None:
    if caller.participant_id != participant_id and not caller.is_interviewer:
        raise ApiError(ErrorCode.FORBIDDEN, f"Only interviewers may {action} other participants")


async def record_organization_change(
    request: web.Request, principal: Principal, action: str, now: int, **details: object
) -> None:
    """A change to what an organization holds (its question bank, its templates), in
    the activity log, by the caller from where it called."""
    await activity.record(
        request.app[POOL], Actor.of(principal, client_ip(request)), action, now,
        organization_id=principal.organization_id, details=details,
    )  # fmt: skip

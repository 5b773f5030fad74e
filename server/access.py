"""Who is calling: resolve a bearer token against a session, and the role rules.

Checks run in the order a client can act on: a malformed id (400), a session that does not
exist (404) or has expired (410), then the token: missing or unknown (401), another
session's (403). Expiry is checked here, on every call, so an expired session answers 410
before any sweep has removed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from schema.errors import ApiError, ErrorCode
from server.sessions import SESSION_COLUMNS, session_from_row
from server.tokens import token_digest

_AUTHORIZE = """
SELECT s.expires_at, t.session_id AS token_session, t.kind,
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


@dataclass(frozen=True)
class Caller:
    session_id: str
    kind: str
    role: str
    participant_id: UUID | None

    @property
    def is_interviewer(self) -> bool:
        return self.kind == "participant" and self.role == "interviewer"


async def authorize(
    pool: asyncpg.Pool,
    session_id: str,
    token: str | None,
    now: int,
    *,
    invite_allowed: bool = False,
) -> Caller:
    row = await pool.fetchrow(_AUTHORIZE_ONLY, session_id, token_digest(token) if token else b"")
    return _caller(row, session_id, token, now, invite_allowed)


async def authorize_and_fetch(
    pool: asyncpg.Pool, session_id: str, token: str | None, now: int
) -> tuple[Caller, dict[str, Any]]:
    """Authorize a participant token and return the session it may read."""
    digest = token_digest(token) if token else b""
    row = await pool.fetchrow(_AUTHORIZE_AND_FETCH, session_id, digest)
    caller = _caller(row, session_id, token, now, invite_allowed=False)
    return caller, session_from_row(row)


def _caller(
    row: asyncpg.Record | None, session_id: str, token: str | None, now: int, invite_allowed: bool
) -> Caller:
    assert row is not None
    if row["expires_at"] is None:
        raise ApiError(ErrorCode.SESSION_NOT_FOUND, "Session not found")
    if row["expires_at"] <= now:
        raise ApiError(ErrorCode.SESSION_EXPIRED, "Session has expired")
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
    return Caller(session_id, row["kind"], row["role"], row["participant_id"])


def require_interviewer(caller: Caller, action: str) -> None:
    if not caller.is_interviewer:
        raise ApiError(ErrorCode.FORBIDDEN, f"Only interviewers may {action}")


def require_self_or_interviewer(caller: Caller, participant_id: UUID, action: str) -> None:
    if caller.participant_id != participant_id and not caller.is_interviewer:
        raise ApiError(ErrorCode.FORBIDDEN, f"Only interviewers may {action} other participants")

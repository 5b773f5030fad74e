"""Who wrote an interviewer's note or scorecard: a participant of the session, or the
account that owns it. API tokens read them but write neither."""

from __future__ import annotations

import uuid

import asyncpg

from schema.errors import ApiError, ErrorCode
from server.access import Caller


def author_of(caller: Caller, what: str) -> tuple[str, uuid.UUID]:
    """(author type, author id) of an interviewer's writing, or 403 for an API token."""
    if caller.kind in ("owner", "participant") and caller.participant_id is not None:
        return ("user" if caller.kind == "owner" else "participant"), caller.participant_id
    raise ApiError(ErrorCode.FORBIDDEN, f"{what} are written by interviewers, not by API tokens")


async def author_name(
    connection: asyncpg.Connection | asyncpg.Pool,
    session_id: str,
    author_type: str,
    author_id: uuid.UUID,
) -> str | None:
    """The name to keep with the writing: the account's username, or the participant's."""
    if author_type == "user":
        return await connection.fetchval("SELECT username FROM users WHERE id = $1", author_id)
    return await connection.fetchval(
        "SELECT name FROM participants WHERE session_id = $1 AND id = $2", session_id, author_id
    )

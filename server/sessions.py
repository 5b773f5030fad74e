"""Sessions, participants and their tokens in Postgres: every query the REST API makes.

Functions take a connection (or pool) and plain values and return plain dicts in the v1 API's
camelCase shapes, ready to serialise; permission decisions live in `server/access.py`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from collab.document import seed_update
from collab.room import Room
from collab.store import insert_seed
from schema.colors import distinct_color
from schema.errors import ApiError, ErrorCode
from schema.models import Participant, Session, SessionSummary, UserInfo
from server.auth.secret_tokens import new_token, token_digest

_PARTICIPANTS_JSON = """
    (SELECT coalesce(json_agg(json_build_object(
        'id', p.id, 'name', p.name, 'role', p.role, 'color', p.color,
        'joinedAt', p.joined_at, 'isOnline', p.is_online) ORDER BY p.joined_at, p.id), '[]')
     FROM participants p WHERE p.session_id = s.id) AS participants
"""

SESSION_COLUMNS = f"""
    s.id, s.created_at, s.updated_at, s.expires_at, s.code, s.language, s.creator_id, s.title,
    s.ended_at, {_PARTICIPANTS_JSON}
"""

MAX_ID_ATTEMPTS = 8


def new_session_id() -> str:
    return secrets.token_hex(4)


def session_from_row(row: asyncpg.Record) -> Session:
    return Session.from_record(row, participants=json.loads(row["participants"]))


def session_status(session: Session, now: int) -> str:
    if session.ended_at is not None:
        return "ended"
    return "expired" if session.expires_at <= now else "active"


def participant_from_row(row: asyncpg.Record) -> Participant:
    return Participant.from_record(row)


# Runs inside a change's transaction (webhook outbox, activity log, idempotency record).
InTransaction = Callable[[asyncpg.Connection, Session], Awaitable[None]]


@dataclass(frozen=True)
class CreatedSession:
    session: Session
    creator_token: str | None
    interviewer_invite: str
    candidate_invite: str


async def fetch_session(connection: asyncpg.Connection, session_id: str) -> Session:
    row = await connection.fetchrow(
        f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = $1", session_id
    )
    if row is None:
        raise ApiError(ErrorCode.SESSION_NOT_FOUND, "Session not found")
    return session_from_row(row)


# Makes a session's token from (session id, label) when tokens must be reproducible (an
# idempotent retry answers with the same tokens without storing them); None: random.
TokenMint = Callable[[str, str], str]


async def _insert_token(
    connection: asyncpg.Connection,
    session_id: str,
    kind: str,
    role: str,
    participant_id: UUID | None,
    now: int,
    mint: TokenMint | None = None,
) -> str:
    if mint is not None:
        token = mint(session_id, "creator" if kind == "participant" else f"invite:{role}")
    else:
        token = new_token("participant" if kind == "participant" else "invite")
    await connection.execute(
        "INSERT INTO session_tokens (token_hash, session_id, kind, role, participant_id,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        token_digest(token),
        session_id,
        kind,
        role,
        participant_id,
        now,
    )
    return token


async def create_session(
    pool: asyncpg.Pool,
    *,
    creator: UserInfo | None,
    creator_id: UUID,
    code: str,
    language: str,
    title: str,
    now: int,
    ttl_ms: int,
    owner_id: UUID | None = None,
    organization_id: UUID | None = None,
    make_id: Callable[[], str] = new_session_id,
    in_transaction: InTransaction | None = None,
    mint: TokenMint | None = None,
) -> CreatedSession:
    """Without a `creator` (a hiring tool creating for others) nobody joins yet: the
    session has invites only, and `creator_id` names the account or API token."""
    async with pool.acquire() as connection, connection.transaction():
        for _ in range(MAX_ID_ATTEMPTS):
            session_id = make_id()
            inserted = await connection.fetchval(
                "INSERT INTO sessions (id, created_at, updated_at, expires_at, code, language,"
                " creator_id, title, owner_id, organization_id)"
                " VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
                session_id,
                now,
                now + ttl_ms,
                code,
                language,
                creator_id,
                title,
                owner_id,
                organization_id,
            )
            if inserted is not None:
                break
        else:
            raise ApiError(ErrorCode.INTERNAL_ERROR, "Could not allocate a session id")
        creator_token = None
        if creator is not None:
            await connection.execute(
                "INSERT INTO participants (session_id, id, name, role, color, joined_at,"
                " is_online) VALUES ($1, $2, $3, 'interviewer', $4, $5, true)",
                session_id,
                creator.id,
                creator.name,
                creator.color,
                now,
            )
            creator_token = await _insert_token(
                connection, session_id, "participant", "interviewer", creator.id, now, mint
            )
        interviewer_invite = await _insert_token(
            connection, session_id, "invite", "interviewer", None, now, mint
        )
        candidate_invite = await _insert_token(
            connection, session_id, "invite", "candidate", None, now, mint
        )
        await insert_seed(connection, session_id, seed_update(code, language), now)
        session = await fetch_session(connection, session_id)
        if in_transaction is not None:
            await in_transaction(connection, session)
    return CreatedSession(session, creator_token, interviewer_invite, candidate_invite)


async def update_session(
    pool: asyncpg.Pool, session_id: str, changes: dict[str, str], now: int
) -> Session:
    """Set the given columns (code, language, title) and bump updatedAt."""
    allowed = {"code", "language", "title"}
    assert set(changes) <= allowed, changes
    assignments = ["updated_at = $2"]
    assignments += [f"{column} = ${index}" for index, column in enumerate(changes, 3)]
    async with pool.acquire() as connection, connection.transaction():
        updated = await connection.fetchval(
            f"UPDATE sessions SET {', '.join(assignments)} WHERE id = $1 RETURNING id",
            session_id,
            now,
            *changes.values(),
        )
        if updated is None:
            raise ApiError(ErrorCode.SESSION_NOT_FOUND, "Session not found")
        return await fetch_session(connection, session_id)


async def delete_session(pool: asyncpg.Pool, session_id: str) -> bool:
    deleted = await pool.fetchval("DELETE FROM sessions WHERE id = $1 RETURNING id", session_id)
    return deleted is not None


async def join_session(
    pool: asyncpg.Pool,
    session_id: str,
    user: UserInfo,
    role: str,
    now: int,
    in_transaction: InTransaction | None = None,
) -> tuple[Session, str]:
    """Add `user` with `role`, or bring an existing participant of that role back online.

    A user id already held by a participant of another role is refused: ids are visible to
    everyone in the session, so otherwise a candidate invite plus the interviewer's id would
    yield an interviewer token.
    """
    async with pool.acquire() as connection, connection.transaction():
        color = await _free_color(connection, session_id, user)
        participant_id = await connection.fetchval(
            "INSERT INTO participants (session_id, id, name, role, color, joined_at, is_online)"
            " VALUES ($1, $2, $3, $4, $5, $6, true)"
            " ON CONFLICT (session_id, id) DO UPDATE SET is_online = true"
            " WHERE participants.role = EXCLUDED.role"
            " RETURNING id",
            session_id,
            user.id,
            user.name,
            role,
            color,
            now,
        )
        if participant_id is None:
            raise ApiError(
                ErrorCode.FORBIDDEN,
                "This user id belongs to a participant with another role in this session",
            )
        token = await _insert_token(connection, session_id, "participant", role, user.id, now)
        session = await fetch_session(connection, session_id)
        if in_transaction is not None:
            await in_transaction(connection, session)
    return session, token


async def invite_exists(pool: asyncpg.Pool, session_id: str, invite: str) -> bool:
    """Whether `invite` is one of the session's invites (only its digest is stored)."""
    found = await pool.fetchval(
        "SELECT 1 FROM session_tokens WHERE token_hash = $1 AND session_id = $2"
        " AND kind = 'invite'",
        token_digest(invite),
        session_id,
    )
    return found is not None


async def _free_color(connection: asyncpg.Connection, session_id: str, user: UserInfo) -> str:
    """The colour `user` joins with: theirs unless someone else in the session holds it.

    The session's row is locked first, so two joins at once choose one after the other
    instead of both seeing the same colour free."""
    await connection.execute("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", session_id)
    rows = await connection.fetch(
        "SELECT color FROM participants WHERE session_id = $1 AND id <> $2",
        session_id,
        user.id,
    )
    return distinct_color(user.color, {row["color"] for row in rows})


async def list_participants(pool: asyncpg.Pool, session_id: str) -> list[Participant]:
    rows = await pool.fetch(
        "SELECT id, name, role, color, joined_at, is_online FROM participants"
        " WHERE session_id = $1 ORDER BY joined_at, id",
        session_id,
    )
    return [participant_from_row(row) for row in rows]


async def update_participant(
    pool: asyncpg.Pool, session_id: str, participant_id: UUID, changes: dict[str, Any]
) -> Participant:
    allowed = {"name", "color", "is_online"}
    assert changes and set(changes) <= allowed, changes
    assignments = ", ".join(f"{column} = ${index}" for index, column in enumerate(changes, 3))
    row = await pool.fetchrow(
        f"UPDATE participants SET {assignments} WHERE session_id = $1 AND id = $2"
        " RETURNING id, name, role, color, joined_at, is_online",
        session_id,
        participant_id,
        *changes.values(),
    )
    if row is None:
        raise ApiError(ErrorCode.PARTICIPANT_NOT_FOUND, "Participant not found")
    return participant_from_row(row)


async def remove_participant(pool: asyncpg.Pool, session_id: str, participant_id: UUID) -> None:
    """Delete the participant; its tokens go with it (foreign key cascade)."""
    removed = await pool.fetchval(
        "DELETE FROM participants WHERE session_id = $1 AND id = $2 RETURNING id",
        session_id,
        participant_id,
    )
    if removed is None:
        raise ApiError(ErrorCode.PARTICIPANT_NOT_FOUND, "Participant not found")


async def seed_missing_document(pool: asyncpg.Pool, session_id: str, now: int) -> None:
    """Give a session created before documents existed its seed, from its stored code."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT code, language FROM sessions WHERE id = $1", session_id
        )
        if row is not None:
            state = seed_update(row["code"], row["language"])
            await insert_seed(connection, session_id, state, now)


async def session_expiry(pool: asyncpg.Pool, session_id: str) -> int | None:
    return await pool.fetchval("SELECT expires_at FROM sessions WHERE id = $1", session_id)


async def set_language(pool: asyncpg.Pool, session_id: str, language: str, now: int) -> None:
    await pool.execute(
        "UPDATE sessions SET language = $2, updated_at = $3 WHERE id = $1",
        session_id,
        language,
        now,
    )


async def participant_identity(
    pool: asyncpg.Pool, session_id: str, participant_id: UUID
) -> Participant | None:
    row = await pool.fetchrow(
        "SELECT id, name, role, color, joined_at, is_online FROM participants"
        " WHERE session_id = $1 AND id = $2",
        session_id,
        participant_id,
    )
    return participant_from_row(row) if row else None


async def end_session(
    pool: asyncpg.Pool, session_id: str, now: int, in_transaction: InTransaction | None = None
) -> tuple[Session, bool]:
    """Mark the session ended; returns it and whether this call ended it (ending twice is
    harmless). Runs start under a share lock on the session row (`server/runs/history.py`), so none
    starts after this commits."""
    async with pool.acquire() as connection, connection.transaction():
        ended = await connection.fetchval(
            "UPDATE sessions SET ended_at = $2, updated_at = $2"
            " WHERE id = $1 AND ended_at IS NULL RETURNING id",
            session_id,
            now,
        )
        session = await fetch_session(connection, session_id)
        if ended is not None and in_transaction is not None:
            await in_transaction(connection, session)
    return session, ended is not None


def _page_cursor(session: Session) -> str:
    return f"{session.created_at}_{session.id}"


def parse_page_cursor(cursor: str) -> tuple[int, str]:
    created_at, _, session_id = cursor.partition("_")
    valid_id = len(session_id) == 8 and all(ch in "0123456789abcdef" for ch in session_id)
    if not created_at.isdigit() or len(created_at) > 18 or not valid_id:
        raise ValueError(cursor)
    return int(created_at), session_id


async def list_sessions(
    pool: asyncpg.Pool,
    *,
    owner_id: UUID | None,
    organization_id: UUID | None,
    status: str | None,
    limit: int,
    cursor: tuple[int, str] | None,
    now: int,
) -> tuple[list[SessionSummary], str | None]:
    """Newest first: an account's own sessions, an organization's, or (both None) all."""
    conditions, values = [], [now]
    if owner_id is not None:
        values.append(owner_id)
        conditions.append(f"s.owner_id = ${len(values)}")
    if organization_id is not None:
        values.append(organization_id)
        conditions.append(f"s.organization_id = ${len(values)}")
    if status == "ended":
        conditions.append("s.ended_at IS NOT NULL")
    elif status == "expired":
        conditions.append("s.ended_at IS NULL AND s.expires_at <= $1")
    elif status == "active":
        conditions.append("s.ended_at IS NULL AND s.expires_at > $1")
    if cursor is not None:
        values.extend(cursor)
        conditions.append(f"(s.created_at, s.id) < (${len(values) - 1}, ${len(values)})")
    values.append(limit + 1)
    where = " AND ".join(conditions) or "true"
    rows = await pool.fetch(
        f"SELECT {SESSION_COLUMNS}, s.owner_id, s.organization_id FROM sessions s"
        f" WHERE {where} AND $1::bigint IS NOT NULL"
        f" ORDER BY s.created_at DESC, s.id DESC LIMIT ${len(values)}",
        *values,
    )
    page = []
    for row in rows[:limit]:
        session = session_from_row(row)
        page.append(
            SessionSummary.from_record(
                row, **dict(session), status=session_status(session, now)
            )
        )
    next_cursor = _page_cursor(page[-1]) if len(rows) > limit else None
    return page, next_cursor


def with_document(session: Session, room: Room) -> Session:
    """The shared document is the source of truth for code and language."""
    return session.model_copy(
        update={"code": room.code, "language": room.language or session.language}
    )

"""Interviewers' private notes: storage in Postgres and the interviewer-only room events.

Notes are a timestamped log per session. Every interviewer of the session reads all of them;
only a note's author edits or deletes it. Candidates never see them: the routes refuse
candidate tokens, and the events go only to interviewer connections (`Room.announce` with
`roles`), on every node.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import asyncpg

from schema.errors import ApiError, ErrorCode
from schema.models import Note
from server.authors import author_name

INTERVIEWERS = frozenset({"interviewer"})

_COLUMNS = "id, session_id, author_id, author_name, body, created_at, updated_at"


def note_from_row(row: asyncpg.Record) -> Note:
    return Note.from_record(row)


async def list_notes(pool: asyncpg.Pool, session_id: str) -> list[Note]:
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM notes WHERE session_id = $1 ORDER BY seq", session_id
    )
    return [note_from_row(row) for row in rows]


async def add_note(
    pool: asyncpg.Pool, session_id: str, author: tuple[str, UUID], body: str, now: int
) -> Note:
    author_type, author_id = author
    # The author's current name, copied: the note keeps it after the author is removed.
    name = await author_name(pool, session_id, author_type, author_id)
    if name is None:
        raise ApiError(ErrorCode.PARTICIPANT_NOT_FOUND, "Your participant no longer exists")
    row = await pool.fetchrow(
        f"INSERT INTO notes ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6)"
        f" RETURNING {_COLUMNS}",
        uuid.uuid4(), session_id, author_id, name, body, now,
    )  # fmt: skip
    return note_from_row(row)


async def _own_note(
    connection: asyncpg.Connection, session_id: str, note_id: UUID, author_id: UUID
) -> None:
    author = await connection.fetchval(
        "SELECT author_id FROM notes WHERE session_id = $1 AND id = $2 FOR UPDATE",
        session_id, note_id,
    )  # fmt: skip
    if author is None:
        raise ApiError(ErrorCode.NOTE_NOT_FOUND, "Note not found")
    if author != author_id:
        raise ApiError(ErrorCode.FORBIDDEN, "Only a note's author may change or delete it")


async def edit_note(
    pool: asyncpg.Pool, session_id: str, note_id: UUID, author_id: UUID, body: str, now: int
) -> Note:
    async with pool.acquire() as connection, connection.transaction():
        await _own_note(connection, session_id, note_id, author_id)
        row = await connection.fetchrow(
            f"UPDATE notes SET body = $3, updated_at = $4 WHERE session_id = $1 AND id = $2 "
            f"RETURNING {_COLUMNS}",
            session_id, note_id, body, now,
        )  # fmt: skip
    return note_from_row(row)


async def delete_note(pool: asyncpg.Pool, session_id: str, note_id: UUID, author_id: UUID) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await _own_note(connection, session_id, note_id, author_id)
        await connection.execute(
            "DELETE FROM notes WHERE session_id = $1 AND id = $2", session_id, note_id
        )

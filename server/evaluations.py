"""Interviewers' scorecards for a session: one per interviewer, replaced when submitted
again. Kept apart from the shared document and never sent to a candidate."""

from __future__ import annotations

import uuid

import asyncpg

from schema.errors import ApiError, ErrorCode
from schema.models import Evaluation
from server.authors import author_name

_COLUMNS = (
    "id, session_id, author_type, author_id, author_name, rating, recommendation, text,"
    " created_at, updated_at"
)


def evaluation_from_row(row: asyncpg.Record) -> Evaluation:
    return Evaluation.from_record(row)


async def submit(
    connection: asyncpg.Connection,
    session_id: str,
    author_type: str,
    author_id: uuid.UUID,
    rating: int,
    recommendation: str,
    text: str,
    now: int,
) -> tuple[Evaluation, bool]:
    """Create or replace the author's scorecard; returns it and whether it is new."""
    name = await author_name(connection, session_id, author_type, author_id) or "unknown"
    row = await connection.fetchrow(
        f"INSERT INTO evaluations ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
        " ON CONFLICT (session_id, author_id) DO UPDATE SET rating = EXCLUDED.rating,"
        " recommendation = EXCLUDED.recommendation, text = EXCLUDED.text,"
        " author_name = EXCLUDED.author_name, updated_at = EXCLUDED.updated_at"
        f" RETURNING {_COLUMNS}, (xmax = 0) AS inserted",
        uuid.uuid4(), session_id, author_type, author_id, name, rating, recommendation, text,
        now,
    )  # fmt: skip
    return evaluation_from_row(row), bool(row["inserted"])


async def list_for_session(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: str
) -> list[Evaluation]:
    rows = await connection.fetch(
        f"SELECT {_COLUMNS} FROM evaluations WHERE session_id = $1 ORDER BY created_at, id",
        session_id,
    )
    return [evaluation_from_row(row) for row in rows]


async def fetch(pool: asyncpg.Pool, session_id: str, evaluation_id: uuid.UUID) -> Evaluation:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM evaluations WHERE session_id = $1 AND id = $2",
        session_id,
        evaluation_id,
    )
    if row is None:
        raise ApiError(ErrorCode.EVALUATION_NOT_FOUND, "Evaluation not found")
    return evaluation_from_row(row)

"""The interview timer's storage: one row per session, changed by one statement each, so
two interviewers pressing at once on two nodes still leave one consistent clock."""

from __future__ import annotations

import uuid

import asyncpg

from schema.models.timer import InterviewTimer, TimerAction

_READ = "SELECT started_at, elapsed_ms, updated_at FROM session_timers WHERE session_id = $1"

# $1 session, $2 now, $3 by. Starting a running clock and pausing a paused one change
# nothing but who touched it last.
_CHANGE: dict[TimerAction, str] = {
    "start": """
        INSERT INTO session_timers AS t (session_id, started_at, elapsed_ms, updated_by, updated_at)
        VALUES ($1, $2, 0, $3, $2)
        ON CONFLICT (session_id) DO UPDATE SET started_at = coalesce(t.started_at, $2),
            updated_by = $3, updated_at = $2
        RETURNING started_at, elapsed_ms, updated_at""",
    "pause": """
        INSERT INTO session_timers AS t (session_id, started_at, elapsed_ms, updated_by, updated_at)
        VALUES ($1, NULL, 0, $3, $2)
        ON CONFLICT (session_id) DO UPDATE SET started_at = NULL,
            elapsed_ms = t.elapsed_ms + coalesce(greatest(0, $2 - t.started_at), 0),
            updated_by = $3, updated_at = $2
        RETURNING started_at, elapsed_ms, updated_at""",
    "reset": """
        INSERT INTO session_timers AS t (session_id, started_at, elapsed_ms, updated_by, updated_at)
        VALUES ($1, NULL, 0, $3, $2)
        ON CONFLICT (session_id) DO UPDATE SET started_at = NULL, elapsed_ms = 0,
            updated_by = $3, updated_at = $2
        RETURNING started_at, elapsed_ms, updated_at""",
}


def _timer(row: asyncpg.Record | None, now: int) -> InterviewTimer:
    if row is None:
        return InterviewTimer(
            running=False, elapsed_ms=0, started_at=None, updated_at=None, server_time=now
        )
    started_at = row["started_at"]
    running_for = max(0, now - started_at) if started_at is not None else 0
    return InterviewTimer(
        running=started_at is not None, elapsed_ms=row["elapsed_ms"] + running_for,
        started_at=started_at, updated_at=row["updated_at"], server_time=now,
    )  # fmt: skip


async def read_timer(pool: asyncpg.Pool, session_id: str, now: int) -> InterviewTimer:
    return _timer(await pool.fetchrow(_READ, session_id), now)


async def change_timer(
    pool: asyncpg.Pool, session_id: str, action: TimerAction, by: uuid.UUID | None, now: int
) -> InterviewTimer:
    return _timer(await pool.fetchrow(_CHANGE[action], session_id, now, by), now)


async def pause_timer_if_running(pool: asyncpg.Pool, session_id: str, now: int) -> None:
    """Stop a running clock (the interview ended); a session never timed stays untimed."""
    await pool.execute(
        "UPDATE session_timers SET elapsed_ms = elapsed_ms + greatest(0, $2 - started_at),"
        " started_at = NULL, updated_at = $2 WHERE session_id = $1 AND started_at IS NOT NULL",
        session_id, now,
    )  # fmt: skip

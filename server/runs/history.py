"""The run history: the `runs` rows, as the API shows them, and their SQL.

A run is recorded when it starts (under a share lock on its session, so that ending the
session waits for it) and again when it ends, with its output and result; the webhook
`run.finished` commits with that second write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid

import asyncpg
import redis.asyncio as redis

from runner.limits import RunReason, RunResult
from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode
from schema.models import LiveRun, Run
from server.runs.live_output import read_live_output
from server.webhooks import outbox

log = logging.getLogger(__name__)

_RUN_COLUMNS = """id, session_id, participant_id, language, code_sha256, started_at, finished_at,
status, stage, exit_code, signal, duration_ms, timed_out, memory_exceeded, output_truncated,
cancelled, reason, limit_value, output, seq"""


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def run_from_row(row: asyncpg.Record) -> Run:
    return Run.from_record(
        row,
        by=row["participant_id"],
        code_hash=row["code_sha256"],
        limit=row["limit_value"],
        output=[{"stream": s, "data": d} for s, d in json.loads(bytes(row["output"]))],
    )


async def fetch_run(
    pool: asyncpg.Pool, session_id: str, run_id: str, cache: redis.Redis | None = None
) -> Run:
    """The run as recorded; while it is running and given `cache`, with its output so far
    and `outputSeq`, the `seq` of the next `run_output` event."""
    row = await pool.fetchrow(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE session_id = $1 AND id = $2",
        session_id,
        uuid.UUID(run_id),
    )
    if row is None:
        raise ApiError(ErrorCode.RUN_NOT_FOUND, "Run not found")
    run = run_from_row(row)
    if run.status == "running" and cache is not None:
        output, next_seq = await read_live_output(cache, session_id, run_id)
        return LiveRun(**{**dict(run), "output": output, "output_seq": next_seq})
    return run


async def list_runs(
    pool: asyncpg.Pool, session_id: str, limit: int, before: int | None
) -> tuple[list[Run], str | None]:
    """A page of the session's runs, newest first, and the cursor of the next page."""
    rows = await pool.fetch(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE session_id = $1"
        " AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
        session_id,
        before,
        limit + 1,
    )
    next_cursor = str(rows[limit - 1]["seq"]) if len(rows) > limit else None
    return [run_from_row(row) for row in rows[:limit]], next_cursor


async def record_start(
    pool: asyncpg.Pool, session_id: str, run_id: str, by: str, language: str, code: str
) -> Run:
    async with pool.acquire() as connection, connection.transaction():
        # A share lock on the session: ending it waits for this run to be recorded (and
        # then stops it), and no run starts once the end has committed.
        ended_at = await connection.fetchval(
            "SELECT ended_at FROM sessions WHERE id = $1 FOR SHARE", session_id
        )
        if ended_at is not None:
            raise ApiError(
                ErrorCode.SESSION_ENDED,
                "The interview has ended: code and language can no longer change and nothing runs",
            )
        # We hold the session's lock, so any run still marked running was lost with
        # the node that ran it: close it as cancelled rather than leave it open.
        await connection.execute(
            "UPDATE runs SET status = 'finished', cancelled = true, reason = 'cancelled',"
            " finished_at = $2"
            " WHERE session_id = $1 AND status = 'running'",
            session_id,
            now_ms(),
        )
        row = await connection.fetchrow(
            "INSERT INTO runs (id, session_id, participant_id, language, code_sha256,"
            " started_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'running')"
            f" RETURNING {_RUN_COLUMNS}",
            uuid.UUID(run_id),
            session_id,
            uuid.UUID(by),
            language,
            code_hash(code),
            now_ms(),
        )
    return run_from_row(row)


async def record_finish(
    pool: asyncpg.Pool,
    session_id: str,
    run_id: str,
    result: RunResult,
    reason: RunReason,
    limit: float | None,
    output: list[list[str]],
) -> None:
    try:
        async with pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "UPDATE runs SET status = 'finished', finished_at = $3, stage = $4,"
                " exit_code = $5, signal = $6, duration_ms = $7, timed_out = $8,"
                " memory_exceeded = $9, output_truncated = $10, cancelled = $11,"
                " output = $12, reason = $13, limit_value = $14"
                " WHERE session_id = $1 AND id = $2"
                f" RETURNING {_RUN_COLUMNS}",
                session_id,
                uuid.UUID(run_id),
                now_ms(),
                result.stage,
                result.exit_code,
                result.signal,
                result.duration_ms,
                result.timed_out,
                result.memory_exceeded,
                result.output_truncated,
                result.cancelled,
                json.dumps(output, ensure_ascii=False).encode("utf-8"),
                reason,
                limit,
            )
            organization_id = await connection.fetchval(
                "SELECT organization_id FROM sessions WHERE id = $1", session_id
            )
            if row is not None:
                # The output stays behind GET /runs/{id}: it can be a mebibyte.
                run = run_from_row(row).model_copy(update={"output": None})
                await outbox.enqueue(
                    connection, organization_id, "run.finished",
                    {"sessionId": session_id, "run": run}, now_ms(),
                )  # fmt: skip
    except Exception:
        # The clients still get run_finished; only the history misses this result.
        log.exception("could not record the result of run %s", run_id)

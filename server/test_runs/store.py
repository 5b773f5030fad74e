"""Test runs in Postgres: started, finished (with the `test_run.finished` webhook in the same
transaction), read, listed, and the session's latest score."""

from __future__ import annotations

import json
import logging
import uuid

import asyncpg

from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode
from schema.models.test_runs import TestResult, TestRun, TestScore
from server.runs.history import code_hash
from server.webhooks import outbox

log = logging.getLogger(__name__)

_COLUMNS = """id, session_id, participant_id, question_id, question_version, language,
started_at, finished_at, status, total, passed, failed, score, results, seq"""


def test_run_from_row(row: asyncpg.Record) -> TestRun:
    results = [TestResult.model_validate(r) for r in json.loads(bytes(row["results"]))]
    return TestRun.from_record(row, by=row["participant_id"], results=results)


def not_found() -> ApiError:
    return ApiError(ErrorCode.TEST_RUN_NOT_FOUND, "Test run not found")


async def record_start(
    pool: asyncpg.Pool,
    session_id: str,
    test_run_id: str,
    by: str,
    question: tuple[uuid.UUID, int],
    language: str,
    code: str,
    total: int,
) -> TestRun:
    async with pool.acquire() as connection, connection.transaction():
        # As a run does: ending the session waits for this to be recorded, and nothing
        # starts once the end has committed.
        ended_at = await connection.fetchval(
            "SELECT ended_at FROM sessions WHERE id = $1 FOR SHARE", session_id
        )
        if ended_at is not None:
            raise ApiError(
                ErrorCode.SESSION_ENDED, "The interview has ended: nothing runs any more"
            )
        # We hold the session's run lock: a test run still marked running was lost with
        # the node that ran it.
        await connection.execute(
            "UPDATE test_runs SET status = 'finished', finished_at = $2"
            " WHERE session_id = $1 AND status = 'running'",
            session_id, now_ms(),
        )  # fmt: skip
        row = await connection.fetchrow(
            "INSERT INTO test_runs (id, session_id, participant_id, question_id,"
            " question_version, language, code_sha256, started_at, status, total)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9)"
            f" RETURNING {_COLUMNS}",
            uuid.UUID(test_run_id), session_id, uuid.UUID(by), question[0], question[1],
            language, code_hash(code), now_ms(), total,
        )  # fmt: skip
    return test_run_from_row(row)


async def record_finish(
    pool: asyncpg.Pool, session_id: str, test_run_id: str, results: list[TestResult], score: float
) -> TestRun | None:
    """None when it could not be recorded: the room has had the results all the same."""
    passed = sum(result.passed for result in results)
    stored = json.dumps([r.wire() for r in results], ensure_ascii=False).encode("utf-8")
    try:
        async with pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "UPDATE test_runs SET status = 'finished', finished_at = $3, passed = $4,"
                " failed = $5, score = $6, results = $7 WHERE session_id = $1 AND id = $2"
                f" RETURNING {_COLUMNS}",
                session_id, uuid.UUID(test_run_id), now_ms(), passed, len(results) - passed,
                score, stored,
            )  # fmt: skip
            if row is None:
                return None
            test_run = test_run_from_row(row)
            organization_id = await connection.fetchval(
                "SELECT organization_id FROM sessions WHERE id = $1", session_id
            )
            await outbox.enqueue(
                connection, organization_id, "test_run.finished",
                {"sessionId": session_id, "testRun": test_run}, now_ms(),
            )  # fmt: skip
            return test_run
    except Exception:
        log.exception("could not record the result of test run %s", test_run_id)
        return None


async def fetch_test_run(pool: asyncpg.Pool, session_id: str, test_run_id: uuid.UUID) -> TestRun:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM test_runs WHERE session_id = $1 AND id = $2",
        session_id, test_run_id,
    )  # fmt: skip
    if row is None:
        raise not_found()
    return test_run_from_row(row)


async def list_test_runs(
    pool: asyncpg.Pool, session_id: str, limit: int, before: int | None
) -> tuple[list[TestRun], str | None]:
    """A page of the session's test runs, newest first, and the next page's cursor."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM test_runs WHERE session_id = $1"
        " AND ($2::bigint IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
        session_id, before, limit + 1,
    )  # fmt: skip
    next_cursor = str(rows[limit - 1]["seq"]) if len(rows) > limit else None
    return [test_run_from_row(row) for row in rows[:limit]], next_cursor


async def latest_score(
    connection: asyncpg.Connection | asyncpg.Pool, session_id: str
) -> TestScore | None:
    """The score of the session's latest finished test run, for the scorecard and webhooks."""
    row = await connection.fetchrow(
        "SELECT id, question_id, question_version, language, passed, failed, total, score,"
        " finished_at FROM test_runs WHERE session_id = $1 AND status = 'finished'"
        " AND score IS NOT NULL ORDER BY seq DESC LIMIT 1",
        session_id,
    )
    if row is None:
        return None
    return TestScore.from_record(row, test_run_id=row["id"])

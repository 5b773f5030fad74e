"""The question a session is about: pinned at a version, and shown by role.

An interviewer pins a question of the session's organization; a candidate sees it without
the interviewer notes and with hidden tests by name only (`candidate_view`), on every door:
the REST read here, and the `question_changed` event, which carries no test data at all.
"""

from __future__ import annotations

import uuid

import asyncpg

from schema.models.questions import CandidateQuestion, CandidateTest, Question
from server.questions import fetch_question, not_found, question_from_row


async def pin_question(
    pool: asyncpg.Pool,
    session_id: str,
    organization_id: uuid.UUID,
    question_id: uuid.UUID,
    version: int | None,
    by: uuid.UUID | None,
    now: int,
) -> Question:
    """Pin `version` (default the latest) of one of the organization's questions."""
    question = await fetch_question(pool, organization_id, question_id, version)
    await pool.execute(
        "INSERT INTO session_questions (session_id, question_id, version, set_by, set_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO UPDATE SET"
        " question_id = $2, version = $3, set_by = $4, set_at = $5",
        session_id, question.id, question.version, by, now,
    )  # fmt: skip
    return question


async def pinned_question(pool: asyncpg.Pool, session_id: str) -> Question:
    """The session's question at its pinned version, even if the bank has moved on or let it
    go; QUESTION_NOT_FOUND when none is set."""
    row = await pool.fetchrow(
        "SELECT q.id, q.latest_version, q.created_at, q.updated_at, v.version, v.title,"
        " v.prompt, v.difficulty, v.tags, v.starters, v.tests, v.compare, v.harness,"
        " v.interviewer_notes FROM session_questions s"
        " JOIN questions q ON q.id = s.question_id"
        " JOIN question_versions v ON v.question_id = s.question_id AND v.version = s.version"
        " WHERE s.session_id = $1",
        session_id,
    )
    if row is None:
        raise not_found()
    return question_from_row(row)


def candidate_view(question: Question) -> CandidateQuestion:
    tests = [
        CandidateTest(
            name=test.name,
            hidden=test.hidden,
            weight=test.weight,
            stdin=None if test.hidden else test.stdin,
            expected_stdout=None if test.hidden else test.expected_stdout,
        )
        for test in question.tests
    ]
    return CandidateQuestion(
        id=question.id, version=question.version, title=question.title,
        prompt=question.prompt, prompt_html=question.prompt_html,
        difficulty=question.difficulty, tags=question.tags, starters=question.starters,
        harness=question.harness, compare=question.compare, tests=tests,
    )  # fmt: skip

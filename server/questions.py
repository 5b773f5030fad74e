"""The question bank's storage: an organization's questions, each a list of versions.

Creating a question writes version 1; `update` writes the next version and never changes
an old one, so a session that pinned a version keeps it. Deleting takes the question out
of the bank (404 from then on) and keeps its versions for the sessions that use them.

`save_questions` brings in many at once (`duet questions import`, the example questions of
`POST /templates/initialize`): a question whose title the bank already has becomes that
question's next version, or is left as it is; `export_questions` gives the bank back in
the shape they came in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg

from schema.errors import ApiError, ErrorCode, invalid
from schema.models.questions import Question, QuestionRequest, QuestionSummary
from server.languages import SESSION_LANGUAGES
from server.markdown_html import render_markdown

_COLUMNS = """q.id, q.latest_version, q.created_at, q.updated_at, v.version, v.title, v.prompt,
v.difficulty, v.tags, v.starters, v.tests, v.compare, v.harness, v.interviewer_notes"""


def not_found() -> ApiError:
    return ApiError(ErrorCode.QUESTION_NOT_FOUND, "Question not found")


def check_languages(**fields: Mapping[str, str]) -> None:
    """Starters and harnesses are keyed by a language Duet knows: a 400 names the field."""
    for field, by_language in fields.items():
        for language in by_language:
            if language not in SESSION_LANGUAGES:
                raise invalid(
                    f"Invalid request: '{field}.{language}': unknown language; allowed: "
                    f"{', '.join(SESSION_LANGUAGES)}"
                )


def question_from_row(row: asyncpg.Record) -> Question:
    return Question.from_record(
        row,
        prompt_html=render_markdown(row["prompt"]),
        tags=list(row["tags"]),
        starters=json.loads(row["starters"]),
        tests=json.loads(row["tests"]),
        harness=json.loads(row["harness"]),
    )


def _summary_from_row(row: asyncpg.Record) -> QuestionSummary:
    tests = json.loads(row["tests"])
    return QuestionSummary.from_record(
        row,
        tags=list(row["tags"]),
        languages=sorted(json.loads(row["starters"])),
        test_count=len(tests),
        hidden_test_count=sum(1 for test in tests if test["hidden"]),
    )


async def _insert_version(
    connection: asyncpg.Connection,
    question_id: uuid.UUID,
    version: int,
    body: QuestionRequest,
    author: uuid.UUID | None,
    now: int,
) -> None:
    tests = [test.model_dump(by_alias=True) for test in body.tests]
    await connection.execute(
        "INSERT INTO question_versions (question_id, version, title, prompt, difficulty, tags,"
        " starters, tests, compare, harness, interviewer_notes, created_by, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        question_id, version, body.title, body.prompt, body.difficulty,
        sorted(set(body.tags)), json.dumps(body.starters), json.dumps(tests), body.compare,
        json.dumps(body.harness), body.interviewer_notes, author, now,
    )  # fmt: skip


async def _create(
    connection: asyncpg.Connection,
    organization_id: uuid.UUID,
    body: QuestionRequest,
    author: uuid.UUID | None,
    now: int,
) -> uuid.UUID:
    question_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO questions (id, organization_id, latest_version, created_at, updated_at)"
        " VALUES ($1, $2, 1, $3, $3)",
        question_id,
        organization_id,
        now,
    )
    await _insert_version(connection, question_id, 1, body, author, now)
    return question_id


async def _add_version(
    connection: asyncpg.Connection,
    organization_id: uuid.UUID,
    question_id: uuid.UUID,
    body: QuestionRequest,
    author: uuid.UUID | None,
    now: int,
) -> None:
    version = await connection.fetchval(
        "UPDATE questions SET latest_version = latest_version + 1, updated_at = $3"
        " WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL"
        " RETURNING latest_version",
        question_id,
        organization_id,
        now,
    )
    if version is None:
        raise not_found()
    await _insert_version(connection, question_id, version, body, author, now)


async def create_question(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    body: QuestionRequest,
    author: uuid.UUID | None,
    now: int,
) -> Question:
    async with pool.acquire() as connection, connection.transaction():
        question_id = await _create(connection, organization_id, body, author, now)
        return await _fetch(connection, organization_id, question_id, None)


async def update_question(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    question_id: uuid.UUID,
    body: QuestionRequest,
    author: uuid.UUID | None,
    now: int,
) -> Question:
    """The next version, whole (a PUT replaces every field)."""
    async with pool.acquire() as connection, connection.transaction():
        await _add_version(connection, organization_id, question_id, body, author, now)
        return await _fetch(connection, organization_id, question_id, None)


@dataclass(frozen=True)
class Saved:
    question: Question
    # "created": new to the bank; "versioned": the next version of the question of the same
    # title; "kept": that question was left as it was.
    outcome: Literal["created", "versioned", "kept"]


async def save_questions(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    bodies: Sequence[QuestionRequest],
    author: uuid.UUID | None,
    now: int,
    *,
    same_title: Literal["new_version", "keep"],
) -> list[Saved]:
    """Every question in one transaction: all of them are saved, or (on any failure) none.
    A question whose title (any case) a question of the bank has is that question's next
    version with `new_version`, and leaves it as it is with `keep`."""
    saved: list[Saved] = []
    async with pool.acquire() as connection, connection.transaction():
        # One such batch at a time per organization: two at once would both find a title
        # missing and create it twice.
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('duet.questions:' || $1, 0))",
            str(organization_id),
        )
        for body in bodies:
            existing = await connection.fetchval(
                "SELECT q.id FROM questions q JOIN question_versions v"
                " ON v.question_id = q.id AND v.version = q.latest_version"
                " WHERE q.organization_id = $1 AND q.deleted_at IS NULL"
                " AND lower(v.title) = lower($2)"
                " ORDER BY q.updated_at DESC, q.id DESC LIMIT 1",
                organization_id,
                body.title,
            )
            if existing is None:
                question_id = await _create(connection, organization_id, body, author, now)
                outcome: Literal["created", "versioned", "kept"] = "created"
            elif same_title == "new_version":
                question_id = existing
                await _add_version(connection, organization_id, question_id, body, author, now)
                outcome = "versioned"
            else:
                question_id, outcome = existing, "kept"
            question = await _fetch(connection, organization_id, question_id, None)
            saved.append(Saved(question, outcome))
    return saved


_REQUEST_FIELDS = [field.alias or name for name, field in QuestionRequest.model_fields.items()]


def as_request(question: Question) -> QuestionRequest:
    """A stored question as the body that would make it again (what an export holds)."""
    fields = question.wire()
    return QuestionRequest.model_validate({name: fields[name] for name in _REQUEST_FIELDS})


async def export_questions(pool: asyncpg.Pool, organization_id: uuid.UUID) -> list[QuestionRequest]:
    """The bank's questions at their latest versions, by title: a bank kept in a file under
    version control changes only where its questions did."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM questions q JOIN question_versions v"
        " ON v.question_id = q.id AND v.version = q.latest_version"
        " WHERE q.organization_id = $1 AND q.deleted_at IS NULL"
        " ORDER BY lower(v.title), q.created_at, q.id",
        organization_id,
    )
    return [as_request(question_from_row(row)) for row in rows]


async def _fetch(
    connection: asyncpg.Connection | asyncpg.Pool,
    organization_id: uuid.UUID,
    question_id: uuid.UUID,
    version: int | None,
) -> Question:
    row = await connection.fetchrow(
        f"SELECT {_COLUMNS} FROM questions q JOIN question_versions v ON v.question_id = q.id"
        " WHERE q.id = $1 AND q.organization_id = $2 AND q.deleted_at IS NULL"
        " AND v.version = coalesce($3, q.latest_version)",
        question_id,
        organization_id,
        version,
    )
    if row is None:
        raise not_found()
    return question_from_row(row)


async def fetch_question(
    pool: asyncpg.Pool, organization_id: uuid.UUID, question_id: uuid.UUID, version: int | None
) -> Question:
    """The latest version, or `version`; 404 for another organization's question too."""
    return await _fetch(pool, organization_id, question_id, version)


async def delete_question(
    pool: asyncpg.Pool, organization_id: uuid.UUID, question_id: uuid.UUID, now: int
) -> None:
    deleted = await pool.fetchval(
        "UPDATE questions SET deleted_at = $3"
        " WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL RETURNING id",
        question_id,
        organization_id,
        now,
    )
    if deleted is None:
        raise not_found()


async def list_questions(
    pool: asyncpg.Pool,
    organization_id: uuid.UUID,
    *,
    tag: str | None,
    difficulty: str | None,
    text: str | None,
    limit: int,
    cursor: tuple[int, uuid.UUID] | None,
) -> tuple[list[QuestionSummary], str | None]:
    """Newest first; `text` matches the title and the prompt, case-insensitively."""
    conditions = ["q.organization_id = $1", "q.deleted_at IS NULL"]
    values: list[Any] = [organization_id]
    if tag is not None:
        values.append(tag.lower())
        conditions.append(f"${len(values)} = ANY(v.tags)")
    if difficulty is not None:
        values.append(difficulty)
        conditions.append(f"v.difficulty = ${len(values)}")
    if text:
        values.append(
            "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        conditions.append(f"(v.title ILIKE ${len(values)} OR v.prompt ILIKE ${len(values)})")
    if cursor is not None:
        values.extend(cursor)
        conditions.append(f"(q.updated_at, q.id) < (${len(values) - 1}, ${len(values)})")
    values.append(limit + 1)
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM questions q JOIN question_versions v"
        " ON v.question_id = q.id AND v.version = q.latest_version"
        f" WHERE {' AND '.join(conditions)}"
        f" ORDER BY q.updated_at DESC, q.id DESC LIMIT ${len(values)}",
        *values,
    )
    page = [_summary_from_row(row) for row in rows[:limit]]
    last = page[-1] if len(rows) > limit else None
    return page, (f"{last.updated_at}_{last.id}" if last else None)


def parse_cursor(cursor: str) -> tuple[int, uuid.UUID]:
    updated_at, _, question_id = cursor.partition("_")
    if not updated_at.isdigit() or len(updated_at) > 18:
        raise ValueError(cursor)
    return int(updated_at), uuid.UUID(question_id)

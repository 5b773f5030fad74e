"""What a new session starts from: a question of the bank, a template, or a blank editor.

    start = await starting_point(pool, organization_id, body)
    ... create the session with start.code, start.language, start.title ...
    await start.record(connection, session_id, by, now)   # in the creating transaction

A question gives its starter for the session's language and is pinned at its version, as
`PUT /sessions/{id}/question` pins it; a template gives its language and its entry file
(the language's source file, or its only file) and counts one more use. What the body says
itself (`code`, `language`, `title`) wins over both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from runner.languages import get_language
from schema.errors import invalid
from schema.models.questions import Question
from schema.models.sessions import CreateSessionRequest
from schema.models.templates import Template
from server.questions import fetch_question
from server.templates import fetch_template


@dataclass(frozen=True)
class StartingPoint:
    code: str
    language: str
    title: str
    question: Question | None = None
    template_id: uuid.UUID | None = None

    async def record(
        self, connection: asyncpg.Connection, session_id: str, by: uuid.UUID | None, now: int
    ) -> None:
        if self.question is not None:
            await connection.execute(
                "INSERT INTO session_questions (session_id, question_id, version, set_by,"
                " set_at) VALUES ($1, $2, $3, $4, $5)",
                session_id, self.question.id, self.question.version, by, now,
            )  # fmt: skip
        if self.template_id is not None:
            await connection.execute(
                "UPDATE templates SET usage_count = usage_count + 1 WHERE id = $1",
                self.template_id,
            )


def entry_file(template: Template) -> str:
    """The one text the session's document holds until it is a workspace of files."""
    source_file = get_language(template.language).source_file
    if source_file in template.files:
        return template.files[source_file]
    return next(iter(template.files.values()), "")


async def starting_point(
    pool: asyncpg.Pool, organization_id: uuid.UUID | None, body: CreateSessionRequest
) -> StartingPoint:
    """Raises ApiError: 400 (a question or template without an organization, both at once),
    404 QUESTION_NOT_FOUND / TEMPLATE_NOT_FOUND (not the organization's)."""
    given = body.model_fields_set
    if body.question_id is None and body.template_id is None:
        if body.question_version is not None:
            raise invalid("Invalid request: 'questionVersion' needs 'questionId'")
        return StartingPoint(body.code, body.language, body.title)
    if organization_id is None:
        raise invalid(
            "Invalid request: a session starts from a question or template of an "
            "organization: create it with an access token or an API token"
        )
    if body.question_id is not None and body.template_id is not None:
        raise invalid("Invalid request: give 'questionId' or 'templateId', not both")
    if body.template_id is not None:
        template = await fetch_template(pool, organization_id, body.template_id)
        language = body.language if "language" in given else template.language
        code = body.code if "code" in given else entry_file(template)
        if language != template.language and "code" not in given:
            code = ""  # the template's files are of its own language
        title = body.title if "title" in given else template.display_name
        return StartingPoint(code, language, title, template_id=template.id)
    assert body.question_id is not None
    question = await fetch_question(pool, organization_id, body.question_id, body.question_version)
    code = body.code if "code" in given else question.starters.get(body.language, "")
    title = body.title if "title" in given else question.title
    return StartingPoint(code, body.language, title, question=question)

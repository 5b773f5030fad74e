"""`/api/v1/questions`: the organization's question bank.

An account of the organization, or one of its API tokens, reads with `sessions:read` and
writes with `sessions:write`. A participant's token is refused (403): a candidate must
never reach hidden tests or interviewer notes through the bank. Another organization's
question is a 404, as if it did not exist.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from schema.clock import now_ms
from schema.errors import invalid
from schema.models.questions import QuestionRequest
from server import activity, questions
from server.access import READ, WRITE
from server.activity import Actor
from server.auth.authenticate import require_organization_member
from server.auth.principal import Principal
from server.http.rate_limits import client_ip
from server.http.requests import page_limit, read_json, uuid_param
from server.http.responses import envelope
from server.state import POOL

routes = web.RouteTableDef()
_QUESTIONS = "/api/v1/questions"
_QUESTION = _QUESTIONS + "/{questionId}"
_DIFFICULTIES = ("easy", "medium", "hard")


async def _bank_caller(request: web.Request, scope: str) -> Principal:
    return await require_organization_member(request, scope, "question bank")


def _author(principal: Principal) -> uuid.UUID | None:
    return principal.id if principal.kind == "user" else None


def _version_param(request: web.Request) -> int | None:
    raw = request.query.get("version")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise invalid("version must be a positive integer")
    return int(raw)


@routes.get(_QUESTIONS)
async def list_questions(request: web.Request) -> web.Response:
    principal = await _bank_caller(request, READ)
    limit = page_limit(request)
    difficulty = request.query.get("difficulty")
    if difficulty is not None and difficulty not in _DIFFICULTIES:
        raise invalid(f"difficulty must be one of {', '.join(_DIFFICULTIES)}")
    raw_cursor = request.query.get("cursor")
    try:
        cursor = questions.parse_cursor(raw_cursor) if raw_cursor is not None else None
    except ValueError:
        raise invalid("cursor must be the nextCursor of a previous page") from None
    page, next_cursor = await questions.list_questions(
        request.app[POOL], principal.organization_id,
        tag=request.query.get("tag"), difficulty=difficulty, text=request.query.get("q"),
        limit=limit, cursor=cursor,
    )  # fmt: skip
    return envelope(page, nextCursor=next_cursor)


async def _question_body(request: web.Request) -> QuestionRequest:
    body = await read_json(request, QuestionRequest)
    questions.check_languages(body)
    return body


async def _record(
    request: web.Request, principal: Principal, action: str, now: int, **details: object
) -> None:
    await activity.record(
        request.app[POOL], Actor.of(principal, client_ip(request)), action, now,
        organization_id=principal.organization_id, details=details,
    )  # fmt: skip


@routes.post(_QUESTIONS)
async def create_question(request: web.Request) -> web.Response:
    principal = await _bank_caller(request, WRITE)
    body = await _question_body(request)
    now = now_ms()
    question = await questions.create_question(
        request.app[POOL], principal.organization_id, body, _author(principal), now
    )
    await _record(
        request, principal, "question_created", now, questionId=str(question.id),
        title=question.title,
    )  # fmt: skip
    return envelope(question, status=201)


@routes.get(_QUESTION)
async def get_question(request: web.Request) -> web.Response:
    question_id = uuid_param(request, "questionId", "questionId")
    version = _version_param(request)
    principal = await _bank_caller(request, READ)
    return envelope(
        await questions.fetch_question(
            request.app[POOL], principal.organization_id, question_id, version
        )
    )


@routes.put(_QUESTION)
async def update_question(request: web.Request) -> web.Response:
    question_id = uuid_param(request, "questionId", "questionId")
    principal = await _bank_caller(request, WRITE)
    body = await _question_body(request)
    now = now_ms()
    question = await questions.update_question(
        request.app[POOL], principal.organization_id, question_id, body, _author(principal), now
    )
    await _record(
        request, principal, "question_updated", now, questionId=str(question.id),
        version=question.version,
    )  # fmt: skip
    return envelope(question)


@routes.delete(_QUESTION)
async def delete_question(request: web.Request) -> web.Response:
    question_id = uuid_param(request, "questionId", "questionId")
    principal = await _bank_caller(request, WRITE)
    now = now_ms()
    await questions.delete_question(request.app[POOL], principal.organization_id, question_id, now)
    await _record(request, principal, "question_deleted", now, questionId=str(question_id))
    return web.Response(status=204)

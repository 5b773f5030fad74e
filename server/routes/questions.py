"""`/api/v1/questions`: the organization's question bank.

An account of the organization, or one of its API tokens, reads with `sessions:read` and
writes with `sessions:write`. A participant's token is refused (403): a candidate must
never reach hidden tests or interviewer notes through the bank. Another organization's
question is a 404, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web

from runner.sandbox import NO_SESSION
from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode, invalid
from schema.models.questions import PromptPreview, PromptPreviewRequest, QuestionRequest
from schema.models.test_runs import TestResult, TrialRequest, TrialResult
from server import questions
from server.access import READ, WRITE, record_organization_change
from server.auth.authenticate import require_organization_member
from server.auth.principal import Principal
from server.http.requests import check_size, page_limit, read_json, uuid_param
from server.http.responses import envelope
from server.markdown_html import render_markdown
from server.state import POOL, RUNS, SETTINGS
from server.test_runs.judge import Suite, judge, score_of
from server.test_runs.manager import default_workers

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
    questions.check_languages(starters=body.starters, harness=body.harness)
    return body


@routes.post(_QUESTIONS)
async def create_question(request: web.Request) -> web.Response:
    principal = await _bank_caller(request, WRITE)
    body = await _question_body(request)
    now = now_ms()
    question = await questions.create_question(
        request.app[POOL], principal.organization_id, body, _author(principal), now
    )
    await record_organization_change(
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
    await record_organization_change(
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
    await record_organization_change(
        request, principal, "question_deleted", now, questionId=str(question_id)
    )
    return web.Response(status=204)


@routes.post(_QUESTIONS + "/preview")
async def preview_prompt(request: web.Request) -> web.Response:
    """A prompt rendered as a saved question's `promptHtml` would be, for the editor's live
    preview; nothing is stored."""
    await _bank_caller(request, WRITE)
    body = await read_json(request, PromptPreviewRequest)
    return envelope(PromptPreview(prompt_html=render_markdown(body.prompt)))


@routes.post(_QUESTIONS + "/try")
async def try_solution(request: web.Request) -> web.Response:
    """Run an author's reference solution against a question's tests, saved or not, and
    answer every result (nothing is stored: the solution belongs in no session)."""
    principal = await _bank_caller(request, WRITE)
    body = await read_json(request, TrialRequest)
    questions.check_languages(harness=body.harness)
    runs = request.app[RUNS]
    if runs.sandbox.keeps_sessions:
        raise ApiError(
            ErrorCode.SERVICE_UNAVAILABLE,
            "Trying a solution outside an interview needs a local runner; with the "
            "Kubernetes runner, run the tests in an interview",
        )
    language = await runs.runnable_language(body.language)
    check_size("code", body.code, request.app[SETTINGS].max_code_bytes)
    results = await judge(
        runs.sandbox, NO_SESSION, language, body.code,
        Suite(body.tests, body.compare, body.harness), runs.limits_for(language),
        workers=default_workers(request.app[SETTINGS]), cancel=asyncio.Event(),
        on_result=_ignore,
    )  # fmt: skip
    passed = sum(result.passed for result in results)
    await record_organization_change(
        request, principal, "question_solution_tried", now_ms(), passed=passed
    )
    return envelope(
        TrialResult(
            total=len(results), passed=passed, failed=len(results) - passed,
            score=score_of(results), results=results,
        )
    )  # fmt: skip


async def _ignore(_result: TestResult) -> None:
    return None

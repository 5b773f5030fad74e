"""`/api/v1/sessions/{id}/question`: the question the interview is about.

Interviewers set it (`PUT`) from their organization's bank and read it whole; a candidate
reads it without interviewer notes and with hidden tests by name only. The room hears
`question_changed`, which carries no test data, and reads the question by role.
"""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode
from schema.events import QuestionChanged
from schema.models.questions import SessionQuestionRequest
from server import activity, session_questions
from server.access import READ, WRITE, require_active, require_interviewer, session_caller
from server.http.requests import read_json, session_id_param
from server.http.responses import envelope
from server.state import POOL, RELAY

routes = web.RouteTableDef()
_QUESTION = "/api/v1/sessions/{session_id}/question"


@routes.get(_QUESTION)
async def get_session_question(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller = await session_caller(request, session_id, now_ms(), scope=READ)
    question = await session_questions.pinned_question(request.app[POOL], session_id)
    if caller.is_interviewer:
        return envelope(question)
    return envelope(session_questions.candidate_view(question))


@routes.put(_QUESTION)
async def set_session_question(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    now = now_ms()
    caller = await session_caller(request, session_id, now, scope=WRITE)
    require_interviewer(caller, "set the question")
    require_active(caller)
    body = await read_json(request, SessionQuestionRequest)
    if caller.organization_id is None:
        raise ApiError(
            ErrorCode.INVALID_REQUEST,
            "This session belongs to no organization, so it has no question bank; create "
            "it with an account or an API token",
        )
    pool = request.app[POOL]
    question = await session_questions.pin_question(
        pool, session_id, caller.organization_id, body.question_id, body.version,
        caller.participant_id, now,
    )  # fmt: skip
    await activity.record(
        pool, caller.actor(request), "session_question_set", now, session_id=session_id,
        organization_id=caller.organization_id,
        details={"questionId": str(question.id), "version": question.version},
    )  # fmt: skip
    changed = QuestionChanged(
        question_id=str(question.id), version=question.version, title=question.title,
        by=str(caller.participant_id) if caller.participant_id else None, timestamp=now,
    )  # fmt: skip
    request.app[RELAY].announce(session_id, *changed.parts())
    return envelope(question)

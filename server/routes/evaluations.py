"""`/api/v1/sessions/{id}/evaluations`: interviewers' scorecards (never a candidate's)."""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.models import EvaluationRequest
from server import activity, evaluations
from server.access import READ, require_interviewer, session_caller
from server.authors import author_of
from server.http.requests import read_json, session_id_param, uuid_param
from server.http.responses import envelope
from server.state import POOL
from server.test_runs import store as test_run_store
from server.webhooks import outbox

routes = web.RouteTableDef()
_EVALUATIONS = "/api/v1/sessions/{session_id}/evaluations"


@routes.post(_EVALUATIONS)
async def submit_evaluation(request: web.Request) -> web.Response:
    """Submit (or replace) the caller's scorecard; 201 when new, 200 when replaced. Allowed
    after the interview ended: that is when scorecards are written."""
    session_id = session_id_param(request)
    now = now_ms()
    caller = await session_caller(request, session_id, now)
    require_interviewer(caller, "evaluate")
    author_type, author_id = author_of(caller, "Evaluations")
    body = await read_json(request, EvaluationRequest)
    async with request.app[POOL].acquire() as connection, connection.transaction():
        evaluation, created = await evaluations.submit(
            connection, session_id, author_type, author_id,
            body.rating, body.recommendation, body.text, now,
        )  # fmt: skip
        await activity.record(
            connection, caller.actor(request), "evaluation_submitted", now,
            session_id=session_id, organization_id=caller.organization_id,
            details={"evaluationId": str(evaluation.id)},
        )  # fmt: skip
        await outbox.enqueue(
            connection, caller.organization_id, "evaluation.submitted",
            {"sessionId": session_id, "evaluation": evaluation}, now,
        )  # fmt: skip
    return envelope(evaluation, status=201 if created else 200)


@routes.get(_EVALUATIONS)
async def list_evaluations(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller = await session_caller(request, session_id, now_ms(), scope=READ)
    require_interviewer(caller, "read evaluations")
    pool = request.app[POOL]
    return envelope(
        await evaluations.list_for_session(pool, session_id),
        testScore=await test_run_store.latest_score(pool, session_id),
    )


@routes.get(_EVALUATIONS + "/{evaluation_id}")
async def get_evaluation(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    evaluation_id = uuid_param(request, "evaluation_id", "evaluationId")
    caller = await session_caller(request, session_id, now_ms(), scope=READ)
    require_interviewer(caller, "read evaluations")
    return envelope(await evaluations.fetch(request.app[POOL], session_id, evaluation_id))

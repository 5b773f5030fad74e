"""`/api/v1/sessions/{id}/test-runs`: run the question's tests, read and cancel test runs.

Any participant starts one (a candidate checks their work). Interviewers, the owner and
the organization's API tokens read every result whole; a candidate reads a hidden test's
name and outcome only.
"""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.models.test_runs import TestRunRequest
from server import activity
from server.access import READ, WRITE, require_active, session_caller, session_caller_and_fetch
from server.http.requests import page_params, read_json, session_id_param, uuid_param
from server.http.responses import envelope
from server.state import POOL, ROOMS, TEST_RUNS
from server.test_runs import store
from server.test_runs.views import test_run_for

routes = web.RouteTableDef()
_TEST_RUNS = "/api/v1/sessions/{session_id}/test-runs"
_TEST_RUN = _TEST_RUNS + "/{testRunId}"


@routes.post(_TEST_RUNS)
async def start_test_run(request: web.Request) -> web.Response:
    """202 at once; the results follow as room events."""
    session_id = session_id_param(request)
    now = now_ms()
    caller, session = await session_caller_and_fetch(request, session_id, now, scope=WRITE)
    require_active(caller)
    body = await read_json(request, TestRunRequest) if request.body_exists else TestRunRequest()
    room = await request.app[ROOMS].open(session_id, session.expires_at)
    test_run = await request.app[TEST_RUNS].start(room, str(caller.participant_id), body)
    await activity.record(
        request.app[POOL], caller.actor(request), "test_run_started", now,
        session_id=session_id, organization_id=caller.organization_id,
        details={"testRunId": str(test_run.id)},
    )  # fmt: skip
    return envelope(test_run, status=202)


@routes.get(_TEST_RUNS)
async def list_test_runs(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    limit, before = page_params(request)
    caller = await session_caller(request, session_id, now_ms(), scope=READ)
    page, next_cursor = await store.list_test_runs(request.app[POOL], session_id, limit, before)
    shown = [test_run_for(test_run, interviewer=caller.is_interviewer) for test_run in page]
    return envelope(shown, nextCursor=next_cursor)


@routes.get(_TEST_RUN)
async def get_test_run(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    test_run_id = uuid_param(request, "testRunId", "testRunId")
    caller = await session_caller(request, session_id, now_ms(), scope=READ)
    test_run = await store.fetch_test_run(request.app[POOL], session_id, test_run_id)
    return envelope(test_run_for(test_run, interviewer=caller.is_interviewer))


@routes.post(_TEST_RUN + "/cancel")
async def cancel_test_run(request: web.Request) -> web.Response:
    """202 when it was running (its test_run_finished says `cancelled`), else 200."""
    session_id = session_id_param(request)
    test_run_id = uuid_param(request, "testRunId", "testRunId")
    caller = await session_caller(request, session_id, now_ms())
    test_run, was_running = await request.app[TEST_RUNS].cancel(session_id, test_run_id)
    shown = test_run_for(test_run, interviewer=caller.is_interviewer)
    return envelope(shown, status=202 if was_running else 200)

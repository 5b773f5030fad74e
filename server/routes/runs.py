"""`/api/v1/sessions/{id}/runs`: run the code, cancel a run, read the history."""

from __future__ import annotations

import uuid

from aiohttp import web

from schema.clock import now_ms
from schema.errors import invalid
from schema.models import RunRequest
from server import activity
from server.access import READ, WRITE, require_active, session_caller, session_caller_and_fetch
from server.http.requests import page_params, read_json, session_id_param
from server.http.responses import envelope
from server.runs import history
from server.state import POOL, REDIS, ROOMS, RUNS

routes = web.RouteTableDef()

_RUNS = "/api/v1/sessions/{session_id}/runs"


def run_id_param(request: web.Request) -> str:
    try:
        return str(uuid.UUID(request.match_info["runId"]))
    except ValueError:
        raise invalid("runId must be a UUID") from None


@routes.post(_RUNS)
async def start_run(request: web.Request) -> web.Response:
    """Run the session's document (or the body's `code`/`language`); 202 at once, the
    output follows as room events."""
    session_id = session_id_param(request)
    now = now_ms()
    caller, session = await session_caller_and_fetch(request, session_id, now, scope=WRITE)
    require_active(caller)
    body = await read_json(request, RunRequest) if request.body_exists else RunRequest()
    room = await request.app[ROOMS].open(session_id, session.expires_at)
    run = await request.app[RUNS].start(room, str(caller.participant_id), body)
    await activity.record(
        request.app[POOL], caller.actor(request), "run_started", now, session_id=session_id,
        organization_id=caller.organization_id, details={"runId": str(run.id)},
    )  # fmt: skip
    return envelope(run, status=202)


@routes.get(_RUNS)
async def list_runs(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    limit, before = page_params(request)
    pool = request.app[POOL]
    await session_caller(request, session_id, now_ms(), scope=READ)
    page, next_cursor = await history.list_runs(pool, session_id, limit, before)
    return envelope(page, nextCursor=next_cursor)


@routes.get(_RUNS + "/{runId}")
async def get_run(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    run_id = run_id_param(request)
    pool = request.app[POOL]
    await session_caller(request, session_id, now_ms(), scope=READ)
    return envelope(await history.fetch_run(pool, session_id, run_id, request.app[REDIS]))


@routes.post(_RUNS + "/{runId}/cancel")
async def cancel_run(request: web.Request) -> web.Response:
    """202 with the run when it was running (its run_finished says `cancelled`), 200 with
    the finished run when there was nothing left to stop."""
    session_id = session_id_param(request)
    run_id = run_id_param(request)
    await session_caller(request, session_id, now_ms())
    run, was_running = await request.app[RUNS].cancel(session_id, run_id)
    return envelope(run, status=202 if was_running else 200)

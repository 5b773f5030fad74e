"""`/api/v1/sessions/{id}/runtime`: the session's pod (Kubernetes runner); interviewers
may restart or stop it."""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from server.access import (
    READ,
    WRITE,
    require_active,
    require_interviewer,
    session_caller,
    session_caller_and_fetch,
)
from server.http.requests import session_id_param
from server.http.responses import envelope
from server.runs import runtime
from server.state import ROOMS, RUNS

routes = web.RouteTableDef()
_RUNTIME = "/api/v1/sessions/{session_id}/runtime"


@routes.get(_RUNTIME)
async def get_runtime(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    await session_caller(request, session_id, now_ms(), scope=READ)
    return envelope(await runtime.describe(request.app[RUNS], session_id))


@routes.post(_RUNTIME + "/restart")
async def restart_runtime(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller, session = await session_caller_and_fetch(request, session_id, now_ms(), scope=WRITE)
    require_interviewer(caller, "restart the session's runtime")
    require_active(caller)
    room = await request.app[ROOMS].open(session_id, session.expires_at)
    language = room.language or session.language
    return envelope(await runtime.restart(request.app[RUNS], room, language), status=202)


@routes.post(_RUNTIME + "/stop")
async def stop_runtime(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller = await session_caller(request, session_id, now_ms())
    require_interviewer(caller, "stop the session's runtime")
    return envelope(await runtime.stop(request.app[RUNS], session_id))

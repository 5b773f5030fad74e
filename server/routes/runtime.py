"""`/api/v1/sessions/{id}/runtime`: the session's pod (Kubernetes runner); interviewers
may restart or stop it."""

from __future__ import annotations

from aiohttp import web

from server import runtime
from server.access import authorize, authorize_and_fetch, require_interviewer
from server.clock import now_ms
from server.requests import request_token, session_id_param
from server.responses import envelope
from server.state import POOL, REGISTRY, RUNS

routes = web.RouteTableDef()
_RUNTIME = "/api/v1/sessions/{session_id}/runtime"


@routes.get(_RUNTIME)
async def get_runtime(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    await authorize(request.app[POOL], session_id, request_token(request), now_ms())
    return envelope(await runtime.describe(request.app[RUNS], session_id))


@routes.post(_RUNTIME + "/restart")
async def restart_runtime(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller, session = await authorize_and_fetch(
        request.app[POOL], session_id, request_token(request), now_ms()
    )
    require_interviewer(caller, "restart the session's runtime")
    room = await request.app[REGISTRY].open(session_id, session["expiresAt"])
    language = room.language or session["language"]
    return envelope(await runtime.restart(request.app[RUNS], room, language), status=202)


@routes.post(_RUNTIME + "/stop")
async def stop_runtime(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller = await authorize(request.app[POOL], session_id, request_token(request), now_ms())
    require_interviewer(caller, "stop the session's runtime")
    return envelope(await runtime.stop(request.app[RUNS], session_id))

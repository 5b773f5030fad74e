"""`/api/v1/sessions/{id}/timer`: the interview's clock. Everyone in the room reads it;
interviewers start, pause and reset it, and the room hears `timer_changed`."""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.events import TimerChanged
from schema.models.timer import TimerRequest
from server import activity
from server.access import READ, WRITE, require_active, require_interviewer, session_caller
from server.http.requests import read_json, session_id_param
from server.http.responses import envelope
from server.interview_timer import change_timer, read_timer
from server.state import POOL, RELAY

routes = web.RouteTableDef()
_TIMER = "/api/v1/sessions/{session_id}/timer"


@routes.get(_TIMER)
async def get_timer(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    now = now_ms()
    await session_caller(request, session_id, now, scope=READ)
    return envelope(await read_timer(request.app[POOL], session_id, now))


@routes.post(_TIMER)
async def set_timer(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    now = now_ms()
    caller = await session_caller(request, session_id, now, scope=WRITE)
    require_interviewer(caller, "start, pause or reset the timer")
    require_active(caller)
    body = await read_json(request, TimerRequest)
    pool = request.app[POOL]
    timer = await change_timer(pool, session_id, body.action, caller.participant_id, now)
    await activity.record(
        pool, caller.actor(request), f"timer_{body.action}", now, session_id=session_id,
        details={"elapsedMs": timer.elapsed_ms},
    )  # fmt: skip
    changed = TimerChanged(
        running=timer.running, elapsed_ms=timer.elapsed_ms, started_at=timer.started_at,
        by=str(caller.participant_id) if caller.participant_id else None, timestamp=now,
    )  # fmt: skip
    request.app[RELAY].announce(session_id, *changed.parts())
    return envelope(timer)

"""`/api/v1/sessions/{id}/participants`: list, update, remove."""

from __future__ import annotations

from aiohttp import web

from schema.clock import now_ms
from schema.models import UpdateParticipantRequest
from server import activity, sessions
from server.access import READ, require_self_or_interviewer, session_caller
from server.http.requests import participant_id_param, read_json, session_id_param
from server.http.responses import json_response
from server.state import GATEWAY, POOL

routes = web.RouteTableDef()


@routes.get("/api/v1/sessions/{session_id}/participants")
async def list_participants(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    pool = request.app[POOL]
    await session_caller(request, session_id, now_ms(), scope=READ)
    participants = await sessions.list_participants(pool, session_id)
    # The v1 API answers with a bare {"participants": [...]}; keep that key beside the envelope.
    return json_response(
        {"success": True, "data": {"participants": participants}, "participants": participants}
    )


@routes.patch("/api/v1/sessions/{session_id}/participants/{participant_id}")
async def update_participant(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    participant_id = participant_id_param(request)
    pool = request.app[POOL]
    caller = await session_caller(request, session_id, now_ms())
    require_self_or_interviewer(caller, participant_id, "edit")
    body = await read_json(request, UpdateParticipantRequest)
    participant = await sessions.update_participant(
        pool, session_id, participant_id, body.model_dump(exclude_unset=True)
    )
    # The v1 API answers with the bare participant; keep its fields beside the envelope.
    return json_response({**participant.wire(), "success": True, "data": participant})


@routes.delete("/api/v1/sessions/{session_id}/participants/{participant_id}")
async def remove_participant(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    participant_id = participant_id_param(request)
    pool = request.app[POOL]
    now = now_ms()
    caller = await session_caller(request, session_id, now)
    require_self_or_interviewer(caller, participant_id, "remove")
    await sessions.remove_participant(pool, session_id, participant_id)
    await request.app[GATEWAY].remove_participant(session_id, str(participant_id))
    await activity.record(
        pool, caller.actor(request), "participant_removed", now, session_id=session_id,
        organization_id=caller.organization_id, details={"participantId": str(participant_id)},
    )  # fmt: skip
    return web.Response(status=204)

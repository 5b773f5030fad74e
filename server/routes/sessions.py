"""`/api/v1/sessions`: create, read, update, delete, join, save code."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from collab.room import Room
from schema.errors import ApiError, ErrorCode
from schema.models import (
    CreateSessionRequest,
    JoinRequest,
    SaveCodeRequest,
    UpdateSessionRequest,
)
from server import sessions
from server.access import Caller, authorize, authorize_and_fetch, require_interviewer
from server.clock import now_ms
from server.config import Settings
from server.languages import check_language
from server.redis_keys import delete_session_keys
from server.requests import check_size, read_json, request_token, session_id_param
from server.responses import envelope
from server.state import POOL, REDIS, REGISTRY, RUNS, SETTINGS

routes = web.RouteTableDef()


def public_base_url(request: web.Request, settings: Settings) -> str:
    return settings.public_url or f"{request.scheme}://{request.host}"


def invite_url(base: str, session_id: str, token: str) -> str:
    return f"{base}/s/{session_id}?invite={token}"


@routes.post("/api/v1/sessions")
async def create_session(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = await read_json(request, CreateSessionRequest)
    check_language(body.language)
    check_size("code", body.code, settings.max_code_bytes)
    created = await sessions.create_session(
        request.app[POOL],
        creator=body.creator,
        code=body.code,
        language=body.language,
        title=body.title,
        now=now_ms(),
        ttl_ms=settings.session_ttl_ms,
    )
    base = public_base_url(request, settings)
    session_id = created.session["id"]
    invites = {
        role: {"token": token, "url": invite_url(base, session_id, token)}
        for role, token in (
            ("interviewer", created.interviewer_invite),
            ("candidate", created.candidate_invite),
        )
    }
    return envelope(created.session, status=201, token=created.creator_token, invites=invites)


def with_document(session: dict[str, Any], room: Room) -> dict[str, Any]:
    """The shared document is the source of truth for code and language."""
    return {**session, "code": room.code, "language": room.language or session["language"]}


@routes.get("/api/v1/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    _, session = await authorize_and_fetch(
        request.app[POOL], session_id, request_token(request), now_ms()
    )
    room = await request.app[REGISTRY].open(session_id, session["expiresAt"])
    return envelope(with_document(session, room))


async def _update(request: web.Request, caller: Caller, changes: dict[str, str]) -> web.Response:
    settings = request.app[SETTINGS]
    session_id = request.match_info["session_id"]
    if "language" in changes:
        check_language(changes["language"])
    if "code" in changes:
        check_size("code", changes["code"], settings.max_code_bytes)
    pool = request.app[POOL]
    expires_at = await sessions.session_expiry(pool, session_id)
    if expires_at is None:
        raise ApiError(ErrorCode.SESSION_NOT_FOUND, "Session not found")
    room = await request.app[REGISTRY].open(session_id, expires_at)
    author = str(caller.participant_id)
    # The document first: connected clients see the change as soon as it is in the stream.
    if "code" in changes:
        await room.replace_code(changes["code"], author)
    if "language" in changes:
        await room.set_language(changes["language"], author)
    session = await sessions.update_session(pool, session_id, changes, now_ms())
    return envelope(with_document(session, room))


@routes.patch("/api/v1/sessions/{session_id}")
async def patch_session(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller = await authorize(request.app[POOL], session_id, request_token(request), now_ms())
    body = await read_json(request, UpdateSessionRequest)
    return await _update(request, caller, body.model_dump(exclude_unset=True))


@routes.put("/api/v1/sessions/{session_id}/code")
async def save_code(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    caller = await authorize(request.app[POOL], session_id, request_token(request), now_ms())
    body = await read_json(request, SaveCodeRequest)
    return await _update(request, caller, body.model_dump(exclude_unset=True))


@routes.delete("/api/v1/sessions/{session_id}")
async def delete_session(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    pool = request.app[POOL]
    caller = await authorize(pool, session_id, request_token(request), now_ms())
    require_interviewer(caller, "delete the session")
    if await sessions.delete_session(pool, session_id):
        await request.app[REGISTRY].close_session(session_id, "session deleted", everywhere=True)
        await request.app[RUNS].release_session(session_id)
        await delete_session_keys(request.app[REDIS], [session_id])
    return web.Response(status=204)


@routes.post("/api/v1/sessions/{session_id}/join")
async def join_session(request: web.Request) -> web.Response:
    """Join with an invite token (the role comes from the invite), or rejoin with one's own
    participant token."""
    session_id = session_id_param(request)
    caller = await authorize(
        request.app[POOL], session_id, request_token(request), now_ms(), invite_allowed=True
    )
    body = await read_json(request, JoinRequest)
    if caller.kind == "participant" and caller.participant_id != body.user.id:
        raise ApiError(
            ErrorCode.FORBIDDEN, "A participant token can only rejoin as its own participant"
        )
    session, token = await sessions.join_session(
        request.app[POOL], session_id, body.user, caller.role, now_ms()
    )
    return envelope(session, token=token)

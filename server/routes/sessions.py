"""`/api/v1/sessions`: create, list, read, update, delete, join, end, save code."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode, invalid
from schema.models import (
    CreateSessionRequest,
    JoinRequest,
    SaveCodeRequest,
    Session,
    UpdateSessionRequest,
)
from server import activity, sessions
from server.access import (
    READ,
    WRITE,
    Caller,
    require_active,
    require_interviewer,
    session_caller,
    session_caller_and_fetch,
    session_ended,
)
from server.activity import Actor
from server.auth.authenticate import optional_principal, require_principal
from server.auth.principal import Principal
from server.config import Settings
from server.http import idempotency
from server.http.rate_limits import client_ip
from server.http.requests import check_size, read_json, request_token, session_id_param
from server.http.responses import envelope
from server.languages import check_language
from server.session_start import starting_point
from server.state import JWT_KEY, LIFECYCLE, POOL, ROOMS, SETTINGS
from server.webhooks import outbox

routes = web.RouteTableDef()

DEFAULT_PAGE = 20
MAX_PAGE = 100
_STATUSES = ("active", "expired", "ended")


def public_base_url(request: web.Request, settings: Settings) -> str:
    return settings.public_url or f"{request.scheme}://{request.host}"


def invite_url(base: str, session_id: str, token: str) -> str:
    return f"{base}/s/{session_id}?invite={token}"


def _created_response(
    request: web.Request, session: Session, tokens: dict[str, str | None]
) -> web.Response:
    base = public_base_url(request, request.app[SETTINGS])
    invites = {
        role: {"token": tokens[role], "url": invite_url(base, session.id, str(tokens[role]))}
        for role in ("interviewer", "candidate")
    }
    return envelope(session, status=201, token=tokens["creator"], invites=invites)


def _replay(request: web.Request, key: idempotency.IdempotencyKey, stored: dict) -> web.Response:
    session = Session.model_validate(stored["body"]["session"])
    mint = idempotency.token_mint(request.app[JWT_KEY], key)
    tokens = {
        "creator": mint(session.id, "creator") if stored["body"]["hasCreator"] else None,
        "interviewer": mint(session.id, "invite:interviewer"),
        "candidate": mint(session.id, "invite:candidate"),
    }
    response = _created_response(request, session, tokens)
    response.headers["Idempotent-Replayed"] = "true"
    return response


async def _creating_principal(request: web.Request) -> Principal | None:
    """Who creates: an account or API token (with sessions:write), or nobody (anonymous,
    unless switched off). A session's own token opens that session only."""
    principal = await optional_principal(request)
    if principal is None and request_token(request) is not None:
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "Sessions are created with an access token or an API token, or with no "
            "Authorization header at all; participant and invite tokens open one session",
        )
    if principal is None and not request.app[SETTINGS].allow_anonymous:
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "Creating a session needs an account's access token or an API token",
        )
    if principal is not None and not principal.has_scope(WRITE):
        raise ApiError(ErrorCode.FORBIDDEN, f"This API token lacks the '{WRITE}' scope")
    return principal


async def _idempotency_key(
    request: web.Request, principal: Principal | None
) -> idempotency.IdempotencyKey | None:
    if principal is None:
        if idempotency.HEADER in request.headers:
            raise invalid(f"{idempotency.HEADER} needs an account's access token or an API token")
        return None
    return idempotency.from_header(
        request.headers.get(idempotency.HEADER),
        idempotency.principal_key(principal.kind, principal.id),
        request.method, request.path, await request.read(),
    )  # fmt: skip


@routes.post("/api/v1/sessions")
async def create_session(request: web.Request) -> web.Response:
    settings, pool = request.app[SETTINGS], request.app[POOL]
    principal = await _creating_principal(request)
    # The header is the caller's, like the token: refused before the body is looked at.
    key = await _idempotency_key(request, principal)
    body = await read_json(request, CreateSessionRequest)
    if body.creator is None and principal is None:
        raise invalid("Invalid request: 'creator' is required")
    check_language(body.language)
    now = now_ms()

    if key is not None and (stored := await idempotency.find(pool, key, now)) is not None:
        return _replay(request, key, stored)

    organization_id = principal.organization_id if principal else None
    start = await starting_point(pool, organization_id, body)
    check_size("code", start.code, settings.max_code_bytes)
    actor = Actor.of(principal, client_ip(request), body.creator.id if body.creator else None)

    async def record(connection: asyncpg.Connection, session: Session) -> None:
        await activity.record(
            connection, actor, "session_created", now, session_id=session.id,
            organization_id=organization_id, details={"title": session.title},
        )  # fmt: skip
        await start.record(
            connection, session.id, principal.id if principal and principal.kind == "user"
            else None, now,
        )  # fmt: skip
        await outbox.enqueue(
            connection, organization_id, "session.created", {"session": session}, now
        )
        if key is not None:
            first = {"session": session, "hasCreator": body.creator is not None}
            await idempotency.remember(connection, key, 201, first, now)

    try:
        created = await sessions.create_session(
            pool,
            creator=body.creator,
            creator_id=body.creator.id if body.creator else principal.id,  # type: ignore[union-attr]
            code=start.code,
            language=start.language,
            title=start.title,
            now=now,
            ttl_ms=settings.session_ttl_ms,
            owner_id=principal.id if principal and principal.kind == "user" else None,
            organization_id=organization_id,
            in_transaction=record,
            mint=idempotency.token_mint(request.app[JWT_KEY], key) if key else None,
        )
    except idempotency.Raced:
        assert key is not None
        stored = await idempotency.find(pool, key, now)
        assert stored is not None
        return _replay(request, key, stored)
    tokens = {
        "creator": created.creator_token,
        "interviewer": created.interviewer_invite,
        "candidate": created.candidate_invite,
    }
    return _created_response(request, created.session, tokens)


def session_list_params(request: web.Request) -> tuple[int, tuple[int, str] | None, str | None]:
    raw_limit = request.query.get("limit", str(DEFAULT_PAGE))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
        raise invalid(f"limit must be an integer from 1 to {MAX_PAGE}")
    status = request.query.get("status")
    if status is not None and status not in _STATUSES:
        raise invalid(f"status must be one of {', '.join(_STATUSES)}")
    raw_cursor = request.query.get("cursor")
    cursor = None
    if raw_cursor is not None:
        try:
            cursor = sessions.parse_page_cursor(raw_cursor)
        except ValueError:
            raise invalid("cursor must be the nextCursor of a previous page") from None
    return int(raw_limit), cursor, status


@routes.get("/api/v1/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    """An account's own sessions; with an API token, its organization's."""
    principal = await require_principal(request, READ)
    limit, cursor, status = session_list_params(request)
    page, next_cursor = await sessions.list_sessions(
        request.app[POOL],
        owner_id=principal.id if principal.kind == "user" else None,
        organization_id=principal.organization_id if principal.kind == "api_token" else None,
        status=status,
        limit=limit,
        cursor=cursor,
        now=now_ms(),
    )
    return envelope(page, nextCursor=next_cursor)


@routes.get("/api/v1/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    _, session = await session_caller_and_fetch(request, session_id, now_ms())
    room = await request.app[ROOMS].open(session_id, session.expires_at)
    return envelope(sessions.with_document(session, room))


async def _update(request: web.Request, caller: Caller, changes: dict[str, str]) -> web.Response:
    settings = request.app[SETTINGS]
    session_id = request.match_info["session_id"]
    require_active(caller)
    if "language" in changes:
        check_language(changes["language"])
    if "code" in changes:
        check_size("code", changes["code"], settings.max_code_bytes)
    pool = request.app[POOL]
    expires_at = await sessions.session_expiry(pool, session_id)
    if expires_at is None:
        raise ApiError(ErrorCode.SESSION_NOT_FOUND, "Session not found")
    room = await request.app[ROOMS].open(session_id, expires_at)
    author = str(caller.participant_id)
    # The document first: connected clients see the change as soon as it is in the stream.
    if "code" in changes:
        await room.replace_code(changes["code"], author)
    if "language" in changes:
        await room.set_language(changes["language"], author)
    session = await sessions.update_session(pool, session_id, changes, now_ms())
    return envelope(sessions.with_document(session, room))


@routes.patch("/api/v1/sessions/{session_id}")
async def patch_session(request: web.Request) -> web.Response:
    return await _update_from(request, UpdateSessionRequest)


@routes.put("/api/v1/sessions/{session_id}/code")
async def save_code(request: web.Request) -> web.Response:
    return await _update_from(request, SaveCodeRequest)


async def _update_from(
    request: web.Request, model: type[UpdateSessionRequest] | type[SaveCodeRequest]
) -> web.Response:
    session_id = session_id_param(request)
    caller = await session_caller(request, session_id, now_ms())
    body = await read_json(request, model)
    return await _update(request, caller, body.model_dump(exclude_unset=True))


@routes.delete("/api/v1/sessions/{session_id}")
async def delete_session(request: web.Request) -> web.Response:
    session_id = session_id_param(request)
    now = now_ms()
    caller = await session_caller(request, session_id, now)
    require_interviewer(caller, "delete the session")
    await request.app[LIFECYCLE].delete(
        session_id, actor=caller.actor(request), organization_id=caller.organization_id, now=now
    )
    return web.Response(status=204)


@routes.post("/api/v1/sessions/{session_id}/end")
async def end_session(request: web.Request) -> web.Response:
    """End the interview: editing and running stop for everyone; interviewers keep reading
    the final code and the runs until the session expires."""
    session_id = session_id_param(request)
    now = now_ms()
    caller = await session_caller(request, session_id, now)
    require_interviewer(caller, "end the interview")
    # Disconnects every client on every node and stops a run in progress; reconnecting is
    # refused with SESSION_ENDED, and the session's pod goes.
    session, _ = await request.app[LIFECYCLE].end(
        session_id, actor=caller.actor(request), organization_id=caller.organization_id, now=now
    )
    room = await request.app[ROOMS].open(session_id, session.expires_at)
    return envelope(sessions.with_document(session, room))


@routes.post("/api/v1/sessions/{session_id}/join")
async def join_session(request: web.Request) -> web.Response:
    """Join with an invite token (the role comes from the invite), rejoin with one's own
    participant token, or join as the owning account (an interviewer, no invite needed)."""
    session_id = session_id_param(request)
    now = now_ms()
    caller = await session_caller(request, session_id, now, scope=WRITE, invite_allowed=True)
    if caller.ended:
        raise session_ended(for_candidate=not caller.is_interviewer)
    body = await read_json(request, JoinRequest)
    if caller.kind == "participant" and caller.participant_id != body.user.id:
        raise ApiError(
            ErrorCode.FORBIDDEN, "A participant token can only rejoin as its own participant"
        )
    actor = Actor.of(caller.principal, client_ip(request), body.user.id)

    async def record(connection: asyncpg.Connection, session: Session) -> None:
        participant = next(p for p in session.participants if p.id == body.user.id)
        await activity.record(
            connection, actor, "session_joined", now, session_id=session_id,
            organization_id=caller.organization_id, details={"role": participant.role},
        )  # fmt: skip
        await outbox.enqueue(
            connection, caller.organization_id, "participant.joined",
            {"sessionId": session_id, "participant": participant}, now,
        )  # fmt: skip

    session, token = await sessions.join_session(
        request.app[POOL], session_id, body.user, caller.role, now, record
    )
    return envelope(session, token=token)

"""Two plain-WebSocket doors into the same rooms as Socket.IO.

* `GET /yjs/{sessionId}?token=…`: the y-websocket protocol (binary frames), so the stock
  `WebsocketProvider(serverUrl="ws://host/yjs", roomname=sessionId, {params: {token}})` works.
* `GET /ws/sessions/{sessionId}?token=…`: the v1 API's endpoint; text frames carrying
  `{"type": …, "data": …}` both ways, with the v1 API's events.

A bad token is refused before the upgrade with the v1 API's HTTP error shape.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from collab import protocol
from collab.connection import Connection, Identity
from schema.errors import ApiError, ErrorCode, RealtimeCode
from schema.events import ErrorEvent
from server.http.requests import session_id_param
from server.realtime.gateway import Refused
from server.realtime.socketio import max_message_bytes
from server.state import GATEWAY, SETTINGS

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_REFUSAL_CODES = {
    ErrorCode.UNAUTHORIZED: ErrorCode.UNAUTHORIZED,
    ErrorCode.FORBIDDEN: ErrorCode.FORBIDDEN,
    ErrorCode.SESSION_EXPIRED: ErrorCode.SESSION_EXPIRED,
    ErrorCode.SESSION_ENDED: ErrorCode.SESSION_ENDED,
    "RATE_LIMITED": ErrorCode.RATE_LIMITED,
}


class WebSocketConnection(Connection):
    def __init__(self, ws: web.WebSocketResponse, identity: Identity, *, yjs: bool) -> None:
        super().__init__(f"ws:{id(ws)}", identity, yjs=yjs)
        self.ws = ws

    async def _write_yjs(self, message: bytes) -> None:
        await self.ws.send_bytes(message)

    async def _write_event(self, name: str, data: dict[str, Any]) -> None:
        if self.yjs:
            # A y-websocket client only understands binary protocol messages; of the events,
            # a refusal has one of its own there (y-protocols' auth message, which the stock
            # client logs as "Permission denied").
            if name == "error":
                reason = f"{data.get('code')}: {data.get('message')}"
                await self.ws.send_bytes(protocol.encode_message(protocol.PermissionDenied(reason)))
            return
        await self.ws.send_str(json.dumps({"type": name, "data": data}, ensure_ascii=False))

    async def _close(self, reason: str) -> None:
        if not self.yjs:
            name, data = ErrorEvent(code=RealtimeCode.DISCONNECTED, message=reason).parts()
            await self.ws.send_str(json.dumps({"type": name, "data": data}))
        await self.ws.close(code=4000, message=reason.encode()[:120])


async def _serve(request: web.Request, *, yjs: bool) -> web.WebSocketResponse:
    session_id = session_id_param(request)
    gateway = request.app[GATEWAY]
    try:
        admission = await gateway.admit(request.query.get("token"), session_id)
    except Refused as refused:
        code = _REFUSAL_CODES.get(refused.code, ErrorCode.UNAUTHORIZED)
        raise ApiError(code, refused.message) from None
    ws = web.WebSocketResponse(max_msg_size=max_message_bytes(request.app[SETTINGS]), heartbeat=30)
    await ws.prepare(request)
    connection = WebSocketConnection(ws, admission.identity, yjs=yjs)
    await gateway.enter(connection, admission)
    connection.open()
    try:
        async for message in ws:
            if message.type == WSMsgType.BINARY and yjs:
                await gateway.handle(connection, admission.room, "yjs", message.data)
            elif message.type == WSMsgType.TEXT and not yjs:
                await _handle_text(gateway, connection, admission.room, message.data)
            elif message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                kind = "binary" if yjs else "text"
                connection.deliver_event(
                    *ErrorEvent(
                        code=RealtimeCode.INVALID_MESSAGE,
                        message=f"this endpoint takes {kind} frames",
                    ).parts()
                )
    finally:
        connection.close_soon("disconnected")
        await gateway.leave(connection, admission.room)
    return ws


async def _handle_text(gateway: Any, connection: Connection, room: Any, text: str) -> None:
    try:
        envelope = json.loads(text)
    except ValueError:
        envelope = None
    if not (isinstance(envelope, dict) and isinstance(envelope.get("type"), str)):
        connection.deliver_event(
            *ErrorEvent(
                code=RealtimeCode.INVALID_MESSAGE, message='send {"type": "...", "data": {...}}'
            ).parts()
        )
        return
    await gateway.handle(connection, room, envelope["type"], envelope.get("data"))


@routes.get("/yjs/{session_id}")
async def yjs_websocket(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, yjs=True)


@routes.get("/ws/sessions/{session_id}")
async def v1_websocket(request: web.Request) -> web.WebSocketResponse:
    return await _serve(request, yjs=False)

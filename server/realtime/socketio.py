"""The Socket.IO door (python-socketio on the aiohttp app, path `/socket.io`, namespace `/`).

Connect with `auth={"token": <participant token>}` (or `?token=`). Events: `yjs` (one binary
y-websocket-framed message), the seed's `code_change`, `language_change`, `cursor_position`;
the server emits `yjs`, `code_change`, `language_change`, `cursor_position`, `user_join`,
`user_leave`, `throttled` and `error`. Rooms are ours (`collab.room`), not Socket.IO's: each
node emits only to its own sockets, one sid at a time, through the connection's outbox.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web

from collab.connection import Connection, Identity
from collab.room import Room
from server.config import Settings
from server.realtime.gateway import Refused
from server.state import GATEWAY

log = logging.getLogger(__name__)


class SocketIOConnection(Connection):
    def __init__(self, server: socketio.AsyncServer, sid: str, identity: Identity) -> None:
        # A Socket.IO client is a JSON client until it sends its first `yjs` message.
        super().__init__(f"sio:{sid}", identity, yjs=False)
        self.server = server
        self.sid = sid

    async def _write_yjs(self, message: bytes) -> None:
        await self.server.emit("yjs", message, to=self.sid)

    async def _write_event(self, name: str, data: dict[str, Any]) -> None:
        await self.server.emit(name, data, to=self.sid)

    async def _close(self, reason: str) -> None:
        await self.server.emit("error", {"code": "DISCONNECTED", "message": reason}, to=self.sid)
        await self.server.disconnect(self.sid)


def max_message_bytes(settings: Settings) -> int:
    # Above the code limit, so an oversized update reaches our handler and gets an `error`
    # event instead of engine.io closing the socket before anyone sees it.
    return settings.max_code_bytes * 4 + 1_048_576


def attach_socketio(app: web.Application, settings: Settings) -> socketio.AsyncServer:
    server = socketio.AsyncServer(
        async_mode="aiohttp",
        max_http_buffer_size=max_message_bytes(settings),
        cors_allowed_origins=settings.cors_origins or [],
        logger=False,
        engineio_logger=False,
    )
    server.attach(app, socketio_path="socket.io")
    links: dict[str, tuple[Connection, Room]] = {}

    @server.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is None:
            request = environ.get("aiohttp.request")
            token = request.query.get("token") if request is not None else None
        gateway = app[GATEWAY]
        try:
            admission = await gateway.admit(token if isinstance(token, str) else None)
        except Refused as refused:
            raise socketio.exceptions.ConnectionRefusedError(refused.as_dict()) from None
        connection = SocketIOConnection(server, sid, admission.identity)
        links[sid] = (connection, admission.room)
        await gateway.enter(connection, admission)

    @server.event
    async def disconnect(sid: str, *args: Any) -> None:
        link = links.pop(sid, None)
        if link is not None:
            connection, room = link
            connection.close_soon("disconnected")
            await app[GATEWAY].leave(connection, room)

    @server.on("*")
    async def any_event(event: str, sid: str, data: Any = None) -> None:
        link = links.get(sid)
        if link is not None:
            await app[GATEWAY].handle(link[0], link[1], event, data)

    return server

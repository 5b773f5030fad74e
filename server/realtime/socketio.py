"""The Socket.IO door (python-socketio on the aiohttp app, path `/socket.io`, namespace `/`).

Connect with `auth={"token": <participant token>}` (or `?token=`). Events: `yjs` (one binary
y-websocket-framed message), the v1 API's `code_change`, `language_change`, `cursor_position`;
the server emits `yjs`, `code_change`, `language_change`, `cursor_position`, `user_join`,
`user_leave`, `throttled` and `error`. Rooms are ours (`collab.room`), not Socket.IO's: each
node emits only to its own sockets, one sid at a time, through the connection's outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio
from aiohttp import web
from engineio import packet as engineio_packet
from socketio import packet as socketio_packet

from collab.connection import Connection, Identity
from collab.room import Room
from schema.errors import RealtimeCode
from schema.events import ErrorEvent
from server.config import Settings
from server.realtime.gateway import Refused
from server.realtime.polling import read_polling_bodies_whole
from server.state import GATEWAY

log = logging.getLogger(__name__)


class SocketIOConnection(Connection):
    """Writes its own packets: a binary event is one text packet plus one engine.io message
    per attachment, and the receiver pairs them by arrival order alone. python-socketio's
    `emit` queues the parts from separate tasks, which keeps them in order only as long as
    none of them ever waits; here the connection's single writer queues them one after
    another, so the parts of two events can never interleave."""

    def __init__(self, server: socketio.AsyncServer, sid: str, identity: Identity) -> None:
        # Yjs or JSON client: its first message tells (see Room.join).
        super().__init__(f"sio:{sid}", identity, yjs=None)
        self.server = server
        self.sid = sid

    async def _write_yjs(self, message: bytes) -> None:
        await self._send("yjs", message)

    async def _write_event(self, name: str, data: dict[str, Any]) -> None:
        await self._send(name, data)

    async def _send(self, event: str, data: Any) -> None:
        eio_sid = self.server.manager.eio_sid_from_sid(self.sid, "/")
        if eio_sid is None:
            return
        encoded = self.server.packet_class(
            socketio_packet.EVENT, namespace="/", data=[event, data]
        ).encode()
        for part in encoded if isinstance(encoded, list) else [encoded]:
            await self.server.eio.send_packet(
                eio_sid, engineio_packet.Packet(engineio_packet.MESSAGE, part)
            )

    async def _close(self, reason: str) -> None:
        name, data = ErrorEvent(code=RealtimeCode.DISCONNECTED, message=reason).parts()
        await self.server.emit(name, data, to=self.sid)
        await self.server.disconnect(self.sid)


def max_message_bytes(settings: Settings) -> int:
    # Above the code limit, so an oversized update reaches our handler and gets an `error`
    # event instead of engine.io closing the socket before anyone sees it.
    return settings.max_code_bytes * 4 + 1_048_576


def origin_check(settings: Settings) -> Callable[[str | None, dict[str, Any]], bool]:
    """Browsers may connect from this server's own pages (the web app), from
    `DUET_PUBLIC_URL`, and from `DUET_CORS_ORIGINS`; clients that send no Origin (servers,
    scripts) are not browsers and are not asked."""
    configured = set(settings.cors_origins)
    public = settings.public_url.rstrip("/") if settings.public_url else None

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None or "*" in configured or origin in configured or origin == public:
            return True
        # Behind a TLS-terminating proxy the page's origin is the forwarded one.
        scheme = environ.get("HTTP_X_FORWARDED_PROTO", environ.get("wsgi.url_scheme", "http"))
        host = environ.get("HTTP_X_FORWARDED_HOST", environ.get("HTTP_HOST", ""))
        return origin == f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}"

    return allowed


def attach_socketio(app: web.Application, settings: Settings) -> socketio.AsyncServer:
    server = socketio.AsyncServer(
        async_mode="aiohttp",
        max_http_buffer_size=max_message_bytes(settings),
        cors_allowed_origins=origin_check(settings),
        logger=False,
        engineio_logger=False,
    )
    server.attach(app, socketio_path="socket.io")
    read_polling_bodies_whole(server)
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
            raise socketio.exceptions.ConnectionRefusedError(
                refused.message, refused.as_dict()
            ) from None
        connection = SocketIOConnection(server, sid, admission.identity)
        links[sid] = (connection, admission.room)
        await gateway.enter(connection, admission)
        # python-socketio queues its CONNECT reply as soon as this handler returns, without
        # waiting; the writer starts after that, so no event reaches the client before it.
        connection.open()

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

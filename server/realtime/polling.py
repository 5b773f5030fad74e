"""A fix for Socket.IO's long-polling transport on aiohttp.

engine.io reads a POST body with one `read(CONTENT_LENGTH)`, but aiohttp's `read(n)` returns
*up to* n bytes: a large body arrives truncated, and its packets are lost or corrupted while
the request still answers 200. Clients use polling until their WebSocket upgrade completes
(and stay on it where WebSockets are blocked), so bodies are read exactly here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio


class _WholeBody:
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return await self._stream.read()
        try:
            return await self._stream.readexactly(size)
        except asyncio.IncompleteReadError as error:
            return error.partial


def read_polling_bodies_whole(server: socketio.AsyncServer) -> None:
    translate = server.eio._async["translate_request"]

    def translate_request(request: Any) -> dict[str, Any]:
        environ = translate(request)
        environ["wsgi.input"] = _WholeBody(environ["wsgi.input"])
        return environ

    server.eio._async = {**server.eio._async, "translate_request": translate_request}

"""One client of a room, whatever door it came through (Socket.IO, y-websocket, v1 API WebSocket).

A transport subclasses `Connection` and implements `_write_yjs` and `_write_event` (put one
outgoing Yjs message or named event on the wire) and `_close` (drop the client), and calls
`open` once its handshake is done. The room only ever calls `deliver_yjs`, `deliver_event`
and `close_soon`, none of which waits: every connection has a bounded outbox drained by its
own writer task, so

* a client that stops reading fills its own outbox and is disconnected, instead of making
  the room wait on it;
* messages to one client go out strictly one after another (python-socketio splits a binary
  event into several engine.io packets, and two concurrent emits to one client can
  interleave those packets; one writer per client makes that impossible).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)

Outgoing = tuple[Literal["yjs"], bytes] | tuple[Literal["event"], tuple[str, dict[str, Any]]]

OUTBOX_LIMIT = 1024
# Also bounded in bytes: a thousand large updates must not pin a gigabyte per slow client.
OUTBOX_BYTES = 8 * 1024 * 1024
CLOSE_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Identity:
    """Who a connection authenticated as."""

    session_id: str
    participant_id: str
    role: str
    name: str
    color: str


class Connection:
    """Base class for a transport's connection; see the module docstring."""

    def __init__(self, connection_id: str, identity: Identity, *, yjs: bool | None) -> None:
        self.id = connection_id
        self.identity = identity
        # A Yjs client gets CRDT updates; a JSON client gets `code_change` with the text.
        # None: not known yet (a Socket.IO client is told apart by its first message).
        self.yjs = yjs
        self.closed = False
        # Nothing is written before the transport says the client can receive it.
        self._opened = asyncio.Event()
        self._outbox: asyncio.Queue[Outgoing | None] = asyncio.Queue(OUTBOX_LIMIT)
        self._queued_bytes = 0
        self._writer = asyncio.get_running_loop().create_task(self._drain())

    def deliver_yjs(self, message: bytes) -> None:
        self._put(("yjs", message))

    def deliver_event(self, name: str, data: dict[str, Any]) -> None:
        self._put(("event", (name, data)))

    def _put(self, item: Outgoing) -> None:
        if self.closed:
            return
        size = _size(item)
        if self._queued_bytes + size > OUTBOX_BYTES or self._outbox.full():
            log.warning("connection %s is not reading; disconnecting it", self.id)
            self.close_soon("too slow: the connection stopped reading")
            return
        self._queued_bytes += size
        self._outbox.put_nowait(item)

    def open(self) -> None:
        """Start writing what was delivered (called once the transport's handshake is done)."""
        self._opened.set()

    async def _drain(self) -> None:
        await self._opened.wait()
        while (item := await self._outbox.get()) is not None:
            self._queued_bytes -= _size(item)
            try:
                if item[0] == "yjs":
                    await self._write_yjs(item[1])
                else:
                    name, data = item[1]
                    await self._write_event(name, data)
            except Exception:
                log.info("connection %s failed to write; closing", self.id, exc_info=True)
                self.close_soon("write failed")
                return

    def close_soon(self, reason: str) -> None:
        """Stop delivering and close the client. Queued messages are dropped, but the one
        being written is finished first: a Socket.IO binary event cut between its parts
        would make the client misread the next message."""
        if self.closed:
            return
        self.closed = True
        while not self._outbox.empty():
            self._outbox.get_nowait()
        self._queued_bytes = 0
        self._outbox.put_nowait(None)
        self._opened.set()
        asyncio.get_running_loop().create_task(self._finish_and_close(reason))

    async def _finish_and_close(self, reason: str) -> None:
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            # A client that stopped reading may never take the rest: give it a bound.
            async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                await asyncio.shield(self._writer)
        self._writer.cancel()
        try:
            await self._close(reason)
        except Exception:
            log.debug("closing connection %s failed", self.id, exc_info=True)

    async def _write_yjs(self, message: bytes) -> None:
        raise NotImplementedError

    async def _write_event(self, name: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _close(self, reason: str) -> None:
        raise NotImplementedError


def _size(item: Outgoing) -> int:
    if item[0] == "yjs":
        return len(item[1])
    _name, data = item[1]
    code = data.get("code") if isinstance(data, dict) else None
    # Events are small but for whole-text `code_change`; count that text.
    return 256 + (len(code) if isinstance(code, str) else 0)

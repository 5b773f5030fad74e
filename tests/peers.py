"""Test clients for the realtime doors: a Yjs peer (pycrdt document over python-socketio's
AsyncClient, speaking the y-websocket framing) and a JSON-event peer (the seed's events)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import socketio
from pycrdt import Doc, Map, Text

from collab import protocol
from collab.awareness import AwarenessEntry, decode_awareness_update, encode_awareness_update


async def eventually(check: Callable[[], bool], within: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.01)


class Peer:
    """Common to both kinds: a Socket.IO client that records every server event."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._emit_lock = asyncio.Lock()
        # Every event, so a test can also assert what a client never received.
        self.sio.on("*", self._record_any)

    async def _record_any(self, name: str, data: Any = None) -> None:
        self.events[name].append(data)

    async def connect(self, base_url: str, token: str) -> None:
        await self.sio.connect(base_url, auth={"token": token}, transports=["websocket"])

    async def emit(self, event: str, data: Any) -> None:
        # python-socketio's client splits a binary event into several packets; two
        # concurrent emits could interleave them, so a peer sends one at a time.
        async with self._emit_lock:
            await self.sio.emit(event, data)

    async def disconnect(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


class YjsPeer(Peer):
    def __init__(self) -> None:
        super().__init__()
        self.doc: Doc = Doc()
        self.text = self.doc.get("code", type=Text)
        self.meta = self.doc.get("meta", type=Map)
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.synced = asyncio.Event()
        self.sio.on("yjs", self._on_yjs)

    async def connect(self, base_url: str, token: str) -> None:
        await super().connect(base_url, token)
        await self.emit("yjs", protocol.sync_step1(self.doc.get_state()))
        await asyncio.wait_for(self.synced.wait(), 5)

    async def _on_yjs(self, data: bytes) -> None:
        message = protocol.decode_message(data)
        if isinstance(message, protocol.SyncStep1):
            await self.emit("yjs", protocol.sync_step2(self.doc.get_update(message.state_vector)))
        elif isinstance(message, protocol.SyncStep2):
            self.doc.apply_update(message.update)
            self.synced.set()
        elif isinstance(message, protocol.SyncUpdate):
            self.doc.apply_update(message.update)
        elif isinstance(message, protocol.AwarenessMessage):
            for entry in decode_awareness_update(message.update):
                self.awareness[entry.client_id] = entry.state

    @property
    def code(self) -> str:
        return str(self.text)

    async def edit(self, change: Callable[[Text], None]) -> bytes:
        """Make a local edit and send it as an update; return the update."""
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self.text)
        update = self.doc.get_update(before)
        await self.emit("yjs", protocol.sync_update(update))
        return update

    async def insert(self, index: int, value: str) -> bytes:
        return await self.edit(lambda text: text.insert(index, value))

    async def set_awareness(self, state: dict[str, Any] | None, clock: int = 1) -> None:
        update = encode_awareness_update([AwarenessEntry(self.doc.client_id, clock, state)])
        await self.emit("yjs", protocol.awareness_message(update))


class JsonPeer(Peer):
    @property
    def code(self) -> str | None:
        changes = self.events["code_change"]
        return changes[-1]["code"] if changes else None


class WebSocketYjsPeer:
    """A pycrdt document speaking y-websocket over a plain WebSocket (the `/yjs` door)."""

    def __init__(self, session: Any) -> None:
        self.http = session
        self.doc: Doc = Doc()
        self.text = self.doc.get("code", type=Text)
        self.meta = self.doc.get("meta", type=Map)
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.synced = asyncio.Event()
        self.ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        # The reasons of the server's y-protocols "permission denied" messages (refusals).
        self.denied: list[str] = []

    async def connect(self, url: str) -> None:
        self.ws = await self.http.ws_connect(url)
        self._reader = asyncio.create_task(self._read())
        await self.ws.send_bytes(protocol.sync_step1(self.doc.get_state()))
        await asyncio.wait_for(self.synced.wait(), 5)

    async def _read(self) -> None:
        async for message in self.ws:
            if not isinstance(message.data, bytes):
                continue
            decoded = protocol.decode_message(message.data)
            if isinstance(decoded, protocol.SyncStep1):
                update = self.doc.get_update(decoded.state_vector)
                await self.ws.send_bytes(protocol.sync_step2(update))
            elif isinstance(decoded, protocol.SyncStep2):
                self.doc.apply_update(decoded.update)
                self.synced.set()
            elif isinstance(decoded, protocol.SyncUpdate):
                self.doc.apply_update(decoded.update)
            elif isinstance(decoded, protocol.AwarenessMessage):
                for entry in decode_awareness_update(decoded.update):
                    self.awareness[entry.client_id] = entry.state
            elif isinstance(decoded, protocol.PermissionDenied):
                self.denied.append(decoded.reason)

    @property
    def code(self) -> str:
        return str(self.text)

    async def send_update(self, update: bytes) -> None:
        await self.ws.send_bytes(protocol.sync_update(update))

    async def insert(self, index: int, value: str) -> None:
        before = self.doc.get_state()
        self.text.insert(index, value)
        await self.ws.send_bytes(protocol.sync_update(self.doc.get_update(before)))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

"""The two plain-WebSocket doors share the room with Socket.IO clients: the seed's JSON
WebSocket (`/ws/sessions/{id}`) and the y-websocket protocol (`/yjs/{id}`)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from collab import protocol
from server.app import create_app
from tests.conftest import create_room, join
from tests.peers import WebSocketYjsPeer, YjsPeer, eventually


@pytest.fixture
async def app_client(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings))


UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


class SeedSocket:
    """A client of the seed's WebSocket, recording `{"type", "data"}` messages by type."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.received: dict[str, list] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                envelope = json.loads(message.data)
                self.received.setdefault(envelope["type"], []).append(envelope["data"])

    def last(self, kind: str):
        return self.received.get(kind, [None])[-1]

    async def send(self, kind: str, data: dict) -> None:
        await self.ws.send_str(json.dumps({"type": kind, "data": data}))

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self.reader, return_exceptions=True)


async def open_seed(client, session_id: str, token: str) -> SeedSocket:
    return SeedSocket(await client.ws_connect(f"/ws/sessions/{session_id}?token={token}"))


async def test_seed_websocket_speaks_the_seed_events_with_socketio_peers(app_client):
    room = await create_room(app_client, code="let a = 1;")
    candidate, token = await join(app_client, room, room.candidate_invite)
    yjs = YjsPeer()
    await yjs.connect(str(app_client.make_url("/")), room.token)
    seed = await open_seed(app_client, room.id, token)
    try:
        await eventually(lambda: (seed.last("code_change") or {}).get("code") == "let a = 1;")
        await yjs.insert(10, "\nlet b = 2;")
        await eventually(
            lambda: seed.last("code_change")["code"] == "let a = 1;\nlet b = 2;", what="yjs edit"
        )
        await seed.send(
            "code_change", {"code": "let a = 1;\nlet b = 3;", "userId": candidate["id"]}
        )
        await eventually(lambda: yjs.code == "let a = 1;\nlet b = 3;", what="seed edit as CRDT")
        await seed.send("language_change", {"language": "python"})
        await eventually(lambda: yjs.meta.get("language") == "python")
    finally:
        await seed.close()
        await yjs.disconnect()


async def test_seed_websocket_clients_see_each_others_cursors_and_presence(app_client):
    room = await create_room(app_client, code="one\ntwo\n")
    candidate, token = await join(app_client, room, room.candidate_invite)
    watcher = await open_seed(app_client, room.id, room.token)
    mover = await open_seed(app_client, room.id, token)
    try:
        await eventually(lambda: any(e["user"]["id"] == candidate["id"]
                                     for e in watcher.received.get("user_join", [])))  # fmt: skip
        await mover.send("cursor_position", {"position": {"lineNumber": 2, "column": 2}})
        await eventually(lambda: watcher.last("cursor_position") is not None)
        assert watcher.last("cursor_position")["userId"] == candidate["id"]
        await mover.close()
        await eventually(
            lambda: (watcher.last("user_leave") or {}).get("userId") == candidate["id"]
        )
    finally:
        await watcher.close()


async def test_seed_websocket_bad_messages_get_errors(app_client):
    room = await create_room(app_client)
    seed = await open_seed(app_client, room.id, room.token)
    try:
        await seed.ws.send_str("not json")
        await eventually(lambda: seed.last("error") is not None)
        assert seed.last("error")["code"] == "INVALID_MESSAGE"
        await seed.ws.send_bytes(b"\x00\x00")
        await eventually(lambda: len(seed.received["error"]) == 2)
        await seed.send("code_change", {"code": 42})
        await eventually(lambda: len(seed.received["error"]) == 3)
        await seed.send("teleport", {})
        await eventually(lambda: seed.last("error")["code"] == "UNKNOWN_EVENT")
        assert not seed.ws.closed
    finally:
        await seed.close()


@pytest.mark.parametrize("door", ["/ws/sessions", "/yjs"])
async def test_doors_refuse_bad_tokens_before_upgrading(app_client, db, door):
    room = await create_room(app_client)
    other = await create_room(app_client)
    cases = [
        (f"{door}/{room.id}", 401, "UNAUTHORIZED"),
        (f"{door}/{room.id}?token=dp_nope", 401, "UNAUTHORIZED"),
        (f"{door}/{room.id}?token={room.candidate_invite}", 401, "UNAUTHORIZED"),
        (f"{door}/{room.id}?token={other.token}", 403, "FORBIDDEN"),
        (f"{door}/NOTHEX00?token={room.token}", 400, "INVALID_REQUEST"),
    ]
    for path, status, code in cases:
        response = await app_client.get(path, headers=UPGRADE)
        body = await response.json()
        assert (response.status, body["code"]) == (status, code), path
    await db.execute("UPDATE sessions SET expires_at = 1 WHERE id = $1", room.id)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await app_client.ws_connect(f"{door}/{room.id}?token={room.token}")
    assert refused.value.status == 410


async def test_y_websocket_door_shares_the_document_and_awareness(app_client):
    room = await create_room(app_client, code="shared")
    _, token = await join(app_client, room, room.candidate_invite)
    sio_peer = YjsPeer()
    await sio_peer.connect(str(app_client.make_url("/")), room.token)
    ws_peer = WebSocketYjsPeer(app_client.session)
    await ws_peer.connect(str(app_client.make_url(f"/yjs/{room.id}?token={token}")))
    try:
        assert ws_peer.code == "shared"
        await ws_peer.insert(6, " doc")
        await eventually(lambda: sio_peer.code == "shared doc", what="y-websocket edit")
        await sio_peer.insert(0, "a ")
        await eventually(lambda: ws_peer.code == "a shared doc", what="socket.io edit")
        await sio_peer.set_awareness({"user": {"name": "Sio", "color": "#0f0"}})
        await eventually(lambda: ws_peer.awareness.get(sio_peer.doc.client_id) is not None)
        # y-websocket's query-awareness message (type 3) is answered with every state.
        ws_peer.awareness.clear()
        await ws_peer.ws.send_bytes(protocol.encode_message(protocol.QueryAwareness()))
        await eventually(lambda: ws_peer.awareness.get(sio_peer.doc.client_id) is not None)
    finally:
        await ws_peer.close()
        await sio_peer.disconnect()


async def test_a_client_that_stops_reading_is_dropped_without_stalling_the_room(app_client):
    room = await create_room(app_client, code="")
    _, token = await join(app_client, room, room.candidate_invite)
    # Connects, then never reads: its socket buffers fill, then its outbox, then it goes.
    stalled = await app_client.ws_connect(f"/yjs/{room.id}?token={token}")
    typist = YjsPeer()
    await typist.connect(str(app_client.make_url("/")), room.token)
    reader = WebSocketYjsPeer(app_client.session)
    await reader.connect(str(app_client.make_url(f"/yjs/{room.id}?token={room.token}")))
    try:
        chunk = "x" * 30_000
        for index in range(1000):
            await typist.edit(lambda text, i=index: (text.clear(), text.insert(0, f"{i}:{chunk}")))
        await eventually(lambda: reader.code == f"999:{chunk}", within=30,
                         what="the reading client keeps up")  # fmt: skip
        message = await asyncio.wait_for(_last_message(stalled), 30)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    finally:
        await reader.close()
        await typist.disconnect()
        await stalled.close()


async def _last_message(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    while True:
        message = await ws.receive()
        if message.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
            return message


async def test_a_flood_is_throttled_and_told_but_not_dropped(app_client):
    room = await create_room(app_client, code="a\\nb\\n")
    seed = await open_seed(app_client, room.id, room.token)
    watcher = await open_seed(app_client, room.id, room.token)
    try:
        for index in range(700):
            await seed.send("cursor_position", {"position": {"lineNumber": 1, "column": index}})
        await eventually(lambda: seed.last("throttled") is not None, what="throttled event")
        assert seed.last("throttled")["limit"] == 200
        await eventually(lambda: len(watcher.received.get("cursor_position", [])) == 700,
                         within=10, what="every message handled")  # fmt: skip
    finally:
        await seed.close()
        await watcher.close()

"""A JSON client's cursor reaches Yjs clients as that participant's awareness cursor, from
either JSON door, for Yjs clients already in the room and those who arrive later, on one node
and across two."""

from __future__ import annotations

import pytest

from collab.awareness import (
    REMOTE_STATE_TTL,
    RoomAwareness,
    decode_awareness_update,
    resolve_cursor,
)
from collab.relpos import PositionMirror
from server.app import create_app
from tests.conftest import create_room, join, user
from tests.peers import JsonPeer, WebSocketYjsPeer, YjsPeer, eventually
from tests.test_websocket_doors import open_seed

CODE = "line one\nline two\n"
# Line 2, column 2 (1-based) is just after the "l" of "line two".
OFFSET = len("line one\n") + 1


@pytest.fixture
async def app_client(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings))


LINE_2_COLUMN_2 = {"position": {"lineNumber": 2, "column": 2}}


async def room_with_cam(client):
    """A room holding CODE, and the token of its candidate Cam (colour #12a594)."""
    room = await create_room(client, code=CODE)
    _, token = await join(client, room, room.candidate_invite, user("Cam", "#12a594"))
    return room, token


def cursor_of(peer, name: str) -> tuple[int, int] | None:
    """Where the awareness state of `name` puts its cursor in the peer's own text."""
    for state in peer.awareness.values():
        if state and state.get("user", {}).get("name") == name and "cursor" in state:
            return resolve_cursor(PositionMirror.from_doc(peer.doc), state)
    return None


def state_of(peer, name: str) -> dict:
    return next(s for s in peer.awareness.values() if s and s.get("user", {}).get("name") == name)


async def test_a_seed_websocket_cursor_reaches_a_yjs_client(app_client):
    room, token = await room_with_cam(app_client)
    yjs = YjsPeer()
    await yjs.connect(str(app_client.make_url("/")), room.token)
    seed = await open_seed(app_client, room.id, token)
    try:
        # At once, before the room has sent this client anything.
        await seed.send("cursor_position", LINE_2_COLUMN_2)
        await eventually(lambda: cursor_of(yjs, "Cam") == (OFFSET, OFFSET), what="cursor")
        assert state_of(yjs, "Cam")["user"]["color"] == "#12a594"
    finally:
        await seed.close()
        await yjs.disconnect()


async def test_a_yjs_client_arriving_later_sees_the_json_cursor(app_client):
    room, token = await room_with_cam(app_client)
    mover = JsonPeer()
    await mover.connect(str(app_client.make_url("/")), token)
    await eventually(lambda: mover.events["code_change"])
    await mover.emit("cursor_position", LINE_2_COLUMN_2)
    late = YjsPeer()
    try:
        # The cursor is sent before the Yjs client exists: it must come with its sync.
        await late.connect(str(app_client.make_url("/")), room.token)
        await eventually(lambda: cursor_of(late, "Cam") == (OFFSET, OFFSET), what="cursor")
    finally:
        await late.disconnect()
        await mover.disconnect()


async def test_a_json_cursor_reaches_a_y_websocket_client(app_client):
    room, token = await room_with_cam(app_client)
    mover = JsonPeer()
    await mover.connect(str(app_client.make_url("/")), token)
    await eventually(lambda: mover.events["code_change"])
    stock = WebSocketYjsPeer(app_client.session)
    await stock.connect(str(app_client.make_url(f"/yjs/{room.id}?token={room.token}")))
    try:
        await mover.emit("cursor_position", LINE_2_COLUMN_2)
        await eventually(lambda: cursor_of(stock, "Cam") == (OFFSET, OFFSET), what="cursor")
    finally:
        await stock.close()
        await mover.disconnect()


async def test_a_cursor_sent_at_once_by_a_socketio_json_client_reaches_yjs(app_client):
    room, token = await room_with_cam(app_client)
    yjs = YjsPeer()
    await yjs.connect(str(app_client.make_url("/")), room.token)
    mover = JsonPeer()
    await mover.connect(str(app_client.make_url("/")), token)
    try:
        await mover.emit("cursor_position", LINE_2_COLUMN_2)
        await eventually(lambda: cursor_of(yjs, "Cam") == (OFFSET, OFFSET), what="cursor")
    finally:
        await mover.disconnect()
        await yjs.disconnect()


async def test_a_cursor_past_the_end_of_the_text_shows_at_its_end(app_client):
    room = await create_room(app_client, code="x")
    _, token = await join(app_client, room, room.candidate_invite, user("Cam", "#12a594"))
    yjs = YjsPeer()
    await yjs.connect(str(app_client.make_url("/")), room.token)
    mover = JsonPeer()
    await mover.connect(str(app_client.make_url("/")), token)
    try:
        await mover.emit("cursor_position", LINE_2_COLUMN_2)
        await eventually(lambda: cursor_of(yjs, "Cam") == (1, 1), what="cursor")
    finally:
        await mover.disconnect()
        await yjs.disconnect()


async def test_a_json_cursor_on_one_node_reaches_a_yjs_client_on_another(
    app_client, aiohttp_client, settings
):
    other_node = await aiohttp_client(create_app(settings))
    room, token = await room_with_cam(app_client)
    yjs = YjsPeer()
    await yjs.connect(str(other_node.make_url("/")), room.token)
    mover = JsonPeer()
    await mover.connect(str(app_client.make_url("/")), token)
    late = YjsPeer()
    try:
        await mover.emit("cursor_position", LINE_2_COLUMN_2)
        await eventually(lambda: cursor_of(yjs, "Cam") == (OFFSET, OFFSET), what="cursor")
        assert state_of(yjs, "Cam")["user"]["color"] == "#12a594"
        # And one that arrives on the other node afterwards.
        await late.connect(str(other_node.make_url("/")), room.token)
        await eventually(lambda: cursor_of(late, "Cam") == (OFFSET, OFFSET), what="late cursor")
    finally:
        await late.disconnect()
        await mover.disconnect()
        await yjs.disconnect()


def test_a_server_held_cursor_is_renewed_with_the_next_clock():
    awareness = RoomAwareness()
    awareness.connect("json", participant_id="p1", role="candidate")
    awareness.connect("other", participant_id="p2", role="candidate")
    first = decode_awareness_update(awareness.set_state("json", 7, {"user": {"name": "Cam"}}))
    renewed = decode_awareness_update(awareness.renewal("json", 7))
    assert renewed[0].clock == first[0].clock + 1
    assert renewed[0].state == first[0].state
    assert awareness.renewal("other", 7) is None


def test_other_nodes_states_reach_a_newcomer_until_they_stop_being_renewed():
    here = RoomAwareness()
    there = RoomAwareness()
    there.connect("c", participant_id="p1", role="candidate")
    update = there.set_state("c", 9, {"user": {"name": "Cam"}})
    here.apply_remote(update, now=100.0)
    assert [e.client_id for e in decode_awareness_update(here.snapshot(now=110.0))] == [9]
    assert here.snapshot(now=100.0 + REMOTE_STATE_TTL + 1) is None
    here.apply_remote(update, now=200.0)
    here.apply_remote(there.disconnect("c"), now=201.0)
    assert here.snapshot(now=202.0) is None

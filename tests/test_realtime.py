"""The shared document over Socket.IO: Yjs peers and JSON-event peers in one room, presence,
REST staying consistent with the document, and every refusal."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import socketio

from server.app import create_app
from tests.conftest import bearer, create_room, join
from tests.peers import JsonPeer, YjsPeer, eventually


@pytest.fixture
async def realtime(aiohttp_client, settings):
    """An app client with fast snapshots, and every peer made through it closed afterwards."""
    fast = settings.model_copy(update={"snapshot_delay": 0.2})
    client = await aiohttp_client(create_app(fast))
    peers: list[YjsPeer | JsonPeer] = []

    async def peer(kind: type, token: str) -> YjsPeer | JsonPeer:
        made = kind()
        peers.append(made)
        await made.connect(str(client.make_url("/")), token)
        return made

    client.peer = peer
    yield client
    for made in peers:
        await made.disconnect()


async def test_a_yjs_peer_receives_the_seeded_document(realtime):
    room = await create_room(realtime, code="print('hi')", language="python")
    peer = await realtime.peer(YjsPeer, room.token)
    assert peer.code == "print('hi')"
    assert peer.meta.get("language") == "python"


async def test_two_yjs_peers_typing_at_the_same_spot_converge(realtime):
    room = await create_room(realtime, code="ab")
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    one = await realtime.peer(YjsPeer, room.token)
    two = await realtime.peer(YjsPeer, candidate_token)
    await asyncio.gather(*(one.insert(1, f"[1:{i}]") for i in range(5)),
                         *(two.insert(1, f"(2:{i})") for i in range(5)))  # fmt: skip
    await eventually(lambda: one.code == two.code and len(one.code) == 2 + 5 * 10)
    assert one.code.startswith("a") and one.code.endswith("b")


async def test_three_peers_converge_with_deletes(realtime):
    room = await create_room(realtime, code="0123456789")
    tokens = [room.token] + [
        (await join(realtime, room, room.candidate_invite))[1] for _ in range(2)
    ]
    peers = [await realtime.peer(YjsPeer, token) for token in tokens]
    await asyncio.gather(
        peers[0].edit(lambda text: text.__delitem__(slice(2, 5))),
        peers[1].insert(3, "XYZ"),
        peers[2].insert(10, "!"),
    )
    await eventually(lambda: len({peer.code for peer in peers}) == 1, what="convergence")
    assert "XYZ" in peers[0].code and peers[0].code.endswith("!")


async def test_json_and_yjs_peers_agree(realtime):
    room = await create_room(realtime, code="x = 1\n")
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    yjs = await realtime.peer(YjsPeer, room.token)
    plain = await realtime.peer(JsonPeer, candidate_token)
    await eventually(lambda: plain.code == "x = 1\n", what="initial code_change")

    await yjs.insert(6, "y = 2\n")
    await eventually(lambda: plain.code == "x = 1\ny = 2\n", what="yjs edit as code_change")
    assert "timestamp" in plain.events["code_change"][-1]

    await plain.emit("code_change", {"code": "x = 1\ny = 2\nz = 3\n", "userId": "ignored"})
    await eventually(lambda: yjs.code == "x = 1\ny = 2\nz = 3\n", what="json edit as CRDT")
    assert not yjs.events["code_change"], "Yjs clients never receive code_change"


async def test_json_change_does_not_clobber_a_concurrent_crdt_edit(realtime):
    room = await create_room(realtime, code="hello world")
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    yjs = await realtime.peer(YjsPeer, room.token)
    plain = await realtime.peer(JsonPeer, candidate_token)
    await eventually(lambda: plain.code == "hello world")
    # The JSON client edits the end of the text it last saw while the Yjs peer, unseen by
    # it, types at the start.
    await yjs.insert(0, ">> ")
    await plain.emit("code_change", {"code": "hello world!"})
    await eventually(lambda: yjs.code == ">> hello world!", what="both edits kept")
    await eventually(lambda: plain.code == ">> hello world!", what="merged text sent back")


async def test_unicode_positions_survive_json_edits(realtime):
    room = await create_room(realtime, code="A😀B é")
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    yjs = await realtime.peer(YjsPeer, room.token)
    plain = await realtime.peer(JsonPeer, candidate_token)
    await eventually(lambda: plain.code == "A😀B é")
    await plain.emit("code_change", {"code": "A😀xB é😀"})
    await eventually(lambda: yjs.code == "A😀xB é😀")
    await yjs.edit(lambda text: text.insert(len("A😀xB é".encode()), "ü"))
    await eventually(lambda: plain.code == "A😀xB éü😀" and yjs.code == plain.code)


async def test_rest_reads_and_writes_go_through_the_document(realtime):
    room = await create_room(realtime, code="v1")
    peer = await realtime.peer(YjsPeer, room.token)
    await peer.insert(2, " edited live")
    await eventually(lambda: peer.code == "v1 edited live")
    path = f"/api/v1/sessions/{room.id}"

    async def rest_code() -> str:
        response = await realtime.get(path, headers=bearer(room.token))
        return (await response.json())["data"]["code"]

    for _ in range(50):
        if await rest_code() == "v1 edited live":
            break
        await asyncio.sleep(0.02)
    assert await rest_code() == "v1 edited live"

    response = await realtime.put(
        f"{path}/code", json={"code": "v2 from REST", "language": "python"},
        headers=bearer(room.token),
    )  # fmt: skip
    body = await response.json()
    assert body["data"]["code"] == "v2 from REST" and body["data"]["language"] == "python"
    await eventually(lambda: peer.code == "v2 from REST", within=1, what="REST write live")
    await eventually(lambda: peer.meta.get("language") == "python", within=1)


async def test_language_change_reaches_everyone_and_the_session(realtime, db):
    room = await create_room(realtime, language="javascript")
    _, first_token = await join(realtime, room, room.candidate_invite)
    _, second_token = await join(realtime, room, room.candidate_invite)
    yjs = await realtime.peer(YjsPeer, room.token)
    sender = await realtime.peer(JsonPeer, first_token)
    watcher = await realtime.peer(JsonPeer, second_token)
    await sender.emit("language_change", {"language": "python", "userId": "x"})
    await eventually(lambda: yjs.meta.get("language") == "python", what="meta.language")
    await eventually(
        lambda: any(e["language"] == "python" for e in watcher.events["language_change"])
    )
    assert all(e["language"] != "python" for e in sender.events["language_change"])
    for _ in range(50):
        if await db.fetchval("SELECT language FROM sessions WHERE id = $1", room.id) == "python":
            break
        await asyncio.sleep(0.02)
    assert await db.fetchval("SELECT language FROM sessions WHERE id = $1", room.id) == "python"
    await sender.emit("language_change", {"language": "cobol"})
    await eventually(lambda: sender.events["error"], what="error for an unknown language")
    assert "python" in sender.events["error"][-1]["message"]


async def test_awareness_appears_and_disappears_on_disconnect(realtime):
    room = await create_room(realtime)
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    watcher = await realtime.peer(YjsPeer, room.token)
    typist = await realtime.peer(YjsPeer, candidate_token)
    await typist.set_awareness({"user": {"name": "Cam", "color": "#f00"}})
    client_id = typist.doc.client_id
    await eventually(lambda: watcher.awareness.get(client_id) is not None)
    state = watcher.awareness[client_id]
    assert state["user"]["name"] == "Cam" and state["role"] == "candidate"
    await typist.disconnect()
    await eventually(lambda: watcher.awareness.get(client_id, 1) is None, within=1,
                     what="awareness removed within 1 s")  # fmt: skip


async def test_json_cursor_reaches_json_peers_and_yjs_awareness(realtime):
    room = await create_room(realtime, code="line one\nline two\n")
    _, first_token = await join(realtime, room, room.candidate_invite)
    yjs = await realtime.peer(YjsPeer, room.token)
    mover = await realtime.peer(JsonPeer, first_token)
    other = await realtime.peer(JsonPeer, room.token)
    await mover.emit("cursor_position", {"position": {"lineNumber": 2, "column": 3}})
    await eventually(lambda: other.events["cursor_position"])
    event = other.events["cursor_position"][-1]
    assert event["position"] == {"lineNumber": 2, "column": 3}
    assert not mover.events["cursor_position"]
    await eventually(lambda: any(s and "cursor" in s for s in yjs.awareness.values()))
    cursor_state = next(s for s in yjs.awareness.values() if s and "cursor" in s)
    assert cursor_state["cursor"]["head"]["item"] is not None


async def test_join_and_leave_events_follow_the_first_and_last_socket(realtime, db):
    room = await create_room(realtime)
    candidate, token = await join(realtime, room, room.candidate_invite)
    watcher = await realtime.peer(JsonPeer, room.token)
    first = await realtime.peer(JsonPeer, token)
    second = await realtime.peer(JsonPeer, token)
    await eventually(lambda: watcher.events["user_join"])
    joins = [e for e in watcher.events["user_join"] if e["user"]["id"] == candidate["id"]]
    assert len(joins) == 1 and joins[0]["user"]["role"] == "candidate"
    online = "SELECT is_online FROM participants WHERE session_id = $1 AND id = $2"
    assert await db.fetchval(online, room.id, uuid.UUID(candidate["id"])) is True
    await first.disconnect()
    await asyncio.sleep(0.2)
    assert not watcher.events["user_leave"]
    await second.disconnect()
    await eventually(lambda: watcher.events["user_leave"])
    assert watcher.events["user_leave"][-1]["userId"] == candidate["id"]
    assert await db.fetchval(online, room.id, uuid.UUID(candidate["id"])) is False


@pytest.mark.parametrize("kind", ["garbage", "invite", "none"])
async def test_bad_tokens_are_refused_at_connect(realtime, kind):
    room = await create_room(realtime)
    token = {"garbage": "dp_nope", "invite": room.candidate_invite, "none": None}[kind]
    client = socketio.AsyncClient(reconnection=False)
    reasons: list = []
    client.on("connect_error", lambda data: reasons.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            str(realtime.make_url("/")), auth={"token": token} if token else None,
            transports=["websocket"],
        )  # fmt: skip
    assert reasons and reasons[0]["data"]["code"] == "UNAUTHORIZED"
    assert reasons[0]["message"] == reasons[0]["data"]["message"]


async def test_expired_session_is_refused_at_connect(realtime, db):
    room = await create_room(realtime)
    await db.execute("UPDATE sessions SET expires_at = 1 WHERE id = $1", room.id)
    client = socketio.AsyncClient(reconnection=False)
    reasons: list = []
    client.on("connect_error", lambda data: reasons.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(str(realtime.make_url("/")), auth={"token": room.token},
                             transports=["websocket"])  # fmt: skip
    assert reasons[0]["data"]["code"] == "SESSION_EXPIRED"


async def test_token_in_the_query_string_works(realtime):
    room = await create_room(realtime, code="q")
    client = socketio.AsyncClient(reconnection=False)
    codes: list = []
    client.on("code_change", lambda data: codes.append(data["code"]))
    await client.connect(f"{realtime.make_url('/')}?token={room.token}", transports=["websocket"])
    await eventually(lambda: codes == ["q"])
    await client.disconnect()


async def test_removed_participant_is_disconnected_within_a_second(realtime):
    room = await create_room(realtime)
    candidate, token = await join(realtime, room, room.candidate_invite)
    peer = await realtime.peer(YjsPeer, token)
    response = await realtime.delete(
        f"/api/v1/sessions/{room.id}/participants/{candidate['id']}", headers=bearer(room.token)
    )
    assert response.status == 204
    await eventually(lambda: not peer.sio.connected, within=1, what="socket closed")


async def test_deleting_the_session_disconnects_everyone(realtime):
    room = await create_room(realtime)
    peer = await realtime.peer(YjsPeer, room.token)
    await realtime.delete(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    await eventually(lambda: not peer.sio.connected, within=1)


async def test_malformed_and_oversized_messages_get_errors_and_change_nothing(realtime, settings):
    room = await create_room(realtime, code="safe")
    peer = await realtime.peer(YjsPeer, room.token)
    await peer.emit("yjs", b"\x00\x02\xff\xff\xff")
    await eventually(lambda: peer.events["error"], what="error for a malformed message")
    assert peer.events["error"][-1]["code"] == "INVALID_MESSAGE"
    await peer.emit("yjs", "not binary")
    await eventually(lambda: len(peer.events["error"]) == 2)

    big = "x" * (settings.max_code_bytes + 10)
    await peer.edit(lambda text: text.insert(0, big))
    await eventually(lambda: len(peer.events["error"]) == 3, what="error for an oversize edit")
    assert peer.events["error"][-1]["code"] == "PAYLOAD_TOO_LARGE"
    assert peer.sio.connected

    other = await realtime.peer(YjsPeer, room.token)
    assert other.code == "safe"
    await peer.emit("code_change", {"code": big})
    await eventually(lambda: len(peer.events["error"]) == 4)
    await peer.emit("nonsense", {})
    await eventually(lambda: peer.events["error"][-1]["code"] == "UNKNOWN_EVENT")
    await other.insert(4, "!")
    await eventually(lambda: other.code == "safe!")


async def test_a_burst_of_binary_updates_from_many_clients_arrives_intact(realtime):
    room = await create_room(realtime)
    tokens = [room.token] + [
        (await join(realtime, room, room.candidate_invite))[1] for _ in range(5)
    ]
    peers = [await realtime.peer(YjsPeer, token) for token in tokens]

    async def type_burst(peer: YjsPeer, mark: str) -> None:
        for index in range(40):
            await peer.insert(0, f"{mark}{index:02d};")

    await asyncio.gather(*(type_burst(peer, chr(65 + n)) for n, peer in enumerate(peers)))
    expected = 6 * 40 * len("A00;")
    await eventually(lambda: all(len(p.code) == expected for p in peers), within=15,
                     what="every update delivered")  # fmt: skip
    assert len({peer.code for peer in peers}) == 1
    assert not any(peer.events["error"] for peer in peers)


async def test_snapshots_are_stored_and_the_stream_trimmed(realtime, db, cache):
    room = await create_room(realtime, code="")
    peer = await realtime.peer(YjsPeer, room.token)
    for index in range(20):
        await peer.insert(index, "z")
    query = "SELECT stream_ms FROM document_snapshots WHERE session_id = $1"
    for _ in range(100):
        if (await db.fetchval(query, room.id)) > 0:
            break
        await asyncio.sleep(0.05)
    assert await db.fetchval(query, room.id) > 0
    for _ in range(100):
        if await cache.xlen(f"duet:session:{room.id}:updates") == 0:
            break
        await asyncio.sleep(0.05)
    assert await cache.xlen(f"duet:session:{room.id}:updates") == 0
    code = await db.fetchval("SELECT code FROM sessions WHERE id = $1", room.id)
    assert code == "z" * 20


async def test_a_restart_reloads_the_same_history_without_doubling(aiohttp_client, settings):
    first = await aiohttp_client(create_app(settings))
    room = await create_room(first, code="base\n")
    peer = YjsPeer()
    await peer.connect(str(first.make_url("/")), room.token)
    await peer.insert(5, "typed\n")
    await asyncio.sleep(0.1)
    await peer.disconnect()
    await first.close()

    second = await aiohttp_client(create_app(settings))
    # The same browser document, edited while offline, reconnects to the restarted server.
    with peer.doc.transaction():
        peer.text.insert(0, "# offline\n")
    stayed_open = YjsPeer()
    stayed_open.doc = peer.doc
    stayed_open.text = peer.text
    stayed_open.meta = peer.meta
    await stayed_open.connect(str(second.make_url("/")), room.token)
    fresh = YjsPeer()
    await fresh.connect(str(second.make_url("/")), room.token)
    await eventually(lambda: fresh.code == "# offline\nbase\ntyped\n", what="merged, not doubled")
    assert stayed_open.code == fresh.code
    await stayed_open.disconnect()
    await fresh.disconnect()


async def test_two_nodes_serve_one_session(aiohttp_client, settings):
    node_a = await aiohttp_client(create_app(settings))
    node_b = await aiohttp_client(create_app(settings))
    room = await create_room(node_a, code="shared")
    candidate, candidate_token = await join(node_a, room, room.candidate_invite)
    on_a = YjsPeer()
    await on_a.connect(str(node_a.make_url("/")), room.token)
    json_on_b = JsonPeer()
    await json_on_b.connect(str(node_b.make_url("/")), candidate_token)
    on_b = YjsPeer()
    await on_b.connect(str(node_b.make_url("/")), candidate_token)
    try:
        await on_a.insert(6, " by A")
        await eventually(lambda: on_b.code == "shared by A", within=1, what="A's edit on B")
        await eventually(lambda: json_on_b.code == "shared by A", within=1)
        await on_b.insert(0, "B: ")
        await eventually(lambda: on_a.code == "B: shared by A", within=1, what="B's edit on A")
        await on_b.set_awareness({"user": {"name": "Bee", "color": "#00f"}})
        await eventually(lambda: on_a.awareness.get(on_b.doc.client_id) is not None, within=1)
        await eventually(lambda: json_on_b.code == "B: shared by A", within=1)
        await json_on_b.emit("code_change", {"code": "B: shared by A and JSON"})
        await eventually(lambda: on_a.code == "B: shared by A and JSON", within=1)
        late = JsonPeer()
        await late.connect(str(node_a.make_url("/")), room.token)
        await json_on_b.disconnect()
        await on_b.disconnect()
        await eventually(
            lambda: any(e["userId"] == candidate["id"] for e in late.events["user_leave"]),
            within=1, what="leave seen across nodes",
        )  # fmt: skip
        await eventually(lambda: on_a.awareness.get(on_b.doc.client_id, 1) is None, within=1)
        await late.disconnect()
    finally:
        for peer in (on_a, json_on_b, on_b):
            await peer.disconnect()


async def test_a_client_cannot_touch_another_sessions_document(realtime):
    mine = await create_room(realtime, code="mine")
    theirs = await create_room(realtime, code="theirs")
    peer = await realtime.peer(YjsPeer, mine.token)
    await peer.insert(0, "!")
    response = await realtime.get(f"/api/v1/sessions/{theirs.id}", headers=bearer(theirs.token))
    assert (await response.json())["data"]["code"] == "theirs"


async def test_sockets_counted_by_a_crashed_node_do_not_keep_anyone_online(realtime, cache, db):
    room = await create_room(realtime)
    candidate, token = await join(realtime, room, room.candidate_invite)
    # A node that died with the candidate's socket open left its count behind, and its
    # heartbeat key has lapsed.
    await cache.hset(f"duet:session:{room.id}:presence", f"{candidate['id']}|deadbeef0000", 1)
    watcher = await realtime.peer(JsonPeer, room.token)
    peer = await realtime.peer(JsonPeer, token)
    await eventually(
        lambda: any(e["user"]["id"] == candidate["id"] for e in watcher.events["user_join"]),
        what="join announced despite the stale count",
    )
    await peer.disconnect()
    await eventually(
        lambda: any(e["userId"] == candidate["id"] for e in watcher.events["user_leave"]),
        what="leave announced",
    )


async def test_a_storage_failure_closes_the_room_and_clients_resync(realtime, cache):
    room = await create_room(realtime, code="kept")
    _, candidate_token = await join(realtime, room, room.candidate_invite)
    author = await realtime.peer(YjsPeer, room.token)
    other = await realtime.peer(YjsPeer, candidate_token)
    stream = f"duet:session:{room.id}:updates"
    # A real Redis failure: appending to a key that is not a stream fails with WRONGTYPE.
    await cache.delete(stream)
    await cache.set(stream, "not a stream")
    await author.insert(4, " and typed")
    await eventually(lambda: not author.sio.connected and not other.sio.connected,
                     what="the room's clients are disconnected")  # fmt: skip
    assert other.code == "kept", "an update that was not stored must not be broadcast"

    await cache.delete(stream)
    back = YjsPeer()
    back.doc, back.text, back.meta = author.doc, author.text, author.meta
    await back.connect(str(realtime.make_url("/")), room.token)
    fresh = await realtime.peer(YjsPeer, candidate_token)
    await eventually(lambda: fresh.code == "kept and typed", what="the author's edit merged back")
    await back.disconnect()

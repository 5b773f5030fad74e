"""Presence after a node crash: the presence sweep sets offline, and announces the leave of,
participants whose only sockets were on a node that died (a real `duet serve` process,
killed with SIGKILL), and leaves everyone else alone."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from server.app import create_app
from server.database import PRESENCE_LOCK
from server.realtime.presence import heartbeat
from server.state import GATEWAY, HEARTBEAT, POOL, REDIS, RELAY
from server.sweeps.presence import reconcile_presence
from tests.conftest import Backing, create_room, join, user
from tests.peers import JsonPeer, eventually
from tests.processes import ServerProcess

ONLINE = "SELECT is_online FROM participants WHERE session_id = $1 AND id = $2"


async def _online(db: Any, session_id: str, participant: dict[str, str]) -> bool:
    return await db.fetchval(ONLINE, session_id, uuid.UUID(participant["id"]))


def _joined(peer: JsonPeer, participant: dict[str, str]) -> bool:
    return any(e["user"]["id"] == participant["id"] for e in peer.events["user_join"])


def _left(peer: JsonPeer, participant: dict[str, str]) -> list[dict[str, Any]]:
    return [e for e in peer.events["user_leave"] if e["userId"] == participant["id"]]


async def test_participants_only_on_a_crashed_node_go_offline_everywhere(
    aiohttp_client, settings, backing: Backing, tmp_path: Path, db, cache
):
    node_a = await aiohttp_client(
        create_app(settings.model_copy(update={"presence_interval": 0.1}))
    )
    node_b = ServerProcess(
        tmp_path / "b", tmp_path / "b.log", DUET_DATABASE_URL=backing.database_url,
        DUET_REDIS_URL=backing.redis_url, DUET_NODE_HEARTBEAT_TTL="0.5",
        DUET_RUNNER="unsafe-subprocess",
    )  # fmt: skip
    peers: list[JsonPeer] = []

    async def connect(node: str, token: str) -> JsonPeer:
        peer = JsonPeer()
        peers.append(peer)
        await peer.connect(node, token)
        return peer

    try:
        await node_b.wait_ready()
        room = await create_room(node_a)
        candidate, candidate_token = await join(node_a, room, room.candidate_invite)
        pair, pair_token = await join(node_a, room, room.interviewer_invite, user("Pat Pair"))
        a, b = str(node_a.make_url("/")), node_b.base
        watcher = await connect(a, room.token)
        await connect(b, candidate_token)
        await connect(a, pair_token)
        await connect(b, pair_token)
        await eventually(lambda: _joined(watcher, candidate) and _joined(watcher, pair))
        key = f"duet:session:{room.id}:presence"
        node_a_id = node_a.app[RELAY].node_id
        on_b = {f for f in await cache.hkeys(key) if not f.decode().endswith(node_a_id)}
        assert len(on_b) == 2 and await _online(db, room.id, candidate)

        node_b.power_cut()
        await eventually(lambda: _left(watcher, candidate), within=15, what="the leave")
        assert await _online(db, room.id, candidate) is False
        assert set(await cache.hkeys(key)).isdisjoint(on_b), "the dead node's counts stay"
        # Pat still has a socket on the live node, so stays online; the creator too.
        assert await _online(db, room.id, pair) is True
        assert await _online(db, room.id, room.creator) is True
        # Every event queued for the watcher before this join has arrived once it has.
        marker, marker_token = await join(node_a, room, room.candidate_invite, user("Mo"))
        await connect(a, marker_token)
        await eventually(lambda: _joined(watcher, marker))
        assert not _left(watcher, pair) and len(_left(watcher, candidate)) == 1

        # Back on the live node: online again, and everyone is told.
        await connect(a, candidate_token)
        await eventually(lambda: len([e for e in watcher.events["user_join"]
                                      if e["user"]["id"] == candidate["id"]]) == 2)  # fmt: skip
        assert await _online(db, room.id, candidate) is True
    finally:
        for peer in peers:
            await peer.disconnect()
        if node_b.process.poll() is None:
            node_b.power_cut()


async def test_the_sweep_leaves_alone_who_is_online_without_a_socket_or_on_a_live_node(
    aiohttp_client, settings, db, cache
):
    node = await aiohttp_client(create_app(settings))
    pool, redis_client = node.app[POOL], node.app[REDIS]
    room = await create_room(node)
    rest_only, _ = await join(node, room, room.candidate_invite)
    live_and_dead, _ = await join(node, room, room.interviewer_invite, user("Lee"))
    stranded, _ = await join(node, room, room.interviewer_invite, user("Sam"))
    offline, _ = await join(node, room, room.candidate_invite, user("Oz"))
    await db.execute(
        "UPDATE participants SET is_online = false WHERE session_id = $1 AND id = $2",
        room.id, uuid.UUID(offline["id"]),
    )  # fmt: skip
    await heartbeat(cache, "a11ve0000000", 60_000)
    key = f"duet:session:{room.id}:presence"
    await cache.hset(key, mapping={
        f"{live_and_dead['id']}|a11ve0000000": 1, f"{live_and_dead['id']}|deadbeef0001": 2,
        f"{stranded['id']}|deadbeef0001": 1, f"{offline['id']}|deadbeef0001": 1,
    })  # fmt: skip
    announced: list[tuple[str, list[str]]] = []

    async def announce(session_id: str, participant_ids: list[str]) -> None:
        announced.append((session_id, participant_ids))

    # Another process holds the lock: this one does nothing this round.
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", PRESENCE_LOCK)
        assert await reconcile_presence(pool, redis_client, announce) is None
    assert await _online(db, room.id, stranded) is True and not announced

    went = await reconcile_presence(pool, redis_client, announce)
    assert went == {room.id: [stranded["id"]]} and announced == [(room.id, [stranded["id"]])]
    assert await _online(db, room.id, stranded) is False
    assert await _online(db, room.id, rest_only) is True  # joined over REST, no socket yet
    assert await _online(db, room.id, live_and_dead) is True
    assert await cache.hgetall(key) == {f"{live_and_dead['id']}|a11ve0000000".encode(): b"1"}
    assert await reconcile_presence(pool, redis_client, announce) == {}
    assert len(announced) == 1


async def test_a_leave_the_sweep_already_announced_is_not_announced_again(
    aiohttp_client, settings, db, cache
):
    node = await aiohttp_client(create_app(settings))
    room = await create_room(node)
    candidate, token = await join(node, room, room.candidate_invite)
    url = str(node.make_url("/"))
    watcher, leaving = JsonPeer(), JsonPeer()
    try:
        await watcher.connect(url, room.token)
        await leaving.connect(url, token)
        await eventually(lambda: _joined(watcher, candidate))
        # As the sweep does when it took this participant for stranded on a dead node.
        await db.execute(
            "UPDATE participants SET is_online = false WHERE session_id = $1 AND id = $2",
            room.id, uuid.UUID(candidate["id"]),
        )  # fmt: skip
        await leaving.disconnect()
        key = f"duet:session:{room.id}:presence"
        for _ in range(500):
            if await cache.hlen(key) == 1:  # the watcher's count alone
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the socket was not uncounted")
        # The rest of the leave is a Postgres round trip; give it ample time to go wrong.
        await asyncio.sleep(0.3)
        assert not _left(watcher, candidate)
    finally:
        for peer in (watcher, leaving):
            await peer.disconnect()


async def test_a_live_node_whose_heartbeat_lapsed_counts_its_sockets_again(
    aiohttp_client, settings, db, cache
):
    # The default heartbeat (30 s: a beat every 10 s) does not beat on its own during the test.
    node = await aiohttp_client(create_app(settings))
    room = await create_room(node)
    candidate, token = await join(node, room, room.candidate_invite)
    url = str(node.make_url("/"))
    watcher, peer = JsonPeer(), JsonPeer()
    try:
        await watcher.connect(url, room.token)
        await peer.connect(url, token)
        await eventually(lambda: _joined(watcher, candidate))
        relay, key = node.app[RELAY], f"duet:session:{room.id}:presence"
        counts = await cache.hgetall(key)
        # Redis out of reach for longer than the heartbeat's life: another node's presence
        # sweep takes this node for dead.
        await cache.delete(f"duet:node:{relay.node_id}")
        went = await reconcile_presence(
            node.app[POOL], node.app[REDIS], node.app[GATEWAY].announce_lapsed
        )
        assert set(went[room.id]) == {candidate["id"], room.creator["id"]}
        assert await _online(db, room.id, candidate) is False and not await cache.hlen(key)

        await node.app[HEARTBEAT].beat()  # the node's next beat
        assert await cache.hgetall(key) == counts
        assert await _online(db, room.id, candidate) is True
        assert await _online(db, room.id, room.creator) is True
        await eventually(lambda: len([e for e in watcher.events["user_join"]
                                      if e["user"]["id"] == candidate["id"]]) == 2)  # fmt: skip
        # Its sockets are counted as before: the last one closing sets it offline again.
        await peer.disconnect()
        await eventually(lambda: _left(watcher, candidate), what="the leave")
        assert await _online(db, room.id, candidate) is False
    finally:
        for made in (watcher, peer):
            await made.disconnect()

"""Who is online: a participant is online while at least one of its sockets is open, on any
node. Each node counts its own sockets in a Redis hash per session (field
`{participant}|{node}`) and keeps a heartbeat key alive; counts of a node whose heartbeat
has lapsed (it crashed) are ignored, so a crash cannot leave someone online forever. The
first socket and the last one are thereby recognised across nodes; `isOnline` in Postgres
follows them."""

from __future__ import annotations

import redis.asyncio as redis

from schema.keys import session_key

NODE_HEARTBEAT_MS = 30_000


def presence_key(session_id: str) -> str:
    return session_key(session_id, "presence")


def node_key(node_id: str) -> str:
    return f"duet:node:{node_id}"


async def heartbeat(cache: redis.Redis, node_id: str) -> None:
    await cache.set(node_key(node_id), "1", px=NODE_HEARTBEAT_MS)


async def _elsewhere(
    cache: redis.Redis, counts: dict[bytes, bytes], participant_id: str, node_id: str
) -> bool:
    """Whether the participant has a socket open on another live node."""
    nodes = []
    for field, count in counts.items():
        participant, _, node = field.decode().partition("|")
        if participant == participant_id and node != node_id and int(count) > 0:
            nodes.append(node)
    if not nodes:
        return False
    return any(await cache.mget([node_key(node) for node in nodes]))


async def socket_opened(
    cache: redis.Redis, session_id: str, participant_id: str, node_id: str, expires_at_ms: int
) -> bool:
    """Count a socket; true when it is the participant's first anywhere."""
    key = presence_key(session_id)
    async with cache.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, f"{participant_id}|{node_id}", 1)
        pipe.pexpireat(key, expires_at_ms)
        pipe.hgetall(key)
        count, _, counts = await pipe.execute()
    return int(count) == 1 and not await _elsewhere(cache, counts, participant_id, node_id)


async def socket_closed(
    cache: redis.Redis, session_id: str, participant_id: str, node_id: str
) -> bool:
    """Uncount a socket; true when it was the participant's last anywhere."""
    key = presence_key(session_id)
    field = f"{participant_id}|{node_id}"
    count = int(await cache.hincrby(key, field, -1))
    if count > 0:
        return False
    await cache.hdel(key, field)
    return not await _elsewhere(cache, await cache.hgetall(key), participant_id, node_id)


async def open_sockets(cache: redis.Redis, session_id: str, participant_id: str) -> int:
    """How many sockets the participant has open on live nodes."""
    counts = await cache.hgetall(presence_key(session_id))
    per_node: dict[str, int] = {}
    for field, count in counts.items():
        participant, _, node = field.decode().partition("|")
        if participant == participant_id and int(count) > 0:
            per_node[node] = int(count)
    if not per_node:
        return 0
    alive = await cache.mget([node_key(node) for node in per_node])
    return sum(count for count, up in zip(per_node.values(), alive, strict=True) if up)

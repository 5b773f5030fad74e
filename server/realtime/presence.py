"""Who is online: a participant is online while at least one of its sockets is open, on any
node. Each node counts its own sockets in a Redis hash per session (field
`{participant}|{node}`) and keeps a heartbeat key alive; counts of a node whose heartbeat
has lapsed (it crashed) are ignored, so a crash cannot leave someone online forever. The
first socket and the last one are thereby recognised across nodes; `isOnline` in Postgres
follows them. Participants whose only sockets were on a crashed node are found and set
offline by `server.sweeps.presence`, with the helpers at the end of this module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import redis.asyncio as redis

from schema import keys

NODE_HEARTBEAT_MS = 30_000


async def heartbeat(cache: redis.Redis, node_id: str, ttl_ms: int = NODE_HEARTBEAT_MS) -> bool:
    """Keep the node's key alive; false when it had lapsed (or this is the first beat)."""
    async with cache.pipeline(transaction=True) as pipe:
        pipe.exists(keys.node_heartbeat(node_id))
        pipe.set(keys.node_heartbeat(node_id), "1", px=ttl_ms)
        existed, _ = await pipe.execute()
    return bool(existed)


async def recount(
    cache: redis.Redis,
    node_id: str,
    counts: Mapping[tuple[str, str], int],
    expiry: Mapping[str, int],
) -> None:
    """Write this node's socket counts (per session and participant) back after its heartbeat
    lapsed: the presence sweep may have removed them meanwhile."""
    async with cache.pipeline(transaction=False) as pipe:
        for (session_id, participant_id), count in counts.items():
            pipe.hset(keys.presence_hash(session_id), f"{participant_id}|{node_id}", count)
        for session_id, expires_at_ms in expiry.items():
            pipe.pexpireat(keys.presence_hash(session_id), expires_at_ms)
        await pipe.execute()


@dataclass(frozen=True)
class SocketCount:
    """One field of a presence hash: how many sockets a participant has open on a node."""

    field: bytes
    participant_id: str
    node_id: str
    count: int


def parse_counts(counts: Mapping[bytes, bytes]) -> list[SocketCount]:
    parsed = []
    for name, count in counts.items():
        participant, _, node = name.decode().partition("|")
        parsed.append(SocketCount(name, participant, node, int(count)))
    return parsed


async def live_nodes(cache: redis.Redis, node_ids: Iterable[str]) -> set[str]:
    """The nodes among `node_ids` whose heartbeat has not lapsed."""
    nodes = sorted(set(node_ids))
    if not nodes:
        return set()
    beats = await cache.mget([keys.node_heartbeat(node) for node in nodes])
    return {node for node, beat in zip(nodes, beats, strict=True) if beat is not None}


async def _elsewhere(
    cache: redis.Redis, counts: dict[bytes, bytes], participant_id: str, node_id: str
) -> bool:
    """Whether the participant has a socket open on another live node."""
    nodes = [
        entry.node_id
        for entry in parse_counts(counts)
        if entry.participant_id == participant_id and entry.node_id != node_id and entry.count > 0
    ]
    return bool(await live_nodes(cache, nodes))


async def socket_opened(
    cache: redis.Redis, session_id: str, participant_id: str, node_id: str, expires_at_ms: int
) -> bool:
    """Count a socket; true when it is the participant's first anywhere."""
    key = keys.presence_hash(session_id)
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
    key = keys.presence_hash(session_id)
    field = f"{participant_id}|{node_id}"
    count = int(await cache.hincrby(key, field, -1))
    if count > 0:
        return False
    await cache.hdel(key, field)
    return not await _elsewhere(cache, await cache.hgetall(key), participant_id, node_id)


# -- finding what crashed nodes left behind ------------------------------------------------


@dataclass
class Lapsed:
    """Per session: participants marked online whose every counted socket is on a dead node,
    and the hash fields of dead nodes (every participant's, not only those). A participant
    with no count at all is left alone: joining over REST marks it online before any socket
    opens."""

    offline: dict[str, set[str]] = field(default_factory=dict)
    dead_fields: dict[str, list[bytes]] = field(default_factory=dict)


async def find_lapsed(cache: redis.Redis, online: Mapping[str, set[str]]) -> Lapsed:
    """Check the participants in `online` (session id -> participant ids) against the
    sessions' presence hashes: two round trips, however many sessions."""
    session_ids = sorted(online)
    async with cache.pipeline(transaction=False) as pipe:
        for session_id in session_ids:
            pipe.hgetall(keys.presence_hash(session_id))
        hashes = await pipe.execute()
    counts = {
        session_id: parse_counts(fields)
        for session_id, fields in zip(session_ids, hashes, strict=True)
    }
    alive = await live_nodes(
        cache, (entry.node_id for entries in counts.values() for entry in entries)
    )
    lapsed = Lapsed()
    for session_id, entries in counts.items():
        present = {e.participant_id for e in entries if e.node_id in alive and e.count > 0}
        stranded = {e.participant_id for e in entries if e.node_id not in alive}
        gone = (online[session_id] & stranded) - present
        if gone:
            lapsed.offline[session_id] = gone
        dead = [entry.field for entry in entries if entry.node_id not in alive]
        if dead:
            lapsed.dead_fields[session_id] = dead
    return lapsed


async def forget_fields(cache: redis.Redis, dead_fields: Mapping[str, list[bytes]]) -> None:
    if not dead_fields:
        return
    async with cache.pipeline(transaction=False) as pipe:
        for session_id, fields in dead_fields.items():
            pipe.hdel(keys.presence_hash(session_id), *fields)
        await pipe.execute()


async def open_sockets(cache: redis.Redis, session_id: str, participant_id: str) -> int:
    """How many sockets the participant has open on live nodes."""
    counts = [
        entry
        for entry in parse_counts(await cache.hgetall(keys.presence_hash(session_id)))
        if entry.participant_id == participant_id and entry.count > 0
    ]
    alive = await live_nodes(cache, (entry.node_id for entry in counts))
    return sum(entry.count for entry in counts if entry.node_id in alive)

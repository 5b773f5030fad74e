"""Where documents live: a Redis stream of updates per session, and snapshots in Postgres.

Every accepted update is appended to the session's stream before anyone else sees it. A
snapshot (the whole state as one update) goes to Postgres with the stream position it
includes; the stream is then trimmed up to that position. A room loads from the latest
snapshot plus the stream after it, so it always replays the same CRDT history and never
rebuilds the document from plain text.

Several nodes can snapshot one session; a snapshot only replaces an older one (by stream
position), so a slow node can never move the stored document backwards.
"""

from __future__ import annotations

import contextlib
import gc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import redis.asyncio as redis

from collab.group_commit import GroupCommit
from schema.keys import updates_stream


@dataclass(frozen=True, order=True)
class StreamId:
    """A Redis stream entry id, `ms-seq`, ordered as Redis orders them."""

    ms: int
    seq: int

    @classmethod
    def parse(cls, raw: bytes | str) -> StreamId:
        text = raw.decode() if isinstance(raw, bytes) else raw
        ms, _, seq = text.partition("-")
        return cls(int(ms), int(seq or 0))

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    def next(self) -> StreamId:
        return StreamId(self.ms, self.seq + 1)


ORIGIN = StreamId(0, 0)

# Store a snapshot unless a newer one is already stored (or the session is gone); with it,
# the plain-text copy of the code that serves listings and webhooks (the document stays the
# source of truth). Returns whether the snapshot was stored.
_SAVE_SNAPSHOT = """
WITH stored AS (
    INSERT INTO document_snapshots AS d (session_id, state, stream_ms, stream_seq, updated_at)
    SELECT $1::varchar, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1)
    ON CONFLICT (session_id) DO UPDATE SET state = EXCLUDED.state,
        stream_ms = EXCLUDED.stream_ms, stream_seq = EXCLUDED.stream_seq,
        updated_at = EXCLUDED.updated_at
    WHERE (d.stream_ms, d.stream_seq) <= (EXCLUDED.stream_ms, EXCLUDED.stream_seq)
    RETURNING true
), text_copy AS (
    UPDATE sessions SET code = $6, updated_at = greatest(updated_at, $5)
    WHERE id = $1 AND EXISTS (SELECT 1 FROM stored)
)
SELECT EXISTS (SELECT 1 FROM stored)
"""
_LOAD_ATTEMPTS = 5


@dataclass(frozen=True)
class StreamEntry:
    id: StreamId
    update: bytes
    node: str


@dataclass(frozen=True)
class StreamRange:
    """A stream's entries after a position, by column. A load may read tens of thousands,
    and building an object per entry took three times as long as reading them."""

    raw_ids: list[bytes]
    updates: list[bytes]
    nodes: list[bytes]
    # The entry carries the checksum of the update its node applied and accepted: it was
    # validated then, and these are the bytes validated, so a load need not parse it again.
    checked: list[bool]

    @classmethod
    def from_reply(cls, reply: list[list[Any]]) -> StreamRange:
        """From XRANGE's reply as Redis sends it: `[id, [field, value, ...]]` per entry."""
        raw_ids: list[bytes] = []
        updates: list[bytes] = []
        nodes: list[bytes] = []
        checks: list[bytes | None] = []
        for raw_id, flat in reply:
            # As `stream_fields` writes them; anything else (older entries) by name.
            if len(flat) == 6 and flat[0] == b"u" and flat[2] == b"n" and flat[4] == b"c":
                update, node, check = flat[1], flat[3], flat[5]
            else:
                fields = dict(zip(flat[::2], flat[1::2], strict=False))
                update, node = fields.get(b"u", b""), fields.get(b"n", b"")
                check = fields.get(b"c")
            raw_ids.append(raw_id)
            updates.append(update)
            nodes.append(node)
            checks.append(check)
        checked = [c == checksum(u) for u, c in zip(updates, checks, strict=True)]
        return cls(raw_ids, updates, nodes, checked)

    def __len__(self) -> int:
        return len(self.updates)

    @property
    def last(self) -> StreamId | None:
        return StreamId.parse(self.raw_ids[-1]) if self.raw_ids else None

    def entries(self) -> list[StreamEntry]:
        return [
            StreamEntry(StreamId.parse(raw_id), update, node.decode())
            for raw_id, update, node in zip(self.raw_ids, self.updates, self.nodes, strict=True)
        ]


@dataclass(frozen=True)
class StoredDocument:
    snapshot: bytes | None
    snapshot_through: StreamId
    stream: StreamRange

    @property
    def through(self) -> StreamId:
        """The last stream position this load includes."""
        return self.stream.last or self.snapshot_through


def checksum(update: bytes) -> bytes:
    return zlib.crc32(update).to_bytes(4, "big")


def stream_fields(update: bytes, node: str) -> dict[str, bytes | str]:
    """A stream entry's fields: the update (`u`), the node that accepted it (`n`) and the
    update's CRC-32 (`c`), written only for updates already applied to a room's document."""
    return {"u": update, "n": node, "c": checksum(update)}


def _entry(raw_id: bytes, fields: dict[bytes, bytes]) -> StreamEntry:
    return StreamEntry(StreamId.parse(raw_id), fields[b"u"], fields.get(b"n", b"").decode())


class _CollectionPause:
    """No garbage collection while a long stream is read: its reply makes tens of
    thousands of objects, and the collections they set off, each walking the whole heap,
    took more time than the read itself (20,000 entries: ~110 ms against ~40 ms).

    Reads of several rooms overlap (they await Redis): collection comes back when the last
    of them ends, and only if it was on when the first began."""

    def __init__(self) -> None:
        self.depth = 0
        self.resume = False

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self.depth == 0:
            self.resume = gc.isenabled()
            gc.disable()
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0 and self.resume:
                gc.enable()


_collection_paused = _CollectionPause()


class DocumentStore:
    def __init__(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        self.pool = pool
        self.cache = cache
        self.appends = GroupCommit(cache)
        # The same connections, with XRANGE's reply left as Redis sends it: redis-py makes
        # a dict per entry, which a read of the whole stream does not need.
        self._raw = redis.Redis(connection_pool=cache.connection_pool)
        self._raw.set_response_callback("XRANGE", lambda response, **_options: response)

    async def append(
        self, session_id: str, update: bytes, node: str, expires_at_ms: int
    ) -> StreamId:
        """Append to the session's stream (batched with every other room's appends, see
        `collab.group_commit`); return the entry's id once Redis has it."""
        raw_id = await self.appends.xadd(
            updates_stream(session_id), stream_fields(update, node), expires_at_ms
        )
        return StreamId.parse(raw_id)

    async def load(self, session_id: str) -> StoredDocument:
        # Another node may store a newer snapshot and trim the stream between our two reads;
        # the entries we read would then start after a gap. If the snapshot moved while we
        # read the stream, read both again.
        for _ in range(_LOAD_ATTEMPTS):
            snapshot, through = await self._snapshot(session_id)
            stream = await self.read_range(session_id, through)
            if await self._snapshot_position(session_id) == through:
                return StoredDocument(snapshot, through, stream)
        raise RuntimeError(f"document of {session_id} kept changing while loading")

    async def _snapshot(self, session_id: str) -> tuple[bytes | None, StreamId]:
        row = await self.pool.fetchrow(
            "SELECT state, stream_ms, stream_seq FROM document_snapshots WHERE session_id = $1",
            session_id,
        )
        if row is None:
            return None, ORIGIN
        return bytes(row["state"]), StreamId(row["stream_ms"], row["stream_seq"])

    async def _snapshot_position(self, session_id: str) -> StreamId:
        row = await self.pool.fetchrow(
            "SELECT stream_ms, stream_seq FROM document_snapshots WHERE session_id = $1",
            session_id,
        )
        return StreamId(row["stream_ms"], row["stream_seq"]) if row else ORIGIN

    async def read_range(self, session_id: str, after: StreamId) -> StreamRange:
        with _collection_paused():
            reply = await self._raw.xrange(updates_stream(session_id), min=f"({after}", max="+")
            return StreamRange.from_reply(reply)

    async def read_new(
        self, positions: dict[str, StreamId], block_ms: int
    ) -> list[tuple[str, StreamEntry]]:
        """Entries after each session's position, waiting up to `block_ms` for the first."""
        if not positions:
            return []
        streams: dict[Any, Any] = {
            updates_stream(session_id): str(position) for session_id, position in positions.items()
        }
        answer = await self.cache.xread(streams, block=block_ms)
        found: list[tuple[str, StreamEntry]] = []
        for key, entries in answer or []:
            session_id = (key.decode() if isinstance(key, bytes) else key).split(":")[2]
            found.extend((session_id, _entry(entry_id, fields)) for entry_id, fields in entries)
        return found

    async def save_snapshot(
        self, session_id: str, state: bytes, through: StreamId, code: str, now_ms: int
    ) -> bool:
        """Store `state` as including the stream up to `through`, unless a newer snapshot is
        already stored; then trim the stream to what the stored snapshot holds."""
        # One statement (data-modifying CTEs run exactly once, atomically): a snapshot per
        # edited room every couple of seconds is the server's main Postgres traffic, and
        # an explicit transaction would take four round trips instead of one.
        stored = await self.pool.fetchval(_SAVE_SNAPSHOT, session_id, state, through.ms,
                                          through.seq, now_ms, code)  # fmt: skip
        if stored and through > ORIGIN:
            await self.cache.xtrim(
                updates_stream(session_id), minid=str(through.next()), approximate=False
            )
        return bool(stored)


async def insert_seed(
    connection: asyncpg.Connection, session_id: str, state: bytes, now_ms: int
) -> None:
    """The document's first state as its first snapshot; written in the transaction that
    creates the session (or, for sessions older than documents, once on first load)."""
    await connection.execute(
        "INSERT INTO document_snapshots (session_id, state, updated_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (session_id) DO NOTHING",
        session_id,
        state,
        now_ms,
    )

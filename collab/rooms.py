"""The rooms open on this node, and how they stay in step with other nodes and storage.

* Loading: a room is loaded once (concurrent opens share one load) from the latest snapshot
  plus the stream after it.
* Following: one task reads every open room's stream (`XREAD BLOCK`) and applies what other
  nodes appended; entries this node wrote itself only advance the room's position.
* Snapshots: a room this node edited is snapshotted at most `snapshot_delay` seconds after
  the edit, and at once when its last client leaves.
* Ephemeral messages (awareness, cursor events, joins and leaves) go to the other nodes
  through the relay (`collab/relay.py`), which also hands what they publish to these rooms.
* Idle rooms (no clients, unused for `idle_seconds`) are snapshotted and closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import redis.exceptions

from collab.awareness import RENEW_INTERVAL
from collab.document import load_doc
from collab.relay import MessageKind, Relay, raise_if_cancelled
from collab.room import Room, RoomRules
from collab.stats import CollabStats
from collab.store import DocumentStore
from schema.clock import now_ms

log = logging.getLogger(__name__)

FOLLOW_BLOCK_MS = 100
# After a round that found entries, wait this long before the next: one XREAD names every
# open room's stream, so reading after every single entry costs a full round per update.
# Batching adds at most this much to cross-node latency (local clients are not affected).
FOLLOW_BATCH_SECONDS = 0.02
STOP_SECONDS = 5.0
# How often idle and expired rooms are looked for (sooner when rooms idle out sooner).
IDLE_CHECK_SECONDS = 5.0


LanguageWriter = Callable[[str, str], Awaitable[None]]
Seeder = Callable[[str], Awaitable[None]]


@dataclass(eq=False)
class LocalRooms:
    store: DocumentStore
    relay: Relay
    rules: RoomRules
    _: KW_ONLY
    # Where a language set over Yjs is recorded, and how a session made before documents
    # existed gets its first update.
    write_language: LanguageWriter
    seed_missing: Seeder
    snapshot_delay: float = 2.0
    idle_seconds: float = 30.0
    stats: CollabStats = field(default_factory=CollabStats)
    rooms: dict[str, Room] = field(default_factory=dict, init=False)
    _loading: dict[str, asyncio.Task[Room]] = field(default_factory=dict, init=False)
    _dirty: set[str] = field(default_factory=set, init=False)
    _snapshot_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict, init=False)
    _background: set[asyncio.Task[Any]] = field(default_factory=set, init=False)
    _rooms_changed: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _stopped: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.relay.deliver_to(self.rooms.get)

    @property
    def node_id(self) -> str:
        return self.relay.node_id

    def get(self, session_id: str) -> Room | None:
        return self.rooms.get(session_id)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._follow(), name="duet-follow"),
            loop.create_task(self._close_idle_rooms(), name="duet-idle"),
        ]

    async def stop(self) -> None:
        """Snapshot what this node changed and close every room (once)."""
        if self._stopped:
            return
        self._stopped = True
        self._rooms_changed.set()
        for task in self._tasks:
            task.cancel()
        # Every loop also checks `_stopped`, so one whose cancellation a Redis call
        # swallowed still ends at its next turn; the bound is a last resort.
        await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
        for session_id in list(self.rooms):
            await self._snapshot(session_id)
            await self.drop(session_id, "server shutting down")
        await asyncio.gather(*self._background, return_exceptions=True)

    # -- opening rooms --------------------------------------------------------------------

    async def open(self, session_id: str, expires_at_ms: int) -> Room:
        room = self.rooms.get(session_id)
        if room is not None:
            room.touch()
            return room
        loading = self._loading.get(session_id)
        if loading is None:
            loading = asyncio.get_running_loop().create_task(self._load(session_id, expires_at_ms))
            self._loading[session_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(session_id, None))
        return await asyncio.shield(loading)

    async def _load(self, session_id: str, expires_at_ms: int) -> Room:
        stored = await self.store.load(session_id)
        if stored.snapshot is None and not stored.stream:
            await self.seed_missing(session_id)
            stored = await self.store.load(session_id)
        # A load that fails raises here, before a room exists: nothing can then snapshot an
        # empty document over the stored one.
        doc = load_doc(stored.snapshot, stored.stream.updates, stored.stream.checked)
        room = Room(
            session_id,
            doc,
            stored.through,
            self,
            self.rules,
            expires_at_ms=expires_at_ms,
            stats=self.stats,
        )
        await self.relay.follow(session_id)
        self.rooms[session_id] = room
        self._rooms_changed.set()
        return room

    # -- RoomHooks --------------------------------------------------------------------------

    async def persist(self, room: Room, update: bytes) -> None:
        await self.store.append(room.session_id, update, self.node_id, room.expires_at_ms)

    def publish(self, room: Room, kind: MessageKind, payload: dict[str, Any]) -> None:
        if self._stopped:
            return
        self.relay.publish(room.session_id, kind, payload)

    def edited(self, room: Room) -> None:
        if self._stopped:
            return
        session_id = room.session_id
        self._dirty.add(session_id)
        if session_id not in self._snapshot_timers:
            loop = asyncio.get_running_loop()
            self._snapshot_timers[session_id] = loop.call_later(
                self.snapshot_delay, lambda: self._spawn(self._snapshot(session_id))
            )

    def language_changed(self, room: Room, language: str) -> None:
        if self._stopped:
            return
        self._spawn(self.write_language(room.session_id, language))

    def emptied(self, room: Room) -> None:
        if self._stopped:
            return
        self._spawn(self._snapshot(room.session_id))

    # -- snapshots and closing ------------------------------------------------------------

    async def _snapshot(self, session_id: str) -> None:
        timer = self._snapshot_timers.pop(session_id, None)
        if timer is not None:
            timer.cancel()
        room = self.rooms.get(session_id)
        if room is None or session_id not in self._dirty:
            return
        self._dirty.discard(session_id)
        try:
            await self.store.save_snapshot(
                session_id, room.doc.get_update(), room.through, room.code, now_ms()
            )
        except Exception:
            # The updates are safe in the stream; the next edit or close tries again.
            self._dirty.add(session_id)
            log.exception("snapshot of %s failed", session_id)

    async def drop(self, session_id: str, reason: str) -> None:
        """Close the room here, telling its clients `reason` (they may reconnect)."""
        room = self.rooms.pop(session_id, None)
        self._dirty.discard(session_id)
        timer = self._snapshot_timers.pop(session_id, None)
        if timer is not None:
            timer.cancel()
        if room is None:
            return
        self._rooms_changed.set()
        await room.close(reason)
        await self.relay.unfollow(session_id)

    async def _close_idle_rooms(self) -> None:
        loop = asyncio.get_running_loop()
        last_renewal = loop.time()
        while not self._stopped:
            raise_if_cancelled()
            await asyncio.sleep(min(IDLE_CHECK_SECONDS, max(self.idle_seconds / 2, 0.05)))
            cutoff = loop.time() - self.idle_seconds
            now = now_ms()
            renew = loop.time() - last_renewal >= RENEW_INTERVAL
            if renew:
                last_renewal = loop.time()
            for session_id, room in list(self.rooms.items()):
                if renew:
                    room.renew_json_cursors()
                if room.expires_at_ms <= now:
                    await self.drop(session_id, "session expired")
                elif not room.connections and room.last_used < cutoff:
                    await self._snapshot(session_id)
                    if not room.connections and session_id not in self._dirty:
                        await self.drop(session_id, "idle")

    # -- following other nodes ---------------------------------------------------------------

    async def _follow(self) -> None:
        while not self._stopped:
            raise_if_cancelled()
            positions = {session_id: room.through for session_id, room in self.rooms.items()}
            if not positions:
                self._rooms_changed.clear()
                await self._rooms_changed.wait()
                continue
            try:
                entries = await self.store.read_new(positions, FOLLOW_BLOCK_MS)
            except (redis.exceptions.RedisError, OSError):
                log.warning("reading document streams failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            for session_id, entry in entries:
                room = self.rooms.get(session_id)
                if room is None or entry.id <= room.through:
                    continue
                if entry.node != self.node_id:
                    try:
                        room.apply_remote_update(entry.update)
                    except Exception:
                        log.exception("could not apply stream entry %s of %s", entry.id, session_id)
                    else:
                        self.stats.updates_followed += 1
                        # A stream id's first part is Redis's clock when it appended it.
                        self.stats.observe_follow_lag(max(0, now_ms() - entry.id.ms) / 1000)
                room.through = entry.id
            if entries:
                await asyncio.sleep(FOLLOW_BATCH_SECONDS)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

"""This node's heartbeat: its key in Redis kept alive, so that other nodes count its
sockets (`server.realtime.presence`). A task of its own, beside the rooms.

After a lapse (Redis out of reach, or this process stalled, for longer than the key's life)
the presence sweep of another node may have set this node's participants offline and
removed its counts; `on_lapse` puts them back, and is retried on every beat until it
succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as redis
import redis.exceptions

from collab.relay import raise_if_cancelled
from server.realtime.presence import heartbeat

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0


@dataclass
class Heartbeat:
    cache: redis.Redis
    node_id: str
    ttl_ms: int
    on_lapse: Callable[[], Awaitable[None]]
    _beaten: bool = field(default=False, init=False)
    _lapse_pending: bool = field(default=False, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="duet-heartbeat")

    async def stop(self) -> None:
        self._stopped = True
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            # redis-py can swallow a cancellation inside a call (see `raise_if_cancelled`):
            # the loop then ends at its next turn, on `_stopped`, and this does not wait.
            await asyncio.wait({self._task}, timeout=STOP_SECONDS)

    async def _run(self) -> None:
        while not self._stopped:
            raise_if_cancelled()
            await self.beat()
            # Three beats per lifetime: one late beat does not make a live node look dead.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.ttl_ms / 3000)

    async def beat(self) -> None:
        """One beat; after a lapse, the sockets counted again."""
        try:
            alive = await heartbeat(self.cache, self.node_id, self.ttl_ms)
        except (redis.exceptions.RedisError, OSError):
            log.warning("heartbeat failed", exc_info=True)
            return
        if not alive and self._beaten:
            log.warning("this node's heartbeat had lapsed; counting its sockets again")
            self._lapse_pending = True
        self._beaten = True
        if self._lapse_pending:
            try:
                await self.on_lapse()
                self._lapse_pending = False
            except Exception:
                log.warning("recounting sockets failed; the next beat retries", exc_info=True)

"""Sandboxes started ahead of their run, so a run does not wait for one to be built.

Building a bubblewrap sandbox (user namespace, cgroup, mounts, the supervisor) is most of
a short run's overhead, and none of it depends on the code: only on the language (what is
bound in, the environment) and the limits (tmpfs sizes, the cgroup). So after each run
the sandbox starts the next one for the same language and limits in the background; the
next run takes it and only sends its spec. Each sandbox still serves exactly one run:
nothing of a previous run (or session) can be in it, because nothing has run in it yet.

`Standby` is that bookkeeping, independent of what is kept: up to `depth` ready items per
key, for the `keys` most recently used keys. Taking an item never waits; a miss is the
caller's cue to build one itself, exactly as the standby would have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Standby(Generic[K, T]):
    def __init__(
        self,
        make: Callable[[K], Awaitable[T]],
        discard: Callable[[T], Awaitable[None]],
        usable: Callable[[T], bool],
        *,
        depth: int = 1,
        keys: int = 4,
    ) -> None:
        self._make = make
        self._discard = discard
        self._usable = usable
        self.depth = depth
        self.max_keys = keys
        self._ready: OrderedDict[K, list[T]] = OrderedDict()
        self._filling: dict[K, asyncio.Task[None]] = {}
        self._closed = False
        self.hits = 0
        self.misses = 0

    def take(self, key: K) -> T | None:
        """A ready item for `key`, or None (the caller builds its own)."""
        items = self._ready.get(key, [])
        while items:
            item = items.pop(0)
            if self._usable(item):
                self.hits += 1
                self._ready.move_to_end(key)
                return item
            self._spawn_discard(item)
        self.misses += 1
        return None

    def replenish(self, key: K) -> None:
        """Start building items for `key` in the background, up to `depth` ready.

        Called after a run rather than when one starts, so building the next sandbox
        never competes with the program for the CPU.
        """
        if self._closed or self.depth <= 0 or key in self._filling:
            return
        self._ready.setdefault(key, [])
        self._ready.move_to_end(key)
        while len(self._ready) > self.max_keys:
            _, evicted = self._ready.popitem(last=False)
            for item in evicted:
                self._spawn_discard(item)
        self._filling[key] = asyncio.get_running_loop().create_task(self._fill(key))

    async def _fill(self, key: K) -> None:
        try:
            while not self._closed and key in self._ready and len(self._ready[key]) < self.depth:
                try:
                    item = await self._make(key)
                except Exception:
                    # The run that needs it will build its own and report the error.
                    log.warning("could not start a standby sandbox", exc_info=True)
                    return
                if self._closed or key not in self._ready:
                    await self._discard(item)
                    return
                self._ready[key].append(item)
        finally:
            self._filling.pop(key, None)

    async def ready(self, key: K) -> None:
        """Wait until any background building for `key` is done (benchmarks, tests)."""
        task = self._filling.get(key)
        if task is not None:
            await asyncio.shield(task)

    def count(self, key: K) -> int:
        return len(self._ready.get(key, []))

    def _spawn_discard(self, item: T) -> None:
        task = asyncio.get_running_loop().create_task(self._discard(item))
        task.add_done_callback(_log_failure)

    async def close(self) -> None:
        """Discard every ready item and stop building; later replenish() calls do nothing."""
        self._closed = True
        # Not cancelled: a sandbox half started is harder to end than one finished, and
        # _fill discards what it finishes once closed.
        filling = list(self._filling.values())
        await asyncio.gather(*filling, return_exceptions=True)
        items = [item for items in self._ready.values() for item in items]
        self._ready.clear()
        await asyncio.gather(*(self._discard(item) for item in items), return_exceptions=True)


def _log_failure(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.warning("discarding a standby sandbox failed", exc_info=task.exception())

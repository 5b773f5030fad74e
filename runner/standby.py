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
from collections.abc import Awaitable, Callable, Hashable, Iterator
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
        self._discarding: set[asyncio.Task[None]] = set()
        self._building = asyncio.Semaphore(1)
        # key -> the counts that callers of `expecting` asked for, while they run
        self._expected: dict[K, list[int]] = {}
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

    def replenish(self, key: K, *, hint: bool = False) -> None:
        """Start building items for `key` in the background, up to `depth` ready.

        Called after a run rather than when one starts, so building the next sandbox
        never competes with the program for the CPU. A `hint` (someone entered a room)
        builds only for a key already kept or into a free slot. Builds run one at a time.
        """
        if self._closed or self.depth_for(key) <= 0 or self._is_filling(key):
            return
        if key not in self._ready and hint and len(self._ready) >= self.max_keys:
            return  # a hint never evicts what runs used: it could be sent at any rate
        self._ready.setdefault(key, [])
        self._ready.move_to_end(key)
        while len(self._ready) > self.max_keys:
            _, evicted = self._ready.popitem(last=False)
            for item in evicted:
                self._spawn_discard(item)
        self._filling[key] = asyncio.get_running_loop().create_task(self._fill(key))

    def _is_filling(self, key: K) -> bool:
        task = self._filling.get(key)
        # A task of another (closed) event loop never finishes here: forget it.
        if task is not None and task.get_loop() is not asyncio.get_running_loop():
            del self._filling[key]
            return False
        return task is not None

    async def _fill(self, key: K) -> None:
        try:
            while (
                not self._closed and key in self._ready
                and len(self._ready[key]) < self.depth_for(key)
            ):  # fmt: skip
                async with self._building:
                    if self._closed or key not in self._ready:
                        return
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

    def depth_for(self, key: K) -> int:
        return max([self.depth, *self._expected.get(key, [])])

    @contextlib.contextmanager
    def expecting(self, key: K, count: int) -> Iterator[None]:
        """Keep up to `count` items ready for `key` while the block runs: a batch of
        `count` runs at once (a question's tests) would otherwise miss the standby on all
        but one of them. Nothing is built when the standby is off (depth 0)."""
        if self.depth <= 0:
            yield
            return
        self._expected.setdefault(key, []).append(count)
        try:
            self.replenish(key)
            yield
        finally:
            counts = self._expected[key]
            counts.remove(count)
            if not counts:
                del self._expected[key]

    async def ready(self, key: K) -> None:
        """Wait until any background building for `key` is done (benchmarks, tests)."""
        task = self._filling.get(key)
        if task is not None:
            await asyncio.shield(task)

    def count(self, key: K) -> int:
        return len(self._ready.get(key, []))

    def stats(self) -> dict[str, int]:
        """Items ready, keys being filled, and the hits and misses of `take` so far."""
        return {
            "ready": sum(len(items) for items in self._ready.values()),
            "building": len(self._filling), "hits": self.hits, "misses": self.misses,
        }  # fmt: skip

    def _spawn_discard(self, item: T) -> None:
        task = asyncio.get_running_loop().create_task(self._discard(item))
        self._discarding.add(task)
        task.add_done_callback(self._discarding.discard)
        task.add_done_callback(_log_failure)

    async def close(self) -> None:
        """Discard every ready item and stop building; later replenish() calls do nothing."""
        self._closed = True
        # Not cancelled: a sandbox half started is harder to end than one finished, and
        # _fill discards what it finishes once closed.
        loop = asyncio.get_running_loop()
        filling = [task for task in self._filling.values() if task.get_loop() is loop]
        await asyncio.gather(*filling, return_exceptions=True)
        items = [item for items in self._ready.values() for item in items]
        self._ready.clear()
        await asyncio.gather(*(self._discard(item) for item in items), return_exceptions=True)
        await asyncio.gather(*self._discarding, return_exceptions=True)


def _log_failure(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            log.warning("discarding a standby sandbox failed", exc_info=task.exception())

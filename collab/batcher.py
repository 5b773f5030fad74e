"""Calls sent in batches, one batch in flight at a time.

Whatever is queued while a batch is on its way goes out together in the next one, in queue
order. There is no timer: the first call on an idle batcher goes at once. Used where many
coroutines make the same kind of Redis round trip at once: stream appends
(`collab.group_commit`) and rate-limit counts (`server.http.rate_counter`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

# Bounds one pipeline (its buffers, and the wait of its last caller) under overload.
MAX_BATCH = 1024

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    def __init__(
        self,
        send: Callable[[list[Item]], Awaitable[list[Result | BaseException]]],
        *,
        name: str,
        max_batch: int = MAX_BATCH,
    ) -> None:
        """`send` takes a batch and returns, in the same order, each item's result or the
        error that concerns that item alone; an error it raises fails the whole batch."""
        self._send = send
        self.max_batch = max_batch
        self.name = name
        self._queue: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # batches sent so far (for tests and the benchmarks' curiosity)

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.append((item, future))
        if self._writer is None:
            self._writer = loop.create_task(self._drain(), name=self.name)
        # Shielded: a caller that gives up does not take its item out of the batch (it may
        # already be on the wire), nor cancel the writer that other callers wait for.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self.max_batch]
                self._queue = self._queue[self.max_batch :]
                try:
                    results = await self._send([item for item, _ in batch])
                except Exception as error:
                    for _, future in batch:
                        _settle(future, error=error)
                    continue
                except asyncio.CancelledError:
                    for _, future in batch:
                        _settle(future, error=ConnectionError(f"{self.name} cancelled"))
                    raise
                self.batches += 1
                for (_, future), result in zip(batch, results, strict=True):
                    if isinstance(result, BaseException):
                        _settle(future, error=result)
                    else:
                        _settle(future, result=result)
        finally:
            self._writer = None
            for _, future in self._queue:  # only left here when cancelled
                _settle(future, error=ConnectionError(f"{self.name} cancelled"))
            self._queue.clear()


def _settle(
    future: asyncio.Future[Result],
    *,
    result: Result | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]

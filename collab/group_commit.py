"""Group commit of stream appends: every room's appends go into one queue, and one writer
sends all that is queued as a single Redis pipeline, so a busy server pays one round trip
(and, with an fsyncing Redis, one fsync) per batch rather than per update.

* One batch is in flight at a time and each batch keeps the order of the queue, so the
  entries of one stream are appended in the order they were queued.
* No timer: the first append on an idle writer is sent at once; appends queued while a
  batch is in flight go together in the next one.
* Each caller gets its own entry's id. A command that fails (say WRONGTYPE on one key) fails
  only the appends to that key; a batch that fails as a whole (the connection dropped)
  fails every caller in it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis

# Bounds one pipeline (its buffers, and the wait of its last caller) under overload.
MAX_BATCH = 1024


@dataclass
class _Append:
    key: str
    fields: dict[Any, Any]
    expires_at_ms: int
    done: asyncio.Future[bytes] = field(repr=False)


class GroupCommit:
    def __init__(self, cache: redis.Redis) -> None:
        self.cache = cache
        self._queue: list[_Append] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # batches sent so far (for tests and the benchmark's curiosity)

    async def xadd(self, key: str, fields: dict[Any, Any], expires_at_ms: int) -> bytes:
        """Append `fields` to the stream `key` (and keep the stream until `expires_at_ms`);
        return the entry's raw id once Redis has it."""
        loop = asyncio.get_running_loop()
        pending = _Append(key, fields, expires_at_ms, loop.create_future())
        self._queue.append(pending)
        if self._writer is None:
            self._writer = loop.create_task(self._write(), name="duet-group-commit")
        # Shielded: a caller that gives up does not cancel its entry out of the batch (it may
        # already be on the wire), nor the writer that other callers wait for.
        return await asyncio.shield(pending.done)

    async def _write(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    results = await self._send(batch)
                except Exception as error:
                    for pending in batch:
                        _settle(pending.done, error=error)
                    continue
                except asyncio.CancelledError:
                    for pending in batch:
                        _settle(pending.done, error=ConnectionError("append cancelled"))
                    raise
                for pending, result in zip(batch, results, strict=True):
                    if isinstance(result, Exception):
                        _settle(pending.done, error=result)
                    else:
                        _settle(pending.done, result=result)
        finally:
            self._writer = None
            for pending in self._queue:  # only left here when cancelled
                _settle(pending.done, error=ConnectionError("append cancelled"))
            self._queue.clear()

    async def _send(self, batch: list[_Append]) -> list[bytes | Exception]:
        """One pipeline: every XADD in queue order, then one PEXPIREAT per stream. Returns
        each append's id or the error that concerns it."""
        expiry: dict[str, int] = {}
        for pending in batch:
            expiry[pending.key] = max(expiry.get(pending.key, 0), pending.expires_at_ms)
        async with self.cache.pipeline(transaction=False) as pipe:
            for pending in batch:
                pipe.xadd(pending.key, pending.fields)
            for key, expires_at_ms in expiry.items():
                pipe.pexpireat(key, expires_at_ms)
            replies = await pipe.execute(raise_on_error=False)
        self.batches += 1
        failed = {
            key: reply
            for key, reply in zip(expiry, replies[len(batch) :], strict=True)
            if isinstance(reply, Exception)
        }
        return [
            reply if isinstance(reply, Exception) else failed.get(pending.key, reply)
            for pending, reply in zip(batch, replies[: len(batch)], strict=True)
        ]


def _settle(
    future: asyncio.Future[bytes], *, result: bytes = b"", error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

"""Group commit of stream appends: every room's appends go into one queue, and one writer
sends all that is queued as a single Redis pipeline, so a busy server pays one round trip
(and, with an fsyncing Redis, one fsync) per batch rather than per update.

* One batch is in flight at a time and each batch keeps the order of the queue, so the
  entries of one stream are appended in the order they were queued (`collab.batcher`).
* No timer: the first append on an idle writer is sent at once; appends queued while a
  batch is in flight go together in the next one.
* Each caller gets its own entry's id. A command that fails (say WRONGTYPE on one key) fails
  only the appends to that key; a batch that fails as a whole (the connection dropped)
  fails every caller in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from collab.batcher import Batcher


@dataclass(frozen=True)
class _Append:
    key: str
    fields: dict[Any, Any]
    expires_at_ms: int


class GroupCommit:
    def __init__(self, cache: redis.Redis) -> None:
        self.cache = cache
        self._batcher: Batcher[_Append, bytes] = Batcher(self._send, name="duet-group-commit")

    @property
    def batches(self) -> int:
        return self._batcher.batches

    async def xadd(self, key: str, fields: dict[Any, Any], expires_at_ms: int) -> bytes:
        """Append `fields` to the stream `key` (and keep the stream until `expires_at_ms`);
        return the entry's raw id once Redis has it."""
        return await self._batcher.submit(_Append(key, fields, expires_at_ms))

    async def _send(self, batch: list[_Append]) -> list[bytes | BaseException]:
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
        failed = {
            key: reply
            for key, reply in zip(expiry, replies[len(batch) :], strict=True)
            if isinstance(reply, Exception)
        }
        return [
            reply if isinstance(reply, Exception) else failed.get(pending.key, reply)
            for pending, reply in zip(batch, replies[: len(batch)], strict=True)
        ]

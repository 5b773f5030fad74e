"""The output of a run still going, kept in Redis so that any node can show it.

A run's output reaches Postgres only when the run ends. A tab that lost its connection for
a moment, or one that joins the room mid-run, asks `GET /runs/{id}` for what it missed:
whichever node answers reads it here. Each flushed event is one list entry carrying its
`seq`, so a reader can line the live `run_output` events up after what it fetched. The
list outlives the run's record by a minute (a reader that saw the row still running reads
it next), then expires; its expiry also covers a node that died mid-run.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as redis

from schema import keys

KEPT_AFTER_FINISH_S = 60


class LiveOutput:
    """Appends one run's output events to its Redis list, in the background: the sender is
    the synchronous output coalescer, and a slow Redis must not hold the program up."""

    def __init__(self, cache: redis.Redis, session_id: str, run_id: str, ttl_s: int) -> None:
        self._cache = cache
        self._key = keys.run_output(session_id, run_id)
        self._ttl_s = ttl_s
        self._writes: set[asyncio.Task[None]] = set()

    def append(self, seq: int, stream: str, text: str) -> None:
        entry = json.dumps([seq, stream, text], ensure_ascii=False)
        task = asyncio.get_running_loop().create_task(self._write(entry))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, entry: str) -> None:
        async with self._cache.pipeline(transaction=False) as pipe:
            pipe.rpush(self._key, entry)
            pipe.expire(self._key, self._ttl_s)
            await pipe.execute()

    async def finish(self) -> None:
        """Once the output is in Postgres: wait for the writes in flight, then let the list
        go soon."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self._cache.expire(self._key, KEPT_AFTER_FINISH_S)


async def read_live_output(
    cache: redis.Redis, session_id: str, run_id: str
) -> tuple[list[dict[str, Any]], int]:
    """The output so far, as `[{stream, data}]` in order, and the `seq` of the next event.
    Writes can land out of order (several connections), so entries are sorted by `seq` and
    only the unbroken run from 0 is returned: the reader takes the rest from the live
    events. Neighbouring chunks of one stream are merged."""
    entries = sorted(
        json.loads(raw) for raw in await cache.lrange(keys.run_output(session_id, run_id), 0, -1)
    )
    output: list[dict[str, Any]] = []
    next_seq = 0
    for seq, stream, text in entries:
        if seq != next_seq:
            break
        next_seq += 1
        if output and output[-1]["stream"] == stream:
            output[-1]["data"] += text
        else:
            output.append({"stream": stream, "data": text})
    return output, next_seq

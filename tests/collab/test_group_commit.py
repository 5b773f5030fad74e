"""Group commit of stream appends against a real Redis: one pipeline per batch, each stream's
entries in the order they were queued (within and across batches), each caller its own id,
and failures reaching exactly the callers they concern."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from collab.batcher import MAX_BATCH
from collab.group_commit import GroupCommit
from tests.processes import free_port

# The test streams expire within ten minutes of the test.
FAR_FUTURE_MS = time.time_ns() // 1_000_000 + 600_000


def _stream() -> str:
    return f"duet:test:group-commit:{uuid.uuid4().hex}"


async def test_a_lone_append_is_sent_at_once_and_gets_its_id(cache):
    commits = GroupCommit(cache)
    key = _stream()
    raw_id = await commits.xadd(key, {"u": b"one"}, FAR_FUTURE_MS)
    assert commits.batches == 1
    [(entry_id, fields)] = await cache.xrange(key)
    assert entry_id == raw_id and fields == {b"u": b"one"}
    # The clock read before asking: Redis measures the time left at a later moment.
    asked_at_ms = time.time_ns() // 1_000_000
    assert 0 < await cache.pttl(key) <= FAR_FUTURE_MS - asked_at_ms


async def test_each_streams_order_is_kept_within_and_across_batches(cache):
    commits = GroupCommit(cache)
    keys = [_stream() for _ in range(3)]
    count = MAX_BATCH + 200  # more than one batch holds, queued all at once
    calls = [(keys[i % 3], f"{i}".encode()) for i in range(count)]
    first = [asyncio.ensure_future(commits.xadd(k, {"u": v}, FAR_FUTURE_MS)) for k, v in calls]
    await asyncio.sleep(0)  # these queue behind the first ones
    more = [(keys[i % 3], f"late{i}".encode()) for i in range(50)]
    later = [asyncio.ensure_future(commits.xadd(k, {"u": v}, FAR_FUTURE_MS)) for k, v in more]
    ids = await asyncio.gather(*first, *later)
    assert 2 <= commits.batches < count / 10, "appends were not grouped"
    for key in keys:
        stored = [(entry_id, fields[b"u"]) for entry_id, fields in await cache.xrange(key)]
        queued = [
            (raw_id, value)
            for (k, value), raw_id in zip(calls + more, ids, strict=True)
            if k == key
        ]
        assert stored == queued  # same entries, same order, each caller its own id


async def test_a_failing_command_fails_only_the_appends_to_its_stream(cache):
    commits = GroupCommit(cache)
    good, broken = _stream(), _stream()
    await cache.set(broken, "not a stream")
    appends = [
        asyncio.ensure_future(commits.xadd(key, {"u": value}, FAR_FUTURE_MS))
        for key, value in [(good, b"a"), (broken, b"b"), (good, b"c"), (broken, b"d")]
    ]
    await asyncio.wait(appends)
    assert commits.batches == 1
    results = [append.exception() for append in appends]
    assert [isinstance(r, ResponseError) for r in results] == [False, True, False, True]
    assert "WRONGTYPE" in str(results[1])
    assert [f[b"u"] for _, f in await cache.xrange(good)] == [b"a", b"c"]
    assert await commits.xadd(good, {"u": b"e"}, FAR_FUTURE_MS)  # the writer carries on


async def test_a_batch_that_fails_as_a_whole_fails_every_caller_in_it():
    unreachable = Redis(
        host="127.0.0.1", port=free_port(), retry=Retry(NoBackoff(), 0), socket_timeout=2
    )
    commits = GroupCommit(unreachable)
    try:
        appends = [
            asyncio.ensure_future(commits.xadd(_stream(), {"u": b"x"}, FAR_FUTURE_MS))
            for _ in range(5)
        ]
        await asyncio.wait(appends)
        assert all(isinstance(a.exception(), RedisConnectionError) for a in appends)
        with pytest.raises(RedisConnectionError):
            await commits.xadd(_stream(), {"u": b"y"}, FAR_FUTURE_MS)
    finally:
        await unreachable.aclose()


async def test_a_caller_that_gives_up_does_not_take_the_batch_with_it(cache):
    commits = GroupCommit(cache)
    key = _stream()
    impatient = asyncio.ensure_future(commits.xadd(key, {"u": b"first"}, FAR_FUTURE_MS))
    patient = asyncio.ensure_future(commits.xadd(key, {"u": b"second"}, FAR_FUTURE_MS))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient
    assert [f[b"u"] for _, f in await cache.xrange(key)] == [b"first", b"second"]

"""Rate-limit counting in batches: concurrent hits each get their own count, windows start
and expire as before, a flushed script cache is survived, and a Redis failure reaches every
request of the batch rather than hanging it."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError

from server.http.rate_counter import RateCounter


async def test_concurrent_hits_are_each_counted_once(cache):
    counter = RateCounter(cache)
    key = f"duet:test:rate:{uuid.uuid4()}"
    results = await asyncio.gather(*(counter.hit(key, 60_000) for _ in range(200)))
    assert sorted(count for count, _ in results) == list(range(1, 201))
    assert all(0 < left <= 60_000 for _, left in results)
    assert int(await cache.get(key)) == 200
    assert 0 < await cache.pttl(key) <= 60_000


async def test_each_key_has_its_own_window(cache):
    counter = RateCounter(cache)
    one, two = (f"duet:test:rate:{uuid.uuid4()}" for _ in range(2))
    hits = await asyncio.gather(
        counter.hit(one, 50), counter.hit(two, 60_000), counter.hit(one, 50)
    )
    assert [count for count, _ in hits] == [1, 1, 2]
    await asyncio.sleep(0.1)  # the 50 ms window of `one` has passed
    assert (await counter.hit(one, 50))[0] == 1
    assert (await counter.hit(two, 60_000))[0] == 2


async def test_a_flushed_script_cache_is_loaded_again(cache):
    counter = RateCounter(cache)
    key = f"duet:test:rate:{uuid.uuid4()}"
    assert (await counter.hit(key, 60_000))[0] == 1
    await cache.script_flush()
    assert (await counter.hit(key, 60_000))[0] == 2


async def test_a_redis_failure_reaches_every_waiting_request(backing):
    broken = redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    counter = RateCounter(broken)
    results = await asyncio.gather(
        *(counter.hit("duet:test:rate:x", 1000) for _ in range(5)), return_exceptions=True
    )
    assert len(results) == 5
    assert all(isinstance(result, RedisConnectionError) for result in results)
    await broken.aclose()
    with pytest.raises(RedisConnectionError):
        await counter.hit("duet:test:rate:x", 1000)  # later hits are tried again, not stuck

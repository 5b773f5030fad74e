"""The server's Redis client packs commands with hiredis: the same bytes as redis-py's own
packer, and the same errors for values Redis cannot take."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from server.cache import HiredisPacking, connect_cache, with_hiredis_packing

COMMANDS = [
    ("XREAD", "BLOCK", 100, "STREAMS", *[f"duet:session:{i:08x}:updates" for i in range(300)],
     *[f"1701705600{i:03d}-{i}" for i in range(300)]),
    ("XADD", "duet:session:abc:updates", "*", "u", bytes(range(256)) * 40, "n", "node"),
    ("SET", "k", memoryview(b"view")),
    ("SET", "k", "é😀"),
    ("PEXPIREAT", "k", 4_102_444_800_000),
    ("INCRBYFLOAT", "k", 0.1),
    ("CONFIG GET", "maxmemory"),
    (b"CLIENT LIST",),
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_packs_the_same_bytes_as_redis_py(command):
    ours = with_hiredis_packing(Connection)()
    theirs = Connection()
    assert b"".join(ours.pack_command(*command)) == b"".join(theirs.pack_command(*command))


@pytest.mark.parametrize("value", [None, True, object()])
def test_values_redis_cannot_take_are_refused_as_before(value):
    with pytest.raises(DataError):
        with_hiredis_packing(Connection)().pack_command("SET", "k", value)


async def test_the_servers_client_talks_to_redis(backing):
    cache = connect_cache(backing.redis_url)
    try:
        assert issubclass(cache.connection_pool.connection_class, HiredisPacking)
        await cache.delete("duet:test:cache", "duet:test:cache:n")
        await cache.set("duet:test:cache", "é😀", px=60_000)
        assert (await cache.get("duet:test:cache")).decode() == "é😀"
        async with cache.pipeline(transaction=True) as pipe:
            pipe.incrbyfloat("duet:test:cache:n", 0.5).pexpire("duet:test:cache:n", 60_000)
            assert await pipe.execute() == [0.5, True]
        assert "maxmemory-policy" in await cache.config_get("maxmemory-policy")
        with pytest.raises(DataError):
            await cache.set("duet:test:cache", None)
    finally:
        await cache.delete("duet:test:cache", "duet:test:cache:n")
        await cache.aclose()

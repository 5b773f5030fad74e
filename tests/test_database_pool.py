"""The Postgres pool hands out connections in arrival order: a coroutine that asks while
others wait queues behind them, instead of taking the next returned connection."""

from __future__ import annotations

import asyncio

from server.database import create_pool


async def test_waiters_get_connections_in_arrival_order(backing):
    pool = await create_pool(backing.database_url, min_size=2, max_size=2)
    try:
        held = [await pool.acquire(), await pool.acquire()]
        served: list[int] = []

        async def waiter(number: int) -> None:
            connection = await pool.acquire()
            served.append(number)
            await asyncio.sleep(0)
            await pool.release(connection)

        waiters = []
        for number in range(6):
            waiters.append(asyncio.create_task(waiter(number)))
            await asyncio.sleep(0)  # each one is queued before the next arrives
        for connection in held:
            await pool.release(connection)
            # A latecomer arriving just as a connection comes back, the moment asyncpg's
            # own queue would hand it over to whoever asks first.
            waiters.append(asyncio.create_task(waiter(100 + len(waiters))))
        await asyncio.gather(*waiters)
        assert served[:6] == list(range(6)), served
    finally:
        await pool.close()


async def test_releasing_twice_does_not_add_a_turn(backing):
    pool = await create_pool(backing.database_url, min_size=1, max_size=1)
    try:
        connection = await pool.acquire()
        await pool.release(connection)
        await pool.release(connection)  # asyncpg ignores it; so must the turns
        first = await pool.acquire()

        async def acquire() -> object:
            return await pool.acquire()

        second = asyncio.create_task(acquire())
        await asyncio.sleep(0.05)
        assert not second.done(), "a second connection was handed out of a pool of one"
        await pool.release(first)
        await pool.release(await second)
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()

"""The gate between socket counting and recounting: counts overlap freely; a recount waits
for the counts under way and holds back new ones until it is done."""

from __future__ import annotations

import asyncio

from server.realtime.recount_gate import RecountGate


async def test_counts_overlap_and_a_recount_runs_alone():
    gate = RecountGate()
    log: list[str] = []
    release_counts = asyncio.Event()

    async def count(name: str, wait: asyncio.Event | None = None) -> None:
        async with gate.counting():
            log.append(f"{name} in")
            if wait is not None:
                await wait.wait()
            log.append(f"{name} out")

    async def recount() -> None:
        async with gate.recounting():
            log.append("recount in")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            log.append("recount out")

    first = asyncio.ensure_future(count("a", release_counts))
    second = asyncio.ensure_future(count("b", release_counts))
    await asyncio.sleep(0)
    assert log == ["a in", "b in"]  # both at once
    recounting = asyncio.ensure_future(recount())
    await asyncio.sleep(0)
    late = asyncio.ensure_future(count("c"))
    await asyncio.sleep(0)
    assert log == ["a in", "b in"]  # the recount waits for a and b; c waits for the recount
    release_counts.set()
    await asyncio.gather(first, second, recounting, late)
    assert log[2:4] == ["a out", "b out"] or log[2:4] == ["b out", "a out"]
    assert log[4:] == ["recount in", "recount out", "c in", "c out"]

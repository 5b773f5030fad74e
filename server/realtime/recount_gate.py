"""Keeps a node's socket counting and its recount (after its heartbeat lapsed) apart, without
making counts wait on each other: any number of counts run at once; a recount waits for
those under way, and counts that arrive meanwhile wait for the recount."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class RecountGate:
    def __init__(self) -> None:
        self._counting = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._open = asyncio.Event()
        self._open.set()
        self._recount = asyncio.Lock()

    @asynccontextmanager
    async def counting(self) -> AsyncIterator[None]:
        while not self._open.is_set():
            await self._open.wait()
        # No await between the check and the count: a recount cannot slip in.
        self._counting += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._counting -= 1
            if self._counting == 0:
                self._idle.set()

    @asynccontextmanager
    async def recounting(self) -> AsyncIterator[None]:
        async with self._recount:
            self._open.clear()
            try:
                await self._idle.wait()
                yield
            finally:
                self._open.set()

"""Looks for processes on the host, to prove a run left nothing behind."""

from __future__ import annotations

import asyncio
import os


def processes_with_arg(marker: str) -> list[int]:
    """Host pids whose command line contains `marker` as one argument."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
        except OSError:
            continue
        if marker.encode() in args:
            found.append(int(entry))
    return found


async def wait_until_gone(marker: str, grace_s: float = 5.0) -> list[int]:
    """Pids still carrying `marker` after `grace_s` (empty when all have exited).

    Killed processes vanish from /proc only once reaped; allow a moment for that, not
    for processes that should have been killed yet keep running.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    while True:
        pids = processes_with_arg(marker)
        if not pids or loop.time() > deadline:
            return pids
        await asyncio.sleep(0.05)


async def wait_until_present(marker: str, grace_s: float = 10.0) -> list[int]:
    """Pids carrying `marker`, polling until at least one shows up or `grace_s` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_s
    while True:
        pids = processes_with_arg(marker)
        if pids or loop.time() > deadline:
            return pids
        await asyncio.sleep(0.05)

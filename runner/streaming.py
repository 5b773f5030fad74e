"""Drives one spawned sandbox process: feeds stdin, streams output, enforces the clock.

Shared by every local sandbox backend. The backend supplies `kill`, which must stop the
whole run (not just the direct child); this module decides *when* to call it: wall time
exceeded, output budget exhausted, caller cancelled, or the caller's own task cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from runner.spawn import ChildProcess

StreamName = Literal["stdout", "stderr"]
OutputCallback = Callable[[StreamName, bytes], Awaitable[None]]

_READ_SIZE = 64 * 1024
# After the process is gone, how long leftover pipe data may take to drain. Only matters
# when something outside the backend's kill (an escaped background process in the unsafe
# backend) still holds the pipe open.
_DRAIN_TIMEOUT_S = 2.0


@dataclass
class DriveOutcome:
    returncode: int | None
    duration_ms: int
    timed_out: bool
    cancelled: bool
    output_truncated: bool
    killed: bool


class OutputBudget:
    """A run's output limit across its steps, stdout and stderr together. What fits goes
    on to `on_output`; the first byte past the limit marks the output truncated and sets
    `exhausted`, which stops the run."""

    def __init__(
        self, limit: int, on_output: OutputCallback, exhausted: asyncio.Event | None = None
    ) -> None:
        self.remaining = limit
        self.truncated = False
        self.on_output = on_output
        self.exhausted = exhausted or asyncio.Event()

    async def take(self, name: StreamName, chunk: bytes) -> None:
        if self.remaining <= 0:
            # The caller keeps draining so the writer is not blocked; nothing more passes.
            self.truncated = True
            self.exhausted.set()
            return
        if len(chunk) > self.remaining:
            chunk = chunk[: self.remaining]
            self.truncated = True
            self.exhausted.set()
        self.remaining -= len(chunk)
        await self.on_output(name, chunk)

    async def pump(self, name: StreamName, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(_READ_SIZE):
            await self.take(name, chunk)


async def _feed_stdin(writer: asyncio.StreamWriter | None, data: bytes | None) -> None:
    if writer is None:
        return
    # A program that exits or closes stdin without reading it all is normal, not an error.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        if data:
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        writer.close()
        await writer.wait_closed()


async def drive(
    proc: ChildProcess,
    *,
    stdin: bytes | None,
    on_output: OutputCallback,
    wall_time_s: float,
    output_bytes: int,
    cancel: asyncio.Event | None,
    kill: Callable[[], Awaitable[None]],
) -> DriveOutcome:
    """Run `proc` to completion under the limits; `proc` must have piped stdin/out/err."""
    start = time.monotonic()
    exhausted = asyncio.Event()
    budget = OutputBudget(output_bytes, on_output, exhausted)
    assert proc.stdout is not None and proc.stderr is not None
    pumps = [
        asyncio.create_task(budget.pump("stdout", proc.stdout)),
        asyncio.create_task(budget.pump("stderr", proc.stderr)),
    ]
    feeder = asyncio.create_task(_feed_stdin(proc.stdin, stdin))
    exited = asyncio.create_task(proc.wait())
    waits: list[asyncio.Task[object]] = [exited, asyncio.create_task(exhausted.wait())]  # type: ignore[list-item]
    if cancel is not None:
        waits.append(asyncio.create_task(cancel.wait()))
    # A failing on_output callback must stop the run rather than leave it unread.
    failed_pump = asyncio.create_task(_first_failure(pumps))
    waits.append(failed_pump)  # type: ignore[arg-type]

    timed_out = cancelled = killed = False
    try:
        await asyncio.wait(waits, timeout=wall_time_s, return_when=asyncio.FIRST_COMPLETED)
        if not exited.done():
            if cancel is not None and cancel.is_set():
                cancelled = True
            elif not exhausted.is_set() and not failed_pump.done():
                timed_out = True
            killed = True
            await kill()
        returncode = await exited
        duration_ms = int((time.monotonic() - start) * 1000)
        _, pending = await asyncio.wait(pumps, timeout=_DRAIN_TIMEOUT_S)
        for task in pending:
            task.cancel()
        for task in pumps:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    except BaseException:
        # Our caller was cancelled (or a callback raised): never leave the run behind.
        if not exited.done():
            await asyncio.shield(kill())
        raise
    finally:
        for task in (*waits, *pumps, feeder):
            task.cancel()
        await asyncio.gather(*waits, *pumps, feeder, return_exceptions=True)
    return DriveOutcome(
        returncode=returncode,
        duration_ms=duration_ms,
        timed_out=timed_out,
        cancelled=cancelled,
        output_truncated=budget.truncated,
        killed=killed,
    )


async def _first_failure(tasks: list[asyncio.Task[None]]) -> None:
    """Completes when any task fails; never completes if they all succeed."""
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if any(not t.cancelled() and t.exception() is not None for t in done):
            return
    await asyncio.Event().wait()


def read_available(fd: int) -> bytes:
    """Everything a pipe holds now, without waiting for more (the fd becomes non-blocking)."""
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)

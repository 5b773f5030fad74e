"""runner/spawn.py: a process started with vfork and driven from the event loop, on the
server's own loop (uvloop) as well as asyncio's."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

import pytest
import uvloop

from runner.spawn import spawn

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def on_loop(kind: str, work: Callable[[], Awaitable[None]]) -> None:
    loop = LOOPS[kind]()
    try:
        loop.run_until_complete(work())
    finally:
        loop.close()


@pytest.mark.parametrize("kind", sorted(LOOPS))
def test_pipes_and_the_exit_code(kind: str) -> None:
    async def work() -> None:
        proc = await spawn(
            ["sh", "-c", "read line; echo out:$line; echo err >&2; exit 3"], env={"PATH": "/bin"}
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(b"hello\n")
        await proc.stdin.drain()
        proc.stdin.close()
        assert await proc.stdout.read() == b"out:hello\n"
        assert await proc.stderr.read() == b"err\n"
        assert await proc.wait() == 3 and proc.returncode == 3
        proc.close_pipes()

    on_loop(kind, work)


@pytest.mark.parametrize("kind", sorted(LOOPS))
def test_kill_ends_it_and_the_code_names_the_signal(kind: str) -> None:
    async def work() -> None:
        proc = await spawn(["sleep", "60"], env={"PATH": "/bin:/usr/bin"}, start_new_session=True)
        assert proc.returncode is None
        proc.kill()
        assert await asyncio.wait_for(proc.wait(), 5) == -signal.SIGKILL
        proc.kill()  # already gone: nothing to do, no error
        proc.close_pipes()

    on_loop(kind, work)


def test_a_program_that_cannot_start_raises_at_once() -> None:
    async def work() -> None:
        with pytest.raises(FileNotFoundError):
            await spawn(["/nonexistent/duet-program"], env={})

    on_loop("uvloop", work)

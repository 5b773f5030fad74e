"""runner/spawn.py: a process started with vfork and driven from the event loop, on the
server's own loop (uvloop) as well as asyncio's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
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


def _open_pipes() -> set[int]:
    found = set()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}").startswith("pipe:"):
                found.add(int(name))
    return found


@pytest.mark.parametrize("kind", sorted(LOOPS))
def test_every_pipe_is_closed_once_the_process_is_done(kind: str) -> None:
    async def work() -> None:
        before = _open_pipes()
        for _ in range(3):
            proc = await spawn(["true"], env={"PATH": "/bin:/usr/bin"})
            await proc.wait()
            proc.close_pipes()
        await asyncio.sleep(0.05)
        # Whatever pipes the loop keeps for itself were there before: none of ours is left.
        assert _open_pipes() - before == set()

    on_loop(kind, work)


def test_closing_the_pipes_never_closes_a_file_another_thread_opened() -> None:
    # uvloop closes a pipe's fd itself and then its file object: were the file object to
    # own the fd too, its close could hit a file a thread opened in between.
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with open("/proc/self/status", "rb") as status:
                    if not status.read().startswith(b"Name:"):
                        failures.append(AssertionError("read another file's content"))
            except OSError as error:
                failures.append(error)

    async def work() -> None:
        for _ in range(300):
            proc = await spawn(["true"], env={"PATH": "/bin:/usr/bin"})
            await proc.wait()
            proc.close_pipes()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        on_loop("uvloop", work)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []

"""Starting a sandbox's process without forking the whole server.

The server runs on uvloop, whose subprocesses start with libuv's `fork()`: the child
copies the parent's page tables before it execs, so a spawn blocks the event loop for a
time that grows with the server's memory (measured here: 2.5 ms at a few MiB, 11 ms at
200 MiB, against 0.3-0.4 ms for Python's `subprocess`, which uses `vfork()`). A sandbox
is spawned per run and per test of a test run, on the event loop's thread.

So `spawn` starts the process with `subprocess.Popen` on pipes of its own and hands our
ends to the running loop as streams (see `_parent_end` for who closes them); its exit is
watched through a pidfd. `SpawnedProcess` offers what the
sandbox uses of `asyncio.subprocess.Process`: `pid`, `stdin`, `stdout`, `stderr`,
`returncode`, `wait()` and `kill()`. Unlike asyncio's, `wait()` waits for the exit only,
not for the pipes to close: readers of stdout and stderr read them to their end anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from typing import Protocol


class ChildProcess(Protocol):
    """What a sandbox's driver needs of its process (asyncio's Process has it too)."""

    pid: int
    stdin: asyncio.StreamWriter | None
    stdout: asyncio.StreamReader | None
    stderr: asyncio.StreamReader | None

    @property
    def returncode(self) -> int | None: ...

    async def wait(self) -> int: ...

    def kill(self) -> None: ...


class SpawnedProcess:
    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: asyncio.StreamWriter,
        stdout: asyncio.StreamReader,
        stderr: asyncio.StreamReader,
        transports: list[asyncio.BaseTransport],
    ) -> None:
        self._popen = popen
        self.pid = popen.pid
        self.stdin: asyncio.StreamWriter | None = stdin
        self.stdout: asyncio.StreamReader | None = stdout
        self.stderr: asyncio.StreamReader | None = stderr
        self._transports = transports
        self._loop = asyncio.get_running_loop()
        self._exited: asyncio.Future[int] = self._loop.create_future()
        self._pidfd = os.pidfd_open(self.pid)
        self._loop.add_reader(self._pidfd, self._reap)

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    def _reap(self) -> None:
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, 255 << 8  # reaped by someone else: exit status unknown
        if pid == 0:
            return  # readable before the exit is reapable: the next wake-up will do
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        code = os.waitstatus_to_exitcode(status)
        # Popen must not try to reap it again, nor warn that it still runs.
        self._popen.returncode = code
        if not self._exited.done():
            self._exited.set_result(code)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close_pipes(self) -> None:
        for transport in self._transports:
            transport.close()


def _parent_end(fd: int, mode: str) -> io.FileIO:
    """Our end of a pipe as the file object a pipe transport takes. asyncio's transport
    closes the file object, and so its fd. uvloop's closes the fd itself (libuv) and then
    the file object as well: by then the fd's number may belong to a file another thread
    just opened (a cgroup's), which that second close would take from it. So under uvloop
    the file object must not own the fd."""
    owns = isinstance(asyncio.get_running_loop(), asyncio.BaseEventLoop)
    return io.FileIO(fd, mode, closefd=owns)


async def spawn(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    pass_fds: Sequence[int] = (),
    start_new_session: bool = False,
) -> SpawnedProcess:
    """Start `args` with its stdin, stdout and stderr piped; OSError when it cannot."""
    loop = asyncio.get_running_loop()
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    try:
        # Blocking, on purpose: vfork() then exec() returns in a fraction of a millisecond.
        popen = subprocess.Popen(  # noqa: ASYNC220
            list(args), stdin=stdin_r, stdout=stdout_w, stderr=stderr_w, env=dict(env),
            pass_fds=tuple(pass_fds), start_new_session=start_new_session,
        )  # fmt: skip
    except BaseException:
        for fd in (stdin_w, stdout_r, stderr_r):
            os.close(fd)
        raise
    finally:
        for fd in (stdin_r, stdout_w, stderr_w):
            os.close(fd)
    transports: list[asyncio.BaseTransport] = []
    pending = [stdin_w, stdout_r, stderr_r]
    try:
        readers = []
        for fd in (stdout_r, stderr_r):
            reader = asyncio.StreamReader(loop=loop)
            transport, _ = await loop.connect_read_pipe(
                lambda reader=reader: asyncio.StreamReaderProtocol(reader, loop=loop),
                _parent_end(fd, "rb"),
            )
            pending.remove(fd)
            transports.append(transport)
            readers.append(reader)
        write_transport, write_protocol = await loop.connect_write_pipe(
            lambda: asyncio.streams.FlowControlMixin(loop=loop), _parent_end(stdin_w, "wb")
        )
        pending.remove(stdin_w)
        transports.append(write_transport)
        writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
        return SpawnedProcess(popen, writer, readers[0], readers[1], transports)
    except BaseException:
        for transport in transports:
            transport.close()
        for fd in pending:
            os.close(fd)
        popen.kill()
        popen.wait()
        raise

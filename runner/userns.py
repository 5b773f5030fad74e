"""A user namespace made by root, mapping root and the sandbox uid to themselves.

When the server runs as root, letting bwrap make its own user namespace would map the
sandbox's uid onto real uid 0: the program would own every root-owned file it can see.
Dropping to an unprivileged uid before starting bwrap avoids that but then bwrap cannot
reach toolchains in root-only directories (this machine's Python lives under /root).

So root builds the namespace itself: uid 0 -> 0 (lets bwrap, still root, set up the
mounts) and sandbox uid -> the same real uid. bwrap joins it with `--userns`, and the
supervisor switches to the sandbox uid before any program runs. A fresh namespace per run
keeps per-user kernel accounting (RLIMIT_NPROC, pending signals, message queues, keyrings)
separate between sessions.
"""

from __future__ import annotations

import asyncio
import os


async def create_user_namespace(uid: int, gid: int) -> int:
    """Return an O_RDONLY fd on a new user namespace; the caller must close it."""
    proc = await asyncio.create_subprocess_exec(
        "unshare",
        "--user",
        "--",
        "/bin/sh",
        "-c",
        # Announce that the namespace exists, then hold it until we close stdin.
        "echo ready; exec cat >/dev/null",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        line = await proc.stdout.readline()
        if line.strip() != b"ready":
            err = await proc.stderr.read()
            raise OSError(f"unshare --user failed: {err.decode(errors='replace').strip()}")
        for name, ident in (("uid_map", uid), ("gid_map", gid)):
            mapping = "0 0 1\n" if ident == 0 else f"0 0 1\n{ident} {ident} 1\n"
            # One write() call: the kernel accepts a map only once, whole.
            fd = os.open(f"/proc/{proc.pid}/{name}", os.O_WRONLY)
            try:
                os.write(fd, mapping.encode())
            finally:
                os.close(fd)
        return os.open(f"/proc/{proc.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        proc.stdin.close()
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), timeout=5)
            except TimeoutError:
                proc.kill()
                await proc.wait()


class UserNamespaces:
    """Fresh user namespaces made one step ahead: making one starts two processes (a few
    ms), so the next run's is made while this one runs. Each is still used by one run only.
    """

    def __init__(self, uid: int, gid: int, ahead: int = 1) -> None:
        self.uid, self.gid, self.ahead = uid, gid, ahead
        self._ready: list[int] = []
        self._filling: asyncio.Task[None] | None = None

    async def take(self) -> int:
        """An fd on a namespace nobody has used; the caller must close it."""
        fd = self._ready.pop() if self._ready else None
        if fd is None:
            fd = await create_user_namespace(self.uid, self.gid)
        self._refill_soon()
        return fd

    def _refill_soon(self) -> None:
        loop = asyncio.get_running_loop()
        filling = self._filling
        # A task of a loop that has since closed (tests run a loop per test) never finishes.
        if filling is None or filling.done() or filling.get_loop() is not loop:
            self._filling = loop.create_task(self._refill())

    async def _refill(self) -> None:
        while len(self._ready) < self.ahead:
            try:
                fd = await create_user_namespace(self.uid, self.gid)
            except OSError:
                return  # the next run makes its own, and reports the failure
            self._ready.append(fd)

    def close(self) -> None:
        while self._ready:
            os.close(self._ready.pop())

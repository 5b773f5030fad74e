"""Channels between two concurrent sessions, and kernel surface the filter closes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from runner.bubblewrap import BubblewrapSandbox
from runner.limits import RunLimits
from tests.runner.conftest import Captured, assert_still_works, run_code


@asynccontextmanager
async def holding(
    sandbox: BubblewrapSandbox, language: str, code: str
) -> AsyncIterator[asyncio.Task[Captured]]:
    """Run `code` in session A until it prints 'ready'; the body plays session B."""
    ready = asyncio.Event()

    async def on_chunk(_: str, data: bytes) -> None:
        if b"ready" in data:
            ready.set()

    cancel = asyncio.Event()
    task = asyncio.create_task(
        run_code(
            sandbox,
            language,
            code,
            cancel=cancel,
            on_chunk=on_chunk,
            limits=RunLimits(wall_time_s=30),
        )
    )
    await asyncio.wait(
        [task, asyncio.create_task(ready.wait())],
        timeout=30,
        return_when=asyncio.FIRST_COMPLETED,
    )
    assert ready.is_set(), task.result() if task.done() else "session A never got ready"
    try:
        yield task
    finally:
        cancel.set()
        await task


HOLD = "import time\nprint('ready', flush=True)\ntime.sleep(25)\n"


async def test_flock_on_a_shared_file_is_not_a_channel(sandbox: BubblewrapSandbox) -> None:
    a = (
        "import fcntl, struct\n"
        "f = open('/usr/bin/env', 'rb')\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "fcntl.lockf(f, fcntl.LOCK_SH)\n" + HOLD
    )
    b = (
        "import fcntl, struct\n"
        "f = open('/usr/bin/env', 'rb')\n"
        "try:\n"
        "    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "    print('flock free')\n"
        "except OSError as e:\n"
        "    print('flock busy', e.errno)\n"
        # F_GETLK asks who holds a conflicting lock: it would reveal A's read lock.
        "probe = struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0)\n"
        "l_type = struct.unpack('hhqqi', fcntl.fcntl(f, fcntl.F_GETLK, probe))[0]\n"
        "print('getlk', 'free' if l_type == fcntl.F_UNLCK else 'held')\n"
    )
    async with holding(sandbox, "python", a):
        cap = await run_code(sandbox, "python", b)
    assert cap.text.splitlines() == ["flock free", "getlk free"], cap


async def test_locks_inside_the_workspace_still_work(sandbox: BubblewrapSandbox) -> None:
    # Lock calls are no-ops, so programs using them (sqlite) keep working.
    code = (
        "import sqlite3, fcntl\n"
        "db = sqlite3.connect('x.db')\n"
        "db.execute('create table t (v)')\n"
        "db.execute('insert into t values (42)')\n"
        "db.commit()\n"
        "print(db.execute('select v from t').fetchone()[0])\n"
        "with open('x.db', 'rb') as f:\n"
        "    fcntl.flock(f, fcntl.LOCK_EX)\n"
        "    print('locked')\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert cap.stdout == b"42\nlocked\n", cap


async def test_keyrings_are_unavailable(sandbox: BubblewrapSandbox) -> None:
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING = -4, -3\n"
        "for name, args in [\n"
        "    ('add_key', (248, b'user', b'duet', b'secret', 6, KEY_SPEC_USER_KEYRING)),\n"
        "    ('request_key', (249, b'user', b'duet', None, 0)),\n"
        "    ('keyctl', (250, 0, KEY_SPEC_SESSION_KEYRING, 0)),\n"
        "]:\n"
        "    r = libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])\n"
        "    print(name, r, os.strerror(ctypes.get_errno()) if r < 0 else 'ok')\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert cap.text.splitlines() == [
        "add_key -1 Function not implemented",
        "request_key -1 Function not implemented",
        "keyctl -1 Function not implemented",
    ], cap


async def test_no_nested_namespaces_or_mounts(sandbox: BubblewrapSandbox) -> None:
    code = (
        "for cmd in 'unshare -U true' 'unshare -r true' 'unshare -n true'"
        " 'mount -t tmpfs none /tmp'; do\n"
        '  if $cmd 2>/dev/null; then echo "allowed: $cmd"; else echo refused; fi\n'
        "done\n"
    )
    cap = await run_code(sandbox, "bash", code)
    assert cap.text.splitlines() == ["refused"] * 4, cap


async def test_abstract_unix_sockets_are_per_session(sandbox: BubblewrapSandbox) -> None:
    name = f"duet-test-{uuid.uuid4().hex}"
    a = (
        "import socket\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"s.bind('\\0{name}')\n"
        "s.listen()\n" + HOLD
    )
    b = (
        "import socket\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "try:\n"
        f"    s.connect('\\0{name}')\n"
        "    print('connected')\n"
        "except OSError as e:\n"
        "    print('failed', e.errno)\n"
    )
    async with holding(sandbox, "python", a):
        cap = await run_code(sandbox, "python", b)
    assert cap.text.strip() == "failed 111", cap


async def test_sysv_ipc_is_per_session(sandbox: BubblewrapSandbox) -> None:
    a = "ipcmk -M 4096 >/dev/null && ipcmk -Q >/dev/null && echo ready && sleep 25"
    b = "ipcs -m -q | grep -c '^0x' || true"
    async with holding(sandbox, "bash", a):
        cap = await run_code(sandbox, "bash", b)
    assert cap.text.strip() == "0", cap


async def test_concurrent_sessions_do_not_share_tmp(sandbox: BubblewrapSandbox) -> None:
    token = uuid.uuid4().hex
    a = (
        "import os\n"
        "for d in ('/tmp', '/dev/shm', '/var/tmp'):\n"
        f"    open(d + '/shared', 'w').write({token!r})\n" + HOLD
    )
    b = "import os\nprint([d for d in ('/tmp', '/dev/shm', '/var/tmp') if os.listdir(d)])\n"
    async with holding(sandbox, "python", a):
        cap = await run_code(sandbox, "python", b)
    assert cap.text.strip() == "[]", cap
    await assert_still_works(sandbox)

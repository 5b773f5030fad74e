"""The availability check and the development-only unsafe backend."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runner import seccomp
from runner.backends import check_bubblewrap, create_local_sandbox
from runner.bubblewrap import BubblewrapSandbox
from runner.limits import RunLimits
from runner.unsafe_subprocess import UnsafeSubprocessSandbox
from tests.runner.conftest import run_code


async def test_bubblewrap_is_usable_here() -> None:
    status = await check_bubblewrap(protected_paths=[".duet"])
    assert status.usable, status.reason
    assert status.reason is None


async def test_check_reports_missing_bubblewrap() -> None:
    status = await BubblewrapSandbox(bwrap="/nonexistent/bwrap").check()
    assert not status.usable
    assert "not installed" in (status.reason or "")


async def test_check_refuses_a_data_dir_inside_a_bound_directory() -> None:
    status = await check_bubblewrap(protected_paths=["/usr/share/duet-data"])
    assert not status.usable
    assert "/usr/share/duet-data" in (status.reason or "")


async def test_check_reports_a_sandbox_that_fails_to_start() -> None:
    status = await BubblewrapSandbox(
        supervisor_python="/bin/false", native_supervisor=False
    ).check()
    assert not status.usable
    assert status.reason


def test_seccomp_filter_is_well_formed() -> None:
    prog = seccomp.build_filter()
    assert prog is not None  # this machine is x86_64
    assert len(prog) % 8 == 0
    # The kernel's limit is 4096 instructions; stay far below.
    assert 10 < len(prog) // 8 < 200


def test_factory() -> None:
    assert isinstance(create_local_sandbox("bubblewrap"), BubblewrapSandbox)
    assert isinstance(create_local_sandbox("unsafe-subprocess"), UnsafeSubprocessSandbox)
    with pytest.raises(ValueError):
        create_local_sandbox("docker")  # type: ignore[arg-type]


@pytest.fixture
def unsafe() -> UnsafeSubprocessSandbox:
    return UnsafeSubprocessSandbox()


async def test_unsafe_runs_code_with_stdin(unsafe: UnsafeSubprocessSandbox) -> None:
    cap = await run_code(unsafe, "python", "print('hi', input())", "there\n")
    assert cap.result.exit_code == 0
    assert cap.stdout == b"hi there\n"
    assert (await unsafe.check()).usable


async def test_unsafe_compiles(unsafe: UnsafeSubprocessSandbox) -> None:
    cap = await run_code(unsafe, "c", '#include <stdio.h>\nint main(void){puts("c ok");}')
    assert cap.stdout == b"c ok\n", cap
    bad = await run_code(unsafe, "c", "int main(void){ return nope; }")
    assert bad.result.stage == "compile" and bad.result.exit_code != 0


async def test_unsafe_enforces_wall_time_and_output(unsafe: UnsafeSubprocessSandbox) -> None:
    slow = await run_code(unsafe, "bash", "sleep 30", limits=RunLimits(wall_time_s=0.5))
    assert slow.result.timed_out and slow.result.signal == "SIGKILL"
    loud = await run_code(
        unsafe, "python", "while True: print('x' * 99)", limits=RunLimits(output_bytes=5000)
    )
    assert loud.result.output_truncated
    assert len(loud.stdout) == 5000


async def test_unsafe_cancel(unsafe: UnsafeSubprocessSandbox) -> None:
    cancel = asyncio.Event()

    async def on_chunk(_: str, __: bytes) -> None:
        cancel.set()

    cap = await run_code(
        unsafe,
        "python",
        "import time\nprint('go', flush=True)\ntime.sleep(30)",
        cancel=cancel,
        on_chunk=on_chunk,
        limits=RunLimits(wall_time_s=60),
    )
    assert cap.result.cancelled and not cap.result.timed_out


async def test_unsafe_memory_limit(unsafe: UnsafeSubprocessSandbox) -> None:
    cap = await run_code(unsafe, "python", "x = b'x' * (1 << 30)")
    assert cap.result.exit_code != 0
    assert b"MemoryError" in cap.stderr


async def test_check_says_why_bwrap_itself_failed() -> None:
    # bwrap exits before the supervisor reads its spec: its own message is the reason.
    sandbox = BubblewrapSandbox(standby=0)
    sandbox.native_supervisor = Path("/nonexistent/duet-supervisor")
    status = await sandbox.check()
    assert not status.usable
    assert "Can't find source path /nonexistent/duet-supervisor" in (status.reason or ""), status

"""Output streams as it is produced, arbitrary bytes survive, cancel stops the run."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from runner.bubblewrap import BubblewrapSandbox
from runner.limits import RunLimits
from tests.runner.conftest import assert_still_works, run_code
from tests.runner.hostprocs import wait_until_gone, wait_until_present

# Prints, pauses, prints again. If output were collected until the end, both lines would
# arrive together in one chunk.
STREAMING = {
    "python": "import time\nprint('first')\ntime.sleep(0.3)\nprint('second')",
    "javascript": "console.log('first'); setTimeout(() => console.log('second'), 300);",
    "c": (
        '#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("first\\n");'
        ' usleep(300000); printf("second\\n"); return 0;}'
    ),
    "bash": "echo first; sleep 0.3; echo second",
}


@pytest.mark.parametrize("language", sorted(STREAMING))
async def test_output_streams_before_the_program_ends(
    sandbox: BubblewrapSandbox, language: str
) -> None:
    cap = await run_code(sandbox, language, STREAMING[language])
    assert cap.result.exit_code == 0, cap
    assert cap.stdout == b"first\nsecond\n"
    # "first" was delivered in chunks of its own, while the program was still running
    # (it had yet to print "second").
    chunks = [data for name, data in cap.chunks if name == "stdout"]
    second_at = next(i for i, data in enumerate(chunks) if b"c" in data)  # "c" of "second"
    assert b"".join(chunks[:second_at]) == b"first\n", chunks


async def test_cancel_stops_the_run_promptly(sandbox: BubblewrapSandbox) -> None:
    cancel = asyncio.Event()

    async def on_chunk(_: str, data: bytes) -> None:
        if b"started" in data:
            cancel.set()

    code = "import time\nprint('started')\nwhile True:\n    time.sleep(1)"
    # A generous wall limit, so only the cancel can end this run.
    limits = RunLimits(wall_time_s=60)
    cap = await asyncio.wait_for(
        run_code(sandbox, "python", code, cancel=cancel, limits=limits, on_chunk=on_chunk),
        timeout=30,
    )
    assert cap.result.cancelled
    assert not cap.result.timed_out
    assert cap.result.signal == "SIGKILL"
    assert cap.result.exit_code is None
    await assert_still_works(sandbox)


async def test_cancel_set_before_start(sandbox: BubblewrapSandbox) -> None:
    cancel = asyncio.Event()
    cancel.set()
    cap = await run_code(
        sandbox,
        "python",
        "import time; time.sleep(30)",
        cancel=cancel,
        limits=RunLimits(wall_time_s=60),
    )
    assert cap.result.cancelled


async def test_caller_task_cancellation_kills_the_run(sandbox: BubblewrapSandbox) -> None:
    started = asyncio.Event()
    marker = f"{uuid.uuid4().int % 10**6}.4242"

    async def on_chunk(_: str, data: bytes) -> None:
        started.set()

    code = (
        "import subprocess\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        "print('up', flush=True)\n"
        "subprocess.run(['sleep', '60'])\n"
    )
    task = asyncio.create_task(
        run_code(sandbox, "python", code, limits=RunLimits(wall_time_s=60), on_chunk=on_chunk)
    )
    await asyncio.wait_for(started.wait(), timeout=30)
    assert await wait_until_present(marker), "the marker process should be running"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=30)
    assert await wait_until_gone(marker) == []
    await assert_still_works(sandbox)


async def test_invalid_utf8_and_nul_bytes_are_delivered_as_bytes(
    sandbox: BubblewrapSandbox,
) -> None:
    payload = b"\xff\xfe\x00abc\x00\xc3\x28\x80\n"
    code = (
        f"import sys\nsys.stdout.buffer.write({payload!r})\nsys.stderr.buffer.write({payload!r})\n"
    )
    cap = await run_code(sandbox, "python", code)
    assert cap.result.exit_code == 0
    assert cap.stdout == payload
    assert cap.stderr == payload


async def test_binary_stdin_round_trips(sandbox: BubblewrapSandbox) -> None:
    data = bytes(range(256)) * 64
    code = "import sys\nsys.stdout.buffer.write(sys.stdin.buffer.read())"
    cap = await run_code(sandbox, "python", code, data)
    assert cap.result.exit_code == 0
    assert cap.stdout == data


async def test_large_stdin_that_is_not_read(sandbox: BubblewrapSandbox) -> None:
    # More than a pipe buffer of input the program never reads must not hang the run.
    cap = await run_code(sandbox, "python", "print('ignored stdin')", b"x" * (4 << 20))
    assert cap.result.exit_code == 0
    assert cap.stdout == b"ignored stdin\n"


async def test_stdin_that_is_never_sent_reads_eof(sandbox: BubblewrapSandbox) -> None:
    code = "import sys\ndata = sys.stdin.read()\nprint('eof', len(data))"
    cap = await run_code(sandbox, "python", code, None, limits=RunLimits(wall_time_s=30))
    assert cap.result.exit_code == 0
    assert not cap.result.timed_out
    assert cap.stdout == b"eof 0\n"


async def test_sixteen_runs_at_once(sandbox: BubblewrapSandbox) -> None:
    code = "import sys, time\nn = int(input())\ntime.sleep(0.2)\nprint(n * n)"
    caps = await asyncio.gather(*(run_code(sandbox, "python", code, f"{i}\n") for i in range(16)))
    for i, cap in enumerate(caps):
        assert cap.result.exit_code == 0, cap
        assert cap.stdout == f"{i * i}\n".encode()

"""Hostile programs against the resource limits; after each, the next run still works."""

from __future__ import annotations

import uuid

from runner.bubblewrap import BubblewrapSandbox
from runner.limits import MiB, RunLimits
from tests.runner.conftest import assert_still_works, run_code
from tests.runner.hostprocs import wait_until_gone


async def test_fork_bomb_is_contained(sandbox: BubblewrapSandbox) -> None:
    code = (
        "import os, sys\n"
        "print('start', flush=True)\n"
        "failures = 0\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        failures += 1\n"
        "        if failures == 1 and os.getpid() > 0:\n"
        "            sys.stderr.write('fork refused\\n')\n"
    )
    cap = await run_code(sandbox, "python", code, limits=RunLimits(wall_time_s=3))
    assert cap.result.timed_out
    assert cap.result.signal == "SIGKILL"
    assert b"fork refused" in cap.stderr
    await assert_still_works(sandbox)


async def test_process_count_is_limited(sandbox: BubblewrapSandbox) -> None:
    code = (
        "import os, time\n"
        "n = 0\n"
        "try:\n"
        "    for _ in range(500):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30)\n"
        "            os._exit(0)\n"
        "        n += 1\n"
        "except OSError:\n"
        "    pass\n"
        "print(n)\n"
    )
    cap = await run_code(sandbox, "python", code, limits=RunLimits(processes=20))
    assert cap.result.exit_code == 0, cap
    assert 0 < int(cap.stdout) < 20


async def test_infinite_loop_hits_the_cpu_limit(sandbox: BubblewrapSandbox) -> None:
    limits = RunLimits(cpu_time_s=1, wall_time_s=30)
    cap = await run_code(sandbox, "python", "while True:\n    pass", limits=limits)
    assert not cap.result.timed_out
    assert cap.result.signal in ("SIGXCPU", "SIGKILL"), cap
    await assert_still_works(sandbox)


async def test_sleep_forever_hits_the_wall_clock(sandbox: BubblewrapSandbox) -> None:
    cap = await run_code(sandbox, "bash", "sleep infinity", limits=RunLimits(wall_time_s=1))
    assert cap.result.timed_out
    assert cap.result.signal == "SIGKILL"
    assert cap.result.exit_code is None
    await assert_still_works(sandbox)


async def test_allocating_4_gib_is_stopped(sandbox: BubblewrapSandbox) -> None:
    # Touches every byte, so overcommit cannot hide the allocation.
    code = "data = b'x' * (4 << 30)\nprint(len(data))"
    cap = await run_code(sandbox, "python", code)
    assert cap.result.exit_code != 0
    assert b"4294967296" not in cap.stdout
    assert cap.result.memory_exceeded or b"MemoryError" in cap.stderr, cap
    await assert_still_works(sandbox)


async def test_memory_limit_holds_for_c(sandbox: BubblewrapSandbox) -> None:
    code = (
        "#include <stdlib.h>\n#include <string.h>\n#include <stdio.h>\n"
        "int main(void){ size_t total = 0; for (;;) { char *p = malloc(16 << 20);"
        ' if (!p) { printf("malloc failed at %zu\\n", total); return 1; }'
        " memset(p, 1, 16 << 20); total += 16 << 20; } }"
    )
    cap = await run_code(sandbox, "c", code, limits=RunLimits(memory_bytes=128 * MiB))
    assert cap.result.exit_code != 0
    assert cap.result.memory_exceeded or b"malloc failed" in cap.stdout, cap
    await assert_still_works(sandbox)


async def test_memory_under_the_limit_is_fine(sandbox: BubblewrapSandbox) -> None:
    cap = await run_code(sandbox, "python", "data = b'x' * (100 << 20)\nprint(len(data))")
    assert cap.result.exit_code == 0, cap
    assert not cap.result.memory_exceeded


async def test_print_forever_is_truncated_and_stopped(sandbox: BubblewrapSandbox) -> None:
    limits = RunLimits(output_bytes=64 * 1024, wall_time_s=30)
    cap = await run_code(sandbox, "python", "while True:\n    print('spam' * 20)", limits=limits)
    assert cap.result.output_truncated
    assert not cap.result.timed_out
    assert cap.result.signal == "SIGKILL"
    assert len(cap.stdout) + len(cap.stderr) == 64 * 1024
    await assert_still_works(sandbox)


async def test_a_100_mb_line_is_truncated(sandbox: BubblewrapSandbox) -> None:
    cap = await run_code(
        sandbox, "python", "print('y' * 100_000_000)", limits=RunLimits(wall_time_s=30)
    )
    assert cap.result.output_truncated
    assert len(cap.stdout) == RunLimits().output_bytes
    assert set(cap.stdout) == {ord("y")}
    await assert_still_works(sandbox)


async def test_output_at_the_limit_is_not_truncated(sandbox: BubblewrapSandbox) -> None:
    limits = RunLimits(output_bytes=1000)
    code = "import sys\nsys.stdout.write('z' * 1000)"
    cap = await run_code(sandbox, "python", code, limits=limits)
    assert cap.result.exit_code == 0
    assert not cap.result.output_truncated
    assert cap.stdout == b"z" * 1000


async def test_file_size_limit(sandbox: BubblewrapSandbox) -> None:
    code = (
        "try:\n"
        "    with open('big', 'wb') as f:\n"
        "        for _ in range(20):\n"
        "            f.write(b'x' * (1 << 20))\n"
        "except OSError as e:\n"
        "    print('refused', e.errno)\n"
        "import os; print(os.path.getsize('big'))"
    )
    cap = await run_code(sandbox, "python", code)
    # Python ignores SIGXFSZ, so the write fails with EFBIG at exactly the limit.
    assert cap.stdout.split() == [b"refused", b"27", str(10 * MiB).encode()], cap


async def test_writing_until_the_disk_is_full(sandbox: BubblewrapSandbox) -> None:
    code = (
        "import os\n"
        "total = 0\n"
        "for d in ('.', '/tmp', '/var/tmp', '/dev/shm'):\n"
        "    for i in range(1000):\n"
        "        try:\n"
        "            with open(f'{d}/fill{i}', 'wb') as f:\n"
        "                for _ in range(8):\n"
        "                    f.write(b'x' * (1 << 20))\n"
        "                    total += 1 << 20\n"
        "        except OSError as e:\n"
        "            print(d, 'full', e.errno)\n"
        "            break\n"
        "print('total', total)\n"
    )
    limits = RunLimits(workspace_bytes=32 * MiB, memory_bytes=512 * MiB)
    cap = await run_code(sandbox, "python", code, limits=limits)
    lines = cap.text.splitlines()
    assert [line.split()[1:] for line in lines[:4]] == [["full", "28"]] * 4, cap
    total = int(lines[-1].split()[1])
    assert total <= 4 * 32 * MiB
    await assert_still_works(sandbox)


async def test_closing_stdout_and_running_on(sandbox: BubblewrapSandbox) -> None:
    code = "import os, time\nprint('bye', flush=True)\nos.close(1)\nos.close(2)\ntime.sleep(60)"
    cap = await run_code(sandbox, "python", code, limits=RunLimits(wall_time_s=1))
    assert cap.stdout == b"bye\n"
    assert cap.result.timed_out
    assert cap.result.signal == "SIGKILL"
    await assert_still_works(sandbox)


async def test_background_processes_die_with_the_run(sandbox: BubblewrapSandbox) -> None:
    marker = f"{uuid.uuid4().int % 10**6}.7777"
    code = (
        f"nohup sleep {marker} >/dev/null 2>&1 &\n"
        f"setsid sleep {marker} >/dev/null 2>&1 < /dev/null &\n"
        # Double fork: the grandchild is orphaned at once.
        f"( ( sleep {marker} & ) & )\n"
        f"python3 -c 'import os, subprocess; os.fork() or os.setsid();"
        f' subprocess.Popen(["sleep", "{marker}"], start_new_session=True)\'\n'
        "sleep 0.2\n"
        f"echo running $(pgrep -f -c 'sleep {marker}' || ps -e | grep -c sleep)\n"
    )
    cap = await run_code(sandbox, "bash", code)
    assert cap.result.exit_code == 0, cap
    # They really were running when the program ended...
    assert int(cap.stdout.split()[-1]) >= 4, cap
    # ...and none survives it.
    assert await wait_until_gone(marker) == []
    await assert_still_works(sandbox)

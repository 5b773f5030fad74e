"""Sandboxes started ahead of their run (runner/standby.py): a run takes one when it is
ready and builds its own when not; either way the sandbox is fresh, serves one run, and
is gone afterwards."""

from __future__ import annotations

import asyncio
import os

from runner.bubblewrap import BubblewrapSandbox
from runner.languages import get_language
from runner.limits import RunLimits
from runner.standby import Standby
from tests.runner.conftest import assert_still_works, run_code

PYTHON = get_language("python")
KEY = ("python", PYTHON.limits)


def _waiting_boxes(sandbox: BubblewrapSandbox) -> list:
    return list(sandbox._standby._ready.get(KEY, []))


async def test_the_next_run_takes_the_sandbox_started_after_the_last(sandbox) -> None:
    assert (await run_code(sandbox, "python", "print(1)")).text == "1\n"
    await sandbox.warm(PYTHON)
    assert sandbox._standby.count(KEY) == 1
    # Ready means built: its supervisor is PID 1 of its own namespace, waiting.
    [box] = _waiting_boxes(sandbox)
    assert box.started and box.waiting
    hits = sandbox._standby.hits
    captured = await run_code(sandbox, "python", "print(input() * 2)", "ab\n")
    assert captured.text == "abab\n" and captured.result.exit_code == 0
    assert sandbox._standby.hits == hits + 1


async def test_a_sandbox_started_ahead_holds_nothing_of_the_run_before(sandbox) -> None:
    leave = (
        "import os, subprocess\n"
        "for d in ('/tmp', '/var/tmp', '/dev/shm', '.'):\n"
        "    open(os.path.join(d, 'left-behind'), 'w').write('secret')\n"
        "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "print('left')\n"
    )
    assert (await run_code(sandbox, "python", leave)).text == "left\n"
    await sandbox.warm(PYTHON)
    hits = sandbox._standby.hits
    look = (
        "import os\n"
        "found = [d for d in ('/tmp', '/var/tmp', '/dev/shm', '.')\n"
        "         if os.path.exists(os.path.join(d, 'left-behind'))]\n"
        "procs = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "print(found, sorted(os.listdir('.')), len(procs))\n"
    )
    captured = await run_code(sandbox, "python", look)
    assert sandbox._standby.hits == hits + 1
    # Only the program's own file; only PID 1 (the supervisor) and the program itself.
    assert captured.text == "[] ['main.py'] 2\n", captured


async def test_the_wall_clock_starts_with_the_run_not_the_sandbox(sandbox) -> None:
    limits = RunLimits(wall_time_s=1.0)
    await sandbox.warm(PYTHON, limits)
    await asyncio.sleep(1.5)
    captured = await run_code(sandbox, "python", "print('in time')", limits=limits)
    assert captured.text == "in time\n"
    assert not captured.result.timed_out and captured.result.duration_ms < 1000


async def test_a_sandbox_that_died_while_waiting_is_replaced(sandbox) -> None:
    await sandbox.warm(PYTHON)
    [box] = _waiting_boxes(sandbox)
    box.proc.kill()
    for _ in range(500):  # its exit, not its pipes' closing (proc.wait() waits for both)
        if box.proc.returncode is not None:
            break
        await asyncio.sleep(0.01)
    assert box.proc.returncode is not None
    misses = sandbox._standby.misses
    captured = await run_code(sandbox, "python", "print('fresh')")
    assert captured.text == "fresh\n" and captured.result.exit_code == 0
    assert sandbox._standby.misses == misses + 1


async def test_close_ends_the_waiting_sandboxes_and_their_cgroups() -> None:
    sandbox = BubblewrapSandbox()
    await sandbox.warm(PYTHON)
    [box] = _waiting_boxes(sandbox)
    cgroup = box.cgroup
    await sandbox.close()
    assert box.proc.returncode is not None
    if cgroup is not None:
        assert not cgroup.memory.exists() and not cgroup.pids.exists()
    # Closed: runs still work, building their own sandbox, and nothing is kept after.
    await assert_still_works(sandbox)
    assert sandbox._standby.count(KEY) == 0


async def test_standby_zero_builds_every_sandbox_for_its_run() -> None:
    sandbox = BubblewrapSandbox(standby=0)
    try:
        for _ in range(2):
            await assert_still_works(sandbox)
            await sandbox.warm(PYTHON)
            assert sandbox._standby.count(KEY) == 0
        assert sandbox._standby.hits == 0
    finally:
        await sandbox.close()


async def test_cancelling_a_run_at_any_moment_of_its_start_leaves_nothing() -> None:
    # Cancelling asyncio's process creation midway used to wait forever for a sandbox
    # that only exits once its control pipe closes; step through the whole start.
    sandbox = BubblewrapSandbox(standby=0)
    before = _sandbox_processes()
    for step in range(48):
        task = asyncio.create_task(run_code(sandbox, "bash", "sleep 600"))
        await asyncio.sleep(step * 0.00025)
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=10)
    # A start cancelled midway is ended in the background; close() waits for those.
    await asyncio.wait_for(sandbox.close(), timeout=30)
    for _ in range(100):  # the last ones are reaped asynchronously
        if not _sandbox_processes() - before:
            break
        await asyncio.sleep(0.02)
    assert _sandbox_processes() - before == set()


def _sandbox_processes() -> set[int]:
    """Running bwrap processes that are this test process's descendants."""
    me = os.getpid()
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if comm == "bwrap" and int(fields[1]) == me:
            found.add(int(pid))
    return found


# -- the bookkeeping alone -------------------------------------------------------------


class _Items:
    def __init__(self) -> None:
        self.made: list[str] = []
        self.discarded: list[str] = []

    async def make(self, key: str) -> str:
        item = f"{key}{len(self.made)}"
        self.made.append(item)
        return item

    async def discard(self, item: str) -> None:
        self.discarded.append(item)


async def test_standby_keeps_depth_items_for_the_most_recent_keys() -> None:
    items = _Items()
    standby: Standby[str, str] = Standby(
        items.make, items.discard, lambda item: True, depth=2, keys=2
    )
    assert standby.take("a") is None and standby.misses == 1
    for key in ("a", "b"):
        standby.replenish(key)
        await standby.ready(key)
    assert items.made == ["a0", "a1", "b2", "b3"]
    assert standby.take("a") == "a0" and standby.hits == 1
    # A third key evicts the least recently used one ("b": "a" was just taken).
    standby.replenish("c")
    await standby.ready("c")
    await asyncio.sleep(0)
    assert sorted(items.discarded) == ["b2", "b3"]
    assert standby.count("a") == 1 and standby.count("b") == 0 and standby.count("c") == 2
    await standby.close()
    assert sorted(items.discarded) == ["a1", "b2", "b3", "c4", "c5"]
    standby.replenish("a")
    assert standby.count("a") == 0 and len(items.made) == 6


async def test_unusable_items_are_discarded_not_handed_out() -> None:
    items = _Items()
    dead: set[str] = set()
    standby: Standby[str, str] = Standby(
        items.make, items.discard, lambda item: item not in dead, depth=1
    )
    standby.replenish("a")
    await standby.ready("a")
    dead.add("a0")
    assert standby.take("a") is None
    await asyncio.sleep(0)
    assert items.discarded == ["a0"]


async def test_a_failing_build_leaves_the_key_empty_and_is_retried_later() -> None:
    attempts: list[str] = []

    async def make(key: str) -> str:
        attempts.append(key)
        if len(attempts) == 1:
            raise OSError("bwrap: cannot start")
        return key

    async def discard(item: str) -> None:
        pass

    standby: Standby[str, str] = Standby(make, discard, lambda item: True)
    standby.replenish("a")
    await standby.ready("a")
    assert standby.count("a") == 0 and standby.take("a") is None
    standby.replenish("a")
    await standby.ready("a")
    assert standby.take("a") == "a"


async def test_a_hint_never_displaces_what_runs_used() -> None:
    items = _Items()
    standby: Standby[str, str] = Standby(items.make, items.discard, lambda item: True, keys=2)
    for key in ("a", "b"):
        standby.replenish(key)
        await standby.ready(key)
    # A flood of hints (language switches, room entries) for new keys builds nothing ...
    for key in ("c", "d", "e", "c", "d", "e"):
        standby.replenish(key, hint=True)
        await standby.ready(key)
    assert items.made == ["a0", "b1"] and items.discarded == []
    # ... while a hint for a kept key, or a run's replenish, still does.
    assert standby.take("a") == "a0"
    standby.replenish("a", hint=True)
    await standby.ready("a")
    standby.replenish("c")
    await standby.ready("c")
    await asyncio.sleep(0)
    assert items.made == ["a0", "b1", "a2", "c3"] and items.discarded == ["b1"]


async def test_sandboxes_are_built_one_at_a_time() -> None:
    building = 0
    most = 0

    async def make(key: str) -> str:
        nonlocal building, most
        building += 1
        most = max(most, building)
        await asyncio.sleep(0.01)
        building -= 1
        return key

    async def discard(item: str) -> None:
        pass

    standby: Standby[str, str] = Standby(make, discard, lambda item: True, keys=4)
    for key in "abcd":
        standby.replenish(key)
    for key in "abcd":
        await standby.ready(key)
    assert [standby.count(key) for key in "abcd"] == [1, 1, 1, 1] and most == 1


async def test_expecting_a_batch_keeps_that_many_ready_then_falls_back() -> None:
    items = _Items()
    standby: Standby[str, str] = Standby(items.make, items.discard, lambda item: True, depth=1)
    with standby.expecting("a", 3):
        await standby.ready("a")
        assert standby.count("a") == 3
        # Each run of the batch takes one and the standby builds the next back up to 3.
        assert standby.take("a") == "a0"
        standby.replenish("a")
        await standby.ready("a")
        assert standby.count("a") == 3
    # After the batch, runs are back to the configured depth: nothing more is built.
    for _ in range(3):
        assert standby.take("a") is not None
        standby.replenish("a")
        await standby.ready("a")
    assert standby.count("a") == 1 and len(items.made) == 5


async def test_expecting_builds_nothing_when_the_standby_is_off() -> None:
    items = _Items()
    standby: Standby[str, str] = Standby(items.make, items.discard, lambda item: True, depth=0)
    with standby.expecting("a", 4):
        standby.replenish("a")
        await standby.ready("a")
    assert items.made == [] and standby.take("a") is None


async def test_runs_differing_only_in_wall_clock_share_the_sandboxes_started_ahead(
    sandbox,
) -> None:
    # A question's tests each have their own timeoutMs: they still find sandboxes ready.
    await sandbox.warm(PYTHON, RunLimits(wall_time_s=3.0))
    hits = sandbox._standby.hits
    captured = await run_code(sandbox, "python", "print('t')", limits=RunLimits(wall_time_s=2.0))
    assert captured.text == "t\n" and sandbox._standby.hits == hits + 1
    # A different memory limit is a different sandbox (its cgroup): no hit.
    await sandbox.warm(PYTHON, RunLimits(wall_time_s=3.0))
    hits = sandbox._standby.hits
    await run_code(sandbox, "python", "print('m')", limits=RunLimits(memory_bytes=200 << 20))
    assert sandbox._standby.hits == hits

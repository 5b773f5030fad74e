"""The C launcher (runner/launcher.c) and the shell + `unshare` it replaces where no
compiler is available put a sandbox in the same place: its own cgroups, and (as root) a
user namespace where the sandbox uid maps to itself and only root maps to root."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator

import pytest

from runner.bubblewrap import BubblewrapSandbox
from runner.limits import MiB, RunLimits
from runner.native import LAUNCHER
from tests.runner.conftest import run_code

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the user namespace is made for root")


@pytest.fixture(params=["launcher", "shell"])
async def either(request: pytest.FixtureRequest) -> AsyncIterator[BubblewrapSandbox]:
    sandbox = BubblewrapSandbox(native_launcher=request.param == "launcher")
    assert (sandbox.launcher is not None) == (request.param == "launcher")
    yield sandbox
    await sandbox.close()


@as_root
async def test_the_sandbox_uid_maps_to_itself_and_only_root_to_root(either) -> None:
    captured = await run_code(either, "bash", "cat /proc/self/uid_map /proc/self/gid_map; id")
    lines = [" ".join(line.split()) for line in captured.text.splitlines()]
    assert lines[:4] == ["0 0 1", "65534 65534 1", "0 0 1", "65534 65534 1"], lines
    assert lines[4].startswith("uid=65534(sandbox) gid=65534(sandbox)")


async def test_the_run_is_held_by_its_memory_cgroup(either) -> None:
    if either._cgroups is None:
        pytest.skip("no per-run cgroups here")
    grow = "b = []\nwhile True:\n    b.append(bytearray(8 * 1024 * 1024))\n"
    captured = await run_code(either, "python", grow, limits=RunLimits(memory_bytes=64 * MiB))
    assert captured.result.memory_exceeded and captured.result.signal == "SIGKILL"


def _launch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LAUNCHER), *args], capture_output=True, text=True, timeout=10)


def test_the_launcher_refuses_bad_arguments() -> None:
    for args in ([], ["--", ], ["--cgroup"], ["--userns", "1", "--", "true"],
                 ["--userns", "-1", "0", "--", "true"], ["--bogus", "--", "true"],
                 ["--", "echo", "@USERNS_FD@"]):  # fmt: skip
        done = _launch(*args)
        assert done.returncode == 2 and "bad arguments" in done.stderr, (args, done)


def test_a_cgroup_it_cannot_join_stops_it_with_the_reason(tmp_path) -> None:
    missing = tmp_path / "gone" / "cgroup.procs"
    done = _launch("--cgroup", str(missing), "--", "echo", "started")
    assert done.returncode == 125 and done.stdout == ""
    assert f"duet launcher: {missing}: No such file or directory" in done.stderr


def test_it_joins_the_cgroup_then_becomes_the_program(tmp_path) -> None:
    procs = tmp_path / "cgroup.procs"
    procs.write_text("")
    done = _launch("--cgroup", str(procs), "--", "sh", "-c", "echo $$")
    assert done.returncode == 0
    # The pid it wrote is the program's own: it exec'd rather than forked.
    assert procs.read_text().strip() == done.stdout.strip()


@as_root
def test_it_passes_a_new_user_namespace_as_an_fd() -> None:
    done = _launch(
        "--userns", "65534", "65534", "--",
        "sh", "-c", 'readlink /proc/self/fd/"$1"; cat /proc/self/uid_map', "sh", "@USERNS_FD@",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    namespace = done.stdout.splitlines()[0]
    assert namespace.startswith("user:[") and namespace != os.readlink("/proc/self/ns/user")

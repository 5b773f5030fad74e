"""The C supervisor (runner/supervisor.c, the default) and the Python one it replaces where
no compiler is available report the same things: exit codes, signals, a failed compile
stopping the run, compile output as stderr, the sandbox user, and the rlimits."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import runner
from runner.bubblewrap import BubblewrapSandbox
from runner.limits import RunLimits
from runner.native import SUPERVISOR
from runner.supervisor_spec import SupervisorSpec
from tests.runner.conftest import run_code


@pytest.fixture(params=["native", "python"])
async def either(request: pytest.FixtureRequest) -> AsyncIterator[BubblewrapSandbox]:
    sandbox = BubblewrapSandbox(native_supervisor=request.param == "native")
    assert (sandbox.native_supervisor is not None) == (request.param == "native")
    yield sandbox
    await sandbox.close()


def test_the_native_supervisor_is_built_and_used_by_default() -> None:
    sandbox = BubblewrapSandbox()
    assert sandbox.native_supervisor == SUPERVISOR and os.access(SUPERVISOR, os.X_OK)


def test_the_spec_is_counted_fields_then_raw_files() -> None:
    spec = SupervisorSpec(
        steps=[("compile", ["gcc", "-o", "main", "main.c"]), ("run", ["./main"])],
        rlimits={"RLIMIT_CPU": [5, 6], "RLIMIT_AS": [-1, -1]},
        drop_to=(65534, 65534),
        own=["/workspace"],
        files={"main.c": b"int main(void) { return 0; }\n", "data.bin": b"\0\xff"},
    )
    fields = [
        "65534", "65534", "1", "/workspace",
        "2", "RLIMIT_CPU", "5", "6", "RLIMIT_AS", "-1", "-1",
        "2", "compile", "4", "gcc", "-o", "main", "main.c", "run", "1", "./main", "2",
    ]  # fmt: skip
    head = b"".join(f.encode() + b"\0" for f in fields)
    files = b"main.c\x0029\x00int main(void) { return 0; }\ndata.bin\x002\x00\x00\xff"
    assert spec.encode() == head + files
    unprivileged = SupervisorSpec(steps=[("run", ["true"])], rlimits={}).encode()
    assert unprivileged.split(b"\0") == [
        b"-",
        b"-",
        b"0",
        b"0",
        b"1",
        b"run",
        b"1",
        b"true",
        b"0",
        b"",
    ]


async def test_files_come_through_byte_for_byte(either) -> None:
    data = bytes(range(256)) * 300  # past one pipe buffer, with NULs and invalid UTF-8
    result = await either.run_steps(
        [("run", ["/bin/sh", "-c", "cat blob; ls -ln"])], None, {"blob": data},
        _collect := _Collector(), None, RunLimits(),
    )  # fmt: skip
    assert result.exit_code == 0, _collect.stderr
    assert _collect.stdout[: len(data)] == data
    listing = _collect.stdout[len(data) :].decode()
    assert "-rw-r--r-- 1 65534 65534 76800" in listing


async def test_a_file_name_that_leaves_the_workspace_is_refused(either) -> None:
    collect = _Collector()
    result = await either.run_steps(
        [("run", ["/bin/true"])], None, {"../escape": b"x"}, collect, None, RunLimits()
    )
    assert result.exit_code not in (0, None) and result.stage == "run"
    assert b"duet supervisor" in collect.stderr


class _Collector:
    def __init__(self) -> None:
        self.chunks: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}

    async def __call__(self, stream: str, data: bytes) -> None:
        self.chunks[stream].extend(data)

    @property
    def stdout(self) -> bytes:
        return bytes(self.chunks["stdout"])

    @property
    def stderr(self) -> bytes:
        return bytes(self.chunks["stderr"])


async def test_exit_codes_and_signals(either) -> None:
    assert (await run_code(either, "bash", "exit 3")).result.exit_code == 3
    killed = await run_code(either, "bash", "kill -SEGV $$")
    assert killed.result.signal == "SIGSEGV" and killed.result.exit_code is None
    usr = await run_code(either, "python", "import os; os.kill(os.getpid(), 10)")
    assert usr.result.signal == "SIGUSR1"


async def test_a_failed_compile_stops_before_the_run(either) -> None:
    captured = await run_code(either, "c", "int main(void) { return nonsense; }")
    assert captured.result.exit_code != 0
    assert b"nonsense" in captured.stderr and captured.stdout == b""


async def test_the_program_runs_as_the_sandbox_user_within_its_limits(either) -> None:
    captured = await run_code(
        either, "bash", "id -u; ulimit -n; ulimit -c; ulimit -u; ulimit -t; cat", "piped\n"
    )
    lines = captured.text.splitlines()
    assert lines[0] == "65534"
    assert lines[1:4] == ["1024", "0", "64"]
    assert lines[4] == "5"
    assert lines[5] == "piped"


async def test_a_program_that_cannot_start_exits_127_and_says_why(either) -> None:
    errors = bytearray()

    async def collect(_: str, data: bytes) -> None:
        errors.extend(data)

    result = await either.run_steps(
        [("run", ["/nonexistent/program"])], None, None, collect, None, RunLimits()
    )
    assert result.exit_code == 127
    assert b"/nonexistent/program: No such file or directory" in bytes(errors)


async def test_every_run_gets_a_network_namespace_of_its_own(sandbox) -> None:
    # At once, so the namespaces coexist: the kernel reuses a freed namespace's inode
    # number, so runs one after another may show the same one.
    runs = [run_code(sandbox, "bash", "readlink /proc/self/ns/net; sleep 0.3") for _ in range(3)]
    seen = {captured.text.strip() for captured in await asyncio.gather(*runs)}
    assert len(seen) == 3 and os.readlink("/proc/self/ns/net") not in seen, seen


async def test_the_program_inherits_no_descriptor_but_its_three(either) -> None:
    code = (
        "import os\n"
        "for fd in sorted(os.listdir('/proc/self/fd'), key=int):\n"
        "    try:\n"
        "        print(fd, os.readlink(f'/proc/self/fd/{fd}'))\n"
        "    except OSError:\n"
        "        pass  # the directory listdir had open\n"
    )
    captured = await run_code(either, "python", code)
    fds = dict(line.split(" ", 1) for line in captured.text.splitlines())
    # The user namespace's fd bwrap was given, the control and info pipes: none of them.
    assert set(fds) <= {"0", "1", "2", "3"}, fds
    assert fds.get("3", "/proc").startswith("/proc"), fds


def _supervise(kind: str, spec: bytes, cwd) -> tuple[int, bytes, bytes]:
    """Run a supervisor directly (not in a sandbox): its exit code, status and stderr."""
    command = (
        [str(SUPERVISOR)]
        if kind == "native"
        else [sys.executable, "-I", "-S", str(Path(runner.__file__).with_name("supervisor.py"))]
    )
    control_r, control_w = os.pipe()
    status_r, status_w = os.pipe()
    with subprocess.Popen(
        [*command, str(control_r), str(status_w)], cwd=cwd, pass_fds=[control_r, status_w],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as proc:  # fmt: skip
        os.close(control_r)
        os.close(status_w)
        os.write(control_w, spec)
        os.close(control_w)
        _, stderr = proc.communicate(timeout=30)
    with os.fdopen(status_r, "rb") as status:
        return proc.returncode, status.read(), stderr


@pytest.mark.parametrize("kind", ["native", "python"])
def test_both_supervisors_check_the_whole_spec_before_acting(kind, tmp_path) -> None:
    good = SupervisorSpec(
        steps=[("run", ["cat", "in.txt"])], rlimits={"RLIMIT_CORE": [0, 0]},
        files={"in.txt": b"spec ok\n"},
    )  # fmt: skip
    code, status, _ = _supervise(kind, good.encode(), tmp_path)
    assert code == 0 and status.startswith(b"R") and b'"exit_code": 0' in status
    assert (tmp_path / "in.txt").read_bytes() == b"spec ok\n"
    bad_specs = [
        SupervisorSpec(steps=[("run", ["true"])], rlimits={"RLIMIT_BOGUS": [1, 1]},
                       files={"late.txt": b"x"}),
        SupervisorSpec(steps=[("run", ["true"])], rlimits={}, files={"../up": b"x"}),
    ]  # fmt: skip
    for index, spec in enumerate(bad_specs):
        workdir = tmp_path / f"bad{index}"
        workdir.mkdir()
        code, status, stderr = _supervise(kind, spec.encode(), workdir)
        assert code == 2 and b"duet supervisor" in stderr, (kind, code, stderr)
        assert status == b"R" and list(workdir.iterdir()) == []
    # A count past the bounds is refused, even one that would wrap around in 32 bits.
    wrapped = b"-\0-\0" b"4294967297\0"
    code, _, stderr = _supervise(kind, wrapped, tmp_path)
    assert code == 2 and b"duet supervisor" in stderr

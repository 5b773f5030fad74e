"""The C supervisor (runner/supervisor.c, the default) and the Python one it replaces where
no compiler is available report the same things: exit codes, signals, a failed compile
stopping the run, compile output as stderr, the sandbox user, and the rlimits."""

from __future__ import annotations

import os

import pytest

from runner.bubblewrap import BubblewrapSandbox
from runner.limits import RunLimits
from runner.native_supervisor import BINARY, native_arguments
from tests.runner.conftest import run_code


@pytest.fixture(scope="module", params=["native", "python"])
def either(request: pytest.FixtureRequest) -> BubblewrapSandbox:
    sandbox = BubblewrapSandbox(native_supervisor=request.param == "native")
    assert (sandbox.native_supervisor is not None) == (request.param == "native")
    return sandbox


def test_the_native_supervisor_is_built_and_used_by_default() -> None:
    sandbox = BubblewrapSandbox()
    assert sandbox.native_supervisor == BINARY and os.access(BINARY, os.X_OK)


def test_the_spec_becomes_counted_arguments() -> None:
    spec = {
        "status_fd": 5, "drop_to": [65534, 65534], "own": ["/workspace", "/workspace/a b"],
        "rlimits": {"RLIMIT_CPU": [5, 6], "RLIMIT_AS": [-1, -1]},
        "steps": [("compile", ["gcc", "-o", "main", "main.c"]), ("run", ["./main"])],
    }  # fmt: skip
    assert native_arguments(spec) == [
        "5", "65534", "65534", "2", "/workspace", "/workspace/a b",
        "2", "RLIMIT_CPU", "5", "6", "RLIMIT_AS", "-1", "-1",
        "2", "compile", "4", "gcc", "-o", "main", "main.c", "run", "1", "./main",
    ]  # fmt: skip
    assert native_arguments({**spec, "drop_to": None})[1:3] == ["-", "-"]


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


async def test_every_run_gets_a_network_namespace_of_its_own() -> None:
    sandbox = BubblewrapSandbox()
    seen = set()
    for _ in range(3):
        captured = await run_code(sandbox, "bash", "readlink /proc/self/ns/net")
        seen.add(captured.text.strip())
    assert len(seen) == 3 and os.readlink("/proc/self/ns/net") not in seen, seen

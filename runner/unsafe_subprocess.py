"""A sandbox that is not one: plain subprocesses with rlimits. Development only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from runner.job import RunJob
from runner.languages import PYTHON_EXE, SANDBOX_PATH, Language
from runner.limits import RunLimits, RunResult, SandboxCheck
from runner.local import LocalSessions
from runner.sandbox import SessionContext
from runner.streaming import drive
from runner.supervisor_spec import (
    SupervisorSpec,
    read_report,
    run_result,
    step_rlimits,
    write_all_and_close,
)

SUPERVISOR_PATH = str(Path(__file__).with_name("supervisor.py"))


class UnsafeSubprocessSandbox(LocalSessions):
    """Runs code as a plain child process of the server, for development only.

    NOT A SECURITY BOUNDARY. The program runs as the server's user with the server's
    view of the filesystem and network: it can read the data dir and database, connect
    anywhere, and leave processes behind that escape the process-group kill (setsid).
    Only rlimits (CPU, address space, processes per uid, file size), the wall clock and
    the output budget are enforced. Use it where bubblewrap cannot run, never with code
    from people you do not trust (the server only allows it with DUET_RUNNER=unsafe-subprocess).
    """

    name = "unsafe-subprocess"

    def __init__(self, *, workspace_root: str | None = None) -> None:
        self.workspace_root = workspace_root

    async def check(self) -> SandboxCheck:
        return SandboxCheck(True, None, ("unsafe-subprocess runner: no isolation",))

    def prepare(self, language: Language, limits: RunLimits) -> None:
        pass  # nothing to build ahead: each run is a plain process

    def standby_stats(self) -> dict[str, int]:
        return {}

    def expecting(
        self, language: Language, limits: RunLimits, count: int
    ) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # nothing is built ahead

    async def close(self) -> None:
        pass

    async def run(self, job: RunJob, session: SessionContext) -> RunResult:
        language, limits, cancel = job.language, job.limits, job.cancel
        workdir = tempfile.mkdtemp(prefix="duet-run-", dir=self.workspace_root)
        status_r, status_w = os.pipe()
        control_r, control_w = os.pipe()
        try:
            spec = SupervisorSpec(
                steps=job.steps,
                rlimits={
                    **step_rlimits(limits),
                    "RLIMIT_AS": [limits.memory_bytes * language.address_space_factor] * 2,
                },
                files=dict(job.files),
            )
            env = {
                "PATH": SANDBOX_PATH,
                "HOME": workdir,
                "LANG": "C.UTF-8",
                "TMPDIR": workdir,
                **language.env,
            }
            proc = await asyncio.create_subprocess_exec(
                PYTHON_EXE,
                "-I",
                "-S",
                SUPERVISOR_PATH,
                str(control_r),
                str(status_w),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=workdir,
                env=env,
                pass_fds=[control_r, status_w],
                start_new_session=True,
            )
            for fd in (status_w, control_r):
                os.close(fd)
            status_w = control_r = -1
            # In a thread: a program bigger than the pipe would block until it is read.
            fd, control_w = control_w, -1
            # The supervisor dying first is reported by the run itself.
            with contextlib.suppress(BrokenPipeError):
                await asyncio.to_thread(write_all_and_close, fd, spec.encode())

            async def kill() -> None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)

            outcome = await drive(
                proc,
                stdin=job.stdin,
                on_output=job.on_output,
                wall_time_s=limits.wall_time_s,
                output_bytes=limits.output_bytes,
                cancel=cancel,
                kill=kill,
            )
            # The supervisor is gone; take down whatever else is in its process group.
            await kill()
            return run_result(
                read_report(status_r),
                outcome,
                memory_exceeded=False,
                notes=["unsafe-subprocess runner: no isolation"],
            )
        finally:
            for fd in (status_r, status_w, control_r, control_w):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            await asyncio.to_thread(shutil.rmtree, workdir, True)

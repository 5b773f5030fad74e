"""A run's spec as the sandbox supervisors read it from their control pipe.

Both supervisors (`supervisor.c`, `supervisor.py`) read the spec whole, to EOF, before
doing anything, so a sandbox can be started (and wait) before its run is known. The
format is NUL-terminated fields, counted lists, and file contents as raw bytes:

    UID GID N_OWN OWN... N_RLIMITS (NAME SOFT HARD)... N_STEPS (STAGE ARGC ARGV...)...
    N_FILES (NAME SIZE <SIZE bytes>)...

UID and GID are "-" when the supervisor already runs as the sandbox user; SOFT/HARD -1
mean unlimited. Files are written into the supervisor's working directory.

On its status pipe a supervisor first writes READY, once it waits for the spec, then at
the end its report: {"stage", "maxrss_kib", "exit_code", "signal"} as JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from runner.limits import RunLimits, RunResult
from runner.streaming import DriveOutcome, read_available

READY = b"R"


def step_rlimits(limits: RunLimits) -> dict[str, list[int]]:
    """The rlimits every local backend sets on each step."""
    return {
        # Soft limit sends SIGXCPU; the hard one a second later is SIGKILL.
        "RLIMIT_CPU": [limits.cpu_time_s, limits.cpu_time_s + 1],
        # The hard limit is what a compile step may raise itself to (its outputs are
        # bounded by the workspace tmpfs anyway); the program gets the soft one.
        "RLIMIT_FSIZE": [
            limits.file_size_bytes,
            max(limits.file_size_bytes, limits.workspace_bytes),
        ],
        "RLIMIT_CORE": [0, 0],
    }


@dataclass(frozen=True)
class SupervisorSpec:
    steps: Sequence[tuple[str, Sequence[str]]]
    rlimits: Mapping[str, Sequence[int]]
    # (uid, gid) to switch to before writing files and running anything; None: stay.
    drop_to: tuple[int, int] | None = None
    # Paths to hand to the sandbox user first (the workspace bwrap made as root).
    own: Sequence[str] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)

    def encode(self) -> bytes:
        uid, gid = ("-", "-") if self.drop_to is None else map(str, self.drop_to)
        fields: list[str] = [uid, gid, str(len(self.own)), *self.own]
        fields.append(str(len(self.rlimits)))
        for name, (soft, hard) in self.rlimits.items():
            fields += [name, str(soft), str(hard)]
        fields.append(str(len(self.steps)))
        for stage, argv in self.steps:
            fields += [stage, str(len(argv)), *argv]
        fields.append(str(len(self.files)))
        out = bytearray()
        for text in fields:
            out += text.encode() + b"\0"
        for name, data in self.files.items():
            out += f"{name}\0{len(data)}\0".encode() + data
        return bytes(out)


def write_all_and_close(fd: int, spec: bytes) -> None:
    """Send a spec whole and close the pipe (from a thread: a spec bigger than the pipe
    blocks until the supervisor reads it). The fd is closed even if writing fails."""
    try:
        view = memoryview(spec)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def read_report(status_fd: int) -> dict:
    """A supervisor's report from all it wrote on its status pipe; {} if it wrote none
    (it was killed, or never started)."""
    try:
        report = json.loads(read_available(status_fd).removeprefix(READY).decode())
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


def run_result(
    report: dict, outcome: DriveOutcome, *, memory_exceeded: bool, notes: list[str]
) -> RunResult:
    """How a run ended, from its supervisor's report and what drive() saw."""
    exit_code: int | None = report.get("exit_code")
    signal_name: str | None = report.get("signal")
    if not report:
        # No report: the supervisor was killed (by us, or the OOM killer took it), or
        # it never started (bwrap failed first).
        if outcome.killed or memory_exceeded:
            signal_name = "SIGKILL"
        else:
            exit_code = outcome.returncode
    return RunResult(
        exit_code=exit_code,
        signal=signal_name,
        duration_ms=outcome.duration_ms,
        timed_out=outcome.timed_out,
        memory_exceeded=memory_exceeded,
        output_truncated=outcome.output_truncated,
        cancelled=outcome.cancelled,
        stage=report.get("stage", "run"),
        notes=notes,
    )

"""Resource limits for one run and the outcome of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schema.models.runs import RunReason

MiB = 1024 * 1024


@dataclass(frozen=True)
class RunLimits:
    """Per-run limits. The compile step (if any) and the program share one run's budget."""

    wall_time_s: float = 10.0
    # Per process (RLIMIT_CPU); the wall clock bounds the total.
    cpu_time_s: int = 5
    memory_bytes: int = 256 * MiB
    processes: int = 64
    # stdout + stderr together; past it the output is cut and the program stopped.
    output_bytes: int = 1 * MiB
    file_size_bytes: int = 10 * MiB
    # Size of each writable tmpfs: the workspace, /tmp, /var/tmp and /dev/shm.
    workspace_bytes: int = 64 * MiB


Stage = Literal["compile", "run"]


@dataclass
class RunResult:
    """What happened to a run. Output itself went to the caller's `on_output` callback."""

    exit_code: int | None
    # Name of the signal that ended the program ("SIGKILL"), None if it exited.
    signal: str | None
    duration_ms: int
    timed_out: bool = False
    memory_exceeded: bool = False
    output_truncated: bool = False
    cancelled: bool = False
    # Which step produced exit_code/signal: a failed compile stops before "run".
    stage: Stage = "run"
    # Non-fatal notes from the sandbox (e.g. a limit it could not enforce here).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not (
            self.timed_out or self.memory_exceeded or self.output_truncated or self.cancelled
        )


@dataclass(frozen=True)
class SandboxCheck:
    """Whether a sandbox backend can run code on this machine, and if not, why."""

    usable: bool
    reason: str | None = None
    # Things that work but weaker than intended (e.g. no cgroups here).
    warnings: tuple[str, ...] = ()


def finish_reason(result: RunResult, limits: RunLimits) -> tuple[RunReason, float | None]:
    """Why the run ended and the value of the limit it reached (seconds for the time limits,
    bytes for memory and output; None when no limit ended it). A limit's own kill (SIGKILL
    past the output limit, SIGXCPU past RLIMIT_CPU) is reported as that limit."""
    if result.cancelled:
        return "cancelled", None
    if result.timed_out:
        return "time_limit", limits.wall_time_s
    if result.memory_exceeded:
        return "memory_limit", limits.memory_bytes
    if result.output_truncated:
        return "output_limit", limits.output_bytes
    if result.signal == "SIGXCPU":
        return "cpu_limit", limits.cpu_time_s
    if result.stage == "compile" and (result.exit_code != 0 or result.signal is not None):
        return "compile_error", None
    return "exit", None

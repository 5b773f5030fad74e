"""Per-run cgroups (v1 memory + pids controllers) when the server may create them.

rlimits are per process: a program that forks can multiply its memory, and RLIMIT_AS
breaks runtimes that reserve large address ranges (JVM, V8). A memory cgroup bounds
the whole run's resident memory (tmpfs pages it writes included) and reports OOM
kills; a pids cgroup bounds the process count per run instead of per uid.

Only cgroup v1 with writable controller hierarchies is handled (that is what root gets
on this kind of machine). Where it is unavailable the sandbox falls back to rlimits and
says so in the run's notes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_PARENT = "duet-runner"


@dataclass
class RunCgroup:
    memory: Path
    pids: Path

    @property
    def procs_files(self) -> list[Path]:
        return [self.memory / "cgroup.procs", self.pids / "cgroup.procs"]

    def oom_killed(self) -> bool:
        try:
            text = (self.memory / "memory.oom_control").read_text()
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value) > 0
        # Kernels before 4.13 have no oom_kill counter; hitting the limit is the signal.
        return int((self.memory / "memory.failcnt").read_text()) > 0

    def max_usage_bytes(self) -> int:
        try:
            return int((self.memory / "memory.max_usage_in_bytes").read_text())
        except OSError:
            return 0

    def kill_all(self) -> None:
        """SIGKILL everything still in the run; a backstop to the PID namespace teardown."""
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.pids / "cgroup.procs").read_text().split()]
            except OSError:
                return
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        for path in (self.memory, self.pids):
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    # Busy until the last killed process has been reaped.
                    time.sleep(0.01)


class CgroupManager:
    def __init__(self, root: Path = CGROUP_ROOT) -> None:
        self.memory_parent = root / "memory" / _PARENT
        self.pids_parent = root / "pids" / _PARENT

    def probe(self) -> str | None:
        """None if per-run cgroups can be made here, else why not."""
        for controller in (self.memory_parent.parent, self.pids_parent.parent):
            if not (controller / "cgroup.procs").exists():
                return f"no cgroup v1 hierarchy at {controller}"
        try:
            self.memory_parent.mkdir(exist_ok=True)
            self.pids_parent.mkdir(exist_ok=True)
        except OSError as exc:
            return f"cannot create cgroups: {exc}"
        if not os.access(self.memory_parent, os.W_OK) or not os.access(self.pids_parent, os.W_OK):
            return "cgroups are not writable"
        return None

    def create(self, name: str, memory_bytes: int, processes: int) -> RunCgroup:
        cg = RunCgroup(memory=self.memory_parent / name, pids=self.pids_parent / name)
        cg.memory.mkdir()
        cg.pids.mkdir()
        try:
            (cg.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            memsw = cg.memory / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                # Without this the run could page out to swap and keep growing.
                with contextlib.suppress(OSError):
                    memsw.write_text(str(memory_bytes))
            (cg.pids / "pids.max").write_text(str(processes))
        except OSError:
            cg.remove()
            raise
        return cg

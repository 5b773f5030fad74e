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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

READY = b"R"


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


def parse_report(status: bytes) -> dict:
    """A supervisor's report from all it wrote on its status pipe; {} if it wrote none
    (it was killed, or never started)."""
    try:
        report = json.loads(status.removeprefix(READY).decode())
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}

"""The sandbox supervisor compiled from `supervisor.c`, and the arguments it takes.

Starting the Python supervisor (`supervisor.py`) cost ~30 ms of every run; the C one does
the same job in about a millisecond. It is built with the system's C compiler next to its
source (by `make install`, or here on first use), rebuilt when the source is newer, and
written atomically so several server processes can race to build it. Where it cannot be
built (no compiler, a read-only install), the sandbox falls back to the Python one.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("supervisor.c")
BINARY = Path(__file__).with_name("duet-supervisor")


def build_native_supervisor() -> Path | None:
    """The compiled supervisor, building it if missing or stale; None if it cannot be."""
    try:
        if BINARY.exists() and BINARY.stat().st_mtime >= SOURCE.stat().st_mtime:
            return BINARY
    except OSError:
        return None
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        log.warning("no C compiler: runs use the slower Python sandbox supervisor")
        return None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".duet-supervisor-", dir=BINARY.parent)
        os.close(handle)
    except OSError as exc:
        log.warning("cannot build the sandbox supervisor here (%s); using the Python one", exc)
        return None
    try:
        subprocess.run(
            [compiler, "-O2", "-Wall", "-o", temporary, str(SOURCE)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        os.chmod(temporary, 0o755)
        os.replace(temporary, BINARY)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log.warning("building the sandbox supervisor failed: %s %s", exc, detail.decode()[:500])
        Path(temporary).unlink(missing_ok=True)
        return None
    return BINARY


def native_arguments(spec: dict) -> list[str]:
    """The Python supervisor's JSON spec as the C supervisor's argument list."""
    drop_to = spec.get("drop_to")
    uid, gid = (str(drop_to[0]), str(drop_to[1])) if drop_to is not None else ("-", "-")
    args = [str(spec["status_fd"]), uid, gid]
    own = list(spec.get("own", []))
    args += [str(len(own)), *own]
    rlimits = spec["rlimits"]
    args.append(str(len(rlimits)))
    for name, (soft, hard) in rlimits.items():
        args += [name, str(soft), str(hard)]
    steps = spec["steps"]
    args.append(str(len(steps)))
    for stage, argv in steps:
        args += [stage, str(len(argv)), *argv]
    return args

"""The sandbox's two C helpers, built from their sources next to this file.

* `supervisor.c` -> `duet-supervisor`: PID 1 of each sandbox. Starting the Python
  supervisor (`supervisor.py`) instead cost ~30 ms of every run; the C one takes about a
  millisecond.
* `launcher.c` -> `duet-launcher`: joins the run's cgroups, makes its user namespace, and
  becomes bwrap; without it the server starts a shell and an `unshare` helper per sandbox.

Each is built with the system's C compiler (by `make install`, or here on first use),
rebuilt when its source is newer, and written atomically so several server processes can
race to build it. Where one cannot be built (no compiler, a read-only install), the
sandbox does the same job the slower way, in Python and the shell.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent
SUPERVISOR_SOURCE = _HERE / "supervisor.c"
SUPERVISOR = _HERE / "duet-supervisor"
LAUNCHER_SOURCE = _HERE / "launcher.c"
LAUNCHER = _HERE / "duet-launcher"


def build_native_supervisor() -> Path | None:
    """The compiled supervisor, building it if missing or stale; None if it cannot be."""
    return _build(SUPERVISOR_SOURCE, SUPERVISOR)


def build_launcher() -> Path | None:
    """The compiled launcher, building it if missing or stale; None if it cannot be."""
    return _build(LAUNCHER_SOURCE, LAUNCHER)


def _build(source: Path, binary: Path) -> Path | None:
    try:
        if binary.exists() and binary.stat().st_mtime >= source.stat().st_mtime:
            return binary
    except OSError:
        return None
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        log.warning("no C compiler to build %s: the sandbox uses its slower stand-in", binary)
        return None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{binary.name}-", dir=binary.parent)
        os.close(handle)
    except OSError as exc:
        log.warning("cannot build %s here (%s); using its slower stand-in", binary, exc)
        return None
    try:
        subprocess.run(
            [compiler, "-O2", "-Wall", "-o", temporary, str(source)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        os.chmod(temporary, 0o755)
        os.replace(temporary, binary)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log.warning("building %s failed: %s %s", binary, exc, detail.decode()[:500])
        Path(temporary).unlink(missing_ok=True)
        return None
    return binary

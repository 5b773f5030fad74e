"""What runs inside the pod: copying the code in, each step under the in-pod limits,
and stopping a run.

Closing an exec stream does not stop its process, so the limits live in the pod: every
step runs under `timeout -s KILL` (which puts the step in its own process group) with
ulimits for CPU time and file size, and records that group in /tmp so a cancel can kill
it with one more exec.
"""

from __future__ import annotations

import io
import math
import tarfile
from collections.abc import Mapping, Sequence

from runner.kubernetes.podspec import TMP, WORKSPACE
from runner.languages import PYTHON_EXE

PID_FILE = f"{TMP}/.duet-run.pid"
STDIN_FILE = f"{WORKSPACE}/.duet-stdin"

# Each run starts from an empty workspace and /tmp, like the local sandboxes'.
UPLOAD = [
    "sh",
    "-c",
    f"find {WORKSPACE} {TMP} -mindepth 1 -delete 2>/dev/null; tar -x -f - -C {WORKSPACE}",
]
_STEP = (
    f'echo $$ > {PID_FILE} || exit 125; ulimit -t "$2" 2>/dev/null; ulimit -f "$3" 2>/dev/null; '
    f'secs="$1"; shift 3; cd {WORKSPACE} && exec timeout -s KILL "$secs" "$@"'
)
KILL = [
    "sh",
    "-c",
    f'p=$(cat {PID_FILE} 2>/dev/null) && kill -s KILL -- "-$p" "$p" 2>/dev/null; true',
]


def workspace_tar(files: Mapping[str, str | bytes]) -> bytes:
    """A tar of the run's files; padded to whole records, so `tar -x` ends at its end
    marker without needing stdin closed (v4 exec streams cannot close it)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def in_pod(argv: Sequence[str]) -> list[str]:
    # The language table names the server's own interpreter for the local sandboxes;
    # in the language's image it is the image's python3.
    return ["python3" if arg == PYTHON_EXE else arg for arg in argv]


def step_command(
    argv: Sequence[str], *, wall_s: float, cpu_s: int, file_size_bytes: int, stdin_file: bool
) -> list[str]:
    script = _STEP + (f" < {STDIN_FILE}" if stdin_file else "")
    return [
        "sh",
        "-c",
        script,
        "duet-step",
        str(max(1, math.ceil(wall_s))),
        str(cpu_s),
        str(max(1, file_size_bytes // 512)),
        *in_pod(argv),
    ]

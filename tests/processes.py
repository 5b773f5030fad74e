"""`duet serve` as a real child process, for tests that restart, signal or kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import psutil


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """A server in its own process group, on the given data dir, logging to `log_path`."""

    def __init__(self, data_dir: Path, log_path: Path, **environment: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("DUET_")}
        env.update(environment)
        self.data_dir = data_dir
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, "server exited during start-up"
                try:
                    async with http.get(f"{self.base}/health/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("server did not become ready")

    def terminate(self) -> float:
        """SIGTERM; wait for the exit; return how long it took."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=15)
        self.log.close()
        return time.monotonic() - started

    def power_cut(self) -> None:
        """SIGKILL the server's process group (which holds its embedded Redis) and the
        embedded Postgres (pg_ctl starts it in a session of its own) at the same moment."""
        postmaster = self.data_dir / "postgres" / "postmaster.pid"
        postgres_pid = int(postmaster.read_text().split()[0]) if postmaster.exists() else None
        os.killpg(self.process.pid, signal.SIGKILL)
        if postgres_pid is not None:
            os.kill(postgres_pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self.log.close()


def embedded_pids(data_dir: Path) -> set[int]:
    found = set()
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in command and ("postgres" in command or "redis-server" in command):
            found.add(process.pid)
    return found

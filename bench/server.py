"""Start a real `duet serve` in a subprocess for a benchmark, on a fresh data dir."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

BENCH_RATE_LIMITS = {
    "DUET_RATE_LIMIT_API": "1000000000",
    "DUET_RATE_LIMIT_JOIN": "1000000000",
    "DUET_RATE_LIMIT_AUTH": "1000000000",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(data_dir: Path, port: int, extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUET_")}
    # Load from one address and a few tokens: limits that count (a Redis round trip per
    # request, as in production) but never refuse.
    environment.update(BENCH_RATE_LIMITS)
    environment.update(extra_env)
    with (data_dir / "server.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
             "--data-dir", str(data_dir / "data")],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


@dataclass(frozen=True)
class Server:
    """A ready `duet serve`: where it answers, its pid, and its data dir (its log is
    `<data_dir>/server.log`, its embedded services' files are under `<data_dir>/data`)."""

    base: str
    pid: int
    data_dir: Path

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://", 1)

    @property
    def redis_socket(self) -> Path:
        return self.data_dir / "data" / "redis" / "redis.sock"


@asynccontextmanager
async def running_server(extra_env: dict[str, str] | None = None) -> AsyncIterator[Server]:
    """Yield a ready server on a fresh data dir; it is stopped (SIGTERM) on the way out."""
    data_dir = Path(tempfile.mkdtemp(prefix="duet-bench-"))
    port = free_port()
    process = start_server(data_dir, port, extra_env or {})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"{base}/health/ready") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {data_dir / 'server.log'}")
                await asyncio.sleep(0.1)
        yield Server(base, process.pid, data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)

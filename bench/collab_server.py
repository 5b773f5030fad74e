"""`running_server()` for the collaboration benchmark: also yields the server's pid (for its
CPU time and RSS), the Redis it started, and py-spy helpers.

The server process is `python -m server.cli serve` itself (aiohttp runs in that process);
its children are the embedded Postgres and Redis, measured separately.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from bench.server import free_port, start_server


@dataclass
class Server:
    base: str
    pid: int
    data_dir: Path

    @property
    def process(self) -> psutil.Process:
        return psutil.Process(self.pid)

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def backing_cpu_seconds(self) -> float:
        """CPU of the embedded Postgres (all its backends) and Redis."""
        total = 0.0
        for child in self.process.children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_bytes(self) -> int:
        return self.process.memory_info().rss

    @property
    def redis_socket(self) -> Path:
        return self.data_dir / "data" / "redis" / "redis.sock"

    @property
    def ws_base(self) -> str:
        return self.base.replace("http://", "ws://", 1)


@asynccontextmanager
async def running_server(extra_env: dict[str, str] | None = None) -> AsyncIterator[Server]:
    """A ready `duet serve` on a fresh data dir; its log is `<data_dir>/server.log`."""
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

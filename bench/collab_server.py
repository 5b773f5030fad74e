"""CPU time and RSS of a benchmark's server (`bench.server.running_server`), for the
collaboration benchmark.

The server process is `python -m server.cli serve` itself (aiohttp runs in that process);
its children are the embedded Postgres and Redis, measured separately.
"""

from __future__ import annotations

import psutil

from bench.server import Server


def cpu_seconds(server: Server) -> float:
    """CPU of the server process itself (user + system)."""
    times = psutil.Process(server.pid).cpu_times()
    return times.user + times.system


def backing_cpu_seconds(server: Server) -> float:
    """CPU of the embedded Postgres (all its backends) and Redis."""
    total = 0.0
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss_bytes(server: Server) -> int:
    return psutil.Process(server.pid).memory_info().rss

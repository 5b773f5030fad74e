"""REST throughput: `GET /sessions/{id}` and create+join, 50 concurrent clients.

The server runs as its own process (`duet serve`, embedded Postgres and Redis); this process
is the client. Run with `make bench` or `python -m bench.api [--seconds N] [--clients N]`.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
import uuid

import aiohttp

from bench.server import running_server
from bench.stats import run_load_table, summary


def _user(name: str) -> dict[str, str]:
    return {"id": str(uuid.uuid4()), "name": name, "color": "hsl(200, 80%, 50%)"}


async def _run_clients(clients: int, seconds: float, one_request) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            ok = await one_request()
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors, time.perf_counter() - started


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


async def wrk_read(base: str, path: str, token: str, seconds: float, clients: int) -> dict:
    """The same read load from wrk (C, two threads): a Python client at ~3,000 requests/s
    uses a whole core itself, and its own scheduling shows up in the tail it measures."""
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{clients}", f"-d{seconds:.0f}s", "--latency",
        "-H", f"Authorization: Bearer {token}", base + path,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output = (await process.communicate())[0].decode()
    percentiles = {
        int(match[1]): float(match[2]) * _WRK_UNITS[match[3]]
        for match in re.finditer(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", output, re.MULTILINE)
    }
    requests = int(re.search(r"(\d+) requests in", output)[1])
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "name": "GET /sessions/{id} (wrk)",
        "requests": requests,
        "errors": int(non_2xx[1]) if non_2xx else 0,
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": percentiles[50],
        "p99_ms": percentiles[99],
    }


async def bench(seconds: float, clients: int) -> list[dict[str, object]]:
    async with running_server() as server:
        base = server.base
        connector = aiohttp.TCPConnector(limit=clients)
        async with aiohttp.ClientSession(base_url=base, connector=connector) as http:
            async with http.post(
                "/api/v1/sessions", json={"creator": _user("Bench"), "code": "print(1)" * 50}
            ) as response:
                created = await response.json()
            session_id, token = created["data"]["id"], created["token"]
            invite = created["invites"]["candidate"]["token"]
            for index in range(3):
                await http.post(
                    f"/api/v1/sessions/{session_id}/join",
                    json={"user": _user(f"Peer {index}")},
                    headers={"Authorization": f"Bearer {invite}"},
                )
            read_headers = {"Authorization": f"Bearer {token}"}

            async def read() -> bool:
                async with http.get(f"/api/v1/sessions/{session_id}", headers=read_headers) as r:
                    await r.read()
                    return r.status == 200

            async def create_and_join() -> bool:
                async with http.post("/api/v1/sessions", json={"creator": _user("C")}) as r:
                    body = await r.json()
                    if r.status != 201:
                        return False
                async with http.post(
                    f"/api/v1/sessions/{body['data']['id']}/join",
                    json={"user": _user("J")},
                    headers={"Authorization": f"Bearer {body['invites']['candidate']['token']}"},
                ) as r:
                    await r.read()
                    return r.status == 200

            await _run_clients(clients, 1.0, read)  # warm-up: pool connections, caches
            results = [summary("GET /sessions/{id}", *await _run_clients(clients, seconds, read))]
            if shutil.which("wrk"):
                results.append(await wrk_read(
                    base, f"/api/v1/sessions/{session_id}", token, seconds, clients
                ))  # fmt: skip
            results.append(
                summary("create + join", *await _run_clients(clients, seconds, create_and_join))
            )
    return results


def main() -> None:
    run_load_table(
        __doc__,
        bench,
        seconds=10.0,
        heading="{clients} concurrent clients, {seconds:.0f} s per load",
    )


if __name__ == "__main__":
    main()

"""Running code end to end, against a real `duet serve` (bubblewrap sandbox):

* latency of a Python hello world: REST `POST /runs` → `run_finished` at a room client,
  runs `--pause` seconds apart (default 0.2: an interviewer's runs are seconds apart, and
  the server builds the next sandbox in the meantime; 0 runs them back to back);
* time from the program's first write to the first `run_output` at a room client (the
  program prints its own wall clock; client and server share the host clock);
* sustained runs per second, several sessions running back to back.

Run with `python -m bench.runs [--runs N] [--seconds N] [--sessions N] [--pause S]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from typing import Any

import aiohttp
import socketio

from bench.server import running_server
from bench.stats import percentile

HELLO = "print('Hello, World!')\n"
STAMP = "import time\nprint(repr(time.time()), flush=True)\n"


class RoomClient:
    """A session with its participant token and a Socket.IO client in its room."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, base
        self.sio = socketio.AsyncClient(reconnection=False)
        self.finished: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.first_output: dict[str, asyncio.Future[tuple[float, str]]] = {}
        self.sio.on("run_finished", self._on_finished)
        self.sio.on("run_output", self._on_output)

    async def open(self, code: str) -> None:
        creator = {"id": str(uuid.uuid4()), "name": "Bench", "color": "#123456"}
        body = {"creator": creator, "code": code, "language": "python"}
        async with self.http.post(f"{self.base}/api/v1/sessions", json=body) as response:
            created = await response.json()
        self.session_id, self.token = created["data"]["id"], created["token"]
        await self.sio.connect(self.base, auth={"token": self.token}, transports=["websocket"])

    def _future(self, table: dict[str, asyncio.Future[Any]], run_id: str) -> asyncio.Future[Any]:
        return table.setdefault(run_id, asyncio.get_running_loop().create_future())

    async def _on_finished(self, data: dict[str, Any]) -> None:
        future = self._future(self.finished, data["runId"])
        if not future.done():
            future.set_result(data)

    async def _on_output(self, data: dict[str, Any]) -> None:
        future = self._future(self.first_output, data["runId"])
        if not future.done():
            future.set_result((time.time(), data["data"]))

    async def run(self) -> tuple[str, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        url = f"{self.base}/api/v1/sessions/{self.session_id}/runs"
        async with self.http.post(url, headers=headers) as response:
            assert response.status == 202, await response.text()
            run_id = (await response.json())["data"]["id"]
        finished = await asyncio.wait_for(self._future(self.finished, run_id), 30)
        return run_id, finished

    async def close(self) -> None:
        await self.sio.disconnect()


async def hello_latency(
    http: aiohttp.ClientSession, base: str, runs: int, pause: float
) -> list[float]:
    client = RoomClient(http, base)
    await client.open(HELLO)
    await client.run()  # warm-up
    latencies = []
    for _ in range(runs):
        await asyncio.sleep(pause)
        started = time.perf_counter()
        _, finished = await client.run()
        assert finished["exitCode"] == 0, finished
        latencies.append(time.perf_counter() - started)
    await client.close()
    return latencies


async def first_output_delay(http: aiohttp.ClientSession, base: str, runs: int) -> list[float]:
    client = RoomClient(http, base)
    await client.open(STAMP)
    delays = []
    for _ in range(runs):
        run_id, _ = await client.run()
        received_at, text = await client.first_output[run_id]
        delays.append(received_at - float(text.split()[0]))
    await client.close()
    return delays


async def sustained(
    http: aiohttp.ClientSession, base: str, sessions: int, seconds: float
) -> tuple[int, int, float]:
    clients = [RoomClient(http, base) for _ in range(sessions)]
    for client in clients:
        await client.open(HELLO)
    done = failed = 0
    stop_at = time.perf_counter() + seconds

    async def loop(client: RoomClient) -> None:
        nonlocal done, failed
        while time.perf_counter() < stop_at:
            _, finished = await client.run()
            if finished["exitCode"] == 0:
                done += 1
            else:
                failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(client) for client in clients))
    elapsed = time.perf_counter() - started
    for client in clients:
        await client.close()
    return done, failed, elapsed


def _ms(samples: list[float], fraction: float) -> str:
    return f"{percentile(samples, fraction) * 1000:.1f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between runs")
    arguments = parser.parse_args()
    async with running_server() as server, aiohttp.ClientSession() as http:
        base = server.base
        latencies = await hello_latency(http, base, arguments.runs, arguments.pause)
        delays = await first_output_delay(http, base, arguments.runs)
        done, failed, elapsed = await sustained(http, base, arguments.sessions, arguments.seconds)
    print("| figure | p50 | p99 | samples |")
    print("|---|---|---|---|")
    print(f"| Python hello world, POST /runs → run_finished at a room client, runs "
          f"{arguments.pause:g} s apart (ms) "
          f"| {_ms(latencies, 0.5)} | {_ms(latencies, 0.99)} | {len(latencies)} |")
    print(f"| program's first write → first run_output at a room client (ms) "
          f"| {_ms(delays, 0.5)} | {_ms(delays, 0.99)} | {len(delays)} |")
    print(f"\nSustained: {done / elapsed:.1f} runs/s ({done} hello worlds, {failed} failed, "
          f"{arguments.sessions} sessions back to back for {elapsed:.0f} s; 2 cores)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())

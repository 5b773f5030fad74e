"""Collaboration benchmark: edit-to-peer latency, server CPU per 1,000 updates, memory per
idle room, and the load time of a room with a long history.

The server is its own process (`duet serve` with embedded Postgres and Redis, a fresh one
per load); the clients run in separate processes (`bench.collab_client`: raw aiohttp
WebSockets on the y-websocket door `/yjs/{id}`, sending prebuilt one-character updates).

    .venv/bin/python -m bench.collab [--load a|b|idle|history|all] [--seconds N]

* load a: 500 rooms x 3 sockets, every socket types, 350 updates/s in total;
* load b: rooms x 2 sockets, one typist per room at 5 updates/s, stepped over `--b-steps`
  rooms (500 is the issue's load b) until p99 passes 100 ms;
* idle: server RSS per idle loaded room, and the server's CPU while they sit idle;
* history: the first GET (which loads the room) of a session with 20,000 one-character
  updates in its Redis stream, and again once they are compacted into a snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as redis

from bench.collab_client import build_chain
from bench.collab_server import backing_cpu_seconds, cpu_seconds, rss_bytes
from bench.server import Server, running_server
from bench.stats import percentile
from collab.document import load_doc, read_code
from collab.store import ORIGIN, DocumentStore, stream_fields
from schema.keys import updates_stream

REST_CONCURRENCY = 16
SAMPLE_CODE = (
    "def two_sum(nums, target):\n"
    "    seen = {}\n"
    "    for index, value in enumerate(nums):\n"
    "        if target - value in seen:\n"
    "            return seen[target - value], index\n"
    "        seen[value] = index\n"
    "    return None\n"
) * 3  # about 1 KiB, a typical starting snippet


def _user(name: str) -> dict[str, str]:
    return {"id": str(uuid.uuid4()), "name": name, "color": "hsl(200, 80%, 50%)"}


def _command(arguments: Sequence[str]) -> str:
    return shlex.join([".venv/bin/python", "-m", "bench.collab", *arguments])


# -- REST set-up -----------------------------------------------------------------------------


async def create_rooms(
    http: aiohttp.ClientSession, count: int, sockets_per_room: int, code: str = ""
) -> list[dict[str, Any]]:
    """`count` sessions, each with `sockets_per_room` participant tokens (the creator's and
    candidates who joined through the invite)."""
    gate = asyncio.Semaphore(REST_CONCURRENCY)

    async def one() -> dict[str, Any]:
        async with gate:
            async with http.post(
                "/api/v1/sessions", json={"creator": _user("Ivy"), "code": code}
            ) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"create failed: {response.status} {body}")
            tokens = [body["token"]]
            invite = body["invites"]["candidate"]["token"]
            for index in range(sockets_per_room - 1):
                async with http.post(
                    f"/api/v1/sessions/{body['data']['id']}/join",
                    json={"user": _user(f"Cam {index}")},
                    headers={"Authorization": f"Bearer {invite}"},
                ) as response:
                    joined = await response.json()
                    if response.status != 200:
                        raise RuntimeError(f"join failed: {response.status} {joined}")
                tokens.append(joined["token"])
            return {"id": body["data"]["id"], "tokens": tokens}

    return list(await asyncio.gather(*(one() for _ in range(count))))


# -- a realtime load -------------------------------------------------------------------------


async def _readline(stream: asyncio.StreamReader, within: float) -> bytes:
    line = await asyncio.wait_for(stream.readline(), within)
    if not line:
        raise RuntimeError("a client process exited early")
    return line


async def run_load(
    server: Server,
    rooms: list[dict[str, Any]],
    *,
    rate: float,
    typists_per_room: int,
    seconds: float,
    procs: int,
    profile_seconds: float = 0.0,
) -> dict[str, Any]:
    """Spread `rooms` over `procs` client processes (a room's sockets stay in one process,
    so a latency is two readings of one clock), run the load, gather the figures."""
    clients = []
    for index in range(procs):
        spec = {
            "ws_base": server.ws_base,
            "rooms": rooms[index::procs],
            "rate": rate,
            "seconds": seconds,
            "typists_per_room": typists_per_room,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.collab_client",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=1 << 28,
        )  # fmt: skip
        assert process.stdin is not None
        process.stdin.write((json.dumps(spec) + "\n").encode())
        await process.stdin.drain()
        clients.append(process)
    connect_started = time.perf_counter()
    for process in clients:
        assert process.stdout is not None
        line = await _readline(process.stdout, 600)
        if line.strip() != b"ready":
            raise RuntimeError(f"client said {line!r}")
    connect_seconds = time.perf_counter() - connect_started
    await asyncio.sleep(1.0)  # let the joins' after-effects (presence writes) settle
    rss_connected = rss_bytes(server)
    cpu_before, backing_before = cpu_seconds(server), backing_cpu_seconds(server)
    started = time.perf_counter()
    for process in clients:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    profiler = None
    if profile_seconds:
        profiler = asyncio.create_task(profile(server.pid, min(profile_seconds, seconds - 1)))
    results = []
    for process in clients:
        assert process.stdout is not None
        results.append(json.loads(await _readline(process.stdout, seconds + 120)))
    window = time.perf_counter() - started
    cpu = cpu_seconds(server) - cpu_before
    backing = backing_cpu_seconds(server) - backing_before
    rss_loaded = rss_bytes(server)
    for process in clients:
        await process.wait()
    latencies = [value for result in results for value in result["latencies_ms"]]
    lags = [value for result in results for value in result["loop_lags_ms"]]
    sent = sum(result["sent"] for result in results)
    received = sum(result["received"] for result in results)
    expected = sum(result["expected"] for result in results)
    client_cpu = sum(result["client_cpu_s"] for result in results)
    send_window = max(result["send_window_s"] for result in results)
    row: dict[str, Any] = {
        "rooms": len(rooms),
        "sockets": sum(result["sockets"] for result in results),
        "updates_sent": sent,
        "updates_per_s": round(sent / send_window, 1),
        "deliveries": received,
        "deliveries_missing": expected - received,
        "unknown_messages": sum(result["unknown"] for result in results),
        "sockets_dropped": sum(result["closed_by_server"] for result in results),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "p999_ms": round(percentile(latencies, 0.999), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_share": round(cpu / window, 3),
        "server_cpu_ms_per_1000": round(cpu / sent * 1e6, 1) if sent else None,
        "backing_cpu_ms_per_1000": round(backing / sent * 1e6, 1) if sent else None,
        "client_cpu_s": round(client_cpu, 2),
        "client_cpu_share": round(client_cpu / window, 3),
        "client_loop_lag_p99_ms": round(percentile(lags, 0.99), 2),
        "connect_s": round(connect_seconds, 1),
        "server_rss_connected_mib": round(rss_connected / 2**20, 1),
        "server_rss_after_mib": round(rss_loaded / 2**20, 1),
        "window_s": round(window, 1),
    }
    if profiler is not None:
        row["profile"] = await profiler
    return row


async def profile(pid: int, seconds: float) -> dict[str, Any]:
    """py-spy on the server for `seconds`: the top functions by own and by total samples."""
    output = f"/tmp/duet-bench-pyspy-{pid}.txt"
    process = await asyncio.create_subprocess_exec(
        _py_spy(),
        "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "50", "-f", "raw",
        "-o", output, "--nonblocking",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    await process.wait()
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    try:
        text = await asyncio.to_thread(Path(output).read_text)
    except FileNotFoundError:
        return {"own": [], "total": []}
    for line in text.splitlines():
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        # A frame is `function (file.py:line)`; group by function and file, not line.
        frames = [frame.rsplit(":", 1)[0] + ")" for frame in stack.split(";")]
        samples += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + count

    def top(counts: dict[str, int], n: int) -> list[tuple[str, float]]:
        ranked = sorted(counts.items(), key=lambda item: -item[1])[:n]
        return [(name, round(100 * count / samples, 1)) for name, count in ranked]

    return {"own": top(own, 15), "total": top(total, 30), "samples": samples}


def _py_spy() -> str:
    candidate = Path(sys.executable).with_name("py-spy")
    return str(candidate) if candidate.exists() else "py-spy"


async def load_a(seconds: float, procs: int, profile_seconds: float) -> dict[str, Any]:
    async with running_server() as server:
        async with aiohttp.ClientSession(base_url=server.base) as http:
            rooms = await create_rooms(http, 500, 3)
        return await run_load(server, rooms, rate=350 / 1500, typists_per_room=3,
                              seconds=seconds, procs=procs,
                              profile_seconds=profile_seconds)  # fmt: skip


async def load_b(rooms_count: int, seconds: float, procs: int,
                 profile_seconds: float) -> dict[str, Any]:  # fmt: skip
    async with running_server() as server:
        async with aiohttp.ClientSession(base_url=server.base) as http:
            rooms = await create_rooms(http, rooms_count, 2)
        return await run_load(server, rooms, rate=5.0, typists_per_room=1, seconds=seconds,
                              procs=procs, profile_seconds=profile_seconds)  # fmt: skip


# -- idle rooms --------------------------------------------------------------------------------


async def idle_rooms(count: int) -> dict[str, Any]:
    """RSS per loaded idle room: N sessions created first, then each opened by one GET."""
    async with running_server({"DUET_ROOM_IDLE_SECONDS": "3600"}) as server:
        gate = asyncio.Semaphore(REST_CONCURRENCY)
        async with aiohttp.ClientSession(base_url=server.base) as http:
            rooms = await create_rooms(http, count + 1, 1, code=SAMPLE_CODE)

            async def get(room: dict[str, Any]) -> None:
                async with gate:
                    headers = {"Authorization": f"Bearer {room['tokens'][0]}"}
                    async with http.get(f"/api/v1/sessions/{room['id']}", headers=headers) as r:
                        await r.read()
                        assert r.status == 200, r.status

            await get(rooms[0])  # warm the code path
            await asyncio.sleep(3)
            cpu_before = cpu_seconds(server)
            await asyncio.sleep(5)
            idle_cpu_empty = (cpu_seconds(server) - cpu_before) / 5
            rss_before = rss_bytes(server)
            await asyncio.gather(*(get(room) for room in rooms[1:]))
            await asyncio.sleep(3)
            rss_after = rss_bytes(server)
            cpu_before = cpu_seconds(server)
            await asyncio.sleep(5)
            idle_cpu_loaded = (cpu_seconds(server) - cpu_before) / 5
            # Opening them again must not grow anything (they are loaded).
            await asyncio.gather(*(get(room) for room in rooms[1:]))
            await asyncio.sleep(2)
            rss_again = rss_bytes(server)
    return {
        "rooms": count,
        "code_bytes": len(SAMPLE_CODE),
        "rss_before_mib": round(rss_before / 2**20, 1),
        "rss_after_mib": round(rss_after / 2**20, 1),
        "kib_per_room": round((rss_after - rss_before) / count / 1024, 1),
        "rss_after_second_get_mib": round(rss_again / 2**20, 1),
        "idle_cpu_share_no_rooms": round(idle_cpu_empty, 3),
        "idle_cpu_share_loaded": round(idle_cpu_loaded, 3),
    }


# -- a long history ----------------------------------------------------------------------------


async def history(updates: int, repeats: int = 5) -> dict[str, Any]:
    """The first GET of a session whose stream holds `updates` one-character updates."""
    env = {"DUET_ROOM_IDLE_SECONDS": "1", "DUET_SNAPSHOT_DELAY": "0.5"}
    chain = build_chain(0, updates)
    async with running_server(env) as server:
        cache = redis.Redis(unix_socket_path=str(server.redis_socket))
        async with aiohttp.ClientSession(base_url=server.base) as http:
            long, empty = await create_rooms(http, 2, 1)
            key = updates_stream(long["id"])
            for offset in range(0, updates, 1000):
                async with cache.pipeline(transaction=False) as pipe:
                    for update in chain[offset : offset + 1000]:
                        # As the server writes them (an update it accepted, with its CRC).
                        pipe.xadd(key, stream_fields(update, "bench-history"))
                    await pipe.execute()
            stream_length = await cache.xlen(key)

            async def timed_get(room: dict[str, Any]) -> tuple[float, str]:
                headers = {"Authorization": f"Bearer {room['tokens'][0]}"}
                started = time.perf_counter()
                async with http.get(f"/api/v1/sessions/{room['id']}", headers=headers) as r:
                    body = await r.json()
                    assert r.status == 200, body
                return (time.perf_counter() - started) * 1000, body["data"]["code"]

            async def cold(room: dict[str, Any], length: int) -> list[float]:
                times = []
                for _ in range(repeats):
                    await asyncio.sleep(2.5)  # the room is closed after 1 s idle
                    elapsed, code = await timed_get(room)
                    assert len(code) == length, (len(code), length)
                    times.append(elapsed)
                return times

            cold_stream = await cold(long, updates)
            warm = [(await timed_get(long))[0] for _ in range(20)]
            cold_empty = await cold(empty, 0)
            # Where the time goes, in this process: reading the stream, replaying it, and
            # replaying it with every update parsed again (entries without a checksum).
            store = DocumentStore(None, cache)  # type: ignore[arg-type]  # Redis only
            started = time.perf_counter()
            stream = await store.read_range(long["id"], ORIGIN)
            xrange_ms = (time.perf_counter() - started) * 1000
            stored = stream.updates
            started = time.perf_counter()
            doc = load_doc(None, stored, stream.checked)
            replay_ms = (time.perf_counter() - started) * 1000
            assert len(read_code(doc)) == updates
            started = time.perf_counter()
            load_doc(None, stored)
            replay_unchecked_ms = (time.perf_counter() - started) * 1000
            # One edit makes the room dirty: it is snapshotted (the stream trimmed to it),
            # then closed when idle; the next load starts from the compacted snapshot.
            headers = {"Authorization": f"Bearer {long['tokens'][0]}"}
            code = (await timed_get(long))[1]
            async with http.patch(f"/api/v1/sessions/{long['id']}", headers=headers,
                                  json={"code": code + "!"}) as r:  # fmt: skip
                assert r.status == 200, await r.text()
            await asyncio.sleep(3)
            trimmed_length = await cache.xlen(key)
            cold_snapshot = await cold(long, updates + 1)
        await cache.aclose()
    return {
        "updates": updates,
        "stream_entries": stream_length,
        "cold_get_stream_ms": [round(value, 1) for value in cold_stream],
        "warm_get_median_ms": round(statistics.median(warm), 1),
        "cold_get_empty_ms": [round(value, 1) for value in cold_empty],
        "xrange_ms_in_bench_process": round(xrange_ms, 1),
        "load_doc_ms_in_bench_process": round(replay_ms, 1),
        "load_doc_unchecked_ms_in_bench_process": round(replay_unchecked_ms, 1),
        "stream_entries_after_snapshot": trimmed_length,
        "cold_get_snapshot_ms": [round(value, 1) for value in cold_snapshot],
    }


# -- report ------------------------------------------------------------------------------------


def _load_rows(name: str, row: dict[str, Any], command: str, target: str) -> list[str]:
    return [
        f"| {name}: edit-to-peer latency p50 / p99 / p99.9 / max | {row['p50_ms']} / "
        f"{row['p99_ms']} / {row['p999_ms']} / {row['max_ms']} ms | {target} | `{command}` |",
        f"| {name}: server CPU per 1,000 updates (Postgres+Redis extra) | "
        f"{row['server_cpu_ms_per_1000']} ms ({row['backing_cpu_ms_per_1000']} ms); server at "
        f"{round(100 * row['server_cpu_share'])}% of a core | | `{command}` |",
        f"| {name}: load actually run | {row['rooms']} rooms, {row['sockets']} sockets, "
        f"{row['updates_per_s']} updates/s, {row['updates_sent']} updates, "
        f"{row['deliveries']} deliveries ({row['deliveries_missing']} missing), "
        f"{row['sockets_dropped']} sockets dropped by the server | | "
        f"`{command}` |",
        f"| {name}: client cost | {round(100 * row['client_cpu_share'])}% of a core "
        f"({round(row['client_cpu_s'] / max(row['updates_sent'], 1) * 1e6, 1)} ms per 1,000 "
        f"updates incl. deliveries); client loop lag p99 {row['client_loop_lag_p99_ms']} ms "
        f"| | `{command}` |",
        f"| {name}: server RSS with sockets connected / after | "
        f"{row['server_rss_connected_mib']} / {row['server_rss_after_mib']} MiB | | "
        f"`{command}` |",
    ]


async def bench(arguments: argparse.Namespace) -> tuple[list[str], dict[str, Any]]:
    loads = arguments.load
    seconds, procs = arguments.seconds, arguments.client_procs
    common = ["--seconds", f"{seconds:g}", "--client-procs", str(procs)]
    lines: list[str] = []
    raw: dict[str, Any] = {}
    if loads in ("idle", "all"):
        idle = await idle_rooms(arguments.idle_rooms)
        raw["idle"] = idle
        command = _command(["--load", "idle", "--idle-rooms", str(arguments.idle_rooms)])
        lines.append(
            f"| memory per idle room ({idle['rooms']} rooms, {idle['code_bytes']} B of code "
            f"each) | {idle['kib_per_room']} KiB (RSS {idle['rss_before_mib']} → "
            f"{idle['rss_after_mib']} MiB) | < 1 MiB | `{command}` |"
        )
        lines.append(
            f"| server CPU while idle: no rooms / {idle['rooms']} idle rooms loaded | "
            f"{round(100 * idle['idle_cpu_share_no_rooms'], 1)}% / "
            f"{round(100 * idle['idle_cpu_share_loaded'], 1)}% of a core | | `{command}` |"
        )
    if loads in ("history", "all"):
        hist = await history(20_000)
        raw["history"] = hist
        command = _command(["--load", "history"])
        med = statistics.median
        lines.append(
            f"| load a room with 20,000 updates in its stream: first GET, median (all) | "
            f"{med(hist['cold_get_stream_ms'])} ms ({hist['cold_get_stream_ms']}) | < 50 ms | "
            f"`{command}` |"
        )
        lines.append(
            f"| … of which, timed in the bench process: XRANGE of 20,000 entries / "
            f"`load_doc` replay (every update parsed again, as for entries without a "
            f"checksum) | {hist['xrange_ms_in_bench_process']} / "
            f"{hist['load_doc_ms_in_bench_process']} "
            f"({hist['load_doc_unchecked_ms_in_bench_process']}) ms | | `{command}` |"
        )
        lines.append(
            f"| load the same room once its history is compacted into a snapshot: first GET, "
            f"median (all) | {med(hist['cold_get_snapshot_ms'])} ms "
            f"({hist['cold_get_snapshot_ms']}) | < 50 ms | `{command}` |"
        )
        lines.append(
            f"| control: first GET of an empty room / GET of a loaded room (median) | "
            f"{med(hist['cold_get_empty_ms'])} / {hist['warm_get_median_ms']} ms | | "
            f"`{command}` |"
        )
    if loads in ("a", "all"):
        row = await load_a(seconds, procs, arguments.profile)
        raw["a"] = row
        lines += _load_rows("load a (500 rooms x 3 sockets, 350 updates/s)", row,
                            _command(["--load", "a", *common]), "p99 < 10 ms")  # fmt: skip
    if loads in ("b", "all"):
        steps = [int(step) for step in arguments.b_steps.split(",")]
        raw["b"] = []
        crossed = None
        for step in steps:
            profile_seconds = arguments.profile
            row = await load_b(step, seconds, procs, profile_seconds)
            raw["b"].append(row)
            target = "p99 < 50 ms" if step == 500 else "where p99 > 100 ms?"
            lines += _load_rows(f"load b, {step} rooms x 2 sockets, 5 updates/s per typist",
                                row, _command(["--load", "b", "--b-steps", str(step), *common]),
                                target)  # fmt: skip
            if row["p99_ms"] > 100:
                crossed = step
                break
        below = [row["rooms"] for row in raw["b"] if row["p99_ms"] <= 100]
        if crossed is None:
            verdict = f"not crossed up to {steps[-1]} rooms ({steps[-1] * 5} updates/s)"
        else:
            verdict = (f"between {max(below) if below else 0} and {crossed} rooms "
                       f"({crossed * 5} updates/s: p99 {raw['b'][-1]['p99_ms']} ms)")  # fmt: skip
        lines.append(
            f"| load b: where p99 crosses 100 ms | {verdict} | report | "
            f"`{_command(['--load', 'b', '--b-steps', arguments.b_steps, *common])}` |"
        )
    return lines, raw


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--load", choices=["a", "b", "idle", "history", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=20.0, help="typing time per load")
    parser.add_argument("--client-procs", type=int, default=1, help="client processes")
    parser.add_argument(
        "--b-steps",
        default="100,250,500,750,1000",
        help="rooms per step of load b; stops after p99 passes 100 ms",
    )
    parser.add_argument("--idle-rooms", type=int, default=1000)
    parser.add_argument(
        "--profile",
        type=float,
        default=0.0,
        help="py-spy the server for this many seconds of load a and of each load b step "
        "(figures from such a run are slowed by py-spy)",
    )
    parser.add_argument("--json", action="store_true", help="also print the raw figures")
    arguments = parser.parse_args()
    lines, raw = asyncio.run(bench(arguments))
    print("| figure | value | target | command |")
    print("|---|---|---|---|")
    for line in lines:
        print(line)
    for name, row in [("a", raw.get("a"))] + [("b", row) for row in raw.get("b", [])]:
        if row and "profile" in row:
            print(f"\npy-spy, load {name} at {row['rooms']} rooms, "
                  f"{row['profile'].get('samples')} samples")  # fmt: skip
            print("own time:", json.dumps(row["profile"]["own"]))
            print("total time:", json.dumps(row["profile"]["total"]))
    if arguments.json:
        print(json.dumps(raw))


if __name__ == "__main__":
    main()

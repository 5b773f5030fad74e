"""The load generator of `bench.collab`: one process holding many y-websocket clients.

Run by `bench.collab` as `python -m bench.collab_client`; it reads one JSON line (the spec)
on stdin, connects every socket, prints `ready`, waits for `go` on stdin, types for the
given time, waits for the last updates to arrive, prints one JSON line of results and exits.

A client is a raw aiohttp WebSocket on the `/yjs/{sessionId}?token=` door. It keeps no
document: a typist sends prebuilt y-websocket `sync update` messages (one character each,
appended after its own previous character, so each depends only on the typist's own earlier
updates and stays valid whatever its peers type), and a receiver maps the message bytes,
which the server forwards unchanged, back to (typist slot, sequence number) and so to the
send time recorded in this same process. That makes the client about as cheap as a client
can be; a browser would also apply each update to its document.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field

import aiohttp
import uvloop
from pycrdt import Doc, Text

from collab import protocol

# Typist slot k in every room writes as Yjs client id CLIENT_ID_BASE + k.
CLIENT_ID_BASE = 1_000_001
CONNECT_CONCURRENCY = 32


def build_chain(slot: int, length: int) -> list[bytes]:
    """`length` single-character updates by client `CLIENT_ID_BASE + slot`, each inserted
    right after the previous one (raw v1 updates, not framed)."""
    doc: Doc = Doc(client_id=CLIENT_ID_BASE + slot)
    text = doc.get("code", type=Text)
    updates = []
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for index in range(length):
        before = doc.get_state()
        text.insert(index, alphabet[(index + slot) % 26])
        updates.append(doc.get_update(before))
    return updates


@dataclass
class RoomState:
    session_id: str
    sent: dict[tuple[int, int], float] = field(default_factory=dict)
    peers: int = 0


@dataclass
class Totals:
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    received: int = 0
    expected: int = 0
    unknown: int = 0
    lags: list[float] = field(default_factory=list)
    closed_by_server: int = 0
    done_sending: bool = False
    all_in: asyncio.Event = field(default_factory=asyncio.Event)


async def _reader(ws: aiohttp.ClientWebSocketResponse, room: RoomState,
                  lookup: dict[bytes, tuple[int, int]], totals: Totals) -> None:  # fmt: skip
    clock = time.perf_counter
    while True:
        message = await ws.receive()
        if message.type == aiohttp.WSMsgType.BINARY:
            now = clock()
            key = lookup.get(message.data)
            if key is None:
                totals.unknown += 1
                continue
            sent_at = room.sent.get(key)
            if sent_at is not None:
                totals.latencies.append(now - sent_at)
                totals.received += 1
                if totals.done_sending and totals.received >= totals.expected:
                    totals.all_in.set()
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                              aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):  # fmt: skip
            if not totals.done_sending:
                totals.closed_by_server += 1
            return


async def _typist(ws: aiohttp.ClientWebSocketResponse, room: RoomState, slot: int,
                  messages: list[bytes], rate: float, start: float, stop: float,
                  totals: Totals) -> None:  # fmt: skip
    """Open loop: message i is due at start + phase + i / rate, whatever happened before."""
    clock = time.perf_counter
    interval = 1.0 / rate
    due = start + random.random() * interval
    seq = 0
    while due < stop and seq < len(messages):
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        if ws.closed:
            return  # the server dropped this socket (counted by its reader)
        room.sent[(slot, seq)] = clock()
        try:
            await ws.send_bytes(messages[seq])
        except (aiohttp.ClientError, ConnectionError):
            return
        totals.sent += 1
        totals.expected += room.peers
        seq += 1
        due += interval


async def _loop_lag(stop: float, totals: Totals) -> None:
    """How late this process's event loop wakes a 10 ms sleeper: the client's own share of
    any latency figure."""
    clock = time.perf_counter
    while clock() < stop:
        before = clock()
        await asyncio.sleep(0.01)
        totals.lags.append(clock() - before - 0.01)


async def run(spec: dict) -> dict:
    rate: float = spec["rate"]
    seconds: float = spec["seconds"]
    typists_per_room: int = spec["typists_per_room"]
    length = int(rate * seconds) + 2
    chains = [
        [protocol.sync_update(update) for update in build_chain(slot, length)]
        for slot in range(typists_per_room)
    ]
    lookup = {message: (slot, seq) for slot, chain in enumerate(chains)
              for seq, message in enumerate(chain)}  # fmt: skip
    totals = Totals()
    connector = aiohttp.TCPConnector(limit=0)
    http = aiohttp.ClientSession(connector=connector)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    sockets: list[tuple[aiohttp.ClientWebSocketResponse, RoomState, int]] = []

    async def connect(room: RoomState, token: str, index: int) -> None:
        async with gate:
            url = f"{spec['ws_base']}/yjs/{room.session_id}?token={token}"
            ws = await http.ws_connect(url, autoping=True, max_msg_size=0)
            # The server's greeting (its sync step 1) says we are in the room.
            greeting = await asyncio.wait_for(ws.receive(), 30)
            if greeting.type != aiohttp.WSMsgType.BINARY:
                raise RuntimeError(f"unexpected greeting {greeting.type}")
            sockets.append((ws, room, index))

    rooms = []
    for entry in spec["rooms"]:
        room = RoomState(entry["id"])
        room.peers = len(entry["tokens"]) - 1
        rooms.append(room)
    await asyncio.gather(*(connect(room, token, index)
                           for room, entry in zip(rooms, spec["rooms"], strict=True)
                           for index, token in enumerate(entry["tokens"])))  # fmt: skip
    readers = [asyncio.create_task(_reader(ws, room, lookup, totals)) for ws, room, _ in sockets]
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    if line.strip() != "go":
        raise SystemExit("expected 'go'")

    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    stop = start + seconds
    work = [
        _typist(ws, room, index, chains[index], rate, start, stop, totals)
        for ws, room, index in sockets
        if index < typists_per_room
    ]
    await asyncio.gather(_loop_lag(stop, totals), *work)
    sending_ended = time.perf_counter()
    # Wait for what is still in flight (up to drain_seconds).
    totals.done_sending = True
    if totals.received < totals.expected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(totals.all_in.wait(), spec.get("drain_seconds", 10.0))
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = time.perf_counter() - start
    cpu = (usage_after.ru_utime + usage_after.ru_stime) - (
        usage_before.ru_utime + usage_before.ru_stime
    )
    result = {
        "latencies_ms": [round(value * 1000, 3) for value in totals.latencies],
        "sent": totals.sent,
        "received": totals.received,
        "expected": totals.expected,
        "unknown": totals.unknown,
        "closed_by_server": totals.closed_by_server,
        "sockets": len(sockets),
        "client_cpu_s": round(cpu, 3),
        "elapsed_s": round(elapsed, 3),
        "send_window_s": round(sending_ended - start, 3),
        "loop_lags_ms": [round(value * 1000, 3) for value in totals.lags],
    }
    print(json.dumps(result), flush=True)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws, _, _ in sockets), return_exceptions=True)
    await http.close()
    return result


def main() -> None:
    spec = json.loads(sys.stdin.readline())
    uvloop.run(run(spec))


if __name__ == "__main__":
    main()

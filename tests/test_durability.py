"""A power cut while two clients type loses nothing that anyone saw: every update is in the
stream (fsynced) before it is broadcast, and a restarted server reloads the same history."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path

import aiohttp

from tests.conftest import user
from tests.peers import YjsPeer
from tests.processes import ServerProcess, embedded_pids

TOKEN = re.compile(r"[AB]\d{4};")


async def _type(peer: YjsPeer, mark: str, stop: asyncio.Event) -> None:
    index = 0
    with contextlib.suppress(Exception):  # the server vanishes mid-emit
        while not stop.is_set():
            await peer.insert(0, f"{mark}{index:04d};")
            index += 1
            await asyncio.sleep(0.002)


async def test_kill_9_loses_no_update_that_was_broadcast(tmp_path: Path, data_root: Path):
    data_dir = data_root / "data"
    server = ServerProcess(data_dir, tmp_path / "first.log")
    await server.wait_ready()
    async with aiohttp.ClientSession(base_url=server.base) as http:
        async with http.post(
            "/api/v1/sessions", json={"creator": user("Ivy"), "code": "start;"}
        ) as response:
            created = await response.json()
        session_id = created["data"]["id"]
        async with http.post(
            f"/api/v1/sessions/{session_id}/join",
            json={"user": user("Cam")},
            headers={"Authorization": f"Bearer {created['invites']['candidate']['token']}"},
        ) as response:
            candidate_token = (await response.json())["token"]

    alice, bob = YjsPeer(), YjsPeer()
    await alice.connect(server.base, created["token"])
    await bob.connect(server.base, candidate_token)
    stop = asyncio.Event()
    typists = [asyncio.create_task(_type(alice, "A", stop)),
               asyncio.create_task(_type(bob, "B", stop))]  # fmt: skip
    await asyncio.sleep(1.5)
    server.power_cut()
    stop.set()
    await asyncio.gather(*typists)
    # What each client saw broadcast: the other one's edits in its own copy.
    seen = set(TOKEN.findall(alice.code)) - {t for t in TOKEN.findall(alice.code) if t[0] == "A"}
    seen |= {t for t in TOKEN.findall(bob.code) if t[0] == "A"}
    assert len(seen) > 20, "the clients barely typed; the test would prove nothing"
    for peer in (alice, bob):
        with contextlib.suppress(Exception):
            await peer.disconnect()

    restarted = ServerProcess(data_dir, tmp_path / "second.log")
    try:
        await restarted.wait_ready()
        fresh = YjsPeer()
        await fresh.connect(restarted.base, created["token"])
        stored = TOKEN.findall(fresh.code)
        missing = seen - set(stored)
        assert not missing, f"{len(missing)} broadcast updates lost, e.g. {sorted(missing)[:5]}"
        assert len(stored) == len(set(stored)), "an update was applied twice"
        assert fresh.code.endswith("start;")
        await fresh.disconnect()
    finally:
        restarted.terminate()
    assert not embedded_pids(data_dir), "the restarted server stops its embedded services"

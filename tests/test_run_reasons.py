"""Why a run ended, decided on the server: each `reason` (exit, compile_error, time_limit,
cpu_limit, memory_limit, output_limit, cancelled) with the value of the limit it reached,
from real sandboxes, the same in run_finished, the REST history and the raw WebSocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from runner.languages import LANGUAGES
from server.app import create_app
from tests.conftest import bearer, create_room
from tests.peers import eventually
from tests.runs_helpers import RunPeer, get_run, start_run

# Small limits, so each one is reached quickly.
LIMITS = {"run_wall_time": 3.0, "run_cpu_time": 1, "run_memory_mb": 64, "run_output_bytes": 4096}


@pytest.fixture
async def app_client(aiohttp_client, settings) -> Any:
    client = await aiohttp_client(create_app(settings.model_copy(update=LIMITS)))
    peers: list[RunPeer] = []

    async def peer(token: str) -> RunPeer:
        made = RunPeer()
        peers.append(made)
        await made.connect(str(client.make_url("/")), token)
        return made

    client.peer = peer
    yield client
    for made in peers:
        await made.disconnect()


CASES = [
    ("python", "print('fine')\n", "exit", None),
    ("python", "raise SystemExit(3)\n", "exit", None),
    ("c", "int main(void) { return undefined_name; }\n", "compile_error", None),
    ("python", "import time\ntime.sleep(30)\n", "time_limit", 3.0),
    ("python", "while True:\n    pass\n", "cpu_limit", 1),
    ("python", "x = bytearray(512 * 1024 * 1024)\nimport time\ntime.sleep(5)\n",
     "memory_limit", 64 * 1024 * 1024),
    ("python", "while True:\n    print('x' * 100)\n", "output_limit", 4096),
]  # fmt: skip


@pytest.mark.parametrize(("language", "code", "reason", "limit"), CASES)
async def test_each_reason_reaches_the_event_and_the_history(
    app_client: Any, language: str, code: str, reason: str, limit: float | None
) -> None:
    if not LANGUAGES[language].runnable:
        pytest.skip(f"{language} is not installed here")
    room = await create_room(app_client, code=code, language=language)
    watcher = await app_client.peer(room.token)
    ws = await app_client.ws_connect(f"/ws/sessions/{room.id}?token={room.token}")
    run = await start_run(app_client, room.id, room.token)
    assert run["reason"] is None and run["limit"] is None
    finished = await watcher.wait_finished(run["id"])
    assert (finished["reason"], finished["limit"]) == (reason, limit), finished
    raw = None
    async with asyncio.timeout(20):
        while raw is None:
            message = json.loads((await ws.receive()).data)
            if message["type"] == "run_finished":
                raw = message["data"]
    await ws.close()
    assert (raw["reason"], raw["limit"]) == (reason, limit)
    stored = await get_run(app_client, room.id, room.token, run["id"])
    assert (stored["reason"], stored["limit"]) == (reason, limit)
    response = await app_client.get(f"/api/v1/sessions/{room.id}/runs", headers=bearer(room.token))
    listed = (await response.json())["data"][0]
    assert (listed["reason"], listed["limit"]) == (reason, limit)


async def test_a_cancelled_run_says_cancelled(app_client: Any) -> None:
    room = await create_room(
        app_client, code="import time\nprint('up', flush=True)\ntime.sleep(30)\n",
        language="python",
    )  # fmt: skip
    watcher = await app_client.peer(room.token)
    run = await start_run(app_client, room.id, room.token)
    await eventually(lambda: watcher.output(run["id"]) == "up\n", 20, "the program started")
    response = await app_client.post(
        f"/api/v1/sessions/{room.id}/runs/{run['id']}/cancel", headers=bearer(room.token)
    )
    assert response.status in (200, 202)
    finished = await watcher.wait_finished(run["id"])
    assert (finished["reason"], finished["limit"]) == ("cancelled", None)
    stored = await get_run(app_client, room.id, room.token, run["id"])
    assert stored["reason"] == "cancelled"

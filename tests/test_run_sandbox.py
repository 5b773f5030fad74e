"""The sandbox behind the run API: the server refuses to start without a usable one unless
told to run unsafely (and then says so), and a hostile program leaves it serving."""

from __future__ import annotations

import pytest
from aiohttp import web

from runner.backends import UNSAFE_WARNING, SandboxUnavailable
from runner.languages import get_language
from runner.limits import SandboxCheck
from server.app import create_app
from server.state import RUNS
from tests.conftest import bearer, create_room
from tests.peers import eventually
from tests.runs_helpers import RunPeer, start_run

FORK_BOMB = (
    "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
)


async def test_without_bubblewrap_the_server_refuses_to_start(settings, monkeypatch):
    async def unusable(protected_paths=()):
        return SandboxCheck(usable=False, reason="user namespaces are disabled")

    monkeypatch.setattr("runner.backends.check_bubblewrap", unusable)
    app = create_app(settings)
    with pytest.raises(SandboxUnavailable, match=r"namespaces are disabled.*unsafe-subprocess"):
        await web.AppRunner(app).setup()
    await app.cleanup()  # what started before the refusal (pools, the room registry)


async def test_unsafe_subprocess_runs_and_warns(aiohttp_client, settings, monkeypatch, caplog):
    async def unusable(protected_paths=()):
        return SandboxCheck(usable=False, reason="no bwrap")

    monkeypatch.setattr("runner.backends.check_bubblewrap", unusable)
    unsafe = settings.model_copy(update={"runner": "unsafe-subprocess"})
    client = await aiohttp_client(create_app(unsafe))
    assert UNSAFE_WARNING in caplog.text
    health = await (await client.get("/api/v1/health/detailed")).json()
    assert UNSAFE_WARNING in health["warnings"]
    room = await create_room(client, code="print(input())", language="python")
    peer = RunPeer()
    await peer.connect(str(client.make_url("/")), room.token)
    try:
        run = await start_run(client, room.id, room.token, stdin="unsafe\n")
        assert (await peer.wait_finished(run["id"]))["exitCode"] == 0
        assert peer.output(run["id"]) == "unsafe\n"
    finally:
        await peer.disconnect()


async def test_bubblewrap_has_no_warnings(client):
    health = await (await client.get("/api/v1/health/detailed")).json()
    assert UNSAFE_WARNING not in health["warnings"]


async def test_after_a_fork_bomb_the_server_serves_and_runs(aiohttp_client, settings):
    short = settings.model_copy(update={"run_wall_time": 3.0})
    client = await aiohttp_client(create_app(short))
    room = await create_room(client, code=FORK_BOMB, language="python")
    peer = RunPeer()
    await peer.connect(str(client.make_url("/")), room.token)
    try:
        bomb = await start_run(client, room.id, room.token)
        finished = await peer.wait_finished(bomb["id"])
        assert finished["exitCode"] != 0 or finished["timedOut"] or finished["signal"]
        ready = await client.get("/health/ready")
        assert ready.status == 200
        after = await start_run(
            client, room.id, room.token, code="print(input()[::-1])", stdin="olleh\n"
        )
        assert (await peer.wait_finished(after["id"]))["exitCode"] == 0
        assert peer.output(after["id"]) == "hello\n"
    finally:
        await peer.disconnect()


async def test_entering_a_room_builds_the_sandbox_for_its_first_run(client):
    room = await create_room(client, code="print('first')", language="python")
    manager = client.app[RUNS]
    standby = manager.sandbox._standby
    key = ("python", manager.limits_for(get_language("python")))
    assert standby.count(key) == 0
    peer = RunPeer()
    await peer.connect(str(client.make_url("/")), room.token)
    try:
        await standby.ready(key)
        assert standby.count(key) == 1
        run = await start_run(client, room.id, room.token)
        assert (await peer.wait_finished(run["id"]))["exitCode"] == 0
        assert peer.output(run["id"]) == "first\n"
        # The interview's very first run took the sandbox built when the room was entered.
        assert (standby.hits, standby.misses) == (1, 0)
    finally:
        await peer.disconnect()


async def test_switching_language_builds_a_sandbox_for_the_new_one(client):
    room = await create_room(client, code="echo switched", language="python")
    manager = client.app[RUNS]
    standby = manager.sandbox._standby
    bash_key = ("bash", manager.limits_for(get_language("bash")))
    peer = RunPeer()
    await peer.connect(str(client.make_url("/")), room.token)
    try:
        response = await client.patch(
            f"/api/v1/sessions/{room.id}", json={"language": "bash"}, headers=bearer(room.token)
        )
        assert response.status == 200, await response.text()
        await eventually(lambda: bash_key in standby._filling or standby.count(bash_key) == 1)
        await standby.ready(bash_key)
        run = await start_run(client, room.id, room.token)
        assert (await peer.wait_finished(run["id"]))["exitCode"] == 0
        assert peer.output(run["id"]) == "switched\n"
        assert standby.hits == 1
    finally:
        await peer.disconnect()

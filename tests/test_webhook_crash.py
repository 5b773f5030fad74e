"""A power cut loses no webhook: every change the API confirmed has its delivery in the
Postgres outbox (same transaction), and the restarted server sends it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from tests.accounts_helpers import PASSWORD
from tests.peers import eventually
from tests.processes import ServerProcess

ENVIRONMENT = {
    "DUET_WEBHOOK_ALLOW_PRIVATE": "true",
    "DUET_WEBHOOK_POLL_INTERVAL": "0.1",
    "DUET_WEBHOOK_RETRY_BASE": "0.2",
    "DUET_WEBHOOK_RETRY_MAX_DELAY": "0.5",
    "DUET_JWT_SECRET": "j" * 40,
    # A claim cut off by the power cut is retried once its lease (timeout + 5 s) runs out.
    "DUET_WEBHOOK_TIMEOUT": "1",
}


async def test_a_power_cut_loses_no_delivery(aiohttp_server, tmp_path: Path, data_root: Path):
    received: dict[str, dict] = {}
    attempts: list[str] = []
    accepting = {"now": False}

    async def receive(request: web.Request) -> web.Response:
        attempts.append(request.headers["webhook-id"])
        if not accepting["now"]:
            return web.Response(status=503)  # down for maintenance: everything stays pending
        body = await request.read()
        event = Webhook(secret).verify(body, {k.lower(): v for k, v in request.headers.items()})
        received[request.headers["webhook-id"]] = event
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    receiver = await aiohttp_server(app)

    data_dir = data_root / "data"
    server = ServerProcess(data_dir, tmp_path / "first.log", **ENVIRONMENT)
    await server.wait_ready()
    created: list[str] = []
    async with aiohttp.ClientSession(base_url=server.base) as http:
        name = f"crash_{uuid.uuid4().hex[:8]}"
        async with http.post("/api/v1/auth/register", json={
            "username": name, "email": f"{name}@example.com", "password": PASSWORD,
        }) as response:  # fmt: skip
            access = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        async with http.post("/api/v1/webhooks", headers=headers, json={
            "url": str(receiver.make_url("/hook")), "events": ["session.created"],
        }) as response:  # fmt: skip
            secret = (await response.json())["secret"]
        for _ in range(5):
            async with http.post("/api/v1/sessions", json={}, headers=headers) as response:
                assert response.status == 201
                created.append((await response.json())["data"]["id"])
    await eventually(lambda: len(attempts) >= 5, within=20, what="first attempts")
    server.power_cut()

    accepting["now"] = True
    restarted = ServerProcess(data_dir, tmp_path / "second.log", **ENVIRONMENT)
    try:
        await restarted.wait_ready()
        await eventually(lambda: len(received) == 5, within=30, what="every delivery")
    finally:
        restarted.terminate()
    sessions = sorted(event["data"]["session"]["id"] for event in received.values())
    assert sessions == sorted(created)
    assert all(event["type"] == "session.created" for event in received.values())
    assert "whsec_" not in json.dumps(list(received.values()))

"""Accounts and integrations: argon2id logins at the production cost, reading a session
with a participant token / the owner's access token / an API token, and the delay from a
change to its webhook at a receiver on loopback.

Run with `make bench` or `python -m bench.accounts [--seconds N] [--clients N]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid

import aiohttp
from aiohttp import web

from bench.api import _run_clients, _user
from bench.server import running_server
from bench.stats import percentile, run_load_table, summary

PASSWORD = "correct horse battery"
WEBHOOK_SAMPLES = 40


async def _receiver(
    arrivals: dict[str, float], expected: int, done: asyncio.Event
) -> tuple[web.AppRunner, str]:
    async def receive(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        arrivals[body["data"]["session"]["id"]] = time.perf_counter()
        if len(arrivals) >= expected:
            done.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/hook"


async def bench(seconds: float, clients: int) -> list[dict[str, object]]:
    arrivals: dict[str, float] = {}
    all_arrived = asyncio.Event()
    runner, hook_url = await _receiver(arrivals, WEBHOOK_SAMPLES, all_arrived)
    env = {"DUET_WEBHOOK_ALLOW_PRIVATE": "true"}
    try:
        async with running_server(env) as server, aiohttp.ClientSession(server.base) as http:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            async with http.post("/api/v1/auth/register", json={
                "username": name, "email": f"{name}@example.com", "password": PASSWORD,
            }) as response:  # fmt: skip
                access = (await response.json())["access_token"]
            owner = {"Authorization": f"Bearer {access}"}
            async with http.post(
                "/api/v1/tokens", headers=owner, json={"name": "bench", "scopes": ["sessions:read"]}
            ) as r:
                api = {"Authorization": f"Bearer {(await r.json())['token']}"}
            async with http.post(
                "/api/v1/sessions",
                headers=owner,
                json={"creator": _user("Ivy"), "code": "print(1)"},
            ) as r:
                created = await r.json()
            path = f"/api/v1/sessions/{created['data']['id']}"
            participant = {"Authorization": f"Bearer {created['token']}"}

            async def login() -> bool:
                async with http.post(
                    "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
                ) as r:
                    await r.read()
                    return r.status == 200

            def reader(headers: dict[str, str]):
                async def read() -> bool:
                    async with http.get(path, headers=headers) as r:
                        await r.read()
                        return r.status == 200

                return read

            results = [
                summary(
                    "login (argon2id, 64 MiB, t=3)",
                    *await _run_clients(min(clients, 8), seconds, login),
                )
            ]
            for label, headers in (("participant token", participant),
                                   ("owner's access token (JWT)", owner),
                                   ("API token", api)):  # fmt: skip
                await _run_clients(clients, 1.0, reader(headers))  # warm-up
                results.append(
                    summary(
                        f"GET /sessions/{{id}}, {label}",
                        *await _run_clients(clients, seconds, reader(headers)),
                    )
                )

            async with http.post(
                "/api/v1/webhooks",
                headers=owner,
                json={"url": hook_url, "events": ["session.created"]},
            ) as r:
                assert r.status == 201, await r.text()
            sent: dict[str, float] = {}
            for _ in range(WEBHOOK_SAMPLES):
                async with http.post("/api/v1/sessions", headers=owner, json={}) as r:
                    sent[(await r.json())["data"]["id"]] = time.perf_counter()
                await asyncio.sleep(0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_arrived.wait(), 30)
            delays = [arrivals[s] - t for s, t in sent.items() if s in arrivals]
            results.append({
                "name": "201 of POST /sessions -> session.created at the receiver",
                "requests": len(sent), "errors": len(sent) - len(delays),
                "per_second": None,
                "p50_ms": round(percentile(delays, 0.5) * 1000, 1),
                "p99_ms": round(percentile(delays, 0.99) * 1000, 1),
            })  # fmt: skip
    finally:
        await runner.cleanup()
    return results


def main() -> None:
    run_load_table(
        __doc__, bench, seconds=5.0,
        heading="{clients} concurrent clients (8 for logins), {seconds:.0f} s each",
    )  # fmt: skip


if __name__ == "__main__":
    main()

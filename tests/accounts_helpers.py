"""Helpers for the account tests: sign up, make API tokens, refuse a socket."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp.test_utils import TestClient

from tests.conftest import bearer

PASSWORD = "correct horse battery"


@dataclass
class Account:
    username: str
    email: str
    access: str
    refresh: str
    user: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)

    @property
    def organization_id(self) -> str:
        return self.user["organization"]["id"]


async def register(client: TestClient, username: str | None = None) -> Account:
    username = username or f"user_{secrets.token_hex(4)}"
    email = f"{username}@example.com"
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": username, "email": email, "password": PASSWORD},
    )
    assert response.status == 201, await response.text()
    body = await response.json()
    return Account(username.lower(), email, body["access_token"], body["refresh_token"],
                   body["user"])  # fmt: skip


async def api_token(client: TestClient, account: Account, *scopes: str) -> str:
    response = await client.post(
        "/api/v1/tokens",
        json={"name": "hiring tool", "scopes": list(scopes) or ["sessions:read"]},
        headers=account.headers,
    )
    assert response.status == 201, await response.text()
    return (await response.json())["token"]


async def owned_session(client: TestClient, credential: str, **fields: Any) -> dict[str, Any]:
    """A session created with an access token or API token (no creator participant)."""
    response = await client.post("/api/v1/sessions", json=fields, headers=bearer(credential))
    assert response.status == 201, await response.text()
    return await response.json()


async def refused_connect(client: TestClient, token: str) -> str:
    """Connect a Socket.IO client that must be refused; return the refusal's code."""
    sio = socketio.AsyncClient(reconnection=False)
    reasons: list[Any] = []
    sio.on("connect_error", lambda data: reasons.append(data))
    try:
        await sio.connect(str(client.make_url("/")), auth={"token": token},
                          transports=["websocket"])  # fmt: skip
    except socketio.exceptions.ConnectionError:
        return reasons[0]["data"]["code"]
    await sio.disconnect()
    raise AssertionError("the connection was admitted")


async def until(probe: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Poll an async probe until it answers something truthy; return that."""
    for _ in range(1000):
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"never saw {what}")

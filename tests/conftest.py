"""Shared fixtures: real Postgres and Redis (embedded unless DUET_*_URL are set), an app
client per test, and helpers that speak the API the way a client would. Every app a test
starts through `aiohttp_client` or `aiohttp_server` has its answers checked against the
OpenAPI document (`tests/openapi_conformance.py`)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as redis
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestClient

from server.app import create_app
from server.config import Settings
from server.embedded import embedded_for
from server.state import SETTINGS
from tests.openapi_conformance import Conformance


@dataclass(frozen=True)
class Backing:
    database_url: str
    redis_url: str


def server_data_dir() -> Path:
    """A fresh directory for an embedded Postgres, outside pytest's temp root: pgserver runs
    Postgres as another user and opens up the permissions of every parent directory, and
    each pytest worker resets its temp root to 0700 as it starts, which would cut a running
    Postgres off from its own data."""
    return Path(tempfile.mkdtemp(prefix="duet-test-"))


@pytest.fixture
def data_root() -> Iterator[Path]:
    root = server_data_dir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def backing() -> Iterator[Backing]:
    root = server_data_dir()
    services = embedded_for(
        os.environ.get("DUET_DATABASE_URL"), os.environ.get("DUET_REDIS_URL"), root
    )
    assert services.database_url and services.redis_url
    yield Backing(services.database_url, services.redis_url)
    services.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(backing: Backing, tmp_path: Path) -> Settings:
    return Settings(
        database_url=backing.database_url,
        redis_url=backing.redis_url,
        data_dir=tmp_path,
        public_url="http://duet.test",
        cors_origins=["http://app.test"],
        max_code_bytes=64 * 1024,
        # Cheap argon2id (production keeps RFC 9106's 64 MiB) and limits no ordinary test
        # reaches; tests/test_rate_limits.py sets its own.
        argon2_time_cost=1,
        argon2_memory_kib=64,
        argon2_parallelism=1,
        rate_limit_auth=100_000,
        rate_limit_join=100_000,
        rate_limit_api=100_000,
        webhook_allow_private=True,
        webhook_poll_interval=0.05,
        webhook_retry_base=0.1,
    )


@pytest.fixture
def openapi_conformance() -> Iterator[Conformance]:
    """The answers of this test's apps; any that does not match the document fails it."""
    conformance = Conformance()
    yield conformance
    conformance.assert_conforms()


@pytest.fixture
def aiohttp_client(openapi_conformance: Conformance, aiohttp_client: Any) -> Any:
    """pytest-aiohttp's factory, with the conformance check in the app before it starts."""

    async def start(app_or_server: Any, *args: Any, **kwargs: Any) -> TestClient:
        app = app_or_server.app if isinstance(app_or_server, BaseTestServer) else app_or_server
        _check_answers(openapi_conformance, app)
        return await aiohttp_client(app_or_server, *args, **kwargs)

    return start


@pytest.fixture
def aiohttp_server(openapi_conformance: Conformance, aiohttp_server: Any) -> Any:
    """pytest-aiohttp's factory, with the conformance check in the app before it starts."""

    async def start(app: web.Application, *args: Any, **kwargs: Any) -> Any:
        _check_answers(openapi_conformance, app)
        return await aiohttp_server(app, *args, **kwargs)

    return start


def _check_answers(conformance: Conformance, app: Any) -> None:
    # Duet's apps only (the ones `create_app` made); a test's own stand-ins, such as a
    # webhook receiver, are no part of the API. A started app takes no more middlewares.
    if isinstance(app, web.Application) and SETTINGS in app and not app.middlewares.frozen:
        conformance.install(app)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def db(backing: Backing) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(backing.database_url)
    yield connection
    await connection.close()


@pytest.fixture
async def cache(backing: Backing) -> AsyncIterator[redis.Redis]:
    client = redis.from_url(backing.redis_url)
    yield client
    await client.aclose()


def user(name: str = "Ada", color: str = "hsl(250, 84%, 54%)") -> dict[str, str]:
    return {"id": str(uuid.uuid4()), "name": name, "color": color}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Room:
    """A created session and the credentials its creator received."""

    id: str
    creator: dict[str, str]
    token: str
    interviewer_invite: str
    candidate_invite: str
    body: dict[str, Any]


async def create_room(client: TestClient, **fields: Any) -> Room:
    creator = fields.pop("creator", None) or user("Ivy Interviewer")
    response = await client.post("/api/v1/sessions", json={"creator": creator, **fields})
    assert response.status == 201, await response.text()
    body = await response.json()
    return Room(
        id=body["data"]["id"],
        creator=creator,
        token=body["token"],
        interviewer_invite=body["invites"]["interviewer"]["token"],
        candidate_invite=body["invites"]["candidate"]["token"],
        body=body,
    )


async def join(
    client: TestClient, room: Room, invite: str, who: dict[str, str] | None = None
) -> tuple[dict[str, str], str]:
    """Join through an invite; return the user and its participant token."""
    who = who or user("Cam Candidate")
    response = await client.post(
        f"/api/v1/sessions/{room.id}/join", json={"user": who}, headers=bearer(invite)
    )
    assert response.status == 200, await response.text()
    return who, (await response.json())["token"]


async def expect_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert the seed's error shape, status and code; return the body."""
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/json", text
    body = await response.json()
    assert body.keys() == {"success", "error", "code"}, body
    assert body["success"] is False and body["code"] == code, body
    assert isinstance(body["error"], str) and body["error"], body
    assert "Traceback" not in text
    return body

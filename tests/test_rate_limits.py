"""Rate limits in Redis, shared by two app instances: X-RateLimit-* headers, 429
RATE_LIMITED with Retry-After, per IP / per account / per token buckets; and the cap on
realtime connections per participant."""

from __future__ import annotations

import time

import pytest

from server.app import create_app
from tests.accounts_helpers import PASSWORD, refused_connect, register
from tests.conftest import bearer, create_room, expect_error, join, user
from tests.peers import JsonPeer

LIMITS = {"rate_limit_auth": 5, "rate_limit_join": 4, "rate_limit_api": 6}


@pytest.fixture
async def two_nodes(aiohttp_client, settings, cache):
    # Each test starts with empty buckets (tests in one worker share the Redis).
    keys = [key async for key in cache.scan_iter(match="duet:ratelimit:*")]
    if keys:
        await cache.delete(*keys)
    limited = settings.model_copy(update=LIMITS)
    return (await aiohttp_client(create_app(limited)),
            await aiohttp_client(create_app(limited)))  # fmt: skip


def assert_headers(response, limit: int, remaining: int) -> None:
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 61


async def test_auth_calls_are_limited_per_ip_across_processes(two_nodes):
    one, two = two_nodes
    body = {"username": "nobody_here", "password": PASSWORD}
    for attempt in range(5):
        node = one if attempt % 2 else two
        response = await node.post("/api/v1/auth/login", json=body)
        await expect_error(response, 401, "UNAUTHORIZED")
        assert_headers(response, 5, 4 - attempt)
    for node in (one, two):
        response = await node.post("/api/v1/auth/register", json=body)
        error = await expect_error(response, 429, "RATE_LIMITED")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert "retry" in error["error"]


async def test_logins_are_limited_per_account(two_nodes, cache):
    one, two = two_nodes
    account = await register(one)
    # Per account even when the per-IP bucket is emptied (guesses from many addresses).
    for _ in range(5):
        await cache.delete(*[k async for k in cache.scan_iter(match="duet:ratelimit:auth-ip:*")])
        response = await two.post("/api/v1/auth/login",
                                  json={"username": account.email, "password": "wrong pass"})
        await expect_error(response, 401, "UNAUTHORIZED")
    await cache.delete(*[k async for k in cache.scan_iter(match="duet:ratelimit:auth-ip:*")])
    right = await one.post("/api/v1/auth/login",
                           json={"username": account.email, "password": PASSWORD})
    await expect_error(right, 429, "RATE_LIMITED")


async def test_joins_and_anonymous_creations_are_limited_per_ip(two_nodes):
    one, two = two_nodes
    room = await create_room(one)
    for index in range(3):
        await join(two if index % 2 else one, room, room.candidate_invite)
    response = await two.post(f"/api/v1/sessions/{room.id}/join", json={"user": user()},
                              headers=bearer(room.candidate_invite))  # fmt: skip
    await expect_error(response, 429, "RATE_LIMITED")
    await expect_error(await one.post("/api/v1/sessions", json={"creator": user()}), 429,
                       "RATE_LIMITED")  # fmt: skip


async def test_the_general_api_is_limited_per_token(two_nodes):
    one, two = two_nodes
    room = await create_room(one)
    path = f"/api/v1/sessions/{room.id}"
    for index in range(6):
        response = await (one if index % 2 else two).get(path, headers=bearer(room.token))
        assert response.status == 200
        assert_headers(response, 6, 5 - index)
    over = await one.get(path, headers=bearer(room.token))
    await expect_error(over, 429, "RATE_LIMITED")
    assert int(over.headers["Retry-After"]) >= 1
    # Another token has its own bucket; errors carry the headers too.
    _, other_token = await join(one, room, room.candidate_invite)
    fresh = await two.get(path, headers=bearer(other_token))
    assert fresh.status == 200 and fresh.headers["X-RateLimit-Remaining"] == "5"
    missing = await two.get("/api/v1/sessions/00000000", headers=bearer(other_token))
    await expect_error(missing, 404, "SESSION_NOT_FOUND")
    assert missing.headers["X-RateLimit-Remaining"] == "4"


async def test_health_checks_are_not_limited(two_nodes):
    one, _ = two_nodes
    for _ in range(10):
        response = await one.get("/api/v1/health")
        assert response.status == 200 and "X-RateLimit-Limit" not in response.headers


async def test_realtime_connections_per_participant_are_capped(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings.model_copy(
        update={"max_sockets_per_user": 2})))  # fmt: skip
    room = await create_room(client)
    peers = [JsonPeer(), JsonPeer()]
    for peer in peers:
        await peer.connect(str(client.make_url("/")), room.token)
    assert await refused_connect(client, room.token) == "RATE_LIMITED"
    await peers[0].disconnect()
    third = JsonPeer()
    await third.connect(str(client.make_url("/")), room.token)
    # Other participants have their own allowance.
    _, candidate_token = await join(client, room, room.candidate_invite)
    candidate = JsonPeer()
    await candidate.connect(str(client.make_url("/")), candidate_token)
    for peer in (peers[1], third, candidate):
        await peer.disconnect()

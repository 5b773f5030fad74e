"""Capability tokens: ids alone open nothing, tokens are scoped to one session and role,
and only their hashes are stored."""

from __future__ import annotations

import asyncio

import pytest

from server.auth.secret_tokens import token_digest
from tests.conftest import bearer, create_room, expect_error, join, user

SESSION_CALLS = [
    ("get", "", None),
    ("patch", "", {"code": "x"}),
    ("put", "/code", {"code": "x"}),
    ("get", "/participants", None),
    ("delete", "", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), SESSION_CALLS)
async def test_missing_token_is_401(client, method, suffix, body):
    room = await create_room(client)
    response = await client.request(method, f"/api/v1/sessions/{room.id}{suffix}", json=body)
    await expect_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(("method", "suffix", "body"), SESSION_CALLS)
async def test_unknown_token_is_401(client, method, suffix, body):
    room = await create_room(client)
    response = await client.request(
        method, f"/api/v1/sessions/{room.id}{suffix}", json=body, headers=bearer("dp_forged")
    )
    await expect_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(("method", "suffix", "body"), SESSION_CALLS)
async def test_token_of_another_session_is_403(client, method, suffix, body):
    room = await create_room(client)
    other = await create_room(client)
    response = await client.request(
        method, f"/api/v1/sessions/{room.id}{suffix}", json=body, headers=bearer(other.token)
    )
    await expect_error(response, 403, "FORBIDDEN")


async def test_malformed_authorization_headers_are_401(client):
    room = await create_room(client)
    for header in (room.token, f"Basic {room.token}", "Bearer ", "Bearer"):
        response = await client.get(
            f"/api/v1/sessions/{room.id}", headers={"Authorization": header}
        )
        await expect_error(response, 401, "UNAUTHORIZED")


async def test_invite_token_only_joins(client):
    room = await create_room(client)
    response = await client.get(
        f"/api/v1/sessions/{room.id}", headers=bearer(room.candidate_invite)
    )
    await expect_error(response, 401, "UNAUTHORIZED")


async def test_join_needs_an_invite_of_this_session(client):
    room = await create_room(client)
    other = await create_room(client)
    path = f"/api/v1/sessions/{room.id}/join"
    await expect_error(await client.post(path, json={"user": user()}), 401, "UNAUTHORIZED")
    await expect_error(
        await client.post(path, json={"user": user()}, headers=bearer("di_nope")),
        401, "UNAUTHORIZED",
    )  # fmt: skip
    await expect_error(
        await client.post(path, json={"user": user()}, headers=bearer(other.candidate_invite)),
        403, "FORBIDDEN",
    )  # fmt: skip


async def test_candidate_reads_and_edits_but_cannot_delete_the_session(client):
    room = await create_room(client)
    _, token = await join(client, room, room.candidate_invite)
    read = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(token))
    assert read.status == 200
    edit = await client.put(
        f"/api/v1/sessions/{room.id}/code", json={"code": "mine"}, headers=bearer(token)
    )
    assert edit.status == 200
    language = await client.patch(
        f"/api/v1/sessions/{room.id}", json={"language": "python"}, headers=bearer(token)
    )
    assert language.status == 200
    delete = await client.delete(f"/api/v1/sessions/{room.id}", headers=bearer(token))
    await expect_error(delete, 403, "FORBIDDEN")
    still = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert (await still.json())["data"]["code"] == "mine"


async def test_tokens_are_stored_only_as_hashes(client, db):
    room = await create_room(client)
    _, candidate_token = await join(client, room, room.candidate_invite)
    tokens = [room.token, room.interviewer_invite, room.candidate_invite, candidate_token]
    rows = await db.fetch("SELECT token_hash FROM session_tokens WHERE session_id = $1", room.id)
    stored = {bytes(row["token_hash"]) for row in rows}
    assert stored == {token_digest(token) for token in tokens}
    dump = await db.fetchval(
        "SELECT string_agg(t::text, ' ') FROM session_tokens t WHERE session_id = $1", room.id
    )
    for token in tokens:
        assert token not in dump
        assert token.split("_", 1)[1] not in dump


async def test_tokens_carry_at_least_128_random_bits(client):
    rooms = await asyncio.gather(*(create_room(client) for _ in range(5)))
    tokens = [r.token for r in rooms] + [r.candidate_invite for r in rooms]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        body = token.split("_", 1)[1]
        assert len(body) * 6 >= 128


async def test_expired_session_answers_410_before_any_sweep(client, db):
    room = await create_room(client)
    _, candidate_token = await join(client, room, room.candidate_invite)
    await db.execute("UPDATE sessions SET expires_at = 1 WHERE id = $1", room.id)
    path = f"/api/v1/sessions/{room.id}"
    calls = [
        client.get(path, headers=bearer(room.token)),
        client.patch(path, json={"code": "x"}, headers=bearer(room.token)),
        client.put(f"{path}/code", json={"code": "x"}, headers=bearer(room.token)),
        client.get(f"/api/v1/sessions/{room.id}/participants", headers=bearer(candidate_token)),
        client.post(
            f"/api/v1/sessions/{room.id}/join", json={"user": user()},
            headers=bearer(room.candidate_invite),
        ),
        client.delete(f"/api/v1/sessions/{room.id}", headers=bearer(room.token)),
        client.get(f"/api/v1/sessions/{room.id}"),
    ]  # fmt: skip
    for call in calls:
        await expect_error(await call, 410, "SESSION_EXPIRED")
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE id = $1", room.id) == 1


async def test_short_ttl_expires_by_the_clock(aiohttp_client, settings):
    from server.app import create_app

    client = await aiohttp_client(create_app(settings.model_copy(update={"session_ttl": 1})))
    room = await create_room(client)
    body = room.body["data"]
    assert body["expiresAt"] - body["createdAt"] == 1000
    ok = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    assert ok.status == 200
    await asyncio.sleep(1.1)
    late = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    await expect_error(late, 410, "SESSION_EXPIRED")

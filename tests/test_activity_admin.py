"""The activity log (per organization) and the admin views, with `duet admin create USER`
promoting an account from the command line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest

from server.app import create_app
from tests.accounts_helpers import PASSWORD, api_token, owned_session, register, until
from tests.conftest import bearer, create_room, expect_error, join, user
from tests.peers import JsonPeer


async def promote(backing, login: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DUET_DATABASE_URL": backing.database_url,
                   "DUET_REDIS_URL": backing.redis_url}  # fmt: skip
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "server.cli", "admin", "create", login],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def activity_of(client, credential: str, **query: str) -> list[dict]:
    response = await client.get("/api/v1/activity", params=query, headers=bearer(credential))
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


async def test_state_changes_are_recorded_for_the_organization(client):
    account = await register(client)
    await client.post("/api/v1/auth/login",
                      json={"username": account.username, "password": PASSWORD})  # fmt: skip
    body = await owned_session(client, account.access, creator=user("Ivy"))
    session_id = body["data"]["id"]
    candidate = user("Cam")
    await client.post(f"/api/v1/sessions/{session_id}/join", json={"user": candidate},
                      headers=bearer(body["invites"]["candidate"]["token"]))  # fmt: skip
    await client.delete(f"/api/v1/sessions/{session_id}/participants/{candidate['id']}",
                        headers=account.headers)  # fmt: skip
    await client.post(f"/api/v1/sessions/{session_id}/runs", headers=account.headers)
    await client.post(f"/api/v1/sessions/{session_id}/end", headers=account.headers)
    token = await api_token(client, account, "activity:read")
    tokens = await (await client.get("/api/v1/tokens", headers=account.headers)).json()
    await client.delete(f"/api/v1/tokens/{tokens['data'][0]['id']}", headers=account.headers)
    await client.delete(f"/api/v1/sessions/{session_id}", headers=account.headers)

    entries = await activity_of(client, account.access)
    actions = [entry["action"] for entry in reversed(entries)]
    assert actions == ["account_registered", "login", "session_created", "session_joined",
                       "participant_removed", "run_started", "session_ended",
                       "api_token_created", "api_token_revoked", "session_deleted"]
    joined = next(e for e in entries if e["action"] == "session_joined")
    assert joined["actorType"] == "participant" and joined["actorId"] == candidate["id"]
    assert joined["ip"] == "127.0.0.1" and joined["sessionId"] == session_id
    created = next(e for e in entries if e["action"] == "session_created")
    assert created["actorType"] == "user" and created["actorId"] == account.user["id"]
    assert all(entry["organizationId"] == account.organization_id for entry in entries)
    await expect_error(await client.get("/api/v1/activity", headers=bearer(token)), 401,
                       "UNAUTHORIZED")  # revoked above  # fmt: skip


async def test_activity_pages_and_stays_in_its_organization(client):
    account, other = await register(client), await register(client)
    for _ in range(3):
        await owned_session(client, account.access)
    await owned_session(client, other.access)
    page = await activity_of(client, account.access, limit="2")
    assert len(page) == 2
    response = await client.get("/api/v1/activity", params={"limit": "2"},
                                headers=account.headers)  # fmt: skip
    cursor = (await response.json())["nextCursor"]
    rest = await activity_of(client, account.access, cursor=cursor)
    assert [e["action"] for e in rest] == ["session_created", "account_registered"]
    theirs = await activity_of(client, other.access)
    assert {e["organizationId"] for e in theirs} == {other.organization_id}
    reader = await api_token(client, account, "activity:read")
    assert len(await activity_of(client, reader)) == 5
    no_scope = await api_token(client, account, "sessions:read")
    await expect_error(await client.get("/api/v1/activity", headers=bearer(no_scope)), 403,
                       "FORBIDDEN")  # fmt: skip
    room = await create_room(client)
    await expect_error(await client.get("/api/v1/activity", headers=bearer(room.token)), 401,
                       "UNAUTHORIZED")  # fmt: skip
    await expect_error(await client.get("/api/v1/activity"), 401, "UNAUTHORIZED")
    for query in ({"limit": "0"}, {"limit": "x"}, {"cursor": "' OR 1=1"}):
        await expect_error(await client.get("/api/v1/activity", params=query,
                                            headers=account.headers), 400, "INVALID_REQUEST")


ADMIN_PATHS = ("/api/v1/admin/users", "/api/v1/admin/sessions", "/api/v1/admin/activity")


async def test_admin_views_need_an_admin(client, backing):
    account = await register(client)
    room = await create_room(client)
    _, candidate_token = await join(client, room, room.candidate_invite)
    token = await api_token(client, account, "sessions:read", "sessions:write",
                            "webhooks:read", "webhooks:write", "activity:read")  # fmt: skip
    for path in ADMIN_PATHS:
        await expect_error(await client.get(path), 401, "UNAUTHORIZED")
        for credential in (room.token, candidate_token):
            await expect_error(await client.get(path, headers=bearer(credential)), 401,
                               "UNAUTHORIZED")  # fmt: skip
        for credential in (account.access, token):
            await expect_error(await client.get(path, headers=bearer(credential)), 403,
                               "FORBIDDEN")  # fmt: skip

    result = await promote(backing, account.username.upper())
    assert result.returncode == 0, result.stderr
    assert "administrator" in result.stdout
    # The role is read on every request: the same access token is now an admin's.
    users = await (await client.get(ADMIN_PATHS[0], headers=account.headers)).json()
    assert account.user["id"] in [u["id"] for u in users["data"]]
    assert next(u for u in users["data"] if u["id"] == account.user["id"])["role"] == "admin"
    sessions = await (await client.get(ADMIN_PATHS[1], params={"limit": "100"},
                                       headers=account.headers)).json()  # fmt: skip
    assert room.id in [s["id"] for s in sessions["data"]]
    everything = await (await client.get(ADMIN_PATHS[2], headers=account.headers)).json()
    assert {"session_created", "session_joined"} <= {e["action"] for e in everything["data"]}
    mine = await (await client.get(ADMIN_PATHS[2], params={"user_id": account.user["id"]},
                                   headers=account.headers)).json()  # fmt: skip
    assert {e["actorId"] for e in mine["data"]} == {account.user["id"]}
    # An admin is no owner of others' sessions.
    await expect_error(await client.get(f"/api/v1/sessions/{room.id}", headers=account.headers),
                       403, "FORBIDDEN")  # fmt: skip


async def test_admin_listing_pages_and_bad_parameters(client, backing):
    admin = await register(client)
    assert (await promote(backing, admin.email)).returncode == 0
    for _ in range(2):
        await register(client)
    first = await (await client.get(ADMIN_PATHS[0], params={"limit": "1"},
                                    headers=admin.headers)).json()  # fmt: skip
    second = await (await client.get(ADMIN_PATHS[0], params={"cursor": first["nextCursor"]},
                                     headers=admin.headers)).json()  # fmt: skip
    assert first["data"][0]["id"] not in [u["id"] for u in second["data"]]
    for path, query in ((ADMIN_PATHS[0], {"cursor": "nope"}), (ADMIN_PATHS[0], {"limit": "0"}),
                        (ADMIN_PATHS[1], {"status": "x"}), (ADMIN_PATHS[2], {"cursor": "-1"}),
                        (ADMIN_PATHS[2], {"user_id": "x" * 65})):  # fmt: skip
        await expect_error(await client.get(path, params=query, headers=admin.headers), 400,
                           "INVALID_REQUEST")  # fmt: skip


async def test_promoting_an_unknown_account_fails(backing):
    result = await promote(backing, f"nobody_{uuid.uuid4().hex[:8]}")
    assert result.returncode == 1 and "no account" in result.stderr


@pytest.mark.parametrize("login", ["'; UPDATE users SET role='admin';--", "x" * 300])
async def test_promote_treats_odd_names_as_names(backing, db, login):
    admins = "SELECT count(*) FROM users WHERE role = 'admin'"
    before = await db.fetchval(admins)
    result = await promote(backing, login)
    assert result.returncode == 1
    assert await db.fetchval(admins) == before


async def test_a_run_started_over_the_socket_is_recorded(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    account = await register(client)
    body = await owned_session(client, account.access, creator=user("Ivy"), language="python")
    peer = JsonPeer()
    await peer.connect(str(client.make_url("/")), body["token"])
    await peer.emit("run", {"code": "print(1)"})

    async def run_recorded() -> dict | None:
        entries = await activity_of(client, account.access)
        return next((e for e in entries if e["action"] == "run_started"), None)

    entry = await until(run_recorded, "run_started in the log")
    assert entry["actorType"] == "participant" and entry["sessionId"] == body["data"]["id"]
    assert entry["organizationId"] == account.organization_id
    await peer.disconnect()

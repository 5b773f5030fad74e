"""Organization API tokens: shown once and stored hashed, scoped, revocable; a hiring tool
creates, reads and ends sessions with one, and retries creation safely with an
Idempotency-Key."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from tests.accounts_helpers import api_token, owned_session, register
from tests.conftest import bearer, create_room, expect_error, join, user


async def test_a_token_is_shown_once_and_stored_hashed(client, db):
    account = await register(client)
    response = await client.post(
        "/api/v1/tokens",
        json={"name": "Greenhouse", "scopes": ["sessions:write", "sessions:read"]},
        headers=account.headers,
    )
    assert response.status == 201
    body = await response.json()
    token = body["token"]
    assert token.startswith("dk_") and body["data"]["scopes"] == ["sessions:read",
                                                                   "sessions:write"]  # fmt: skip
    stored = await db.fetchrow("SELECT token_hash FROM api_tokens WHERE name = 'Greenhouse'")
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    listing = await (await client.get("/api/v1/tokens", headers=account.headers)).json()
    assert token not in str(listing) and listing["data"][0]["name"] == "Greenhouse"


async def test_the_hiring_tool_flow(client):
    account = await register(client)
    token = await api_token(client, account, "sessions:write", "sessions:read")
    created = await owned_session(client, token, title="Jane Doe", code="print(1)",
                                  language="python")  # fmt: skip
    session_id = created["data"]["id"]
    assert created["token"] is None
    candidate_invite = created["invites"]["candidate"]["token"]
    _, candidate_token = await join(client, _Room(session_id), candidate_invite)
    path = f"/api/v1/sessions/{session_id}"
    state = await (await client.get(path, headers=bearer(token))).json()
    assert state["data"]["code"] == "print(1)" and len(state["data"]["participants"]) == 1
    assert (await client.get(f"{path}/runs", headers=bearer(token))).status == 200
    listed = await (await client.get("/api/v1/sessions", headers=bearer(token))).json()
    assert [s["id"] for s in listed["data"]] == [session_id]
    # Sessions of the same organization made by its accounts are the token's too.
    by_account = (await owned_session(client, account.access))["data"]["id"]
    assert (await client.get(f"/api/v1/sessions/{by_account}", headers=bearer(token))).ok
    ended = await client.post(f"{path}/end", headers=bearer(token))
    assert ended.status == 200
    await expect_error(
        await client.get(path, headers=bearer(candidate_token)), 409, "SESSION_ENDED"
    )


class _Room:
    def __init__(self, session_id: str) -> None:
        self.id = session_id


async def test_scopes_are_enforced(client):
    account = await register(client)
    reader = await api_token(client, account, "sessions:read")
    writer = await api_token(client, account, "sessions:write")
    webhooks_only = await api_token(client, account, "webhooks:read")
    await expect_error(
        await client.post("/api/v1/sessions", json={}, headers=bearer(reader)), 403, "FORBIDDEN"
    )
    session_id = (await owned_session(client, writer))["data"]["id"]
    path = f"/api/v1/sessions/{session_id}"
    assert (await client.get(path, headers=bearer(reader))).ok
    await expect_error(await client.get(path, headers=bearer(writer)), 403, "FORBIDDEN")
    await expect_error(await client.get(path, headers=bearer(webhooks_only)), 403, "FORBIDDEN")
    for method, suffix, body in (("PATCH", "", {"code": "x"}), ("POST", "/end", None),
                                 ("DELETE", "", None), ("POST", "/runs", None)):  # fmt: skip
        response = await client.request(method, path + suffix, json=body, headers=bearer(reader))
        await expect_error(response, 403, "FORBIDDEN")
    await expect_error(
        await client.get("/api/v1/sessions", headers=bearer(writer)), 403, "FORBIDDEN"
    )


async def test_tokens_of_another_organization_are_refused(client):
    mine, theirs = await register(client), await register(client)
    their_token = await api_token(client, theirs, "sessions:read", "sessions:write")
    session_id = (await owned_session(client, mine.access))["data"]["id"]
    await expect_error(
        await client.get(f"/api/v1/sessions/{session_id}", headers=bearer(their_token)),
        403, "FORBIDDEN",
    )  # fmt: skip
    room = await create_room(client)
    await expect_error(
        await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(their_token)),
        403, "FORBIDDEN",
    )  # fmt: skip
    mine_listing = await (await client.get("/api/v1/tokens", headers=theirs.headers)).json()
    assert len(mine_listing["data"]) == 1


async def test_revoked_and_unknown_tokens_are_401(client):
    account = await register(client)
    token = await api_token(client, account, "sessions:read")
    token_id = (await (await client.get("/api/v1/tokens", headers=account.headers)).json())[
        "data"][0]["id"]  # fmt: skip
    revoked = await client.delete(f"/api/v1/tokens/{token_id}", headers=account.headers)
    assert (await revoked.json())["data"]["revokedAt"] is not None
    await expect_error(
        await client.get("/api/v1/sessions", headers=bearer(token)), 401, "UNAUTHORIZED"
    )
    await expect_error(
        await client.get("/api/v1/sessions", headers=bearer("dk_unknown")), 401, "UNAUTHORIZED"
    )
    # Another organization cannot see or revoke it; a bad id is a 400.
    other = await register(client)
    await expect_error(
        await client.delete(f"/api/v1/tokens/{token_id}", headers=other.headers),
        404, "API_TOKEN_NOT_FOUND",
    )  # fmt: skip
    await expect_error(
        await client.delete("/api/v1/tokens/not-a-uuid", headers=account.headers),
        400, "INVALID_REQUEST",
    )  # fmt: skip


async def test_only_signed_in_accounts_manage_tokens(client):
    account = await register(client)
    token = await api_token(client, account, "sessions:read", "sessions:write",
                            "webhooks:write", "webhooks:read", "activity:read")  # fmt: skip
    room = await create_room(client)
    body = {"name": "x", "scopes": ["sessions:read"]}
    for headers, status, code in (({}, 401, "UNAUTHORIZED"),
                                  (bearer(room.token), 401, "UNAUTHORIZED"),
                                  (bearer(token), 403, "FORBIDDEN")):  # fmt: skip
        await expect_error(await client.post("/api/v1/tokens", json=body, headers=headers),
                           status, code)  # fmt: skip
        await expect_error(await client.get("/api/v1/tokens", headers=headers), status, code)


@pytest.mark.parametrize(
    "body",
    [{"name": "x", "scopes": []}, {"name": "x", "scopes": ["admin"]}, {"name": "", "scopes":
     ["sessions:read"]}, {"name": "x" * 101, "scopes": ["sessions:read"]}, {"scopes":
     ["sessions:read"]}, {"name": "x", "scopes": "sessions:read"},
     {"name": "'; DROP TABLE api_tokens;--", "scopes": ["sessions:read", "nope"]}],
)  # fmt: skip
async def test_bad_token_requests_are_400(client, body):
    account = await register(client)
    response = await client.post("/api/v1/tokens", json=body, headers=account.headers)
    await expect_error(response, 400, "INVALID_REQUEST")


# -- Idempotency-Key ---------------------------------------------------------------------


async def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(client, db):
    account = await register(client)
    token = await api_token(client, account, "sessions:write")
    headers = bearer(token) | {"Idempotency-Key": "candidate-42"}
    body = {"title": "Jane", "code": "print(1)", "language": "python"}
    first = await client.post("/api/v1/sessions", json=body, headers=headers)
    assert first.status == 201
    again = await client.post("/api/v1/sessions", json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    first_body, again_body = await first.json(), await again.json()
    assert again_body == first_body
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE title = 'Jane'") == 1
    # The replayed invites work: they are the same tokens, and none is stored in the clear.
    invite = again_body["invites"]["candidate"]["token"]
    stored = await db.fetchval("SELECT body FROM idempotency_keys WHERE key = 'candidate-42'")
    assert invite not in stored
    joined = await client.post(
        f"/api/v1/sessions/{first_body['data']['id']}/join", json={"user": user()},
        headers=bearer(invite),
    )  # fmt: skip
    assert joined.status == 200

    conflict = await client.post("/api/v1/sessions", json={**body, "title": "Other"},
                                 headers=headers)  # fmt: skip
    await expect_error(conflict, 409, "IDEMPOTENCY_CONFLICT")
    # Keys belong to their caller: another token may use the same key.
    other = await api_token(client, account, "sessions:write")
    fresh = await client.post("/api/v1/sessions", json=body,
                              headers=bearer(other) | {"Idempotency-Key": "candidate-42"})
    assert (await fresh.json())["data"]["id"] != first_body["data"]["id"]


async def test_concurrent_retries_create_one_session(client, db):
    account = await register(client)
    headers = account.headers | {"Idempotency-Key": "race"}
    body = {"title": "Racer", "creator": user()}
    answers = await asyncio.gather(*(
        client.post("/api/v1/sessions", json=body, headers=headers) for _ in range(8)
    ))  # fmt: skip
    bodies = [await answer.json() for answer in answers]
    assert {answer.status for answer in answers} == {201}
    assert len({b["data"]["id"] for b in bodies}) == 1
    assert len({b["token"] for b in bodies}) == 1
    assert await db.fetchval("SELECT count(*) FROM sessions WHERE title = 'Racer'") == 1


async def test_keys_expire_after_a_day(client, db):
    account = await register(client)
    headers = account.headers | {"Idempotency-Key": "old"}
    first = await (await client.post("/api/v1/sessions", json={}, headers=headers)).json()
    await db.execute("UPDATE idempotency_keys SET created_at = created_at - 86400001")
    second = await (await client.post("/api/v1/sessions", json={}, headers=headers)).json()
    assert second["data"]["id"] != first["data"]["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
async def test_bad_keys_are_400(client, key):
    account = await register(client)
    response = await client.post(
        "/api/v1/sessions", json={}, headers=account.headers | {"Idempotency-Key": key}
    )
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_anonymous_calls_cannot_use_keys(client):
    response = await client.post(
        "/api/v1/sessions", json={"creator": user()}, headers={"Idempotency-Key": "k"}
    )
    await expect_error(response, 400, "INVALID_REQUEST")

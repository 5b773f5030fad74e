"""Sessions that belong to an account: created with an access token, listed, acted on by
their owner as an interviewer without an invite, and closed to other accounts;
DUET_ALLOW_ANONYMOUS=false."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.accounts_helpers import owned_session, register
from tests.conftest import Room, bearer, create_room, expect_error, join, user


async def test_an_account_creates_a_session_without_a_creator(client, db):
    account = await register(client)
    body = await owned_session(client, account.access, title="Backend", language="python")
    session = body["data"]
    assert body["token"] is None and session["participants"] == []
    assert session["creatorId"] == account.user["id"] and session["endedAt"] is None
    owner = await db.fetchval("SELECT owner_id FROM sessions WHERE id = $1", session["id"])
    assert str(owner) == account.user["id"]
    # Both invites work: the hiring flow needs nothing else.
    candidate = await client.post(
        f"/api/v1/sessions/{session['id']}/join", json={"user": user("Cam")},
        headers=bearer(body["invites"]["candidate"]["token"]),
    )  # fmt: skip
    assert candidate.status == 200


async def test_an_account_may_also_name_a_creator(client):
    account = await register(client)
    creator = user("Ivy")
    body = await owned_session(client, account.access, creator=creator)
    assert body["token"].startswith("dp_")
    assert body["data"]["participants"][0]["id"] == creator["id"]


async def test_the_owner_acts_as_an_interviewer_without_an_invite(client):
    account = await register(client)
    session_id = (await owned_session(client, account.access, code="x = 1"))["data"]["id"]
    path = f"/api/v1/sessions/{session_id}"
    assert (await client.get(path, headers=account.headers)).status == 200
    patched = await client.patch(path, json={"code": "x = 2"}, headers=account.headers)
    assert (await patched.json())["data"]["code"] == "x = 2"
    put = await client.put(f"{path}/code", json={"code": "x = 3"}, headers=account.headers)
    assert put.status == 200
    assert (await client.get(f"{path}/participants", headers=account.headers)).status == 200
    assert (await client.get(f"{path}/runs", headers=account.headers)).status == 200
    # Joining with the access token makes the owner an interviewer participant (for a socket).
    me = user("Owner")
    joined = await client.post(f"{path}/join", json={"user": me}, headers=account.headers)
    assert joined.status == 200, await joined.text()
    participant = (await joined.json())["data"]["participants"][0]
    assert participant["role"] == "interviewer" and participant["id"] == me["id"]
    assert (await client.delete(path, headers=account.headers)).status == 204


async def test_other_accounts_and_anonymous_callers_are_refused(client):
    owner, stranger = await register(client), await register(client)
    session_id = (await owned_session(client, owner.access))["data"]["id"]
    path = f"/api/v1/sessions/{session_id}"
    for method, suffix, body in (
        ("GET", "", None), ("PATCH", "", {"code": "x"}), ("DELETE", "", None),
        ("POST", "/end", None), ("GET", "/runs", None), ("POST", "/join", {"user": user()}),
    ):  # fmt: skip
        response = await client.request(
            method, path + suffix, json=body, headers=stranger.headers
        )
        await expect_error(response, 403, "FORBIDDEN")
        await expect_error(await client.request(method, path + suffix, json=body), 401,
                           "UNAUTHORIZED")  # fmt: skip
    # An account's token opens no anonymous session either.
    room = await create_room(client)
    await expect_error(
        await client.get(f"/api/v1/sessions/{room.id}", headers=owner.headers), 403, "FORBIDDEN"
    )


async def test_listing_pages_through_the_callers_sessions_only(client, db):
    account, other = await register(client), await register(client)
    made = [(await owned_session(client, account.access))["data"]["id"] for _ in range(5)]
    await owned_session(client, other.access)
    await create_room(client)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/api/v1/sessions", params=query, headers=account.headers)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert len(body["data"]) <= 2
        seen += [session["id"] for session in body["data"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert all(s["status"] == "active" for s in body["data"])

    await db.execute("UPDATE sessions SET ended_at = 1 WHERE id = $1", made[0])
    await db.execute("UPDATE sessions SET expires_at = 2 WHERE id = $1", made[1])
    for status, expected in (("ended", [made[0]]), ("expired", [made[1]]),
                             ("active", list(reversed(made[2:])))):  # fmt: skip
        response = await client.get(
            "/api/v1/sessions", params={"status": status}, headers=account.headers
        )
        listed = (await response.json())["data"]
        assert [s["id"] for s in listed] == expected
        assert all(s["status"] == status for s in listed)


@pytest.mark.parametrize(
    "query",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "x"}, {"status": "done"},
     {"cursor": "nope"}, {"cursor": "1_' OR 1=1"}, {"cursor": "9" * 30 + "_abcdef12"}],
)  # fmt: skip
async def test_listing_refuses_bad_parameters(client, query):
    account = await register(client)
    response = await client.get("/api/v1/sessions", params=query, headers=account.headers)
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_listing_needs_an_account_or_api_token(client):
    await expect_error(await client.get("/api/v1/sessions"), 401, "UNAUTHORIZED")
    room = await create_room(client)
    await expect_error(
        await client.get("/api/v1/sessions", headers=bearer(room.token)), 401, "UNAUTHORIZED"
    )


async def test_anonymous_creation_can_be_switched_off(aiohttp_client, settings):
    closed_settings = settings.model_copy(update={"allow_anonymous": False})
    closed = await aiohttp_client(create_app(closed_settings))
    response = await closed.post("/api/v1/sessions", json={"creator": user()})
    await expect_error(response, 401, "UNAUTHORIZED")
    account = await register(closed)
    assert (await owned_session(closed, account.access))["data"]["id"]


async def test_anonymous_creation_still_needs_a_creator(client):
    response = await client.post("/api/v1/sessions", json={"title": "no one"})
    error = await expect_error(response, 400, "INVALID_REQUEST")
    assert "creator" in error["error"]


async def test_participants_of_an_owned_session_keep_their_rules(client):
    account = await register(client)
    body = await owned_session(client, account.access)
    session_id = body["data"]["id"]
    invites = body["invites"]
    room = Room(session_id, {}, "", invites["interviewer"]["token"],
                invites["candidate"]["token"], body)  # fmt: skip
    _, candidate_token = await join(client, room, room.candidate_invite)
    path = f"/api/v1/sessions/{session_id}"
    await expect_error(
        await client.delete(path, headers=bearer(candidate_token)), 403, "FORBIDDEN"
    )
    assert (await client.get(path, headers=bearer(candidate_token))).status == 200

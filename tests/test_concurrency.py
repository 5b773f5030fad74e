"""Many clients at once leave one consistent participant list."""

from __future__ import annotations

import asyncio
import json
import secrets

from schema.clock import now_ms
from schema.models import UserInfo
from server import sessions
from server.state import POOL
from tests.conftest import bearer, create_room, user


async def test_100_concurrent_joins_give_a_consistent_list(client):
    room = await create_room(client)
    people = [user(f"Candidate {index}") for index in range(100)]

    async def join(person: dict[str, str]) -> int:
        response = await client.post(
            f"/api/v1/sessions/{room.id}/join",
            json={"user": person},
            headers=bearer(room.candidate_invite),
        )
        return response.status

    statuses = await asyncio.gather(*(join(person) for person in people))
    assert statuses == [200] * 100
    listing = await client.get(
        f"/api/v1/sessions/{room.id}/participants", headers=bearer(room.token)
    )
    participants = (await listing.json())["participants"]
    ids = [p["id"] for p in participants]
    assert len(ids) == len(set(ids)) == 101
    assert set(ids) == {room.creator["id"], *(person["id"] for person in people)}
    assert all(p["role"] == "candidate" for p in participants[1:])


async def test_concurrent_rejoins_of_one_user_make_one_participant(client):
    room = await create_room(client)
    person = user("Twice")
    responses = await asyncio.gather(*(
        client.post(f"/api/v1/sessions/{room.id}/join", json={"user": person},
                    headers=bearer(room.candidate_invite))
        for _ in range(30)
    ))  # fmt: skip
    assert [r.status for r in responses] == [200] * 30
    tokens = {(await r.json())["token"] for r in responses}
    assert len(tokens) == 30
    listing = await client.get(
        f"/api/v1/sessions/{room.id}/participants", headers=bearer(room.token)
    )
    ids = [p["id"] for p in (await listing.json())["participants"]]
    assert ids.count(person["id"]) == 1 and len(ids) == 2


async def test_session_id_collisions_are_retried(client):
    taken = await create_room(client)
    fresh = secrets.token_hex(4)
    candidates = iter([taken.id, taken.id, fresh])
    creator = UserInfo.model_validate_json(json.dumps(user()))
    created = await sessions.create_session(
        client.app[POOL],
        creator=creator,
        creator_id=creator.id,
        code="",
        language="python",
        title="",
        now=now_ms(),
        ttl_ms=60_000,
        make_id=lambda: next(candidates),
    )
    assert created.session.id == fresh

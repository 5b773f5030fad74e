"""Participant colours: everyone in a session gets a colour of their own while the palette
lasts, however many join at once."""

from __future__ import annotations

import asyncio

from schema.colors import PARTICIPANT_PALETTE, distinct_color
from tests.conftest import bearer, create_room, join, user


async def participant_colors(client, room) -> list[str]:
    listing = await client.get(
        f"/api/v1/sessions/{room.id}/participants", headers=bearer(room.token)
    )
    return [p["color"] for p in (await listing.json())["participants"]]


async def test_a_joiner_with_a_colour_already_taken_gets_a_free_one(client):
    room = await create_room(client)
    taken = room.creator["color"]
    await join(client, room, room.candidate_invite, user("Cam", color=taken))
    colors = await participant_colors(client, room)
    assert len(colors) == 2
    assert colors[0] != colors[1]


async def test_a_joiner_keeps_a_colour_nobody_holds(client):
    room = await create_room(client)
    await join(client, room, room.candidate_invite, user("Cam", color="#12a594"))
    assert "#12a594" in await participant_colors(client, room)


async def test_ten_joins_at_once_with_one_colour_all_get_distinct_colours(client):
    room = await create_room(client, creator=user("Ivy", color=PARTICIPANT_PALETTE[0]))
    same = PARTICIPANT_PALETTE[0]
    await asyncio.gather(
        *(join(client, room, room.candidate_invite, user(f"C{n}", color=same)) for n in range(9))
    )
    colors = await participant_colors(client, room)
    assert len(colors) == 10
    assert sorted(colors) == sorted(PARTICIPANT_PALETTE)
    # The palette is used up: the eleventh still joins, with the colour it asked for.
    await join(client, room, room.candidate_invite, user("Eleven", color=same))
    assert len(await participant_colors(client, room)) == 11


async def test_a_rejoin_keeps_the_colour_it_had(client):
    room = await create_room(client)
    candidate, _ = await join(client, room, room.candidate_invite, user("Cam", color="#0090ff"))
    await join(client, room, room.candidate_invite, candidate)
    assert (await participant_colors(client, room)).count("#0090ff") == 1


def test_colours_compare_without_case_or_spaces():
    assert distinct_color(" #E5484D", {"#e5484d"}) == PARTICIPANT_PALETTE[1]
    assert distinct_color("red", set(PARTICIPANT_PALETTE)) == "red"

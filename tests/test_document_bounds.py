"""The whole shared document is bounded, not only its code: a participant cannot grow `meta`
or the document past its limits, nor set a `meta.language` the session cannot run, by any
door. The update is refused with an error, nothing of it is stored or sent on, and the room
stays usable: a new client syncs, and the session reads as before."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, Map

from collab.document import LANGUAGE_KEY
from server.app import create_app
from tests.conftest import bearer, create_room, join
from tests.peers import WebSocketYjsPeer, YjsPeer, eventually


@pytest.fixture
async def app_client(aiohttp_client, settings):
    # The default limits (1 MiB of code, 4 MiB of document), not the conftest's small code
    # limit: a 900 KB update must reach the `meta` check, not the update size limit.
    defaults = settings.model_copy(
        update={"max_code_bytes": 1_048_576, "max_document_bytes": 4 * 1_048_576}
    )
    return await aiohttp_client(create_app(defaults))


def meta_update(peer_doc: Doc, values: dict[str, Any]) -> bytes:
    """Set `values` in the peer's own `meta`; the update that does it."""
    meta = peer_doc.get("meta", type=Map)
    before = peer_doc.get_state()
    with peer_doc.transaction():
        for key, value in values.items():
            meta[key] = value
    return peer_doc.get_update(before)


async def errors_of(peer: YjsPeer) -> list[dict]:
    return peer.events["error"]


async def assert_room_still_usable(client, room, *, language: str = "python") -> None:
    fresh = YjsPeer()
    await fresh.connect(str(client.make_url("/")), room.token)
    try:
        assert fresh.code == "print(1)\n"
        assert set(fresh.meta.keys()) == {LANGUAGE_KEY}
        assert fresh.meta[LANGUAGE_KEY] == language
    finally:
        await fresh.disconnect()
    stock = WebSocketYjsPeer(client.session)
    await stock.connect(str(client.make_url(f"/yjs/{room.id}?token={room.token}")))
    await stock.close()
    response = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
    body = await response.json()
    assert body["data"]["language"] == language and body["data"]["code"] == "print(1)\n"


async def candidate_peer(client, room) -> YjsPeer:
    _, token = await join(client, room, room.candidate_invite)
    peer = YjsPeer()
    await peer.connect(str(client.make_url("/")), token)
    return peer


async def test_thirty_large_meta_values_are_refused_and_the_room_stays_usable(app_client):
    room = await create_room(app_client, code="print(1)\n", language="python")
    attacker = await candidate_peer(app_client, room)
    try:
        for n in range(30):
            # Each from a doc of its own, so that no update depends on a refused one.
            update = meta_update(Doc(), {f"junk{n}": "A" * 900_000})
            await attacker.emit("yjs", _sync(update))
        await eventually(lambda: len(attacker.events["error"]) == 30, within=30, what="30 errors")
        assert {e["code"] for e in attacker.events["error"]} == {"INVALID_UPDATE"}
        assert "1024" in attacker.events["error"][0]["message"].replace(",", "")
        await attacker.insert(0, "")  # still connected and heard
    finally:
        await attacker.disconnect()
    await assert_room_still_usable(app_client, room)


async def test_ten_thousand_small_meta_keys_are_refused(app_client):
    room = await create_room(app_client, code="print(1)\n", language="python")
    attacker = await candidate_peer(app_client, room)
    try:
        update = meta_update(
            attacker.doc, {f"k{n}": n for n in range(10_000)}
        )
        await attacker.emit("yjs", _sync(update))
        await eventually(lambda: attacker.events["error"], what="an error")
        assert attacker.events["error"][-1]["code"] == "INVALID_UPDATE"
        assert "32 keys" in attacker.events["error"][-1]["message"]
    finally:
        await attacker.disconnect()
    await assert_room_still_usable(app_client, room)


async def test_a_document_grown_past_its_limit_is_refused(aiohttp_client, settings):
    small = settings.model_copy(update={"max_code_bytes": 65_536, "max_document_bytes": 20_000})
    client = await aiohttp_client(create_app(small))
    room = await create_room(client, code="print(1)\n", language="python")
    attacker = await candidate_peer(client, room)
    try:
        await attacker.insert(0, "# " + "x" * 30_000 + "\n")
        await eventually(lambda: attacker.events["error"], what="an error")
        error = attacker.events["error"][-1]
        assert error["code"] == "PAYLOAD_TOO_LARGE"
        assert "the document would be" in error["message"] and "20000" in error["message"]
    finally:
        await attacker.disconnect()
    # The room goes on taking everyone else's edits.
    other = YjsPeer()
    await other.connect(str(client.make_url("/")), room.token)
    await other.insert(0, "# small\n")
    fresh = YjsPeer()
    await fresh.connect(str(client.make_url("/")), room.token)
    try:
        await eventually(lambda: fresh.code.startswith("# small\n"), what="later edits applied")
        assert "x" * 100 not in fresh.code
        assert not other.events["error"]
    finally:
        await fresh.disconnect()
        await other.disconnect()


@pytest.mark.parametrize(
    "value", ["evil-lang", 42, "p" * 5000, None], ids=["unknown", "number", "long", "null"]
)
async def test_a_yjs_language_the_session_cannot_run_is_refused(app_client, db, value):
    room = await create_room(app_client, code="print(1)\n", language="python")
    attacker = await candidate_peer(app_client, room)
    try:
        update = meta_update(attacker.doc, {LANGUAGE_KEY: value})
        await attacker.emit("yjs", _sync(update))
        await eventually(lambda: attacker.events["error"], what="an error")
        assert attacker.events["error"][-1]["code"] == "INVALID_UPDATE"
        assert "Unknown language" in attacker.events["error"][-1]["message"]
    finally:
        await attacker.disconnect()
    await assert_room_still_usable(app_client, room)
    assert await db.fetchval("SELECT language FROM sessions WHERE id = $1", room.id) == "python"


async def test_a_valid_yjs_language_still_changes_the_session(app_client):
    room = await create_room(app_client, code="print(1)\n", language="python")
    peer = await candidate_peer(app_client, room)
    try:
        update = meta_update(peer.doc, {LANGUAGE_KEY: "ruby"})
        await peer.emit("yjs", _sync(update))
        for _ in range(200):
            response = await app_client.get(
                f"/api/v1/sessions/{room.id}", headers=bearer(room.token)
            )
            if (await response.json())["data"]["language"] == "ruby":
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the language did not change")
        assert not peer.events["error"]
    finally:
        await peer.disconnect()


async def test_the_y_websocket_door_refuses_with_permission_denied(app_client):
    room = await create_room(app_client, code="print(1)\n", language="python")
    _, token = await join(app_client, room, room.candidate_invite)
    attacker = WebSocketYjsPeer(app_client.session)
    await attacker.connect(str(app_client.make_url(f"/yjs/{room.id}?token={token}")))
    try:
        for n in range(3):
            update = meta_update(Doc(), {f"junk{n}": "A" * 900_000})
            await attacker.send_update(update)
        update = meta_update(Doc(), {LANGUAGE_KEY: "evil-lang"})
        await attacker.send_update(update)
        await eventually(lambda: len(attacker.denied) == 4, within=10, what="4 refusals")
        assert attacker.denied[0].startswith("INVALID_UPDATE: ")
        assert "Unknown language" in attacker.denied[-1]
    finally:
        await attacker.close()
    await assert_room_still_usable(app_client, room)


def _sync(update: bytes) -> bytes:
    from collab import protocol

    return protocol.sync_update(update)


async def test_deletes_that_fragment_the_text_cannot_grow_the_document_past_its_limit(
    aiohttp_client, settings
):
    """A delete in the middle of an item splits it: deleting every other character grows the
    encoded document by several times the update's size, which the bound must allow for."""
    small = settings.model_copy(update={"max_code_bytes": 65_536, "max_document_bytes": 60_000})
    client = await aiohttp_client(create_app(small))
    room = await create_room(client, code="print(1)\n", language="python")
    attacker = await candidate_peer(client, room)
    try:
        await attacker.insert(0, "y" * 20_000)

        def every_other(text) -> None:
            for index in range(19_999, 0, -2):
                del text[index : index + 1]

        update = await attacker.edit(every_other)
        assert len(update) < 60_000
        await eventually(lambda: attacker.events["error"], what="an error")
        assert attacker.events["error"][-1]["code"] == "PAYLOAD_TOO_LARGE"
        fresh = YjsPeer()
        await fresh.connect(str(client.make_url("/")), room.token)
        try:
            assert len(fresh.doc.get_update()) <= 60_000
        finally:
            await fresh.disconnect()
    finally:
        await attacker.disconnect()

"""A Yjs client that sets `meta.language` itself: JSON clients get `language_change`, the
session's language follows, and plain text edits announce nothing."""

from __future__ import annotations

import asyncio

from collab import protocol
from collab.document import LANGUAGE_KEY
from tests.conftest import bearer, create_room, join
from tests.peers import JsonPeer, YjsPeer, eventually


async def test_a_yjs_clients_language_change_reaches_json_clients_and_the_session(client, db):
    room = await create_room(client, code="x", language="python")
    _, token = await join(client, room, room.candidate_invite)
    url = str(client.make_url("/"))
    yjs, watcher = YjsPeer(), JsonPeer()
    await yjs.connect(url, room.token)
    await watcher.connect(url, token)
    try:
        await eventually(lambda: watcher.events["language_change"], what="the greeting")
        greeted = len(watcher.events["language_change"])
        await yjs.insert(1, "y")
        before = yjs.doc.get_state()
        with yjs.doc.transaction():
            yjs.meta[LANGUAGE_KEY] = "rust"
        await yjs.emit("yjs", _update(yjs, before))
        await eventually(lambda: len(watcher.events["language_change"]) > greeted)
        changes = watcher.events["language_change"][greeted:]
        assert [c["language"] for c in changes] == ["rust"]
        await yjs.insert(2, "z")
        await eventually(lambda: watcher.code == "xyz")

        response = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))
        assert (await response.json())["data"]["language"] == "rust"
        stored = "SELECT language FROM sessions WHERE id = $1"
        for _ in range(300):
            if await db.fetchval(stored, room.id) == "rust":
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the session's language was not stored")
        assert [c["language"] for c in watcher.events["language_change"][greeted:]] == ["rust"]
    finally:
        for peer in (yjs, watcher):
            await peer.disconnect()


def _update(peer: YjsPeer, before: bytes) -> bytes:
    return protocol.sync_update(peer.doc.get_update(before))

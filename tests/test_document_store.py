"""Saving a snapshot (one SQL statement): it is stored with the session's plain-text copy of
the code, never replaces a newer one, is refused for a session that is gone, and trims the
stream to what it holds."""

from __future__ import annotations

from collab.store import DocumentStore, StreamId, checksum
from schema.keys import updates_stream
from server.state import POOL, REDIS
from tests.conftest import create_room

SNAPSHOT = "SELECT state, stream_ms, stream_seq FROM document_snapshots WHERE session_id = $1"


async def test_a_snapshot_is_stored_with_the_code_and_never_goes_backwards(client, db):
    store = DocumentStore(client.app[POOL], client.app[REDIS])
    room = await create_room(client, code="seed")
    stream = updates_stream(room.id)
    ids = [await store.append(room.id, b"u%d" % i, "node", 2**42) for i in range(3)]

    assert await store.save_snapshot(room.id, b"newer", ids[1], "newer code", 2_000)
    row = await db.fetchrow(SNAPSHOT, room.id)
    assert (bytes(row["state"]), StreamId(row["stream_ms"], row["stream_seq"])) == (
        b"newer", ids[1],
    )  # fmt: skip
    session = await db.fetchrow("SELECT code, updated_at FROM sessions WHERE id = $1", room.id)
    assert session["code"] == "newer code" and session["updated_at"] >= 2_000
    assert [e.id for e in (await store.read_range(room.id, StreamId(0, 0))).entries()] == ids[2:]

    assert not await store.save_snapshot(room.id, b"older", ids[0], "older code", 3_000)
    assert bytes((await db.fetchrow(SNAPSHOT, room.id))["state"]) == b"newer"
    assert await db.fetchval("SELECT code FROM sessions WHERE id = $1", room.id) == "newer code"
    assert await client.app[REDIS].xlen(stream) == 1


async def test_a_snapshot_of_a_session_that_is_gone_is_not_stored(client, db):
    store = DocumentStore(client.app[POOL], client.app[REDIS])
    assert not await store.save_snapshot("00gone00", b"state", StreamId(5, 0), "code", 1_000)
    assert await db.fetchrow(SNAPSHOT, "00gone00") is None


async def test_an_entry_is_checked_only_with_the_checksum_of_its_own_update(client):
    store = DocumentStore(client.app[POOL], client.app[REDIS])
    room = await create_room(client, code="seed")
    appended = await store.append(room.id, b"an update", "node-a", 2**42)
    stream = updates_stream(room.id)
    # Written by someone else: without a checksum (an older server), or with another's.
    await client.app[REDIS].xadd(stream, {"u": b"bare", "n": "node-b"})
    await client.app[REDIS].xadd(
        stream, {"u": b"tampered", "n": "node-b", "c": checksum(b"original")}
    )
    stream = await store.read_range(room.id, StreamId(0, 0))
    entries = stream.entries()
    assert entries[0].id == appended
    assert [(e.update, e.node, c) for e, c in zip(entries, stream.checked, strict=True)] == [
        (b"an update", "node-a", True), (b"bare", "node-b", False),
        (b"tampered", "node-b", False),
    ]  # fmt: skip
    # Reading after a position still starts after it.
    assert (await store.read_range(room.id, appended)).updates == [b"bare", b"tampered"]

from __future__ import annotations

import json

import pytest

from collab.awareness import (
    AwarenessEntry,
    RoomAwareness,
    cursor_state,
    decode_awareness_update,
    encode_awareness_update,
    resolve_cursor,
    validate_state,
)
from collab.document import load_doc, seed_update
from collab.protocol import ProtocolError, encode_varstring, encode_varuint
from collab.relpos import PositionMirror
from tests.collab.conftest import b64

STATE = {"user": {"name": "Zoë 😀", "color": "#30bced"}, "cursor": None}


def raw_update(entries: list[tuple[int, int, str]]) -> bytes:
    parts = [encode_varuint(len(entries))]
    for client, clock, text in entries:
        parts += [encode_varuint(client), encode_varuint(clock), encode_varstring(text)]
    return b"".join(parts)


def test_byte_identical_to_y_protocols(yjs: dict) -> None:
    messages = yjs["messages"]
    entries = decode_awareness_update(b64(messages["awareness_update"]))
    assert entries == [
        AwarenessEntry(
            messages["client_id"], messages["awareness_clock"], messages["awareness_state"]
        )
    ]
    assert encode_awareness_update(entries) == b64(messages["awareness_update"])
    removal = decode_awareness_update(b64(messages["awareness_removal_update"]))
    assert removal[0].state is None
    assert encode_awareness_update(removal) == b64(messages["awareness_removal_update"])


def test_add_update_remove_round_trip() -> None:
    room = RoomAwareness()
    room.connect("c1", participant_id="p1", role="candidate")
    room.connect("c2", participant_id="p2", role="interviewer")
    out = room.apply("c1", encode_awareness_update([AwarenessEntry(11, 0, STATE)]))
    assert out is not None
    [entry] = decode_awareness_update(out)
    assert entry.state == {**STATE, "id": "p1", "role": "candidate"}
    # A client cannot claim another identity: the server stamps over it.
    forged = {**STATE, "id": "p2", "role": "interviewer"}
    out = room.apply("c1", encode_awareness_update([AwarenessEntry(11, 1, forged)]))
    assert out is not None
    assert decode_awareness_update(out)[0].state["role"] == "candidate"  # type: ignore[index]
    # Stale clocks are dropped.
    assert room.apply("c1", encode_awareness_update([AwarenessEntry(11, 1, STATE)])) is None
    # Another participant cannot overwrite client 11.
    assert room.apply("c2", encode_awareness_update([AwarenessEntry(11, 5, STATE)])) is None
    snapshot = room.snapshot()
    assert snapshot is not None
    assert [e.client_id for e in decode_awareness_update(snapshot)] == [11]
    # Explicit removal by the client itself.
    out = room.apply("c1", encode_awareness_update([AwarenessEntry(11, 2, None)]))
    assert out is not None
    assert decode_awareness_update(out) == [AwarenessEntry(11, 2, None)]
    assert room.snapshot() is None
    assert room.disconnect("c1") is None  # nothing left to remove


def test_removal_on_disconnect_covers_exactly_the_announced_ids() -> None:
    room = RoomAwareness()
    room.connect("c1", participant_id="p1", role="candidate")
    room.connect("c2", participant_id="p2", role="interviewer")
    room.apply(
        "c1", encode_awareness_update([AwarenessEntry(1, 3, STATE), AwarenessEntry(2, 0, STATE)])
    )
    room.apply("c2", encode_awareness_update([AwarenessEntry(3, 7, STATE)]))
    assert room.client_ids("c1") == {1, 2}
    removal = room.disconnect("c1")
    assert removal is not None
    assert decode_awareness_update(removal) == [
        AwarenessEntry(1, 4, None),
        AwarenessEntry(2, 1, None),
    ]
    assert set(room.states) == {3}
    # A late stale update from the gone client does not revive it.
    room.connect("c1b", participant_id="p1", role="candidate")
    assert room.apply("c1b", encode_awareness_update([AwarenessEntry(1, 3, STATE)])) is None
    assert room.apply("c1b", encode_awareness_update([AwarenessEntry(1, 5, STATE)])) is not None


def test_same_participant_reconnecting_takes_over_its_client_id() -> None:
    room = RoomAwareness()
    room.connect("old", participant_id="p1", role="candidate")
    room.apply("old", encode_awareness_update([AwarenessEntry(9, 0, STATE)]))
    room.connect("new", participant_id="p1", role="candidate")
    room.apply("new", encode_awareness_update([AwarenessEntry(9, 1, STATE)]))
    # The old socket closing must not remove the cursor the new socket now owns.
    assert room.disconnect("old") is None
    assert 9 in room.states
    assert room.disconnect("new") is not None


def test_server_managed_state_for_json_clients() -> None:
    room = RoomAwareness()
    room.connect("json", participant_id="p9", role="candidate")
    first = decode_awareness_update(room.set_state("json", 5000, STATE))
    second = decode_awareness_update(room.set_state("json", 5000, STATE))
    assert (first[0].clock, second[0].clock) == (0, 1)
    assert decode_awareness_update(room.disconnect("json") or b"") == [
        AwarenessEntry(5000, 2, None)
    ]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (raw_update([(1, 0, "{not json")]), "not JSON"),
        (raw_update([(1, 0, "[1,2]")]), "object or null"),
        (raw_update([(1, 0, '{"user": "bob"}')]), "user must be an object"),
        (raw_update([(1, 0, '{"user": {"name": 5}}')]), "user.name"),
        (raw_update([(1, 0, '{"cursor": {"anchor": 1, "head": 2}}')]), "relative position"),
        (
            raw_update(
                [
                    (
                        1,
                        0,
                        '{"cursor": {"anchor": {"item": {"client": -1, "clock": 0}}, '
                        '"head": null}}',
                    )
                ]
            ),
            "item",
        ),
        (raw_update([(1, 0, "{}")]) + b"\x00", "trailing"),
        (raw_update([(1, 0, "{}")])[:-1], "declares"),
        (b"\x05\x01", "truncated"),
        (encode_varuint(1000), "1000 entries"),
        (raw_update([(1, 0, json.dumps({"pad": "x" * 9000}))]), "too large"),
    ],
)
def test_malformed_awareness(data: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_awareness_update(data)


def test_validate_state_allows_extra_keys() -> None:
    state = {"user": {"name": "a", "color": "red", "colorLight": "pink"}, "custom": [1]}
    assert validate_state(state) == state
    assert validate_state(None) is None


def test_cursor_state_for_json_client_round_trips(yjs: dict) -> None:
    doc = load_doc(seed_update("def f():\n    return 'é😀'\n", "python"))
    mirror = PositionMirror.from_doc(doc)
    text = "def f():\n    return 'é😀'\n"
    # Line 2, after the emoji: "    return 'é" is 13 units, the emoji 2 more.
    state = cursor_state(mirror, text, 2, 16, selection_start=(1, 1))
    validate_state(state)
    assert resolve_cursor(mirror, state) == (0, 9 + 15)
    # The y-codemirror.next shape: explicit nulls so createAbsolutePositionFromRelativePosition
    # can read it directly.
    assert set(state["cursor"]["head"]) == {"type", "tname", "item", "assoc"}
    assert resolve_cursor(mirror, {"cursor": None}) is None
    browser_cursor = yjs["messages"]["awareness_state"]
    browser_mirror = PositionMirror(b64(yjs["full_update"]))
    anchor, head = resolve_cursor(browser_mirror, browser_cursor) or (None, None)
    assert anchor == 3
    assert head == len(browser_mirror)

from __future__ import annotations

import gc
import os
import random

import pytest
from pycrdt import Doc, Map, Text

from collab.document import (
    LOAD_CHUNK,
    DocumentLoadError,
    UpdateRejected,
    apply_client_update,
    code_text,
    compact,
    load_doc,
    meta_map,
    new_doc,
    read_code,
    read_language,
    seed_update,
)
from collab.store import _CollectionPause
from collab.update_v1 import ascii_mirror
from tests.collab.conftest import b64


def test_seed_is_deterministic_and_idempotent() -> None:
    seed = seed_update("print('héllo 😀')\n", "python")
    assert seed == seed_update("print('héllo 😀')\n", "python")
    doc = load_doc(seed, [seed])
    assert read_code(doc) == "print('héllo 😀')\n"
    assert read_language(doc) == "python"


def test_seed_with_empty_code() -> None:
    doc = load_doc(seed_update("", "go"))
    assert read_code(doc) == ""
    assert read_language(doc) == "go"
    with pytest.raises(ValueError):
        seed_update("x", "")


def test_browser_shape_is_readable(yjs: dict) -> None:
    doc = load_doc(b64(yjs["full_update"]))
    assert read_code(doc) == yjs["text"]
    assert read_language(doc) == "python"


def test_yjs_updates_replayed_one_by_one_match(yjs: dict) -> None:
    # Every update three real Yjs clients emitted (local edits and applied remote ones, in
    # causal order) must pass validation without a spurious resync and end on Yjs's text.
    server = load_doc(b64(yjs["initial_update"]))
    for update in yjs["updates"]:
        apply_client_update(server, b64(update))
    assert read_code(server) == yjs["text"]
    assert read_code(load_doc(b64(yjs["initial_update"]), map(b64, yjs["updates"]))) == yjs["text"]


def test_compaction_of_20000_single_character_updates() -> None:
    seed = seed_update("", "python")
    doc = load_doc(seed)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = code_text(doc)
    rng = random.Random(7)
    expected = ""
    for i in range(20_000):
        char = "é😀ab\n"[i % 5]
        if expected and rng.random() < 0.2:
            index = rng.randrange(len(expected))
            start = len(expected[:index].encode())
            del text[start : start + len(expected[index].encode())]
            expected = expected[:index] + expected[index + 1 :]
        else:
            index = rng.randrange(len(expected) + 1)
            text.insert(len(expected[:index].encode()), char)
            expected = expected[:index] + char + expected[index:]
    assert read_code(doc) == expected
    assert len(updates) == 20_000
    compacted = compact(seed, updates)
    assert len(compacted) < sum(map(len, updates))
    reloaded = load_doc(compacted)
    assert read_code(reloaded) == expected
    assert read_language(reloaded) == "python"
    # A snapshot plus later updates loads to the same thing; a re-compaction is stable.
    assert read_code(load_doc(compact(compacted, updates[-100:]))) == expected


def test_load_reports_the_corrupt_update() -> None:
    seed = seed_update("abc", "python")
    with pytest.raises(DocumentLoadError) as info:
        load_doc(seed, [seed, b"\x01\x02garbage"])
    assert info.value.index == 1


def test_apply_client_update_accepts_and_reports_duplicates() -> None:
    seed = seed_update("abc", "python")
    server = load_doc(seed)
    client = load_doc(seed)
    before = client.get_state()
    code_text(client).insert(3, "dé")
    update = client.get_update(before)
    assert apply_client_update(server, update) is True
    assert read_code(server) == "abcdé"
    assert apply_client_update(server, update) is False
    assert read_code(server) == "abcdé"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda u: u[:-1],
        lambda u: u + b"\x00",
        lambda u: u[:5],
        lambda u: b"\xff" * 12,
        lambda u: b"",
        lambda u: os.urandom(40),
    ],
)
def test_malformed_updates_are_rejected_without_touching_the_doc(mutate) -> None:
    seed = seed_update("abc", "python")
    server = load_doc(seed)
    client = load_doc(seed)
    before = client.get_state()
    code_text(client).insert(1, "XYZ")
    bad = mutate(client.get_update(before))
    state = server.get_state()
    with pytest.raises(UpdateRejected):
        apply_client_update(server, bad)
    assert server.get_state() == state
    assert read_code(server) == "abc"


def test_size_limit() -> None:
    server = load_doc(seed_update("", "python"))
    client = load_doc(seed_update("", "python"))
    before = client.get_state()
    code_text(client).insert(0, "x" * 5000)
    with pytest.raises(UpdateRejected, match="exceeds"):
        apply_client_update(server, client.get_update(before), max_bytes=4096)


def test_unknown_roots_are_rejected() -> None:
    server = load_doc(seed_update("", "python"))
    client = Doc()
    client["evil"] = Map({"a": 1})
    with pytest.raises(UpdateRejected, match="unknown root"):
        apply_client_update(server, client.get_update())
    assert "evil" not in list(server.keys())


def test_out_of_order_update_asks_for_resync() -> None:
    seed = seed_update("abc", "python")
    server = load_doc(seed)
    client = load_doc(seed)
    s0 = client.get_state()
    code_text(client).insert(0, "1")
    s1 = client.get_state()
    code_text(client).insert(0, "2")
    second = client.get_update(s1)
    with pytest.raises(UpdateRejected) as info:
        apply_client_update(server, second)
    assert info.value.resync
    apply_client_update(server, client.get_update(s0))
    assert read_code(server) == "21abc"


def test_pycrdt_refusal_is_reported() -> None:
    server = new_doc(client_id=5)
    code_text(server).insert(0, "hello")
    # A well-formed item whose parent is a string item, which yrs refuses to integrate.
    bad = bytes([1, 1, 9, 0, 4, 0, 5, 1, 2]) + b"zz" + bytes([0])
    with pytest.raises(UpdateRejected, match="pycrdt refused"):
        apply_client_update(server, bad)
    assert read_code(server) == "hello"


def test_ascii_mirror_keeps_ids_and_lengths() -> None:
    doc = load_doc(seed_update("A😀B é", "python"))
    code_text(doc).insert(1, "中")
    mirror = Doc()
    mirror.apply_update(ascii_mirror(doc.get_update()))
    assert mirror.get_state() == doc.get_state()
    assert str(mirror.get("code", type=Text)) == "x" * 7
    assert meta_map(doc)["language"] == mirror.get("meta", type=Map)["language"]


def test_the_texts_length_is_its_utf8_size() -> None:
    # The room's size check relies on it instead of copying the text out per update.
    doc = load_doc(seed_update("A😀B é", "python"))
    code_text(doc).insert(5, "中\u2028\r\n")
    code = read_code(doc)
    assert code == "A😀中\u2028\r\nB é"
    assert len(code_text(doc)) == len(code.encode("utf-8"))


def _typed(seed: bytes, text: str) -> list[bytes]:
    """One update per character typed at the end of the seed's text."""
    doc = load_doc(seed)
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    for character in text:
        code_text(doc).insert(len(read_code(doc)), character)
    doc.unobserve(subscription)
    return updates


def test_load_reports_the_corrupt_update_past_the_first_chunk() -> None:
    seed = seed_update("", "python")
    updates = _typed(seed, "x" * (LOAD_CHUNK + 100))
    assert read_code(load_doc(seed, updates)) == "x" * (LOAD_CHUNK + 100)
    updates[LOAD_CHUNK + 44] = b"\x01\x02garbage"
    with pytest.raises(DocumentLoadError) as info:
        load_doc(seed, updates)
    assert info.value.index == LOAD_CHUNK + 44


def test_a_checked_update_is_not_parsed_again_an_unchecked_one_is() -> None:
    seed = seed_update("ab", "python")
    [update] = _typed(seed, "c")
    # Trailing bytes: pycrdt applies the update and ignores them; the strict reader refuses.
    padded = update + b"\x00\x07"
    assert read_code(load_doc(seed, [padded], [True])) == "abc"
    with pytest.raises(DocumentLoadError) as info:
        load_doc(seed, [update, padded], [True, False])
    assert info.value.index == 1


def test_overlapping_stream_reads_turn_collection_back_on_once_the_last_ends() -> None:
    pause = _CollectionPause()
    assert gc.isenabled()
    first, second = pause(), pause()
    first.__enter__()
    second.__enter__()
    # The first read ends while the second still waits on Redis.
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
    # Off before (someone else's choice): it stays off.
    gc.disable()
    try:
        with pause():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

from __future__ import annotations

from pycrdt import Assoc, StickyIndex

from collab.document import code_text, load_doc, seed_update
from collab.relpos import PositionMirror
from tests.collab.conftest import b64


def test_matches_yjs_create_relative_position(yjs: dict) -> None:
    mirror = PositionMirror(b64(yjs["full_update"]))
    for case in yjs["relpos"]:
        assert mirror.relative_position(case["index"], case["assoc"]) == case["json"], case


def test_matches_yjs_absolute_position(yjs: dict) -> None:
    mirror = PositionMirror(b64(yjs["full_update"]))
    for case in yjs["resolved"]:
        assert mirror.resolve(case["json"]) == case["index"], case


def test_pycrdt_sticky_index_is_wrong_on_non_ascii_text() -> None:
    # Documents why PositionMirror exists: on the real doc pycrdt names the wrong item.
    doc = load_doc(seed_update("é😀B", "python"))
    wrong = StickyIndex.new(code_text(doc), len("é😀".encode()), Assoc.AFTER).to_json()
    right = PositionMirror.from_doc(doc).relative_position(3)  # UTF-16 index of "B"
    assert right["item"] == {"client": 0, "clock": 3}
    assert wrong["item"] != right["item"]


def test_positions_follow_concurrent_edits() -> None:
    seed = seed_update("A😀B é", "python")
    doc = load_doc(seed)
    mirror = PositionMirror.from_doc(doc)
    before_b = mirror.relative_position(3)
    other = load_doc(seed)
    code_text(other).insert(0, "中😀")
    update = other.get_update(doc.get_state())
    doc.apply_update(update)
    mirror.apply_update(update)
    assert mirror.resolve(before_b) == 6  # "中😀A😀" is 6 UTF-16 units
    assert len(mirror) == 9


def test_edges_and_bad_input() -> None:
    mirror = PositionMirror(seed_update("abc", "python"))
    end = mirror.relative_position(3)
    assert end == {"type": None, "tname": "code", "item": None, "assoc": 0}
    assert mirror.resolve(end) == 3
    assert mirror.resolve(mirror.relative_position(0, -1)) == 0
    assert mirror.relative_position(99) == end
    assert mirror.resolve({"item": {"client": 0, "clock": 999}, "assoc": 0}) is None
    assert mirror.resolve({"item": {"client": 12345, "clock": 0}}) is None
    assert mirror.resolve({"item": {"client": -1, "clock": 0}}) is None
    assert mirror.resolve({"item": "x"}) is None
    assert mirror.resolve({"tname": "meta", "item": None}) is None
    assert mirror.resolve("nope") is None
    assert mirror.resolve({"assoc": True, "tname": "code"}) is None
    # Old Yjs (< 13.6) wrote tname null next to an item; both shapes resolve.
    assert mirror.resolve({"type": None, "tname": None, "item": {"client": 0, "clock": 1}}) == 1

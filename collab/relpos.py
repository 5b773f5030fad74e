"""Yjs relative positions on the "code" text, computed the way Yjs (JS) computes them.

y-codemirror.next publishes a cursor as ``{anchor, head}`` where each is a Yjs
``RelativePosition`` object serialised by ``JSON.stringify``, i.e.
``{"type": null, "tname": "code", "item": {"client": c, "clock": k}, "assoc": 0}`` (with
``"item": null`` at the end of the text; Yjs before 13.6 wrote ``"tname": null`` next to an
item, and both forms are accepted). Readers pass that object straight
to ``createAbsolutePositionFromRelativePosition``, which tests ``item !== null``: a position
without the explicit nulls would crash them, so ``relative_position`` always writes all four
keys.

pycrdt 0.14.13's ``StickyIndex`` cannot be used on the real doc: its text offsets are UTF-8
bytes but it adds them to UTF-16 item clocks (so a position after "é" names the wrong item,
and one near the end of a non-ASCII text panics), and ``get_index`` mixes the two units on
the way back. ``PositionMirror`` therefore keeps a twin doc fed with ``ascii_mirror`` of
every update: same item ids and lengths, ASCII content, so in the twin bytes, UTF-16 units
and clocks are the same number and pycrdt's arithmetic is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pycrdt import Assoc, Doc, StickyIndex, Text

from collab.document import CODE_KEY, is_pycrdt_panic
from collab.protocol import decode_state_vector
from collab.update_v1 import ascii_mirror

RelativePositionJSON = dict[str, Any]


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


class PositionMirror:
    """An ASCII twin of a session doc that converts between UTF-16 indices of the code text
    and Yjs relative positions. Feed it every update the real doc gets (in any order: like
    any Yjs doc it waits for missing dependencies)."""

    def __init__(self, update: bytes | None = None, *, text_key: str = CODE_KEY) -> None:
        self._doc: Doc = Doc()
        self._text_key = text_key
        self._text = self._doc.get(text_key, type=Text)
        if update is not None:
            self.apply_update(update)

    @classmethod
    def from_doc(cls, doc: Doc, *, text_key: str = CODE_KEY) -> PositionMirror:
        return cls(doc.get_update(), text_key=text_key)

    def apply_update(self, update: bytes) -> None:
        """Mirror a v1 update; raises ``ProtocolError`` if it is malformed."""
        self._doc.apply_update(ascii_mirror(update))

    def __len__(self) -> int:
        """Length of the code text in UTF-16 units."""
        return len(self._text)

    def relative_position(self, index: int, assoc: int = 0) -> RelativePositionJSON:
        """``JSON.stringify(Y.createRelativePositionFromTypeIndex(ytext, index, assoc))``
        parsed back, for a UTF-16 ``index`` (clamped into the text)."""
        length = len(self._text)
        index = min(max(index, 0), length)
        item: dict[str, int] | None = None
        # The two edges name no item in Yjs; pycrdt also panics on the end one when the text
        # ends with deleted items, so they never reach it.
        if (assoc >= 0 and index < length) or (assoc < 0 and index > 0):
            sticky = StickyIndex.new(self._text, index, Assoc.BEFORE if assoc < 0 else Assoc.AFTER)
            found = sticky.to_json().get("item")
            if found is None:
                raise RuntimeError(f"pycrdt found no item at index {index} of {length}")
            item = {"client": found["client"], "clock": found["clock"]}
        # Yjs >= 13.6 writes the root name even next to an item (``createRelativePosition``
        # fills ``tname`` for any root type), and ``type`` only for nested types.
        return {"type": None, "tname": self._text_key, "item": item, "assoc": assoc}

    def resolve(self, position: object) -> int | None:
        """UTF-16 index in the code text that a relative position (JSON object) points at,
        as ``createAbsolutePositionFromRelativePosition`` would; ``None`` when it is malformed,
        names an unknown item, or another type (which y-codemirror.next also ignores)."""
        if not isinstance(position, Mapping):
            return None
        assoc = position.get("assoc", 0)
        if assoc is None:
            assoc = 0
        if not isinstance(assoc, int | float) or isinstance(assoc, bool):
            return None
        item = position.get("item")
        if item is None:
            if position.get("tname") != self._text_key or position.get("type") is not None:
                return None
            return len(self._text) if assoc >= 0 else 0
        if not isinstance(item, Mapping):
            return None
        client, clock = item.get("client"), item.get("clock")
        if not _is_uint(client) or not _is_uint(clock):
            return None
        assert isinstance(client, int) and isinstance(clock, int)
        # pycrdt panics (an uncatchable-by-Exception PanicException) on an id it has not
        # seen, so unknown ids are filtered out first, exactly like Yjs returns null.
        known = decode_state_vector(self._doc.get_state()).get(client, 0)
        if clock >= known:
            return None
        sticky = StickyIndex.from_json(
            {
                "item": {"client": client, "clock": clock},
                "assoc": -1 if assoc < 0 else 0,
            },
            self._text,
        )
        try:
            index = sticky.get_index()
        except BaseException as exc:
            if is_pycrdt_panic(exc):
                return None
            raise
        # An id that belongs to the meta map resolves to an index in that map; clamping keeps
        # a hostile or stale cursor inside the text instead of trusting it.
        return min(max(index, 0), len(self._text))

"""Positions in the shared code text, in every unit the system has to speak.

Three index spaces meet here:

* UTF-16 code units: what browsers, Yjs (JS), CodeMirror and Monaco count. Every offset or
  column that crosses the wire is in this unit.
* Python ``str`` indices (code points): what Python slicing counts.
* UTF-8 bytes: what pycrdt 0.14.13's ``Text`` counts for ``insert``/``del``/``len``/event
  deltas (its yrs doc uses ``OffsetKind::Bytes``). An index that is not on a character
  boundary makes it misbehave silently (an insert lands at the end, a one-byte delete removes
  the rest of the text), so only ``utf8_offset`` output should ever be passed to it.

Line/column pairs follow Monaco: both 1-based, the column in UTF-16 units, and "\\r\\n", "\\r"
and "\\n" all end a line, so a CRLF document gives the same positions as in the editor.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (JS ``string.length``)."""
    # Astral characters are the only ones that take two units; counting them is cheaper than
    # encoding the whole string.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _check_range(offset: int, length: int, unit: str) -> None:
    if not 0 <= offset <= length:
        raise ValueError(f"{unit} offset {offset} is outside 0..{length}")


def utf16_to_index(text: str, offset: int, *, clamp: bool = False) -> int:
    """Python index of the UTF-16 ``offset`` in ``text``.

    An offset that falls between the two halves of a surrogate pair is rounded down to the
    start of that character, since a browser can momentarily report one and it must not be
    able to split a character. Out-of-range offsets raise ``ValueError`` unless ``clamp``.
    """
    encoded = text.encode("utf-16-le", "surrogatepass")
    length = len(encoded) // 2
    if clamp:
        offset = min(max(offset, 0), length)
    _check_range(offset, length, "UTF-16")
    head = encoded[: 2 * offset].decode("utf-16-le", "surrogatepass")
    index = len(head)
    # A split pair decodes to a lone high surrogate where the text has the whole character;
    # comparing with the text (not just the unit) keeps a genuinely lone surrogate intact.
    if index and head[-1] != text[index - 1]:
        index -= 1
    return index


def index_to_utf16(text: str, index: int) -> int:
    """UTF-16 offset of the Python ``index`` in ``text``."""
    _check_range(index, len(text), "str")
    return utf16_length(text[:index])


def index_to_utf8(text: str, index: int) -> int:
    """UTF-8 byte offset (what pycrdt ``Text`` wants) of the Python ``index`` in ``text``."""
    _check_range(index, len(text), "str")
    return len(text[:index].encode("utf-8", "surrogatepass"))


def utf8_to_index(text: str, offset: int) -> int:
    """Python index of a UTF-8 byte ``offset``; raises if it splits a character."""
    encoded = text.encode("utf-8", "surrogatepass")
    _check_range(offset, len(encoded), "UTF-8")
    if offset < len(encoded) and (encoded[offset] & 0xC0) == 0x80:
        raise ValueError(f"UTF-8 offset {offset} is inside a character")
    return len(encoded[:offset].decode("utf-8", "surrogatepass"))


def utf16_to_utf8(text: str, offset: int, *, clamp: bool = False) -> int:
    """UTF-8 byte offset of a UTF-16 ``offset`` (rounding a split surrogate pair down)."""
    return index_to_utf8(text, utf16_to_index(text, offset, clamp=clamp))


def utf8_to_utf16(text: str, offset: int) -> int:
    """UTF-16 offset of a UTF-8 byte ``offset`` (e.g. from a pycrdt event delta)."""
    return index_to_utf16(text, utf8_to_index(text, offset))


@dataclass(frozen=True, slots=True)
class LineColumn:
    """A Monaco-style position: 1-based line, 1-based column counted in UTF-16 units."""

    line: int
    column: int


class LineIndex:
    """Line starts of one text, so repeated line/column conversions cost O(log lines).

    Build one per text version; it does not follow later edits.
    """

    __slots__ = ("_line_ends", "_line_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        # Starts and ends (before the line break) are Python indices; conversion to UTF-16
        # happens per query so that building the index stays a single regex pass.
        starts = [0]
        ends: list[int] = []
        for match in _LINE_BREAK.finditer(text):
            ends.append(match.start())
            starts.append(match.end())
        ends.append(len(text))
        self._line_starts = starts
        self._line_ends = ends

    @property
    def line_count(self) -> int:
        return len(self._line_starts)

    def to_line_column(self, offset: int, *, clamp: bool = True) -> LineColumn:
        """Line/column of a UTF-16 ``offset`` into the whole text."""
        index = utf16_to_index(self.text, offset, clamp=clamp)
        line = bisect_right(self._line_starts, index) - 1
        # An offset between "\r" and "\n" belongs at the end of the line, not on the next one.
        index = min(index, self._line_ends[line])
        start = self._line_starts[line]
        return LineColumn(line + 1, utf16_length(self.text[start:index]) + 1)

    def to_offset(self, line: int, column: int) -> int:
        """UTF-16 offset of a 1-based ``line``/``column``, clamped into the text.

        Clamping follows Monaco's ``validatePosition``: a line past the end means the end of
        the text, a column past the end of its line means the end of that line.
        """
        if line < 1:
            return 0
        if line > self.line_count:
            return utf16_length(self.text)
        start = self._line_starts[line - 1]
        line_text = self.text[start : self._line_ends[line - 1]]
        in_line = utf16_to_index(line_text, max(column, 1) - 1, clamp=True)
        return utf16_length(self.text[: start + in_line])


def offset_to_line_column(text: str, offset: int) -> LineColumn:
    """Line/column of a UTF-16 ``offset`` in ``text`` (clamped into the text)."""
    return LineIndex(text).to_line_column(offset)


def line_column_to_offset(text: str, line: int, column: int) -> int:
    """UTF-16 offset of a 1-based ``line``/``column`` in ``text`` (clamped into the text)."""
    return LineIndex(text).to_offset(line, column)

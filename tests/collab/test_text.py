from __future__ import annotations

import pytest
from pycrdt import Doc, Text

from collab.text import (
    LineColumn,
    LineIndex,
    index_to_utf8,
    index_to_utf16,
    line_column_to_offset,
    offset_to_line_column,
    utf8_to_index,
    utf8_to_utf16,
    utf16_length,
    utf16_to_index,
    utf16_to_utf8,
)

SAMPLE = "A😀B é"


def test_pycrdt_text_indices_count_utf8_bytes() -> None:
    # The premise of this module: if a pycrdt upgrade switches to code points or UTF-16,
    # this fails and every utf8 conversion at the pycrdt boundary has to be revisited.
    doc = Doc()
    doc["code"] = text = Text(SAMPLE)
    assert len(text) == len(SAMPLE.encode()) == 9
    text.insert(index_to_utf8(SAMPLE, 2), "|")  # after the emoji
    assert str(text) == "A😀|B é"


def test_utf16_lengths() -> None:
    assert utf16_length(SAMPLE) == 6
    assert utf16_length("") == 0
    assert utf16_length("中") == 1


def test_round_trips_for_every_position() -> None:
    for index in range(len(SAMPLE) + 1):
        u16 = index_to_utf16(SAMPLE, index)
        u8 = index_to_utf8(SAMPLE, index)
        assert utf16_to_index(SAMPLE, u16) == index
        assert utf8_to_index(SAMPLE, u8) == index
        assert utf16_to_utf8(SAMPLE, u16) == u8
        assert utf8_to_utf16(SAMPLE, u8) == u16
    assert [index_to_utf16(SAMPLE, i) for i in range(6)] == [0, 1, 3, 4, 5, 6]
    assert [index_to_utf8(SAMPLE, i) for i in range(6)] == [0, 1, 5, 6, 7, 9]


def test_offset_inside_surrogate_pair_rounds_down() -> None:
    assert utf16_to_index(SAMPLE, 2) == 1
    assert utf16_to_utf8(SAMPLE, 2) == 1


def test_lone_surrogate_is_not_mistaken_for_a_split_pair() -> None:
    text = "a\ud83db"
    assert utf16_to_index(text, 2) == 2


def test_out_of_range() -> None:
    with pytest.raises(ValueError):
        utf16_to_index(SAMPLE, 7)
    with pytest.raises(ValueError):
        index_to_utf16(SAMPLE, -1)
    assert utf16_to_index(SAMPLE, 99, clamp=True) == len(SAMPLE)
    with pytest.raises(ValueError, match="inside a character"):
        utf8_to_index(SAMPLE, 2)


def test_line_columns_are_monaco_style() -> None:
    text = "ab\r\ncd😀\nx\ré"
    assert offset_to_line_column(text, 0) == LineColumn(1, 1)
    assert offset_to_line_column(text, 2) == LineColumn(1, 3)
    # Between \r and \n still belongs to the end of line 1.
    assert offset_to_line_column(text, 3) == LineColumn(1, 3)
    assert offset_to_line_column(text, 4) == LineColumn(2, 1)
    assert offset_to_line_column(text, 8) == LineColumn(2, 5)  # after the emoji: 2 units
    assert offset_to_line_column(text, 9) == LineColumn(3, 1)
    assert offset_to_line_column(text, 10) == LineColumn(3, 2)  # a lone \r ends a line too
    assert offset_to_line_column(text, 11) == LineColumn(4, 1)
    assert offset_to_line_column(text, 12) == LineColumn(4, 2)


def test_line_column_to_offset_round_trip_and_clamping() -> None:
    text = "def f():\n    return '😀'\n"
    index = LineIndex(text)
    for offset in range(utf16_length(text) + 1):
        pos = index.to_line_column(offset)
        back = index.to_offset(pos.line, pos.column)
        # Only the inside of a surrogate pair does not survive (it rounds down).
        assert back == offset or (back == offset - 1 and text[utf16_to_index(text, back)] == "😀")
    assert line_column_to_offset(text, 1, 99) == 8
    assert line_column_to_offset(text, 99, 1) == utf16_length(text)
    assert line_column_to_offset(text, 0, 5) == 0
    assert line_column_to_offset(text, 2, 0) == 9
    assert index.line_count == 3

"""Turning "old text, new text" into a short list of insert/delete edits.

JSON clients send the whole file; the edits computed here are what gets replayed into the
CRDT. Their quality matters beyond size: every unchanged character that an edit deletes and
re-inserts pushes concurrent insertions made by others out of place, so the diff works
line-first (cheap, and matches how code changes) and refines changed lines per character.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

# Above this many cell comparisons a character diff of a changed region is replaced by one
# whole-region replace; SequenceMatcher is roughly quadratic and this runs on the event loop.
_MAX_CHAR_DIFF_CELLS = 4_000_000
_MAX_LINE_DIFF_CELLS = 25_000_000


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace ``old[start:end]`` with ``insert``; indices are Python ``str`` indices of the
    old text, and the edits of one diff never overlap and are sorted by ``start``."""

    start: int
    end: int
    insert: str


def _common_prefix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    if a[:limit] == b[:limit]:
        return limit
    # Binary search over slice equality keeps the comparison work in C.
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        mid = (low + high + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            low = mid
        else:
            high = mid - 1
    return low


def _char_edits(old: str, new: str, offset: int) -> list[TextEdit]:
    if not old or not new or len(old) * len(new) > _MAX_CHAR_DIFF_CELLS:
        return [TextEdit(offset, offset + len(old), new)]
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [
        TextEdit(offset + i1, offset + i2, new[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _line_edits(old: str, new: str, offset: int) -> list[TextEdit]:
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    if len(old_lines) * len(new_lines) > _MAX_LINE_DIFF_CELLS or (
        len(old_lines) <= 1 and len(new_lines) <= 1
    ):
        return _char_edits(old, new, offset)
    old_starts = [0]
    for line in old_lines:
        old_starts.append(old_starts[-1] + len(line))
    new_starts = [0]
    for line in new_lines:
        new_starts.append(new_starts[-1] + len(line))
    edits: list[TextEdit] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old_part = old[old_starts[i1] : old_starts[i2]]
        new_part = new[new_starts[j1] : new_starts[j2]]
        edits.extend(_char_edits(old_part, new_part, offset + old_starts[i1]))
    return edits


def diff_text(old: str, new: str) -> list[TextEdit]:
    """Edits turning ``old`` into ``new``: sorted, non-overlapping, in ``old``'s indices."""
    if old == new:
        return []
    prefix = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    old_mid = old[prefix : len(old) - suffix]
    new_mid = new[prefix : len(new) - suffix]
    return _line_edits(old_mid, new_mid, prefix)


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply ``diff_text`` output to a plain string (the reference the CRDT path must match)."""
    parts: list[str] = []
    cursor = 0
    for edit in edits:
        parts.append(text[cursor : edit.start])
        parts.append(edit.insert)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)

"""Applying a whole-file edit from a JSON client without clobbering concurrent CRDT edits.

A JSON client sends ``code_change`` with its full new text. Writing that text over the
shared doc would erase whatever others typed since the client last synced. Instead the
server remembers, per JSON client, the *doc update* it had when it last sent that client the
code (its "base"). On a change:

1. fork: a scratch doc is built from the base update, so it holds exactly the text the client
   edited, with the same item ids as the shared doc at that time;
2. the client's change is diffed (``collab.diff``) against the base text and replayed as
   inserts/deletes on the fork, i.e. against the version the client actually saw;
3. only the fork's new operations are taken as an update and applied to the shared doc.

Because those operations are anchored to the base's item ids (not to numeric offsets), the
CRDT places them where the client meant them, whatever was inserted or deleted in between:

* text others inserted concurrently survives, even inside a range the client replaced
  (it ends up next to the client's replacement, as in any Yjs merge);
* text the client deleted is deleted even if others moved it by inserting before it;
* if others deleted text the client also kept or changed, their deletion stands.

The result carries the merged text, which differs from what the client sent whenever
something concurrent happened: the transport must then send it back to the client, and the
new base, which the transport stores for that client's next change.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import Doc, Text

from collab.diff import TextEdit, diff_text
from collab.document import code_text, new_doc, read_code, state_vector


@dataclass(frozen=True, slots=True)
class RebaseResult:
    # The update to persist and broadcast; ``b""`` when the client's text changed nothing.
    update: bytes
    # The shared text after the change; send it to the client if it differs from its own.
    text: str
    # What the client has now seen; pass it as ``base`` with the client's next change.
    base: bytes
    # The Yjs client id the operations were made with (see ``apply_full_text``).
    client_id: int


def client_base(doc: Doc) -> bytes:
    """The base to remember when a JSON client is sent ``read_code(doc)``."""
    return doc.get_update()


def apply_text_edits(text: Text, old: str, edits: list[TextEdit]) -> None:
    """Replay ``diff_text(old, ...)`` edits on a pycrdt ``Text`` whose content is ``old``.

    Applied right to left so each edit's offsets, converted to the UTF-8 bytes pycrdt
    counts, are still valid when it runs; one transaction makes them a single update.
    """
    with text.doc.transaction():
        for edit in reversed(edits):
            start = len(old[: edit.start].encode("utf-8"))
            end = start + len(old[edit.start : edit.end].encode("utf-8"))
            if end > start:
                del text[start:end]
            if edit.insert:
                text.insert(start, edit.insert)


def apply_full_text(
    doc: Doc,
    new_text: str,
    *,
    base: bytes | None,
    client_id: int | None = None,
    origin: object = None,
) -> RebaseResult:
    """Apply a JSON client's full text ``new_text`` to ``doc`` as a change made against
    ``base`` (see the module docstring). ``base=None`` means the client's base is the current
    doc, i.e. its text simply replaces the current one via a minimal diff.

    ``client_id`` should be stable per JSON client so the doc's state vector does not grow
    by one entry per change; if the base lacks some of that id's operations (the client's
    previous change raced with this one) a fresh id is used instead, since reusing a clock
    would make the shared doc silently drop the new operations as duplicates.

    Raises ``ValueError`` if ``new_text`` cannot be stored (lone surrogates).
    """
    try:
        new_text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains lone surrogates") from None
    if base is None:
        base = doc.get_update()
    shared_state = state_vector(doc)
    fork = new_doc(client_id=client_id)
    fork.apply_update(base)
    if client_id is not None and shared_state.get(client_id, 0) != state_vector(fork).get(
        client_id, 0
    ):
        fork = new_doc()
        fork.apply_update(base)
    old_text = read_code(fork)
    edits = diff_text(old_text, new_text)
    update = b""
    if edits:
        before = fork.get_state()
        apply_text_edits(code_text(fork), old_text, edits)
        update = fork.get_update(before)
        if origin is None:
            doc.apply_update(update)
        else:
            with doc.transaction(origin=origin):
                doc.apply_update(update)
    return RebaseResult(
        update=update, text=read_code(doc), base=doc.get_update(), client_id=fork.client_id
    )

"""A session's shared document: its shape, creation, loading, compaction and guarded updates.

Shape (what browsers bind with ``ydoc.getText('code')`` / ``ydoc.getMap('meta')``):

* ``code``: ``Text``, the file being edited;
* ``meta``: ``Map`` with ``language`` (str).

A doc only ever comes from updates: the seed update written once when the session is created,
then client updates. It is never rebuilt from plain text, because a rebuilt doc has new item
ids and merging it with any client's state would duplicate the whole file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from pycrdt import Doc, Map, Text

from collab.protocol import ProtocolError, decode_state_vector
from collab.update_v1 import UpdateInfo, inspect_update

CODE_KEY = "code"
META_KEY = "meta"
LANGUAGE_KEY = "language"
ROOT_KEYS = frozenset((CODE_KEY, META_KEY))

# The seed is written by this reserved client id so that seeding is deterministic: two
# servers racing to seed the same session with the same (code, language) produce
# byte-identical updates, and applying both is a no-op instead of a doubled file.
SEED_CLIENT_ID = 0

DEFAULT_MAX_UPDATE_BYTES = 1 << 20

# What `meta` may hold. The web app writes only `language`; other Yjs clients may keep a few
# small settings of their own there, but nothing that grows: every key and value is bounded,
# and values are plain scalars (a nested type could hold anything).
MAX_META_KEYS = 32
MAX_META_KEY_LENGTH = 64
MAX_META_STRING_LENGTH = 1024


class UpdateRejected(ValueError):
    """An incoming update was refused; the document was not modified by it.

    ``resync`` is true when the update was well-formed but depends on changes this document
    does not have: the sender is ahead or out of sync and should be sent a sync step 1.
    """

    def __init__(self, reason: str, *, resync: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.resync = resync


class DocumentLoadError(ValueError):
    """A stored update could not be loaded; ``index`` is its position (-1 for the snapshot)."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"stored update #{index} is unusable: {reason}")
        self.index = index


def is_pycrdt_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfaced by pycrdt (``pyo3_runtime.PanicException``,
    which derives from ``BaseException`` and so escapes ``except Exception``)."""
    return type(exc).__name__ == "PanicException"


def new_doc(*, client_id: int | None = None) -> Doc:
    """An empty doc with both roots declared, so lookups never create them as side effects
    inside someone else's transaction."""
    doc: Doc = Doc(client_id=client_id)
    doc.get(CODE_KEY, type=Text)
    doc.get(META_KEY, type=Map)
    return doc


def code_text(doc: Doc) -> Text:
    return doc.get(CODE_KEY, type=Text)


def meta_map(doc: Doc) -> Map:
    return doc.get(META_KEY, type=Map)


def read_code(doc: Doc) -> str:
    return str(code_text(doc))


def read_language(doc: Doc) -> str | None:
    value = meta_map(doc).get(LANGUAGE_KEY)
    return value if isinstance(value, str) else None


def seed_update(code: str, language: str) -> bytes:
    """The one update that creates a session's document; persist it as the first update.

    Deterministic for a given (code, language), see ``SEED_CLIENT_ID``. Call it exactly once
    per session: a second seed with *different* content would reuse the same ids.
    """
    if not language:
        raise ValueError("language must be a non-empty string")
    doc = new_doc(client_id=SEED_CLIENT_ID)
    with doc.transaction(origin="seed"):
        if code:
            code_text(doc).insert(0, code)
        meta_map(doc)[LANGUAGE_KEY] = language
    return doc.get_update()


# Updates applied per transaction when loading. One transaction per update costs its
# commit every time; one for thousands grows superlinearly in pycrdt (20,000 typed
# characters: ~190 ms in one, ~22 ms in chunks of 256).
LOAD_CHUNK = 256


def load_doc(
    snapshot: bytes | None, updates: Iterable[bytes] = (), checked: Sequence[bool] = ()
) -> Doc:
    """Rebuild a doc from a compacted snapshot plus the updates stored after it.

    Order does not matter for correctness (CRDT), but every stored update must parse;
    a corrupt one raises ``DocumentLoadError`` rather than loading a silently short file.
    ``checked[i]`` true says ``updates[i]`` was validated when it was accepted and its
    bytes are those (see ``collab.store.stream_fields``): it is not parsed again.
    """
    doc = new_doc()
    if snapshot is not None:
        _apply_stored(doc, [snapshot], [], -1)  # index -1: the snapshot
    stored = list(updates)
    for start in range(0, len(stored), LOAD_CHUNK):
        end = start + LOAD_CHUNK
        _apply_stored(doc, stored[start:end], checked[start:end], start)
    return doc


def _apply_stored(doc: Doc, updates: Sequence[bytes], checked: Sequence[bool], first: int) -> None:
    with doc.transaction(origin="load"):
        for offset, update in enumerate(updates):
            try:
                if not (offset < len(checked) and checked[offset]):
                    inspect_update(update)
                doc.apply_update(update)
            except (ProtocolError, ValueError, RuntimeError) as exc:
                raise DocumentLoadError(first + offset, str(exc)) from exc


def compact(snapshot: bytes | None, updates: Iterable[bytes]) -> bytes:
    """One update equivalent to the snapshot plus ``updates``: replayed into a doc and
    re-encoded, which (unlike ``merge_updates`` over thousands of tiny updates) merges
    adjacent items and drops deleted content, so the result stays small and loads fast."""
    return load_doc(snapshot, updates).get_update()


def meta_problem(doc: Doc, languages: Collection[str] | None) -> str | None:
    """Why the doc's `meta` breaks its rules, or ``None`` when it keeps them; `language`
    must be one of `languages` (any string when it is ``None``)."""
    meta = meta_map(doc)
    keys = list(meta.keys())
    if len(keys) > MAX_META_KEYS:
        return f"meta may hold {MAX_META_KEYS} keys; this update makes it {len(keys)}"
    for key in keys:
        if len(key) > MAX_META_KEY_LENGTH:
            return f"meta keys are at most {MAX_META_KEY_LENGTH} characters"
        value = meta.get(key)
        if key == LANGUAGE_KEY:
            if not isinstance(value, str) or (languages is not None and value not in languages):
                shown = value[:40] if isinstance(value, str) else type(value).__name__
                return f"Unknown language '{shown}'; allowed: {', '.join(languages or ())}"
        elif isinstance(value, str):
            if len(value) > MAX_META_STRING_LENGTH:
                return (
                    f"meta['{key}'] is {len(value)} characters; the limit is "
                    f"{MAX_META_STRING_LENGTH}"
                )
        elif not (value is None or isinstance(value, bool | int | float)):
            return f"meta['{key}'] must be a string, number, boolean or null"
    return None


def state_vector(doc: Doc) -> dict[int, int]:
    return decode_state_vector(doc.get_state())


def check_update(
    doc: Doc,
    update: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_UPDATE_BYTES,
    allowed_roots: frozenset[str] = ROOT_KEYS,
) -> UpdateInfo:
    """Validate ``update`` against ``doc`` without applying it; raise ``UpdateRejected``."""
    if len(update) > max_bytes:
        raise UpdateRejected(f"update of {len(update)} bytes exceeds the {max_bytes} limit")
    try:
        info = inspect_update(update)
    except ProtocolError as exc:
        raise UpdateRejected(f"malformed update: {exc}") from None
    unknown_roots = info.roots - allowed_roots
    if unknown_roots:
        raise UpdateRejected(f"update creates unknown root types: {sorted(unknown_roots)}")
    missing = info.missing_from(state_vector(doc))
    if missing is not None:
        raise UpdateRejected(
            f"update depends on change {missing[0]}:{missing[1]} that this document lacks",
            resync=True,
        )
    return info


def apply_client_update(
    doc: Doc,
    update: bytes,
    *,
    origin: object = None,
    max_bytes: int = DEFAULT_MAX_UPDATE_BYTES,
    allowed_roots: frozenset[str] = ROOT_KEYS,
    checked: UpdateInfo | None = None,
) -> bool:
    """Validate and apply an update from a client; return whether it changed anything
    (false for a duplicate, which need not be persisted or broadcast).

    ``checked`` is the answer of a ``check_update`` of this update against this doc made
    just before, so that the update is parsed once.

    Raises ``UpdateRejected`` and leaves ``doc`` untouched for oversized, malformed or
    out-of-order updates, updates touching unknown roots, and updates pycrdt refuses with an
    error (it decodes fully before integrating, so those do not leave a partial apply). A
    pycrdt panic is also turned into ``UpdateRejected``, but nothing is known about the doc
    after one; the caller should reload the session from storage.
    """
    info = checked or check_update(doc, update, max_bytes=max_bytes, allowed_roots=allowed_roots)
    if info.is_empty:
        return False
    before = doc.get_state()
    try:
        if origin is None:
            doc.apply_update(update)
        else:
            with doc.transaction(origin=origin):
                doc.apply_update(update)
    except (ValueError, RuntimeError) as exc:
        raise UpdateRejected(f"pycrdt refused the update: {exc}") from None
    except BaseException as exc:
        if is_pycrdt_panic(exc):
            raise UpdateRejected(f"pycrdt panicked on the update: {exc}") from None
        raise
    return info.deleted_ranges > 0 or doc.get_state() != before

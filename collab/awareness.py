"""Awareness (presence: names, colors, cursors) as y-protocols/awareness encodes it.

An awareness update is ``varuint n`` then ``n`` * (``varuint clientID``, ``varuint clock``,
``varString JSON.stringify(state)``); the JSON ``null`` state means "this client is gone".
A receiver takes an entry only if its clock is newer than what it has, or equal with a null
state (a removal wins a tie), so the server replays the same rule to decide what to forward.

The server is a relay with opinions: it validates states loosely (y-codemirror.next shape:
``user: {name, color}``, ``cursor: {anchor, head}`` as relative-position JSON or null),
stamps ``id``/``role`` of the authenticated participant over whatever the client claimed,
remembers which awareness client ids each connection announced, and on disconnect produces
the removal update for exactly those ids (clock + 1) that the closing client could not send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collab.protocol import ProtocolError, Reader, encode_varstring, encode_varuint
from collab.relpos import PositionMirror
from collab.text import LineIndex

# An honest state is a name, a color and two relative positions: well under 1 KiB.
MAX_STATE_BYTES = 8192
MAX_ENTRIES_PER_UPDATE = 64
_MAX_NAME = 200
_MAX_COLOR = 100

AwarenessState = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    client_id: int
    clock: int
    # ``None`` is the removal marker (JSON ``null``).
    state: AwarenessState | None


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _valid_id(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and _is_uint(value.get("client"))
        and _is_uint(value.get("clock"))
    )


def _validate_relpos(value: object, where: str) -> None:
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{where} must be a relative position object")
    item, type_id, tname = value.get("item"), value.get("type"), value.get("tname")
    if item is not None and not _valid_id(item):
        raise ProtocolError(f"{where}.item must be null or {{client, clock}}")
    if type_id is not None and not _valid_id(type_id):
        raise ProtocolError(f"{where}.type must be null or {{client, clock}}")
    if tname is not None and not isinstance(tname, str):
        raise ProtocolError(f"{where}.tname must be null or a string")
    if item is None and type_id is None and tname is None:
        raise ProtocolError(f"{where} names neither an item nor a type")
    assoc = value.get("assoc", 0)
    if assoc is not None and (isinstance(assoc, bool) or not isinstance(assoc, int | float)):
        raise ProtocolError(f"{where}.assoc must be a number")


def validate_state(state: object) -> AwarenessState | None:
    """Check the parts of a state other peers will interpret; leave the rest alone.

    Raises ``ProtocolError``. Unknown keys are allowed (clients add their own), but the
    well-known ones must have the shape y-codemirror.next reads, or its renderer throws.
    """
    if state is None:
        return None
    if not isinstance(state, dict):
        raise ProtocolError("awareness state must be a JSON object or null")
    user = state.get("user")
    if user is not None:
        if not isinstance(user, Mapping):
            raise ProtocolError("awareness user must be an object")
        name, color = user.get("name"), user.get("color")
        if name is not None and not (isinstance(name, str) and len(name) <= _MAX_NAME):
            raise ProtocolError("awareness user.name must be a short string")
        if color is not None and not (isinstance(color, str) and len(color) <= _MAX_COLOR):
            raise ProtocolError("awareness user.color must be a short string")
    cursor = state.get("cursor")
    if cursor is not None:
        if not isinstance(cursor, Mapping):
            raise ProtocolError("awareness cursor must be an object or null")
        _validate_relpos(cursor.get("anchor"), "cursor.anchor")
        _validate_relpos(cursor.get("head"), "cursor.head")
    return state


def decode_awareness_update(data: bytes) -> list[AwarenessEntry]:
    """Parse an awareness update strictly (framing, JSON, state shape); ``ProtocolError``."""
    reader = Reader(data)
    count = reader.read_varuint("awareness entry count")
    if count > MAX_ENTRIES_PER_UPDATE:
        raise ProtocolError(f"awareness update carries {count} entries")
    entries: list[AwarenessEntry] = []
    for _ in range(count):
        client_id = reader.read_varuint("awareness client id")
        clock = reader.read_varuint("awareness clock")
        raw = reader.read_varstring("awareness state")
        if len(raw) > MAX_STATE_BYTES:
            raise ProtocolError(f"awareness state of {len(raw)} bytes is too large")
        try:
            state = json.loads(raw)
        except ValueError as exc:
            raise ProtocolError(f"awareness state is not JSON: {exc}") from None
        entries.append(AwarenessEntry(client_id, clock, validate_state(state)))
    reader.expect_end("awareness update")
    return entries


def _stringify(state: AwarenessState | None) -> str:
    # JSON.stringify's output: no spaces, non-ASCII kept as is. (Python escapes a lone
    # surrogate only with ensure_ascii, so such a state would fail to encode as UTF-8; the
    # validator's json.loads can produce one, hence the replace.)
    text = json.dumps(state, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "replace").decode("utf-8")


def encode_awareness_update(entries: list[AwarenessEntry]) -> bytes:
    """``encodeAwarenessUpdate`` for explicit entries."""
    parts = [encode_varuint(len(entries))]
    for entry in entries:
        parts.append(encode_varuint(entry.client_id))
        parts.append(encode_varuint(entry.clock))
        parts.append(encode_varstring(_stringify(entry.state)))
    return b"".join(parts)


@dataclass(slots=True)
class _Connection:
    participant_id: str
    role: str
    client_ids: set[int] = field(default_factory=set)


# y-protocols drops a remote state not renewed within 30 s and renews its own every 15 s;
# the server keeps the same rhythm for the states it holds for other nodes' clients and for
# the cursors it sets on behalf of JSON clients.
REMOTE_STATE_TTL = 30.0
RENEW_INTERVAL = 15.0


class RoomAwareness:
    """Awareness of one room: the latest entry per awareness client id, which connection
    announced it, and the identity each connection authenticated as; and the states other
    nodes announced, so that a newcomer here sees the clients connected there."""

    def __init__(self) -> None:
        # Removed clients keep their clock so that a late, stale update cannot revive them.
        self._clocks: dict[int, int] = {}
        self._states: dict[int, AwarenessState] = {}
        self._owner: dict[int, str] = {}
        self._connections: dict[str, _Connection] = {}
        # client id -> (entry, monotonic time it was last announced), from other nodes.
        self._remote: dict[int, tuple[AwarenessEntry, float]] = {}

    def apply_remote(self, update: bytes, now: float) -> None:
        """Remember what another node announced (already checked there)."""
        for entry in decode_awareness_update(update):
            if entry.client_id in self._states:
                continue
            if entry.state is None:
                self._remote.pop(entry.client_id, None)
            else:
                self._remote[entry.client_id] = (entry, now)

    def renewal(self, connection_id: str, client_id: int) -> bytes | None:
        """The same state again with the next clock, so peers do not time it out."""
        state = self._states.get(client_id)
        if state is None or self._owner.get(client_id) != connection_id:
            return None
        entry = AwarenessEntry(client_id, self._clocks[client_id] + 1, state)
        self._clocks[client_id] = entry.clock
        return encode_awareness_update([entry])

    @property
    def states(self) -> dict[int, AwarenessState]:
        """Live states by awareness client id (do not mutate)."""
        return self._states

    def connect(self, connection_id: str, *, participant_id: str, role: str) -> None:
        self._connections[connection_id] = _Connection(participant_id, role)

    def client_ids(self, connection_id: str) -> set[int]:
        conn = self._connections.get(connection_id)
        return set(conn.client_ids) if conn else set()

    def _accepts(self, entry: AwarenessEntry) -> bool:
        current = self._clocks.get(entry.client_id)
        if current is None or current < entry.clock:
            return True
        return current == entry.clock and entry.state is None and entry.client_id in self._states

    def _may_write(self, conn: _Connection, client_id: int) -> bool:
        owner = self._owner.get(client_id)
        if owner is None or owner not in self._connections:
            return True
        # A reconnecting browser keeps its Yjs client id while the old socket may still be
        # open; letting the same participant take the id over is what keeps its cursor alive,
        # and refusing other participants keeps anyone from overwriting someone else's.
        return self._connections[owner].participant_id == conn.participant_id

    def _store(self, connection_id: str, entry: AwarenessEntry) -> None:
        self._clocks[entry.client_id] = entry.clock
        if entry.state is None:
            self._states.pop(entry.client_id, None)
        else:
            self._states[entry.client_id] = entry.state
        previous = self._owner.get(entry.client_id)
        if previous is not None and previous != connection_id and previous in self._connections:
            self._connections[previous].client_ids.discard(entry.client_id)
        self._owner[entry.client_id] = connection_id
        self._connections[connection_id].client_ids.add(entry.client_id)

    def apply(self, connection_id: str, update: bytes) -> bytes | None:
        """Take an awareness update from a connection; return the update to broadcast to
        the room (accepted entries, stamped with ``id`` and ``role``), or ``None``.

        Raises ``ProtocolError`` for malformed updates and ``KeyError`` for a connection
        that was never ``connect``-ed.
        """
        conn = self._connections[connection_id]
        accepted: list[AwarenessEntry] = []
        for entry in decode_awareness_update(update):
            if not self._may_write(conn, entry.client_id) or not self._accepts(entry):
                continue
            state = entry.state
            if state is not None:
                state = {**state, "id": conn.participant_id, "role": conn.role}
            stamped = AwarenessEntry(entry.client_id, entry.clock, state)
            self._store(connection_id, stamped)
            accepted.append(stamped)
        return encode_awareness_update(accepted) if accepted else None

    def set_state(self, connection_id: str, client_id: int, state: AwarenessState | None) -> bytes:
        """Set the state of a server-managed awareness client (a JSON client's cursor); the
        clock is bumped here. Returns the update to broadcast."""
        conn = self._connections[connection_id]
        checked = validate_state(state)
        if checked is not None:
            checked = {**checked, "id": conn.participant_id, "role": conn.role}
        entry = AwarenessEntry(client_id, self._clocks.get(client_id, -1) + 1, checked)
        self._store(connection_id, entry)
        return encode_awareness_update([entry])

    def snapshot(self, now: float | None = None) -> bytes | None:
        """Every live state, for a newcomer or a query-awareness message: this node's, and
        those other nodes renewed within `REMOTE_STATE_TTL` (a crashed node's fade out)."""
        entries = [
            AwarenessEntry(cid, self._clocks[cid], state) for cid, state in self._states.items()
        ]
        if now is not None:
            for client_id, (entry, seen) in list(self._remote.items()):
                if now - seen > REMOTE_STATE_TTL:
                    del self._remote[client_id]
                elif client_id not in self._states:
                    entries.append(entry)
        return encode_awareness_update(entries) if entries else None

    def disconnect(self, connection_id: str) -> bytes | None:
        """Forget a connection; return the removal update for the ids it still owned and
        that still have a state, each with clock + 1 so every peer accepts it."""
        conn = self._connections.pop(connection_id, None)
        if conn is None:
            return None
        removals: list[AwarenessEntry] = []
        for client_id in sorted(conn.client_ids):
            if self._owner.get(client_id) != connection_id:
                continue
            del self._owner[client_id]
            if client_id in self._states:
                entry = AwarenessEntry(client_id, self._clocks[client_id] + 1, None)
                self._clocks[client_id] = entry.clock
                del self._states[client_id]
                removals.append(entry)
        return encode_awareness_update(removals) if removals else None


def cursor_state(
    mirror: PositionMirror,
    text: str,
    line: int,
    column: int,
    *,
    selection_start: tuple[int, int] | None = None,
) -> AwarenessState:
    """``{"cursor": {anchor, head}}`` for a JSON client's Monaco position (1-based line and
    UTF-16 column in ``text``, the code as that client sees it, which must match
    ``mirror``'s doc), encoded as y-codemirror.next encodes CodeMirror selections.

    Without ``selection_start`` the cursor is collapsed (anchor == head).
    """
    index = LineIndex(text)
    head = index.to_offset(line, column)
    anchor = head if selection_start is None else index.to_offset(*selection_start)
    return {
        "cursor": {
            "anchor": mirror.relative_position(anchor),
            "head": mirror.relative_position(head),
        }
    }


def resolve_cursor(mirror: PositionMirror, state: Mapping[str, Any]) -> tuple[int, int] | None:
    """(anchor, head) UTF-16 offsets of a state's cursor in the mirrored code text, or
    ``None`` if it has none or it does not resolve (as y-codemirror.next would skip it)."""
    cursor = state.get("cursor")
    if not isinstance(cursor, Mapping):
        return None
    anchor = mirror.resolve(cursor.get("anchor"))
    head = mirror.resolve(cursor.get("head"))
    if anchor is None or head is None:
        return None
    return anchor, head

"""A strict reader for the Yjs v1 update format (what y-websocket and pycrdt exchange).

Two jobs need to look inside an update rather than hand it to pycrdt blindly:

* validation: pycrdt ignores trailing bytes, parks updates with missing dependencies
  forever, and happily creates any root type a client names; the server wants to refuse all
  of that before the update reaches a shared doc or storage;
* re-encoding the update with every text character replaced by ASCII of the same UTF-16
  length (``ascii_mirror``): item ids and lengths stay identical, so a mirror doc built from
  it can answer id <-> index questions where pycrdt's own ``StickyIndex`` is wrong (it mixes
  UTF-8 byte offsets with UTF-16 clocks for non-ASCII text, see ``collab.relpos``).

Layout (yjs ``readClientsStructRefs``/``readDeleteSet``): ``varuint groups``; per group
``varuint structs, varuint client, varuint clock`` then structs, each an info byte whose low
5 bits pick GC (0), Skip (10) or item content (1-9), and whose bits 8/7/6 flag an origin, a
right origin and a parent-sub key; then the delete set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from collab.protocol import ProtocolError, Reader, encode_varuint
from collab.text import utf16_length

_ORIGIN = 0x80
_RIGHT_ORIGIN = 0x40
_PARENT_SUB = 0x20
_CONTENT = 0x1F

_GC = 0
_DELETED = 1
_JSON = 2
_BINARY = 3
_STRING = 4
_EMBED = 5
_FORMAT = 6
_TYPE = 7
_ANY = 8
_DOC = 9
_SKIP = 10
_TEXT_CONTENT = frozenset((_DELETED, _STRING, _FORMAT))

# Type refs (yjs ``typeRefs``): XmlElement and XmlHook carry a node name after the ref.
_TYPE_REFS_WITH_NAME = (3, 5)
_MAX_TYPE_REF = 6
# lib0 ``readAny`` nests objects/arrays recursively; a hostile update must not be able to
# exhaust the Python stack.
_MAX_ANY_DEPTH = 64


@dataclass(slots=True)
class UpdateInfo:
    """What a v1 update contains, as far as the server cares."""

    # Highest clock + 1 per client written in the update's structs.
    clock_ends: dict[int, int] = field(default_factory=dict)
    # First clock per client; a client's structs are contiguous from here.
    clock_starts: dict[int, int] = field(default_factory=dict)
    # Per client, 1 + the highest clock that an origin, right origin or parent id refers to.
    references: dict[int, int] = field(default_factory=dict)
    # Root type names that items in the update name as their parent.
    roots: set[str] = field(default_factory=set)
    struct_count: int = 0
    deleted_ranges: int = 0
    # Whether any item holds something other than text (map values, nested types, binary,
    # embeds) or names a map key: only such updates can change `meta`, so only they pay for
    # its full check.
    beyond_text: bool = False

    @property
    def is_empty(self) -> bool:
        return self.struct_count == 0 and self.deleted_ranges == 0

    def missing_from(self, state: dict[int, int]) -> tuple[int, int] | None:
        """A (client, clock) this update needs but neither it nor ``state`` contains.

        pycrdt parks such an update as "pending" without error and its effects show up
        erratically, so a server should refuse it and resync the sender instead.
        """
        known = dict(state)
        for client, start in self.clock_starts.items():
            have = known.get(client, 0)
            if start > have:
                return client, have
            known[client] = max(have, self.clock_ends[client])
        for client, end in self.references.items():
            if end > known.get(client, 0):
                return client, end - 1
        return None


def _read_any(reader: Reader, depth: int = 0) -> None:
    if depth > _MAX_ANY_DEPTH:
        raise ProtocolError("value nested too deeply")
    tag = reader.read_u8("any tag")
    if tag in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if tag == 125:  # varint: sign and 6 bits in the first byte, then 7 bits per byte
        first = reader.read_u8("varint")
        more = first & 0x80
        while more:
            more = reader.read_u8("varint") & 0x80
        return
    if tag == 124:
        reader.read_bytes(4, "float32")
    elif tag in (123, 122):
        reader.read_bytes(8, "float64/bigint")
    elif tag == 119:
        reader.read_varstring("any string")
    elif tag == 118:
        for _ in range(reader.read_varuint("object size")):
            reader.read_varstring("object key")
            _read_any(reader, depth + 1)
    elif tag == 117:
        for _ in range(reader.read_varuint("array size")):
            _read_any(reader, depth + 1)
    elif tag == 116:
        reader.read_varbytes("any bytes")
    else:
        raise ProtocolError(f"unknown any tag {tag}")


def _read_id(reader: Reader, what: str, info: UpdateInfo) -> None:
    client = reader.read_varuint(f"{what} client")
    clock = reader.read_varuint(f"{what} clock")
    if info.references.get(client, 0) <= clock:
        info.references[client] = clock + 1


def _read_content(reader: Reader, ref: int) -> tuple[int, tuple[int, int, str] | None]:
    """Skip one item content; return its clock length and, for strings, (start, end, text)
    of the encoded varstring so it can be rewritten."""
    if ref == _DELETED:
        return reader.read_varuint("deleted length"), None
    if ref == _JSON:
        count = reader.read_varuint("json count")
        for _ in range(count):
            reader.read_varstring("json value")
        return count, None
    if ref == _BINARY:
        reader.read_varbytes("binary content")
        return 1, None
    if ref == _STRING:
        start = reader.pos
        text = reader.read_varstring("string content")
        return utf16_length(text), (start, reader.pos, text)
    if ref == _EMBED:
        reader.read_varstring("embed")
        return 1, None
    if ref == _FORMAT:
        reader.read_varstring("format key")
        reader.read_varstring("format value")
        return 1, None
    if ref == _TYPE:
        type_ref = reader.read_varuint("type ref")
        if type_ref > _MAX_TYPE_REF:
            raise ProtocolError(f"unknown type ref {type_ref}")
        if type_ref in _TYPE_REFS_WITH_NAME:
            reader.read_varstring("xml node name")
        return 1, None
    if ref == _ANY:
        count = reader.read_varuint("any count")
        for _ in range(count):
            _read_any(reader)
        return count, None
    if ref == _DOC:
        reader.read_varstring("subdoc guid")
        _read_any(reader)
        return 1, None
    raise ProtocolError(f"unknown content ref {ref}")


def _walk(update: bytes, info: UpdateInfo) -> Iterator[tuple[int, int, str]]:
    """Parse ``update`` fully into ``info``, yielding each string content's span as found."""
    reader = Reader(update)
    groups = reader.read_varuint("client group count")
    seen_clients: set[int] = set()
    for _ in range(groups):
        structs = reader.read_varuint("struct count")
        client = reader.read_varuint("client id")
        clock = reader.read_varuint("clock")
        if client in seen_clients:
            raise ProtocolError(f"client {client} appears in two struct groups")
        seen_clients.add(client)
        info.clock_starts[client] = clock
        for _ in range(structs):
            head = reader.read_u8("struct info")
            ref = head & _CONTENT
            if ref in (_GC, _SKIP):
                length = reader.read_varuint("gc/skip length")
            else:
                if head & _ORIGIN:
                    _read_id(reader, "origin", info)
                if head & _RIGHT_ORIGIN:
                    _read_id(reader, "right origin", info)
                if not head & (_ORIGIN | _RIGHT_ORIGIN):
                    is_root = reader.read_varuint("parent info")
                    if is_root == 1:
                        info.roots.add(reader.read_varstring("root name"))
                    elif is_root == 0:
                        _read_id(reader, "parent", info)
                    else:
                        raise ProtocolError(f"bad parent info {is_root}")
                    if head & _PARENT_SUB:
                        reader.read_varstring("parent sub key")
                        info.beyond_text = True
                if ref not in _TEXT_CONTENT:
                    info.beyond_text = True
                length, span = _read_content(reader, ref)
                if span is not None:
                    yield span
            if length == 0:
                raise ProtocolError(f"zero-length struct for client {client}")
            clock += length
            info.struct_count += 1
        info.clock_ends[client] = clock
    for _ in range(reader.read_varuint("delete set client count")):
        reader.read_varuint("delete set client")
        for _ in range(reader.read_varuint("delete range count")):
            reader.read_varuint("delete range clock")
            if reader.read_varuint("delete range length") == 0:
                raise ProtocolError("zero-length delete range")
            info.deleted_ranges += 1
    reader.expect_end("update")


def inspect_update(update: bytes) -> UpdateInfo:
    """Parse a v1 update strictly; raise ``ProtocolError`` if it is malformed in any way."""
    info = UpdateInfo()
    for _ in _walk(update, info):
        pass
    return info


def ascii_mirror(update: bytes) -> bytes:
    """The same update with every string content replaced by as many "x" as it has UTF-16
    units, so that in a doc built from it byte, UTF-16 and clock offsets all coincide."""
    parts: list[bytes] = []
    cursor = 0
    for start, end, text in _walk(update, UpdateInfo()):
        parts.append(update[cursor:start])
        width = utf16_length(text)
        parts.append(encode_varuint(width) + b"x" * width)
        cursor = end
    parts.append(update[cursor:])
    return b"".join(parts)

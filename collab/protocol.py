"""The y-websocket wire format (y-protocols ``sync`` + ``awareness`` + ``auth`` framing).

One binary message is ``varuint messageType`` followed by a type-specific body:

* 0 sync: ``varuint syncType`` (0 step1, 1 step2, 2 update) + ``varUint8Array`` payload
  (a state vector for step1, a v1 update otherwise);
* 1 awareness: ``varUint8Array`` awareness update;
* 2 auth: ``varuint 0`` (permission denied) + ``varString`` reason;
* 3 query-awareness: nothing.

Decoding is strict, unlike lib0's readers: truncation, unknown types, non-canonical varuints
and trailing bytes all raise ``ProtocolError``. The server parses bytes from untrusted
sockets and forwards them to other peers, so anything it would not itself have produced is
refused rather than guessed at. Encoding is byte-identical to y-protocols (and to pycrdt's
``create_*_message`` helpers).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# lib0 refuses integers it cannot represent as a JS number; so do we, so a value we accept is
# one every browser peer can read back.
MAX_SAFE_INTEGER = 2**53 - 1


class ProtocolError(ValueError):
    """A message or payload does not follow the y-protocols binary format."""


class MessageType(IntEnum):
    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3


class SyncType(IntEnum):
    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


@dataclass(frozen=True, slots=True)
class SyncStep1:
    """Here is my state vector, send me what I miss."""

    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    """Reply to a step1: every change the requester's state vector did not cover."""

    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    """An incremental document update."""

    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessMessage:
    """An encoded awareness update (see ``collab.awareness``)."""

    update: bytes


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    """A request for every known awareness state."""


@dataclass(frozen=True, slots=True)
class PermissionDenied:
    """y-protocols auth message; y-websocket clients log the reason and stop editing."""

    reason: str


Message = SyncStep1 | SyncStep2 | SyncUpdate | AwarenessMessage | QueryAwareness | PermissionDenied


def encode_varuint(value: int) -> bytes:
    """lib0 ``writeVarUint``: little-endian base-128, high bit set on all but the last byte."""
    if not 0 <= value <= MAX_SAFE_INTEGER:
        raise ValueError(f"varuint out of range: {value}")
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_varbytes(data: bytes) -> bytes:
    """lib0 ``writeVarUint8Array``: length prefix then the bytes."""
    return encode_varuint(len(data)) + data


def encode_varstring(text: str) -> bytes:
    """lib0 ``writeVarString``: UTF-8 byte length prefix then the UTF-8 bytes."""
    return encode_varbytes(text.encode("utf-8"))


class Reader:
    """A cursor over untrusted bytes whose every read either succeeds or raises
    ``ProtocolError`` naming what was being read."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def read_varuint(self, what: str = "varuint") -> int:
        value = 0
        shift = 0
        start = self.pos
        while True:
            if self.pos >= len(self.data):
                raise ProtocolError(f"truncated {what} at byte {start}")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if value > MAX_SAFE_INTEGER:
                raise ProtocolError(f"{what} at byte {start} exceeds 2**53-1")
            if byte < 0x80:
                if byte == 0 and self.pos - start > 1:
                    raise ProtocolError(f"non-canonical {what} at byte {start}")
                return value

    def read_bytes(self, length: int, what: str = "bytes") -> bytes:
        if length > self.remaining:
            raise ProtocolError(
                f"{what} at byte {self.pos} declares {length} bytes but only "
                f"{self.remaining} remain"
            )
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return bytes(chunk)

    def read_varbytes(self, what: str = "byte array") -> bytes:
        return self.read_bytes(self.read_varuint(f"{what} length"), what)

    def read_varstring(self, what: str = "string") -> str:
        raw = self.read_varbytes(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"{what} is not valid UTF-8: {exc.reason}") from None

    def read_u8(self, what: str = "byte") -> int:
        return self.read_bytes(1, what)[0]

    def expect_end(self, what: str) -> None:
        if self.remaining:
            raise ProtocolError(f"{self.remaining} trailing bytes after {what}")


def decode_state_vector(data: bytes) -> dict[int, int]:
    """Decode a y state vector (``varuint n`` then ``n`` * client, clock) strictly."""
    reader = Reader(data)
    count = reader.read_varuint("state vector length")
    # Each entry takes at least two bytes, so a larger count is a lie about the payload.
    if count * 2 > reader.remaining:
        raise ProtocolError(f"state vector declares {count} entries in {reader.remaining} bytes")
    result: dict[int, int] = {}
    for _ in range(count):
        client = reader.read_varuint("state vector client id")
        clock = reader.read_varuint("state vector clock")
        if client in result:
            raise ProtocolError(f"state vector lists client {client} twice")
        result[client] = clock
    reader.expect_end("state vector")
    return result


def encode_state_vector(state: dict[int, int]) -> bytes:
    """Encode a state vector; entries are written in descending client order like yrs/Yjs."""
    parts = [encode_varuint(len(state))]
    for client in sorted(state, reverse=True):
        parts.append(encode_varuint(client))
        parts.append(encode_varuint(state[client]))
    return b"".join(parts)


def decode_message(data: bytes) -> Message:
    """Parse one framed message; raises ``ProtocolError`` for anything malformed.

    A step1's state vector is validated too, because it goes straight into
    ``Doc.get_update`` and pycrdt is not a validator. Update and awareness payloads are
    only framed here; ``collab.document`` and ``collab.awareness`` validate their contents.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ProtocolError(f"message must be binary, not {type(data).__name__}")
    reader = Reader(bytes(data))
    if not reader.remaining:
        raise ProtocolError("empty message")
    kind = reader.read_varuint("message type")
    message: Message
    if kind == MessageType.SYNC:
        sync_type = reader.read_varuint("sync message type")
        payload = reader.read_varbytes("sync payload")
        if sync_type == SyncType.STEP1:
            decode_state_vector(payload)
            message = SyncStep1(payload)
        elif sync_type == SyncType.STEP2:
            message = SyncStep2(payload)
        elif sync_type == SyncType.UPDATE:
            message = SyncUpdate(payload)
        else:
            raise ProtocolError(f"unknown sync message type {sync_type}")
    elif kind == MessageType.AWARENESS:
        message = AwarenessMessage(reader.read_varbytes("awareness update"))
    elif kind == MessageType.QUERY_AWARENESS:
        message = QueryAwareness()
    elif kind == MessageType.AUTH:
        auth_type = reader.read_varuint("auth message type")
        if auth_type != 0:
            raise ProtocolError(f"unknown auth message type {auth_type}")
        message = PermissionDenied(reader.read_varstring("permission denied reason"))
    else:
        raise ProtocolError(f"unknown message type {kind}")
    reader.expect_end(type(message).__name__)
    return message


def encode_message(message: Message) -> bytes:
    """Frame ``message`` exactly as y-protocols / y-websocket would."""
    match message:
        case SyncStep1(state_vector=payload):
            return bytes((MessageType.SYNC, SyncType.STEP1)) + encode_varbytes(payload)
        case SyncStep2(update=payload):
            return bytes((MessageType.SYNC, SyncType.STEP2)) + encode_varbytes(payload)
        case SyncUpdate(update=payload):
            return bytes((MessageType.SYNC, SyncType.UPDATE)) + encode_varbytes(payload)
        case AwarenessMessage(update=payload):
            return bytes((MessageType.AWARENESS,)) + encode_varbytes(payload)
        case QueryAwareness():
            return bytes((MessageType.QUERY_AWARENESS,))
        case PermissionDenied(reason=reason):
            return bytes((MessageType.AUTH, 0)) + encode_varstring(reason)
    raise TypeError(f"not a protocol message: {message!r}")


def sync_step1(state_vector: bytes) -> bytes:
    return encode_message(SyncStep1(state_vector))


def sync_step2(update: bytes) -> bytes:
    return encode_message(SyncStep2(update))


def sync_update(update: bytes) -> bytes:
    return encode_message(SyncUpdate(update))


def awareness_message(update: bytes) -> bytes:
    return encode_message(AwarenessMessage(update))

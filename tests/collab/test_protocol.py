from __future__ import annotations

import pytest
from pycrdt import (
    Doc,
    Text,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)

from collab.protocol import (
    AwarenessMessage,
    PermissionDenied,
    ProtocolError,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode_message,
    decode_state_vector,
    encode_message,
    encode_state_vector,
    encode_varuint,
    sync_step1,
    sync_step2,
    sync_update,
)
from tests.collab.conftest import b64


def make_doc(content: str = "héllo 😀") -> Doc:
    doc = Doc()
    doc["code"] = Text(content)
    return doc


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02"), (2**53 - 1, None)],
)
def test_varuint(value: int, encoded: bytes | None) -> None:
    from collab.protocol import Reader

    data = encode_varuint(value)
    if encoded is not None:
        assert data == encoded
    assert Reader(data).read_varuint() == value


def test_varuint_limits() -> None:
    with pytest.raises(ValueError):
        encode_varuint(-1)
    with pytest.raises(ValueError):
        encode_varuint(2**53)


@pytest.mark.parametrize(
    "message",
    [
        SyncStep1(b"\x01\x07\x06"),
        SyncStep1(b"\x00"),
        SyncStep2(b"\x00\x00"),
        SyncUpdate(b"\x01\x02\x03" * 100),
        AwarenessMessage(b"\x00"),
        QueryAwareness(),
        PermissionDenied("read-only session ✋"),
    ],
)
def test_round_trip(message: object) -> None:
    encoded = encode_message(message)  # type: ignore[arg-type]
    assert decode_message(encoded) == message


def test_byte_identical_to_pycrdt_helpers() -> None:
    doc = make_doc()
    assert sync_step1(doc.get_state()) == create_sync_message(doc)
    update = doc.get_update()
    assert sync_update(update) == create_update_message(update)
    assert encode_message(AwarenessMessage(b"\x01\x02")) == create_awareness_message(b"\x01\x02")


def test_pycrdt_handles_our_messages() -> None:
    source = make_doc()
    target = Doc()
    target["code"] = Text()
    reply = handle_sync_message(sync_step1(target.get_state())[1:], source)
    assert reply is not None
    assert decode_message(reply) == SyncStep2(source.get_update(target.get_state()))
    handle_sync_message(reply[1:], target)
    assert str(target["code"]) == "héllo 😀"
    handle_sync_message(sync_step2(b"\x00\x00")[1:], target)


def test_byte_identical_to_y_protocols(yjs: dict) -> None:
    messages = yjs["messages"]
    assert encode_message(SyncStep1(b64(messages["step1_state"]))) == b64(messages["step1"])
    assert encode_message(SyncStep2(b64(messages["step2_update"]))) == b64(messages["step2"])
    assert encode_message(SyncUpdate(b64(messages["update_update"]))) == b64(messages["update"])
    assert encode_message(QueryAwareness()) == b64(messages["query_awareness"])
    assert encode_message(AwarenessMessage(b64(messages["awareness_update"]))) == b64(
        messages["awareness"]
    )
    for key in ("step1", "step2", "update", "query_awareness", "awareness"):
        assert encode_message(decode_message(b64(messages[key]))) == b64(messages[key])


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b"\x80", "truncated message type"),
        (b"\x00", "truncated sync message type"),
        (b"\x00\x02", "truncated sync payload length"),
        (b"\x00\x02\x85", "truncated sync payload length"),
        (b"\x00\x02\x05abc", "declares 5 bytes but only 3 remain"),
        (b"\x00\x02\xff\xff\xff\xff\x0f", "declares"),
        (b"\x00\x02" + b"\xff" * 9 + b"\x01", "exceeds 2\\*\\*53-1"),
        (b"\x00\x09\x00", "unknown sync message type 9"),
        (b"\x07", "unknown message type 7"),
        (b"\x00\x02\x01a!", "1 trailing bytes after SyncUpdate"),
        (b"\x03\x00", "trailing bytes after QueryAwareness"),
        (b"\x01\x02\x00", "declares 2 bytes"),
        (b"\x80\x00", "non-canonical message type"),
        (b"\x00\x00\x03\x05\x01\x02", "state vector declares 5 entries"),
        (b"\x00\x00\x03\x01\x01\x81", "truncated state vector clock"),
        (b"\x00\x00\x05\x02\x01\x01\x01\x01", "lists client 1 twice"),
        (b"\x02\x01\x00", "unknown auth message type"),
        (b"\x02\x00\x01\xff", "not valid UTF-8"),
    ],
)
def test_malformed_messages_raise_protocol_error(data: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        decode_message(data)


def test_non_binary_is_refused() -> None:
    with pytest.raises(ProtocolError, match="binary"):
        decode_message("hello")  # type: ignore[arg-type]


def test_truncating_any_valid_message_raises() -> None:
    doc = make_doc()
    for message in (sync_step1(doc.get_state()), sync_update(doc.get_update())):
        for cut in range(len(message)):
            with pytest.raises(ProtocolError):
                decode_message(message[:cut])


def test_state_vector_round_trip() -> None:
    doc = make_doc()
    state = decode_state_vector(doc.get_state())
    assert state == {doc.client_id: 8}  # UTF-16 units: the emoji counts 2
    assert encode_state_vector(state) == doc.get_state()
    with pytest.raises(ProtocolError):
        decode_state_vector(b"\x01\x01\x01\x00")

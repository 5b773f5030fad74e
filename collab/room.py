"""A room: one session's shared document, its awareness, and the clients connected to it on
this node.

Every change goes through one path, whatever door it came in by: check it, apply it to the
document, hand it to `RoomHooks.persist` (appended to the session's stream), and only then
broadcast it. Yjs clients receive CRDT updates; JSON clients receive the whole text as
`code_change`, coalesced to at most one every `JSON_FLUSH_INTERVAL`.

The room does not know whether its peers are local or on other nodes: `RoomHooks` (the
rooms of the node, with the relay) carries updates and ephemeral messages between nodes
and calls `apply_remote_*`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

from pycrdt import Doc

from collab import protocol
from collab.awareness import RoomAwareness, cursor_state
from collab.connection import Connection
from collab.document import (
    LANGUAGE_KEY,
    UpdateRejected,
    apply_client_update,
    check_update,
    code_text,
    meta_map,
    meta_problem,
    read_code,
    read_language,
)
from collab.protocol import ProtocolError
from collab.rebase import apply_full_text, client_base
from collab.relpos import PositionMirror
from collab.stats import CollabStats
from collab.store import StreamId
from collab.update_v1 import UpdateInfo, inspect_update
from schema.clock import now_ms
from schema.errors import ErrorCode, RealtimeCode
from schema.events import CodeChange, CursorPoint, CursorPosition, LanguageChange

log = logging.getLogger(__name__)

JSON_FLUSH_INTERVAL = 0.05
# A client that could speak either protocol and has said nothing yet is taken for a JSON
# client after this long (a Yjs client sends its sync step 1 at once).
UNDECIDED_GRACE = 0.1


def event_payload(
    name: str,
    data: dict[str, Any],
    roles: Collection[str] | None = None,
    *,
    json_only: bool = False,
) -> dict[str, Any]:
    """An event as it travels to the other nodes (`Room.apply_remote_event` reads it)."""
    payload: dict[str, Any] = {"name": name, "data": data, "json_only": json_only}
    if roles is not None:
        payload["roles"] = sorted(roles)
    return payload


class RoomHooks(Protocol):
    """What a room needs from the node it lives on (implemented by `LocalRooms`)."""

    async def persist(self, room: Room, update: bytes) -> None: ...

    def publish(self, room: Room, kind: str, payload: dict[str, Any]) -> None: ...

    def edited(self, room: Room) -> None: ...

    def language_changed(self, room: Room, language: str) -> None: ...

    def emptied(self, room: Room) -> None: ...


# What one struct or delete range can add to the encoded document beyond the update's own
# bytes: an insert or a delete in the middle of an item splits it, and each piece is encoded
# with its own header and ids (a delete-only update of every other character grows a document
# by about four times its size).
SPLIT_BYTES = 64


def document_growth(update: bytes, info: UpdateInfo) -> int:
    """An upper bound on how much applying `update` can grow the encoded document."""
    return len(update) + SPLIT_BYTES * (info.struct_count + info.deleted_ranges)


@dataclass(frozen=True)
class RoomRules:
    """What every room of a node allows."""

    max_code_bytes: int
    # The languages `meta.language` may name (any, where None).
    languages: frozenset[str] | None = None
    # The whole encoded document's limit; four times the code's where not set.
    max_document_bytes: int | None = None

    @property
    def document_bytes(self) -> int:
        return self.max_document_bytes or 4 * self.max_code_bytes


class RoomError(Exception):
    """A client message was refused; sent back to that client as an `error` event."""

    def __init__(self, code: RealtimeCode | ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class JsonClient:
    """What the server remembers about a JSON client: the doc state behind the text it last
    received (its rebase base), and the awareness id its cursor is shown under."""

    base: bytes
    text: str
    awareness_id: int = field(default_factory=lambda: secrets.randbits(31) + 1)
    rebase_client_id: int | None = None


class Room:
    def __init__(
        self,
        session_id: str,
        doc: Doc,
        through: StreamId,
        hooks: RoomHooks,
        rules: RoomRules,
        *,
        expires_at_ms: int,
        stats: CollabStats | None = None,
    ) -> None:
        self.session_id = session_id
        self.stats = stats or CollabStats()
        self.doc = doc
        # The last stream entry this document includes (advanced as LocalRooms follows it).
        self.through = through
        self.hooks = hooks
        self.rules = rules
        # An upper bound on the encoded document's size (its size at load plus every update
        # since), so that most updates are checked against the limit without encoding it.
        self._doc_bytes = len(doc.get_update())
        self.expires_at_ms = expires_at_ms
        self.awareness = RoomAwareness()
        self.connections: dict[str, Connection] = {}
        self.json_clients: dict[str, JsonClient] = {}
        self.language = read_language(doc) or ""
        # The document's language, re-read only after `meta` changed: reading the map after
        # every update cost more than the rest of the language check.
        self._doc_language = self.language
        self._meta_changed = False
        self._meta_subscription = meta_map(doc).observe(self._on_meta_change)
        self._mirror: PositionMirror | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._last_editor: str | None = None
        self.last_used = asyncio.get_running_loop().time()

    # -- reading ---------------------------------------------------------------------------

    @property
    def code(self) -> str:
        return read_code(self.doc)

    def touch(self) -> None:
        self.last_used = asyncio.get_running_loop().time()

    # -- joining and leaving --------------------------------------------------------------

    def join(self, connection: Connection) -> None:
        identity = connection.identity
        self.connections[connection.id] = connection
        self.awareness.connect(
            connection.id, participant_id=identity.participant_id, role=identity.role
        )
        self.touch()
        if connection.yjs is None:
            asyncio.get_running_loop().call_later(
                UNDECIDED_GRACE, lambda: self.become_json(connection)
            )
        elif connection.yjs:
            self._greet_yjs(connection)
        else:
            self._greet_json(connection)

    def _greet_yjs(self, connection: Connection) -> None:
        # As y-websocket's server: our state vector (the client answers with what we lack),
        # then everyone's awareness.
        connection.deliver_yjs(protocol.sync_step1(self.doc.get_state()))
        snapshot = self.awareness.snapshot(time.monotonic())
        if snapshot is not None:
            connection.deliver_yjs(protocol.awareness_message(snapshot))

    def _greet_json(self, connection: Connection) -> None:
        text = self.code
        self.json_clients[connection.id] = JsonClient(base=client_base(self.doc), text=text)
        connection.deliver_event(
            *CodeChange(code=text, user_id=self._last_editor, timestamp=now_ms()).parts()
        )
        connection.deliver_event(
            *LanguageChange(
                language=self.language, user_id=self._last_editor, timestamp=now_ms()
            ).parts()
        )

    def become_yjs(self, connection: Connection) -> None:
        """A Socket.IO client that sends a `yjs` message is a Yjs client from then on. It
        gets the Yjs greeting even if it was first taken for a JSON client (its first
        message came after the grace period): without our sync step 1 it would never send
        the edits it made while offline."""
        if connection.yjs:
            return
        connection.yjs = True
        state = self.json_clients.pop(connection.id, None)
        if state is not None:
            self._remove_awareness_id(connection, state.awareness_id)
        self._greet_yjs(connection)

    def become_json(self, connection: Connection) -> None:
        """A client that sent a JSON event first (or nothing for a moment) is a JSON client."""
        if connection.yjs is not None or connection.id not in self.connections:
            return
        connection.yjs = False
        self._greet_json(connection)

    def leave(self, connection: Connection) -> None:
        if self.connections.pop(connection.id, None) is None:
            return
        self.json_clients.pop(connection.id, None)
        removal = self.awareness.disconnect(connection.id)
        if removal is not None:
            self._broadcast_awareness(removal, exclude=None)
            self.hooks.publish(self, "awareness", {"update": removal})
        self.touch()
        if not self.connections:
            self.hooks.emptied(self)

    # -- Yjs messages ---------------------------------------------------------------------

    async def receive_yjs(self, connection: Connection, message: bytes) -> None:
        try:
            decoded = protocol.decode_message(message)
        except ProtocolError as error:
            raise RoomError(
                RealtimeCode.INVALID_MESSAGE, f"malformed Yjs message: {error}"
            ) from None
        if isinstance(decoded, protocol.SyncStep1):
            update = self.doc.get_update(decoded.state_vector)
            connection.deliver_yjs(protocol.sync_step2(update))
        elif isinstance(decoded, protocol.SyncStep2 | protocol.SyncUpdate):
            await self._receive_update(connection, decoded.update)
        elif isinstance(decoded, protocol.AwarenessMessage):
            self._receive_awareness(connection, decoded.update)
        elif isinstance(decoded, protocol.QueryAwareness):
            snapshot = self.awareness.snapshot(time.monotonic())
            if snapshot is not None:
                connection.deliver_yjs(protocol.awareness_message(snapshot))

    async def _receive_update(self, connection: Connection, update: bytes) -> None:
        arrived = time.perf_counter()
        language_before = self.language
        try:
            info = check_update(self.doc, update, max_bytes=self.rules.max_code_bytes)
            self._check_bounds(update, info)
            changed = apply_client_update(self.doc, update, origin=connection.id, checked=info)
        except UpdateRejected as rejected:
            if rejected.resync:
                connection.deliver_yjs(protocol.sync_step1(self.doc.get_state()))
            code = (
                ErrorCode.PAYLOAD_TOO_LARGE
                if "exceeds" in rejected.reason
                else RealtimeCode.INVALID_UPDATE
            )
            raise RoomError(code, rejected.reason) from None
        if not changed:
            return
        await self._commit(
            update,
            author=connection,
            language_before=language_before,
            growth=document_growth(update, info),
        )
        self.stats.updates_received += 1
        self.stats.observe_commit(time.perf_counter() - arrived)

    def _check_bounds(self, update: bytes, info: UpdateInfo) -> None:
        """Refuse an update that would take the code, `meta` or the whole document past
        its bounds, or set a `meta` value the session cannot hold.

        A CRDT update cannot be taken back once applied, so the check happens first, on a
        copy of the document. Only updates that could cross a bound pay for it: the inserted
        text is never larger than the update, and only updates holding more than text can
        change `meta` (`UpdateInfo.beyond_text`).
        """
        # pycrdt measures text in UTF-8 bytes and keeps the length: no copy of the text.
        current_code = len(code_text(self.doc))
        code_may_cross = current_code + len(update) > self.rules.max_code_bytes
        growth = document_growth(update, info)
        doc_may_cross = self._doc_bytes + growth > self.rules.document_bytes
        if doc_may_cross:
            self._doc_bytes = len(self.doc.get_update())
            doc_may_cross = self._doc_bytes + growth > self.rules.document_bytes
        if not (code_may_cross or doc_may_cross or info.beyond_text):
            return
        trial = Doc()
        trial.apply_update(self.doc.get_update())
        try:
            trial.apply_update(update)
        except Exception:
            return  # pycrdt refuses it: apply_client_update gives the precise reason
        if code_may_cross:
            size = len(str(code_text(trial)).encode("utf-8"))
            if size > self.rules.max_code_bytes and size > current_code:
                raise RoomError(
                    ErrorCode.PAYLOAD_TOO_LARGE,
                    f"the code would be {size} bytes; the limit is {self.rules.max_code_bytes}",
                )
        if doc_may_cross:
            size = len(trial.get_update())
            if size > self.rules.document_bytes and size > self._doc_bytes:
                raise RoomError(
                    ErrorCode.PAYLOAD_TOO_LARGE,
                    f"the document would be {size} bytes; the limit is {self.rules.document_bytes}",
                )
        if info.beyond_text:
            problem = meta_problem(trial, self.rules.languages)
            if problem is not None and problem != meta_problem(self.doc, self.rules.languages):
                raise RoomError(RealtimeCode.INVALID_UPDATE, problem)

    def _receive_awareness(self, connection: Connection, update: bytes) -> None:
        try:
            accepted = self.awareness.apply(connection.id, update)
        except ProtocolError as error:
            raise RoomError(
                RealtimeCode.INVALID_MESSAGE, f"malformed awareness update: {error}"
            ) from None
        if accepted is not None:
            self._broadcast_awareness(accepted, exclude=connection.id)
            self.hooks.publish(self, "awareness", {"update": accepted})

    # -- JSON events ------------------------------------------------------------------------

    async def receive_code(self, connection: Connection, code: str) -> None:
        size = len(code.encode("utf-8", "surrogatepass"))
        if size > self.rules.max_code_bytes:
            raise RoomError(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"code is {size} bytes; the limit is {self.rules.max_code_bytes}",
            )
        state = self.json_clients.get(connection.id)
        try:
            result = apply_full_text(
                self.doc,
                code,
                base=state.base if state else None,
                client_id=state.rebase_client_id if state else None,
                origin=connection.id,
            )
        except ValueError as error:
            raise RoomError(RealtimeCode.INVALID_MESSAGE, str(error)) from None
        if state is not None:
            state.base, state.text = result.base, code
            state.rebase_client_id = result.client_id
        if result.update:
            await self._commit(result.update, author=connection, language_before=self.language)

    async def replace_code(self, code: str, author_id: str | None) -> None:
        """A REST write: the new text replaces the current one via a minimal diff."""
        result = apply_full_text(self.doc, code, base=None, origin="rest")
        if result.update:
            self._last_editor = author_id
            await self._commit(result.update, author=None, language_before=self.language)

    async def set_language(
        self, language: str, author_id: str | None, connection: Connection | None = None
    ) -> None:
        """Set `meta.language`; JSON clients other than `connection` get `language_change`."""
        if language == read_language(self.doc):
            return
        language_before = self.language
        before = self.doc.get_state()
        with self.doc.transaction(origin="language"):
            meta_map(self.doc)[LANGUAGE_KEY] = language
        self._last_editor = author_id
        await self._commit(
            self.doc.get_update(before), author=connection, language_before=language_before
        )

    def receive_cursor(self, connection: Connection, position: dict[str, Any]) -> None:
        line, column = position.get("lineNumber"), position.get("column")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (line, column)):
            raise RoomError(
                RealtimeCode.INVALID_MESSAGE, "position needs integer lineNumber and column"
            )
        identity = connection.identity
        timestamp = now_ms()
        name, event = CursorPosition(
            position=CursorPoint(line_number=line, column=column),  # type: ignore[arg-type]
            user_id=identity.participant_id,
            timestamp=timestamp,
        ).parts()
        self._broadcast_event(name, event, exclude=connection.id, json_only=True)
        self.hooks.publish(self, "event", event_payload(name, event, json_only=True))
        state = self.json_clients.get(connection.id)
        if state is None:
            return
        mirror = self._position_mirror()
        cursor = cursor_state(mirror, self.code, max(1, line), max(1, column))
        awareness_state = {"user": {"name": identity.name, "color": identity.color}, **cursor}
        update = self.awareness.set_state(connection.id, state.awareness_id, awareness_state)
        self._broadcast_awareness(update, exclude=connection.id)
        self.hooks.publish(self, "awareness", {"update": update})

    def _position_mirror(self) -> PositionMirror:
        if self._mirror is None:
            self._mirror = PositionMirror.from_doc(self.doc)
        return self._mirror

    def _remove_awareness_id(self, connection: Connection, awareness_id: int) -> None:
        if awareness_id in self.awareness.states:
            update = self.awareness.set_state(connection.id, awareness_id, None)
            self._broadcast_awareness(update, exclude=None)
            self.hooks.publish(self, "awareness", {"update": update})

    # -- committing and broadcasting -----------------------------------------------------------

    async def _commit(
        self,
        update: bytes,
        *,
        author: Connection | None,
        language_before: str,
        growth: int | None = None,
    ) -> None:
        """Persist an update already applied here, then show it to everyone else."""
        if self._mirror is not None:
            self._mirror.apply_update(update)
        self._doc_bytes += (
            growth if growth is not None else document_growth(update, inspect_update(update))
        )
        await self.hooks.persist(self, update)
        if author is not None:
            self._last_editor = author.identity.participant_id
        self.touch()
        self.hooks.edited(self)
        exclude = author.id if author else None
        self._after_change(update, exclude=exclude)
        self._check_language(language_before, exclude=exclude)

    def apply_remote_update(self, update: bytes) -> None:
        """An update another node accepted (read from the stream)."""
        language_before = self.language
        self.doc.apply_update(update)
        if self._mirror is not None:
            self._mirror.apply_update(update)
        self._after_change(update, exclude=None)
        self._check_language(language_before, exclude=None, announce=False)

    def _after_change(self, update: bytes, *, exclude: str | None) -> None:
        message = protocol.sync_update(update)
        delivered = 0
        for connection in self.connections.values():
            if connection.yjs and connection.id != exclude:
                connection.deliver_yjs(message)
                delivered += 1
        self.stats.frames_fanned_out += delivered
        if self.json_clients:
            self._schedule_json_flush()

    def _on_meta_change(self, _event: object) -> None:
        self._meta_changed = True

    def _check_language(self, before: str, *, exclude: str | None, announce: bool = True) -> None:
        if self._meta_changed:
            self._meta_changed = False
            self._doc_language = read_language(self.doc) or ""
        language = self._doc_language
        if language == before:
            return
        if self.rules.languages is not None and language not in self.rules.languages:
            # Only an update crafted to slip past `_check_bounds` (text content into a `meta`
            # entry, or a deleted key) gets here: keep the language the session can run.
            log.warning("room %s: meta.language became %r; kept %r", self.session_id,
                        language[:40], before)  # fmt: skip
            return
        self.language = language
        name, event = LanguageChange(
            language=language, user_id=self._last_editor, timestamp=now_ms()
        ).parts()
        self._broadcast_event(name, event, exclude=exclude, json_only=True)
        if announce:
            self.hooks.language_changed(self, language)

    def _schedule_json_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_json())

    async def _flush_json(self) -> None:
        await asyncio.sleep(JSON_FLUSH_INTERVAL)
        text = self.code
        base: bytes | None = None
        for connection_id, state in self.json_clients.items():
            if state.text == text:
                continue
            base = base or client_base(self.doc)
            state.text, state.base = text, base
            self.connections[connection_id].deliver_event(
                *CodeChange(code=text, user_id=self._last_editor, timestamp=now_ms()).parts()
            )

    def _broadcast_awareness(self, update: bytes, *, exclude: str | None) -> None:
        message = protocol.awareness_message(update)
        for connection in self.connections.values():
            if connection.yjs and connection.id != exclude:
                connection.deliver_yjs(message)

    def _broadcast_event(
        self,
        name: str,
        data: dict[str, Any],
        *,
        exclude: str | None,
        json_only: bool = False,
        roles: Collection[str] | None = None,
    ) -> None:
        for connection in self.connections.values():
            if connection.id == exclude or (json_only and connection.yjs):
                continue
            if roles is not None and connection.identity.role not in roles:
                continue
            connection.deliver_event(name, data)

    # -- messages from other nodes ------------------------------------------------------------

    def apply_remote_awareness(self, update: bytes) -> None:
        self.awareness.apply_remote(update, time.monotonic())
        self._broadcast_awareness(update, exclude=None)

    def renew_json_cursors(self) -> None:
        """Re-announce the cursors held for JSON clients, as a Yjs client renews its own
        state, or Yjs peers would drop them after 30 s."""
        for connection_id, client in self.json_clients.items():
            update = self.awareness.renewal(connection_id, client.awareness_id)
            if update is not None:
                self._broadcast_awareness(update, exclude=connection_id)
                self.hooks.publish(self, "awareness", {"update": update})

    def apply_remote_event(
        self,
        name: str,
        data: dict[str, Any],
        json_only: bool,
        roles: Collection[str] | None = None,
    ) -> None:
        self._broadcast_event(name, data, exclude=None, json_only=json_only, roles=roles)

    def announce(
        self, name: str, data: dict[str, Any], *, roles: Collection[str] | None = None
    ) -> None:
        """An event for every client of the session, on every node (joins, leaves, runs), or
        only for the clients whose participant has one of `roles` (interviewers' notes)."""
        self._broadcast_event(name, data, exclude=None, roles=roles)
        self.hooks.publish(self, "event", event_payload(name, data, roles))

    async def close(self, reason: str) -> None:
        for connection in list(self.connections.values()):
            connection.close_soon(reason)
        if self._flush_task is not None:
            self._flush_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush_task

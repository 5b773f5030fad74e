"""What every realtime door (Socket.IO, y-websocket, the v1 API's WebSocket) shares: admitting
a connection by its participant token, dispatching its messages to the room in order, and
letting it go. A transport only turns its frames into `handle(...)` calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Protocol

import asyncpg
import redis.asyncio as redis

from collab.connection import Connection, Identity
from collab.relay import Relay
from collab.room import Room, RoomError
from collab.rooms import LocalRooms
from schema.clock import now_ms
from schema.errors import ApiError, ErrorCode, RealtimeCode
from schema.events import ErrorEvent, EventUser, Throttled, UserJoin, UserLeave, UserRemoved
from server.auth.secret_tokens import token_digest
from server.backing_services import STORAGE_ERRORS as BACKING_SERVICE_ERRORS
from server.languages import check_language
from server.realtime.presence import (
    open_sockets,
    recount,
    socket_closed,
    socket_opened,
)
from server.realtime.recount_gate import RecountGate
from server.realtime.throttle import MessageBudget

log = logging.getLogger(__name__)

_TOKEN_OWNER = """
SELECT t.session_id, t.kind, s.expires_at, s.ended_at, p.id, p.name, p.role, p.color
FROM session_tokens t
JOIN sessions s ON s.id = t.session_id
LEFT JOIN participants p ON p.session_id = t.session_id AND p.id = t.participant_id
WHERE t.token_hash = $1
"""


class RunEvents(Protocol):
    """What the gateway needs for run events (`server.realtime.runs.RunEventAdapter`); it raises
    RoomError for a refused event."""

    async def handle_event(self, identity: Identity, room: Room, event: str, data: Any) -> None: ...

    def prepare(self, language: str) -> None: ...


class Refused(Exception):
    """A connection was not admitted; `code` and `message` tell the client why."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class Admission:
    identity: Identity
    room: Room
    expires_at_ms: int


def _event_user(identity: Identity) -> EventUser:
    return EventUser(
        id=identity.participant_id, name=identity.name, role=identity.role, color=identity.color
    )


@dataclass(eq=False)
class Gateway:
    pool: asyncpg.Pool
    cache: redis.Redis
    rooms: LocalRooms
    relay: Relay
    _: KW_ONLY
    # `run` and `run_cancel` go to the run manager.
    runs: RunEvents
    # The DevPocket API: 10 realtime connections per user (checked at connect; concurrent
    # connects may overshoot by the few that race).
    max_sockets_per_user: int = 10
    # limit -> connections refused ("sockets") and messages slowed ("messages"), for /metrics
    refusals: Counter[str] = field(default_factory=Counter, init=False)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False)
    _budgets: dict[str, MessageBudget] = field(default_factory=dict, init=False)
    # The sockets this node has counted in Redis, and the gate that keeps counting and
    # recounting (after a lapsed heartbeat) from crossing each other.
    _counted: dict[str, tuple[Connection, Room, int]] = field(default_factory=dict, init=False)
    _count_gate: RecountGate = field(default_factory=RecountGate, init=False)

    def __post_init__(self) -> None:
        self.relay.on("participant_removed", self._participant_removed)
        self.relay.on("presence_lapsed", self._presence_lapsed)

    async def admit(self, token: str | None, session_id: str | None = None) -> Admission:
        """Check a participant token (and, for doors with the session in the path, that
        it belongs to that session); open the session's room."""
        if not token:
            raise Refused(
                ErrorCode.UNAUTHORIZED, "connect with auth={'token': <participant token>}"
            )
        row = await self.pool.fetchrow(_TOKEN_OWNER, token_digest(token))
        if row is None:
            raise Refused(ErrorCode.UNAUTHORIZED, "unknown or revoked token")
        if session_id is not None and row["session_id"] != session_id:
            raise Refused(ErrorCode.FORBIDDEN, "this token belongs to another session")
        if row["expires_at"] <= now_ms():
            raise Refused(ErrorCode.SESSION_EXPIRED, "the session has expired")
        if row["ended_at"] is not None:
            raise Refused(ErrorCode.SESSION_ENDED, "the interview has ended")
        if row["kind"] != "participant" or row["id"] is None:
            raise Refused(ErrorCode.UNAUTHORIZED, "an invite token only joins; connect with the "
                          "participant token that join returned")  # fmt: skip
        if (
            await open_sockets(self.cache, row["session_id"], str(row["id"]))
            >= self.max_sockets_per_user
        ):
            self.refusals["sockets"] += 1
            raise Refused(
                "RATE_LIMITED",
                f"at most {self.max_sockets_per_user} open connections per participant",
            )
        identity = Identity(
            session_id=row["session_id"],
            participant_id=str(row["id"]),
            role=row["role"],
            name=row["name"],
            color=row["color"],
        )
        room = await self.rooms.open(identity.session_id, row["expires_at"])
        return Admission(identity, room, row["expires_at"])

    async def enter(self, connection: Connection, admission: Admission) -> None:
        identity, room = admission.identity, admission.room
        self._locks[connection.id] = asyncio.Lock()
        self._budgets[connection.id] = MessageBudget()
        room.join(connection)
        # Someone is in the room: a run may come; have its sandbox built by then.
        self.runs.prepare(room.language)
        async with self._count_gate.counting():
            first = await socket_opened(
                self.cache,
                identity.session_id,
                identity.participant_id,
                self.relay.node_id,
                admission.expires_at_ms,
            )
            self._counted[connection.id] = (connection, room, admission.expires_at_ms)
        if first:
            await self._set_online(identity, True)
            room.announce(*UserJoin(user=_event_user(identity), timestamp=now_ms()).parts())

    async def leave(self, connection: Connection, room: Room) -> None:
        identity = connection.identity
        self._locks.pop(connection.id, None)
        self._budgets.pop(connection.id, None)
        room.leave(connection)
        try:
            async with self._count_gate.counting():
                counted = self._counted.pop(connection.id, None) is not None
                last = counted and await socket_closed(
                    self.cache, identity.session_id, identity.participant_id, self.relay.node_id
                )
            # Already offline: the presence sweep took this one for stranded on a dead
            # node an instant ago, and announced the leave itself.
            if last and await self._set_online(identity, False) is False:
                return
        except BACKING_SERVICE_ERRORS:
            log.warning("could not record that %s left", identity.participant_id, exc_info=True)
            return
        if last:
            room.announce(*UserLeave(user_id=identity.participant_id, timestamp=now_ms()).parts())

    async def recount(self) -> None:
        """Count this node's sockets in Redis again, after its heartbeat lapsed (the
        Heartbeat's `on_lapse`)."""
        counts: dict[tuple[str, str], int] = {}
        expiry: dict[str, int] = {}
        people: dict[tuple[str, str], tuple[Identity, Room]] = {}
        async with self._count_gate.recounting():
            for connection, room, expires_at_ms in self._counted.values():
                identity = connection.identity
                key = (identity.session_id, identity.participant_id)
                counts[key] = counts.get(key, 0) + 1
                expiry[identity.session_id] = expires_at_ms
                people[key] = (identity, room)
            await recount(self.cache, self.relay.node_id, counts, expiry)
        for identity, room in people.values():
            # Set offline meanwhile (and its leave announced): back online, and say so.
            if await self._set_online(identity, True) is False:
                room.announce(*UserJoin(user=_event_user(identity), timestamp=now_ms()).parts())

    async def _set_online(self, identity: Identity, online: bool) -> bool | None:
        """Record the state; return what it was before (None: no such participant)."""
        return await self.pool.fetchval(
            "UPDATE participants p SET is_online = $3 FROM (SELECT is_online FROM participants"
            " WHERE session_id = $1 AND id = $2 FOR UPDATE) AS before"
            " WHERE p.session_id = $1 AND p.id = $2 RETURNING before.is_online",
            identity.session_id,
            identity.participant_id,
            online,
        )

    async def handle(self, connection: Connection, room: Room, event: str, data: Any) -> None:
        """Handle one message; messages of one connection are handled in arrival order."""
        lock = self._locks.get(connection.id)
        if lock is None or connection.closed:
            return
        async with lock:
            budget = self._budgets[connection.id]
            delay = budget.wait_seconds()
            if delay > 0:
                self.refusals["messages"] += 1
                if budget.should_warn():
                    connection.deliver_event(
                        *Throttled(limit=budget.rate, retry_after_ms=int(delay * 1000)).parts()
                    )
                await asyncio.sleep(delay)
            try:
                await self._dispatch(connection, room, event, data)
            except RoomError as error:
                connection.deliver_event(
                    *ErrorEvent(code=error.code, message=error.message, event=event).parts()
                )
            except BACKING_SERVICE_ERRORS:
                # The change may be applied here but not stored or broadcast: this room no
                # longer matches storage. Close it; clients reconnect, resync from storage,
                # and their own copies (which hold their edits) merge back in.
                log.exception("storage failed in room %s; closing it", room.session_id)
                await self.rooms.drop(room.session_id, "storage unavailable; reconnect")

    async def _dispatch(self, connection: Connection, room: Room, event: str, data: Any) -> None:
        if event == "yjs":
            if not isinstance(data, bytes | bytearray | memoryview):
                raise RoomError(RealtimeCode.INVALID_MESSAGE, "a yjs message must be binary")
            room.become_yjs(connection)
            await room.receive_yjs(connection, bytes(data))
            return
        if event in ("run", "run_tests", "run_cancel"):
            # Says nothing about the client's document protocol: no become_json here.
            await self.runs.handle_event(connection.identity, room, event, data)
            return
        room.become_json(connection)
        if not isinstance(data, dict):
            raise RoomError(RealtimeCode.INVALID_MESSAGE, f"'{event}' needs an object payload")
        if event == "code_change":
            code = data.get("code")
            if not isinstance(code, str):
                raise RoomError(RealtimeCode.INVALID_MESSAGE, "code_change needs a string 'code'")
            await room.receive_code(connection, code)
        elif event == "language_change":
            language = data.get("language")
            if not isinstance(language, str):
                raise RoomError(
                    RealtimeCode.INVALID_MESSAGE, "language_change needs a string 'language'"
                )
            try:
                check_language(language)
            except ApiError as error:
                raise RoomError(RealtimeCode.INVALID_MESSAGE, error.message) from None
            await room.set_language(language, connection.identity.participant_id, connection)
        elif event == "cursor_position":
            position = data.get("position")
            if not isinstance(position, dict):
                raise RoomError(
                    RealtimeCode.INVALID_MESSAGE, "cursor_position needs a 'position' object"
                )
            room.receive_cursor(connection, position)
        else:
            raise RoomError(RealtimeCode.UNKNOWN_EVENT, f"unknown event '{event}'")

    # -- closing connections from elsewhere ----------------------------------------------------

    async def remove_participant(self, session_id: str, participant_id: str) -> None:
        """Close a removed participant's sockets on every node."""
        await self._tell_every_node(
            "participant_removed", session_id, participant_id=participant_id
        )

    async def _tell_every_node(self, kind: str, session_id: str, **fields: Any) -> None:
        await self.relay.send(kind, session_id=session_id, timestamp=now_ms(), **fields)

    async def _participant_removed(self, message: dict[str, Any]) -> None:
        if (room := self.rooms.get(message["session_id"])) is None:
            return
        # Every node that holds the room tells its own clients, so that people lists drop
        # the participant; `user_leave` alone would only show them offline.
        removed = UserRemoved(
            user_id=message["participant_id"], timestamp=message.get("timestamp", now_ms())
        )
        room.apply_remote_event(*removed.parts(), json_only=False)
        for connection in list(room.connections.values()):
            if connection.identity.participant_id == message["participant_id"]:
                connection.close_soon("removed from the session")

    async def announce_lapsed(self, session_id: str, participant_ids: list[str]) -> None:
        """Tell every node that these participants went offline with a crashed node."""
        await self._tell_every_node("presence_lapsed", session_id, participant_ids=participant_ids)

    async def _presence_lapsed(self, message: dict[str, Any]) -> None:
        if (room := self.rooms.get(message["session_id"])) is None:
            return
        here = {connection.identity.participant_id for connection in room.connections.values()}
        for participant_id in message["participant_ids"]:
            # A socket of theirs open on this node means they came back (their user_join
            # follows this message); no leave to show here.
            if participant_id not in here:
                left = UserLeave(user_id=participant_id, timestamp=message["timestamp"])
                room.apply_remote_event(*left.parts(), json_only=False)

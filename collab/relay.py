"""What travels between nodes besides the document: a room's awareness and events, and
control messages. As python-socketio splits its server from its pub/sub manager, the rooms
(`collab/rooms.py`) hold the documents and this relay carries the rest over Redis pub/sub.

    relay = Relay(cache)
    relay.on("cancel_run", cancel_here)            # before start(): one handler per kind
    await relay.start()
    relay.announce(session_id, "run_output", data)  # every client, every node; no room needed
    await relay.send("cancel_run", session_id=…, run_id=…)

* A room's channel, `duet:room:{id}`, carries its awareness updates and events. This node
  subscribes to the channels of the rooms it holds (`follow`), and hands what other nodes
  publish to the room (`deliver_to`).
* The control channel, `duet:control`, carries messages for every node, this one included;
  each carries `node`, the sender, so a handler can skip what it did itself.
* One queue and one publisher task: other nodes see a room's events in the order they
  happened here (run output, a join before the edits that follow it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Literal

import redis.asyncio as redis
import redis.exceptions

from collab.room import Room, event_payload
from schema.keys import CONTROL_CHANNEL, room_channel, room_of_channel

log = logging.getLogger(__name__)

ControlHandler = Callable[[dict[str, Any]], Awaitable[None]]
RoomLookup = Callable[[str], Room | None]
MessageKind = Literal["awareness", "event"]
STOP_SECONDS = 5.0


def raise_if_cancelled() -> None:
    """redis-py sometimes swallows a task's cancellation inside a blocking call (XREAD
    BLOCK, pub/sub get_message); loops around such calls check for it themselves."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Relay:
    def __init__(self, cache: redis.Redis, *, node_id: str | None = None) -> None:
        self.cache = cache
        self.node_id = node_id or secrets.token_hex(6)
        self._handlers: dict[str, ControlHandler] = {}
        self._rooms: RoomLookup = lambda _session_id: None
        self._followed: set[str] = set()
        self._pubsub = cache.pubsub(ignore_subscribe_messages=True)
        self._publications: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._stopped = False
        self._subscribed = False

    def on(self, kind: str, handler: ControlHandler) -> None:
        """Handle the control messages of `kind`. Registered before start(), so that no
        handler can miss a message sent meanwhile."""
        if self._started:
            raise ValueError(f"the relay has started: register {kind!r} before")
        if kind in self._handlers:
            raise ValueError(f"{kind!r} already has a handler")
        self._handlers[kind] = handler

    def deliver_to(self, rooms: RoomLookup) -> None:
        """Where this node's rooms are found (the rooms call it once, as they are made)."""
        self._rooms = rooms

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._started = True
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen(), name="duet-pubsub"),
            loop.create_task(self._publish_in_order(), name="duet-publish"),
        ]

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_SECONDS)
        with contextlib.suppress(redis.exceptions.RedisError, OSError):
            await self._pubsub.aclose()

    # -- rooms' channels --------------------------------------------------------------------

    async def follow(self, session_id: str) -> None:
        self._followed.add(session_id)
        if self._subscribed:
            await self._pubsub.subscribe(room_channel(session_id))

    async def unfollow(self, session_id: str) -> None:
        self._followed.discard(session_id)
        if self._subscribed:
            with contextlib.suppress(redis.exceptions.RedisError, OSError):
                await self._pubsub.unsubscribe(room_channel(session_id))

    def publish(self, session_id: str, kind: MessageKind, payload: dict[str, Any]) -> None:
        """To the room's clients on the other nodes (this node's have had it already)."""
        if self._stopped:
            return
        message = {"node": self.node_id, "kind": kind, **_encode(payload)}
        self._publications.put_nowait((room_channel(session_id), json.dumps(message)))

    def announce(
        self,
        session_id: str,
        name: str,
        data: dict[str, Any],
        *,
        roles: Collection[str] | None = None,
    ) -> None:
        """An event for every client of the session on every node, or only those whose
        participant has one of `roles`. Needs no loaded room: with none here, it goes to the
        room's channel for the nodes that hold it."""
        room = self._rooms(session_id)
        if room is not None:
            # A program printing keeps its room from idling away.
            room.touch()
            room.announce(name, data, roles=roles)
        else:
            self.publish(session_id, "event", event_payload(name, data, roles))

    async def _publish_in_order(self) -> None:
        while not self._stopped:
            raise_if_cancelled()
            channel, message = await self._publications.get()
            try:
                await self.cache.publish(channel, message)
            except (redis.exceptions.RedisError, OSError):
                log.warning("publishing to %s failed; the event is lost", channel, exc_info=True)

    # -- the control channel ----------------------------------------------------------------

    async def send(self, kind: str, **fields: Any) -> None:
        """A control message to every node, this one included."""
        message = {"type": kind, "node": self.node_id, **fields}
        await self.cache.publish(CONTROL_CHANNEL, json.dumps(message))

    # -- receiving --------------------------------------------------------------------------

    async def _listen(self) -> None:
        while not self._stopped:
            raise_if_cancelled()
            try:
                if not self._subscribed:
                    # (Re)subscribe everything: at start, and after Redis comes back.
                    channels = [CONTROL_CHANNEL, *map(room_channel, self._followed)]
                    await self._pubsub.subscribe(*channels)
                    self._subscribed = True
                message = await self._pubsub.get_message(timeout=0.5)
            except (redis.exceptions.RedisError, OSError):
                log.warning("pub/sub failed; retrying", exc_info=True)
                self._subscribed = False
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            try:
                await self._dispatch(message)
            except Exception:
                log.exception("could not handle a pub/sub message")

    async def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        data = json.loads(message["data"])
        if channel == CONTROL_CHANNEL:
            handler = self._handlers.get(data.get("type", ""))
            if handler is not None:
                await handler(data)
            return
        if data.get("node") == self.node_id:
            return
        room = self._rooms(room_of_channel(channel))
        if room is None:
            return
        payload = _decode(data)
        if data["kind"] == "awareness":
            room.apply_remote_awareness(payload["update"])
        elif data["kind"] == "event":
            room.apply_remote_event(
                payload["name"], payload["data"], payload["json_only"], payload.get("roles")
            )


def _encode(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"$b64": base64.b64encode(value).decode()} if isinstance(value, bytes) else value
        for key, value in payload.items()
    }


def _decode(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: base64.b64decode(value["$b64"])
        if isinstance(value, dict) and "$b64" in value
        else value
        for key, value in data.items()
    }

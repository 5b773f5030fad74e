"""How a session closes: ended, deleted or expired, written once.

As Hocuspocus's document server lets its extensions hook into one lifecycle, each way of
closing changes storage once (with its activity and webhook in the same transaction, so the
outbox commits with the change), then emits one `SessionClosed` that the rest hooks into:

    lifecycle = SessionLifecycle(pool, relay, rooms, sweep=find_and_delete_expired)
    lifecycle.on_closed(drop_the_room, every_node=True)   # on each node that may hold it
    lifecycle.on_closed(release_the_pod)                  # once, on the node that closed it
    await lifecycle.end(session_id, actor=actor, organization_id=org, now=now_ms())

Every-node hooks run here at once (before the closing request answers), then on the other
nodes when the relay's `session_closed` reaches them; once-hooks run after, in the order
they were registered. A failing hook is logged and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import asyncpg
import redis.asyncio as redis

from collab.relay import Relay
from collab.rooms import LocalRooms
from schema import keys
from schema.models import Session
from server import activity, sessions
from server.activity import Actor
from server.test_runs import store as test_run_store
from server.webhooks import outbox

log = logging.getLogger(__name__)

CloseReason = Literal["ended", "deleted", "expired"]

_MESSAGES: dict[CloseReason, str] = {
    "ended": "the interview ended",
    "deleted": "session deleted",
    "expired": "session expired",
}


@dataclass(frozen=True)
class SessionClosed:
    session_id: str
    reason: CloseReason

    @property
    def message(self) -> str:
        """What the disconnected clients are told."""
        return _MESSAGES[self.reason]


SessionClosedHook = Callable[[SessionClosed], Awaitable[None]]
# Deletes the sessions expired by `now` (ms) and returns their ids; None when another
# process is at it (`server.sweeps.expiry.sweep_expired_sessions`).
ExpirySweep = Callable[[int], Awaitable[list[str] | None]]


class SessionLifecycle:
    def __init__(
        self, pool: asyncpg.Pool, relay: Relay, rooms: LocalRooms, *, sweep: ExpirySweep
    ) -> None:
        self.pool = pool
        self.sweep = sweep
        self.relay = relay
        self.rooms = rooms
        self._every_node: list[SessionClosedHook] = []
        self._once: list[SessionClosedHook] = []
        relay.on("session_closed", self._closed_elsewhere)

    def on_closed(self, hook: SessionClosedHook, *, every_node: bool = False) -> None:
        (self._every_node if every_node else self._once).append(hook)

    async def end(
        self, session_id: str, *, actor: Actor, organization_id: UUID | None, now: int
    ) -> tuple[Session, bool]:
        """End the interview (editing and running stop); the session and whether this call
        ended it. Interviewers keep reading the final code until the session expires."""
        expires_at = await sessions.session_expiry(self.pool, session_id)
        room = await self.rooms.open(session_id, expires_at or now)

        async def record(connection: asyncpg.Connection, session: Session) -> None:
            await activity.record(
                connection, actor, "session_ended", now, session_id=session_id,
                organization_id=organization_id,
            )  # fmt: skip
            final = sessions.with_document(session, room)
            await outbox.enqueue(
                connection, organization_id, "session.ended",
                {"session": final, "code": final.code, "language": final.language,
                 "testScore": await test_run_store.latest_score(connection, session_id)}, now,
            )  # fmt: skip

        session, ended_now = await sessions.end_session(self.pool, session_id, now, record)
        if ended_now:
            await self._closed(SessionClosed(session_id, "ended"))
        return session, ended_now

    async def delete(
        self, session_id: str, *, actor: Actor, organization_id: UUID | None, now: int
    ) -> bool:
        """Delete the session and everything it holds; whether there was one."""
        if not await sessions.delete_session(self.pool, session_id):
            return False
        await self._closed(SessionClosed(session_id, "deleted"))
        await activity.record(
            self.pool, actor, "session_deleted", now, session_id=session_id,
            organization_id=organization_id,
        )  # fmt: skip
        return True

    async def expire(self, now: int) -> list[str] | None:
        """Delete the sessions past their expiry (their webhooks and Redis keys go with them,
        in the sweep); None when another process is sweeping."""
        swept = await self.sweep(now)
        for session_id in swept or []:
            await self._closed(SessionClosed(session_id, "expired"))
        return swept

    async def _closed(self, event: SessionClosed) -> None:
        await self._run(self._every_node, event)
        try:
            await self.relay.send(
                "session_closed", session_id=event.session_id, reason=event.reason
            )
        except Exception:
            # The other nodes' rooms notice on their own: reconnects are refused.
            log.warning("could not tell the other nodes that %s closed", event.session_id)
        await self._run(self._once, event)

    async def _closed_elsewhere(self, message: dict[str, Any]) -> None:
        if message.get("node") == self.relay.node_id:
            return  # done already, before the message was sent
        await self._run(self._every_node, SessionClosed(message["session_id"], message["reason"]))

    async def _run(self, hooks: list[SessionClosedHook], event: SessionClosed) -> None:
        for hook in hooks:
            try:
                await hook(event)
            except Exception:
                log.exception("a hook of session %s's closing failed", event.session_id)


async def delete_session_keys(client: redis.Redis, session_ids: Iterable[str]) -> int:
    """Remove the sessions' Redis keys with the sessions. Writers also set a TTL at the
    session's expiry, so a key survives a crash between the Postgres delete and this
    cleanup by at most that long."""
    deleted = 0
    for session_id in session_ids:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=keys.session_keys_pattern(session_id), count=500):
            batch.append(key)
            if len(batch) >= 500:
                deleted += await client.unlink(*batch)
                batch.clear()
        if batch:
            deleted += await client.unlink(*batch)
    return deleted

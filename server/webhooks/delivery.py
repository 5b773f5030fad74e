"""The webhook delivery worker: sends what the outbox holds, retrying with exponential
backoff until the retry window (24 h by default) has passed.

Every server process runs one. A worker *claims* due deliveries by pushing their next
attempt a lease into the future, selecting them `FOR UPDATE SKIP LOCKED`, so two workers
never claim the same row; the claim commits before anything is sent. A worker that dies
mid-send leaves the lease to run out, and the delivery is sent again by whoever claims it
next: at least once, which is why receivers dedupe on `webhook-id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp
import asyncpg

from schema.clock import now_ms
from schema.errors import ApiError
from server.auth.access_tokens import load_signing_key
from server.config import Settings
from server.webhooks.destinations import PublicAddressResolver, check_destination
from server.webhooks.secret_box import SecretUnreadable, unseal
from server.webhooks.signing import headers

log = logging.getLogger(__name__)

BATCH = 20
_RESPONSE_KEPT = 1024
_LEASE_MARGIN_MS = 5_000

CLAIM_DUE = """
UPDATE webhook_deliveries d
SET next_attempt_at = $2, attempts = d.attempts + 1
FROM webhooks w
WHERE w.id = d.webhook_id AND d.id IN (
    SELECT id FROM webhook_deliveries due
    WHERE status = 'pending' AND next_attempt_at <= $1
      -- One endpoint's events of one session go out in order: only the earliest pending
      -- one may be sent, and the rest wait for it (through its retries) to be delivered
      -- or given up. A claimed one stays pending while in flight, so it holds the rest.
      AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries earlier
          WHERE earlier.status = 'pending' AND earlier.webhook_id = due.webhook_id
            AND earlier.session_id = due.session_id AND earlier.seq < due.seq)
    ORDER BY next_attempt_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.payload, d.attempts, d.created_at, w.url, w.secret
"""


def retry_delay_ms(settings: Settings, attempts: int) -> int:
    """After the n-th failed attempt: base, 2·base, 4·base, … capped at the max delay."""
    delay = settings.webhook_retry_base * 2 ** min(attempts - 1, 30)
    return int(min(delay, settings.webhook_retry_max_delay) * 1000)


class WebhookDelivery:
    def __init__(
        self, pool: asyncpg.Pool, settings: Settings, server_key: bytes | None = None
    ) -> None:
        self.pool = pool
        self.settings = settings
        # Unseals the stored signing secrets (server/webhooks/secret_box.py).
        self.server_key = server_key if server_key is not None else load_signing_key(settings)
        self._task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        await self.open()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="duet-webhooks")

    async def open(self) -> None:
        """The HTTP client alone, for sending rounds by hand (`deliver_due`)."""
        connector = (
            aiohttp.TCPConnector()
            if self.settings.webhook_allow_private
            else aiohttp.TCPConnector(resolver=PublicAddressResolver())
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.settings.webhook_timeout),
            headers={"User-Agent": "Duet-Webhooks/1"},
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.close()

    async def _loop(self) -> None:
        while True:
            try:
                sent = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery round failed; retrying")
                sent = 0
            if sent < BATCH:
                await asyncio.sleep(self.settings.webhook_poll_interval)

    async def deliver_due(self) -> int:
        """Claim and send one batch of due deliveries; returns how many were claimed."""
        now = now_ms()
        lease_ms = int(self.settings.webhook_timeout * 1000) + _LEASE_MARGIN_MS
        claimed = await self.pool.fetch(CLAIM_DUE, now, now + lease_ms, BATCH)
        await asyncio.gather(*(self._send(row) for row in claimed))
        return len(claimed)

    async def _send(self, row: asyncpg.Record) -> None:
        assert self._http is not None
        body = row["payload"].encode("utf-8")
        started = time.monotonic()
        attempted_at = now_ms()
        status_code: int | None = None
        error: str | None = None
        response_text: str | None = None
        try:
            # The rule registration applied; the connector's resolver applies it again to
            # the addresses it connects to.
            await check_destination(row["url"], allow_private=self.settings.webhook_allow_private)
            async with self._http.post(
                row["url"],
                data=body,
                headers=headers(
                    unseal(self.server_key, row["secret"]), row["id"], attempted_at // 1000, body
                ),
                allow_redirects=False,
            ) as response:
                status_code = response.status
                raw = await response.content.read(_RESPONSE_KEPT)
                response_text = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")
        except SecretUnreadable as unreadable:
            # Retried until given up: the key may come back (a misconfigured replica).
            error = f"signing secret unreadable: {unreadable}; check DUET_JWT_SECRET"
        except ApiError as refused:
            error = f"refused: {refused.message}"
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        duration_ms = int((time.monotonic() - started) * 1000)
        await self._record(row, attempted_at, status_code, error, response_text, duration_ms)

    async def _record(
        self,
        row: asyncpg.Record,
        attempted_at: int,
        status_code: int | None,
        error: str | None,
        response_text: str | None,
        duration_ms: int,
    ) -> None:
        delivered = status_code is not None and 200 <= status_code < 300
        now = now_ms()
        window_ms = self.settings.webhook_retry_window * 1000
        next_attempt = now + retry_delay_ms(self.settings, row["attempts"])
        if delivered:
            status = "delivered"
        elif next_attempt - row["created_at"] > window_ms:
            status = "failed"
        else:
            status = "pending"
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error,"
                " response_body, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                row["id"], attempted_at, status_code, error, response_text, duration_ms,
            )  # fmt: skip
            await connection.execute(
                "UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3,"
                " delivered_at = $4 WHERE id = $1",
                row["id"], status, next_attempt, now if delivered else None,
            )  # fmt: skip

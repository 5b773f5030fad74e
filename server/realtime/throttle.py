"""A per-connection message budget (token bucket)."""

from __future__ import annotations

import time

MESSAGES_PER_SECOND = 200.0
BURST = 400.0


class MessageBudget:
    """`MESSAGES_PER_SECOND` sustained with bursts up to `BURST`. A connection over budget
    waits (its messages are handled later, never dropped, so no edit is lost) and is told
    once per second that it is being throttled."""

    def __init__(self, rate: float = MESSAGES_PER_SECOND, burst: float = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()
        self.last_warning = 0.0

    def wait_seconds(self) -> float:
        """Take one message from the budget; how long to wait before handling it."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def should_warn(self) -> bool:
        now = time.monotonic()
        if now - self.last_warning >= 1.0:
            self.last_warning = now
            return True
        return False

"""Time as the v1 API counts it (Unix milliseconds), and as DevPocket's writes it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso_utc(ms: int) -> str:
    """Unix ms as the DevPocket API writes times: `2024-01-01T00:00:00.000Z`."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

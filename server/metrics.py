"""This node's figures in Prometheus's format, from `prometheus-client`, for `GET /metrics`.

Each app has a registry of its own: the tests run several apps in one process, and the
library's global registry would refuse the second app's metrics.

What is counted where it happens, and what is read when scraped:

* the collaboration path keeps plain counters (`collab.stats.CollabStats`): a library
  counter's lock per update would cost more than the count; the two timings there go to
  histograms here through observers;
* rooms, connections, runs in progress and the sandboxes standing by are read from the
  objects that hold them, at scrape time (`NodeCollector`);
* the webhook outbox's lag, and one Redis and one Postgres round trip, are measured at
  each scrape (`Metrics.measure`): a scrape every 15 s makes the round-trip histograms a
  steady sample without a probe of our own running in between.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import asyncpg
import redis.asyncio as redis
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from schema.clock import now_ms

# Seconds. The update path's figures are around a millisecond; a run's, seconds.
FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
RUN_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

_OUTBOX = """
SELECT count(*) AS pending, min(created_at) AS oldest
FROM webhook_deliveries WHERE status = 'pending'
"""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.update_commit = Histogram(
            "duet_update_commit_seconds",
            "From an update's arrival from a client to its being persisted and queued for "
            "every peer on this node",
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.update_follow_lag = Histogram(
            "duet_update_follow_lag_seconds",
            "From another node's append of an update to its being applied to the room here",
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.runs = Histogram(
            "duet_run_seconds", "A run or a test run, from its request to its end",
            ["kind"], buckets=RUN_BUCKETS, registry=r,
        )  # fmt: skip
        self.redis_roundtrip = Histogram(
            "duet_redis_roundtrip_seconds", "A Redis PING, measured at each scrape",
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.postgres_roundtrip = Histogram(
            "duet_postgres_roundtrip_seconds", "A Postgres SELECT 1, measured at each scrape",
            buckets=FAST_BUCKETS, registry=r,
        )  # fmt: skip
        self.outbox_pending = Gauge(
            "duet_webhook_outbox_pending", "Webhook deliveries waiting (every node's)",
            registry=r,
        )  # fmt: skip
        self.outbox_lag = Gauge(
            "duet_webhook_outbox_lag_seconds",
            "Age of the oldest webhook delivery still waiting; 0 when none waits", registry=r,
        )  # fmt: skip
        # bucket -> HTTP requests refused with 429 RATE_LIMITED (see server/http/rate_limits).
        self.http_refusals: Counter[str] = Counter()

    def collect_from(self, app: web.Application) -> None:
        self.registry.register(NodeCollector(app, self))

    def observe_run(self, kind: str, seconds: float) -> None:
        self.runs.labels(kind).observe(seconds)

    async def measure(self, pool: asyncpg.Pool, cache: redis.Redis) -> None:
        """The figures taken at scrape time; a failing service leaves its figure as it was
        (the readiness probe is what says it is down)."""
        started = time.perf_counter()
        try:
            await cache.ping()
        except (redis.RedisError, OSError):
            pass
        else:
            self.redis_roundtrip.observe(time.perf_counter() - started)
        started = time.perf_counter()
        try:
            await pool.fetchval("SELECT 1")
            self.postgres_roundtrip.observe(time.perf_counter() - started)
            row = await pool.fetchrow(_OUTBOX)
        except (asyncpg.PostgresError, OSError):
            return
        self.outbox_pending.set(row["pending"])
        oldest = row["oldest"]
        self.outbox_lag.set(max(0, now_ms() - oldest) / 1000 if oldest is not None else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class NodeCollector(Collector):
    """What the app's objects hold right now; read at every scrape."""

    def __init__(self, app: web.Application, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        # Imported here: server.state imports what the app is made of, which imports this.
        from server.state import GATEWAY, ROOMS, RUNS, TEST_RUNS

        app = self.app
        rooms = app.get(ROOMS)
        if rooms is not None:
            yield _gauge("duet_rooms_open", "Rooms loaded on this node", len(rooms.rooms))
            connections = GaugeMetricFamily(
                "duet_connections", "Realtime connections in this node's rooms", labels=["kind"]
            )
            yjs = sum(c.yjs for room in rooms.rooms.values() for c in room.connections.values())
            every = sum(len(room.connections) for room in rooms.rooms.values())
            connections.add_metric(["yjs"], yjs)
            connections.add_metric(["json"], every - yjs)
            yield connections
            stats = rooms.stats
            yield _counter(
                "duet_updates_received", "Updates from this node's clients that changed a "
                "document", stats.updates_received,
            )  # fmt: skip
            yield _counter(
                "duet_updates_followed", "Updates from other nodes applied here",
                stats.updates_followed,
            )  # fmt: skip
            yield _counter(
                "duet_update_frames_fanned_out", "Update frames queued for this node's Yjs "
                "peers", stats.frames_fanned_out,
            )  # fmt: skip
        runs, test_runs = app.get(RUNS), app.get(TEST_RUNS)
        if runs is not None:
            running = GaugeMetricFamily(
                "duet_runs_in_progress", "Runs and test runs executing on this node",
                labels=["kind"],
            )  # fmt: skip
            running.add_metric(["run"], len(runs.active))
            running.add_metric(["test_run"], len(test_runs.active) if test_runs else 0)
            yield running
            yield from _standby(runs.sandbox.name, runs.sandbox.standby_stats())
        refusals = CounterMetricFamily(
            "duet_rate_limit_refusals", "Requests and connections refused or slowed by a "
            "rate limit", labels=["limit"],
        )  # fmt: skip
        for bucket, count in sorted(self.metrics.http_refusals.items()):
            refusals.add_metric([bucket], count)
        gateway = app.get(GATEWAY)
        if gateway is not None:
            for limit, count in sorted(gateway.refusals.items()):
                refusals.add_metric([limit], count)
        yield refusals


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


def _standby(backend: str, stats: dict[str, Any]) -> Iterator[Metric]:
    if not stats:
        return
    for state in ("ready", "building"):
        family = GaugeMetricFamily(
            f"duet_sandboxes_{state}", f"Sandboxes started ahead of their run: {state}",
            labels=["backend"],
        )  # fmt: skip
        family.add_metric([backend], stats[state])
        yield family
    for outcome in ("hits", "misses"):
        family = CounterMetricFamily(
            f"duet_sandbox_standby_{outcome}",
            f"Runs that found a sandbox ready ({outcome})", labels=["backend"],
        )  # fmt: skip
        family.add_metric([backend], stats[outcome])
        yield family

"""`GET /metrics`: off unless a token is configured, then only with that token; what it
reports moves with what the node does (edits, fan-out, rate-limit refusals, runs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from schema.clock import now_ms
from server.app import create_app
from tests.conftest import bearer, create_room, expect_error, join
from tests.peers import WebSocketYjsPeer, YjsPeer, eventually

TOKEN = "metrics-token-0123456789"
DASHBOARD = "deploy/grafana/duet-dashboard.json"


@pytest.fixture
async def metrics_client(aiohttp_client, settings):
    return await aiohttp_client(create_app(settings.model_copy(update={"metrics_token": TOKEN})))


async def scrape(client) -> dict[str, float]:
    """Every sample as `name{label="value",…}` → value."""
    response = await client.get("/metrics", headers=bearer(TOKEN))
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


@contextlib.asynccontextmanager
async def writer_and_reader(
    writer_node: TestClient, reader_node: TestClient, code: str
) -> AsyncIterator[tuple[YjsPeer, WebSocketYjsPeer]]:
    """A room with `code`: its creator edits over Socket.IO on `writer_node`, and the
    candidate reads over y-websocket on `reader_node`."""
    room = await create_room(writer_node, code=code)
    _, token = await join(writer_node, room, room.candidate_invite)
    writer = YjsPeer()
    await writer.connect(str(writer_node.make_url("/")), room.token)
    reader = WebSocketYjsPeer(reader_node.session)
    await reader.connect(str(reader_node.make_url(f"/yjs/{room.id}?token={token}")))
    try:
        yield writer, reader
    finally:
        await reader.close()
        await writer.disconnect()


async def test_metrics_are_off_without_a_token(client):
    await expect_error(await client.get("/metrics"), 404, "NOT_FOUND")


async def test_metrics_need_the_configured_token(metrics_client):
    await expect_error(await metrics_client.get("/metrics"), 401, "UNAUTHORIZED")
    wrong = await metrics_client.get("/metrics", headers=bearer(TOKEN + "x"))
    await expect_error(wrong, 401, "UNAUTHORIZED")
    basic = await metrics_client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    await expect_error(basic, 401, "UNAUTHORIZED")


async def test_edits_fan_out_and_round_trips_show_in_the_figures(metrics_client, db):
    client = metrics_client
    before = await scrape(client)
    assert before["duet_rooms_open"] == 0 and before["duet_updates_received_total"] == 0
    async with writer_and_reader(client, client, "x") as (writer, reader):
        for index in range(3):
            await writer.insert(1 + index, "y")
        await eventually(lambda: reader.code == "xyyy", what="the edits at the peer")
        after = await scrape(client)
    assert after["duet_rooms_open"] == 1
    assert after['duet_connections{kind="yjs"}'] == 2
    assert after["duet_updates_received_total"] == 3
    # Each of the three went to the one other Yjs peer.
    assert after["duet_update_frames_fanned_out_total"] == 3
    assert after["duet_update_commit_seconds_count"] == 3
    assert after["duet_update_commit_seconds_sum"] > 0
    # One Redis and one Postgres round trip per scrape: this is the second.
    assert after["duet_redis_roundtrip_seconds_count"] == 2
    assert after["duet_postgres_roundtrip_seconds_count"] == 2
    # The outbox is every node's (earlier tests' deliveries may still wait in this database).
    pending = "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
    assert after["duet_webhook_outbox_pending"] == await db.fetchval(pending)


async def test_rate_limit_refusals_are_counted_by_limit(aiohttp_client, settings):
    strict = settings.model_copy(update={"metrics_token": TOKEN, "rate_limit_api": 2})
    client = await aiohttp_client(create_app(strict))
    room = await create_room(client)
    statuses = [
        (await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(room.token))).status
        for _ in range(4)
    ]
    assert statuses.count(429) == 2, statuses
    figures = await scrape(client)
    assert figures['duet_rate_limit_refusals_total{limit="api"}'] == 2


async def test_runs_are_timed_and_the_standby_is_reported(metrics_client):
    client = metrics_client
    room = await create_room(client, code="print('hi')", language="python")
    response = await client.post(
        f"/api/v1/sessions/{room.id}/runs", json={}, headers=bearer(room.token)
    )
    assert response.status == 202, await response.text()
    run_id = (await response.json())["data"]["id"]

    url = f"/api/v1/sessions/{room.id}/runs/{run_id}"
    for _ in range(200):
        answer = await (await client.get(url, headers=bearer(room.token))).json()
        if answer["data"]["status"] != "running":
            break
        await asyncio.sleep(0.05)
    figures = await scrape(client)
    assert figures['duet_run_seconds_count{kind="run"}'] == 1
    assert figures['duet_runs_in_progress{kind="run"}'] == 0
    assert figures['duet_sandbox_standby_hits_total{backend="bubblewrap"}'] + figures[
        'duet_sandbox_standby_misses_total{backend="bubblewrap"}'
    ] >= 1
    assert 'duet_sandboxes_ready{backend="bubblewrap"}' in figures


async def test_updates_from_another_node_are_counted_with_their_lag(aiohttp_client, settings):
    with_token = settings.model_copy(update={"metrics_token": TOKEN})
    node_a = await aiohttp_client(create_app(with_token))
    node_b = await aiohttp_client(create_app(with_token))
    async with writer_and_reader(node_a, node_b, "ab") as (writer, reader):
        await writer.insert(2, "c")
        await eventually(lambda: reader.code == "abc", what="the edit on the other node")
        figures = await scrape(node_b)
    assert figures["duet_updates_followed_total"] == 1
    assert figures["duet_updates_received_total"] == 0
    assert figures["duet_update_follow_lag_seconds_count"] == 1


async def test_the_grafana_dashboard_asks_only_for_metrics_the_server_exports(metrics_client):
    response = await metrics_client.get("/metrics", headers=bearer(TOKEN))
    exported = {family.name for family in text_string_to_metric_families(await response.text())}
    dashboard = json.loads((Path(__file__).parent.parent / DASHBOARD).read_text())
    asked = {
        re.sub(r"_(total|bucket|sum|count)$", "", name)
        for panel in dashboard["panels"] for target in panel["targets"]
        for name in re.findall(r"\bduet_\w+", target["expr"])
    }  # fmt: skip
    assert len(asked) >= 15
    assert asked <= exported, asked - exported


async def test_the_outbox_lag_is_the_oldest_waiting_delivery(metrics_client, db):
    before = await scrape(metrics_client)
    organization = await db.fetchval(
        "INSERT INTO organizations (id, name, created_at) VALUES (gen_random_uuid(), 'o', 0)"
        " RETURNING id"
    )
    webhook = await db.fetchval(
        "INSERT INTO webhooks (id, organization_id, url, secret, events, created_at)"
        " VALUES (gen_random_uuid(), $1, 'http://hook.test', 'x', '{}', 0) RETURNING id",
        organization,
    )
    created = now_ms() - 90_000
    await db.execute(
        "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, created_at,"
        " next_attempt_at) VALUES (gen_random_uuid(), $1, 'session.ended', '{}', $2, $3)",
        webhook, created, now_ms() + 3_600_000,  # not due: the delivery worker leaves it
    )  # fmt: skip
    figures = await scrape(metrics_client)
    assert figures["duet_webhook_outbox_pending"] == before["duet_webhook_outbox_pending"] + 1
    # The oldest waiting delivery is at least this one's age (earlier tests' may be older).
    assert figures["duet_webhook_outbox_lag_seconds"] >= 90
    await db.execute("DELETE FROM organizations WHERE id = $1", organization)
    assert (await scrape(metrics_client))["duet_webhook_outbox_pending"] == before[
        "duet_webhook_outbox_pending"
    ]

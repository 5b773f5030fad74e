"""Webhooks against a real receiver on loopback: Standard Webhooks signatures (checked
with the `standardwebhooks` package and with an independent HMAC here), retries after
500s, an outbox that survives a restart, several workers sharing it, and every event."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from schema.clock import now_ms
from server.app import create_app
from server.state import JWT_KEY, POOL, REDIS
from server.sweeps.expiry import sweep_expired_sessions
from server.webhooks.delivery import CLAIM_DUE, WebhookDelivery
from server.webhooks.destinations import PublicAddressResolver
from server.webhooks.secret_box import SecretUnreadable, seal, unseal
from tests.accounts_helpers import api_token, owned_session, register, until
from tests.conftest import bearer, create_room, expect_error, user
from tests.peers import eventually

ALL_EVENTS = ["session.created", "participant.joined", "run.finished", "session.ended",
              "session.expired", "evaluation.submitted"]  # fmt: skip


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # Statuses to answer, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)

    def bodies(self, event: str | None = None) -> list[dict[str, Any]]:
        parsed = [json.loads(body) for _, body in self.received]
        return [body for body in parsed if event is None or body["type"] == event]


@pytest.fixture
async def receiver(aiohttp_server) -> Receiver:
    path = f"/hooks/{uuid.uuid4().hex}"  # a stale delivery to a reused port finds a 404
    holder: list[Receiver] = []

    async def receive(request: web.Request) -> web.Response:
        target = holder[0]
        target.received.append((dict(request.headers), await request.read()))
        status = target.answers.pop(0) if target.answers else 200
        return web.Response(status=status, text=f"answered {status}")

    app = web.Application()
    app.router.add_post(path, receive)
    server = await aiohttp_server(app)
    holder.append(Receiver(str(server.make_url(path))))
    return holder[0]


@pytest.fixture(autouse=True)
async def forget_webhooks(db):
    yield
    await db.execute("DELETE FROM webhooks")


async def add_webhook(client, credential: str, url: str, events=None) -> tuple[str, str]:
    response = await client.post(
        "/api/v1/webhooks", json={"url": url, "events": events or ALL_EVENTS},
        headers=bearer(credential),
    )  # fmt: skip
    assert response.status == 201, await response.text()
    body = await response.json()
    return body["data"]["id"], body["secret"]


async def delivery_when(client, account, webhook_id: str, done: Callable[[dict], bool]):
    async def probe() -> dict[str, Any] | None:
        response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries",
                                    headers=account.headers)  # fmt: skip
        delivery = (await response.json())["data"][0]
        return delivery if done(delivery) else None

    return await until(probe, "the delivery's state")


def independently_verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


async def test_every_event_arrives_signed(client, receiver):
    account = await register(client)
    _, secret = await add_webhook(client, account.access, receiver.url)
    body = await owned_session(client, account.access, code="print('hi')", language="python")
    session_id = body["data"]["id"]
    joined = await client.post(
        f"/api/v1/sessions/{session_id}/join", json={"user": user("Cam")},
        headers=bearer(body["invites"]["candidate"]["token"]),
    )  # fmt: skip
    assert joined.status == 200
    run = await client.post(f"/api/v1/sessions/{session_id}/runs", headers=account.headers)
    run_id = (await run.json())["data"]["id"]
    await eventually(lambda: receiver.bodies("run.finished"), within=30, what="run.finished")
    evaluation = await client.post(
        f"/api/v1/sessions/{session_id}/evaluations",
        json={"rating": 3, "recommendation": "yes", "text": "solid"}, headers=account.headers,
    )  # fmt: skip
    assert evaluation.status == 201
    await client.post(f"/api/v1/sessions/{session_id}/end", headers=account.headers)
    wanted = {"session.created", "participant.joined", "run.finished",
              "evaluation.submitted", "session.ended"}  # fmt: skip
    await eventually(lambda: {b["type"] for b in receiver.bodies()} >= wanted, what="events")

    verifier = Webhook(secret)
    for headers, raw in receiver.received:
        lowered = {name.lower(): value for name, value in headers.items()}
        assert verifier.verify(raw, lowered)
        assert independently_verified(secret, lowered, raw)
        assert lowered["webhook-id"].startswith("msg_")
        assert not independently_verified(secret, lowered, raw + b" ")
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(ids) == len(set(ids))

    created = receiver.bodies("session.created")[0]
    assert created["data"]["session"]["id"] == session_id and "timestamp" in created
    assert "di_" not in json.dumps(receiver.bodies())  # no secret leaves in a payload
    participant = receiver.bodies("participant.joined")[0]["data"]["participant"]
    assert participant["name"] == "Cam" and participant["role"] == "candidate"
    assert receiver.bodies("run.finished")[0]["data"]["run"]["id"] == run_id
    assert receiver.bodies("run.finished")[0]["data"]["run"]["exitCode"] == 0
    submitted = receiver.bodies("evaluation.submitted")[0]["data"]["evaluation"]
    assert submitted["rating"] == 3 and submitted["recommendation"] == "yes"
    ended = receiver.bodies("session.ended")[0]["data"]
    assert ended["code"] == "print('hi')" and ended["language"] == "python"


async def test_expiry_reports_final_code_language_and_evaluations(client, receiver, db):
    account = await register(client)
    await add_webhook(client, account.access, receiver.url, ["session.expired"])
    session_id = (await owned_session(client, account.access, code="x = 42",
                                      language="python"))["data"]["id"]  # fmt: skip
    await client.post(
        f"/api/v1/sessions/{session_id}/evaluations",
        json={"rating": 4, "recommendation": "strong_yes"}, headers=account.headers,
    )  # fmt: skip
    await db.execute("UPDATE sessions SET expires_at = 1 WHERE id = $1", session_id)
    assert session_id in await sweep_expired_sessions(
        client.app[POOL], client.app[REDIS], now_ms()
    )
    await eventually(lambda: receiver.bodies("session.expired"), what="session.expired")
    data = receiver.bodies("session.expired")[0]["data"]
    assert data["code"] == "x = 42" and data["language"] == "python"
    assert [e["recommendation"] for e in data["evaluations"]] == ["strong_yes"]


async def test_only_subscribed_events_of_the_own_organization_arrive(client, receiver):
    account, other = await register(client), await register(client)
    await add_webhook(client, account.access, receiver.url, ["session.ended"])
    mine = (await owned_session(client, account.access))["data"]["id"]
    theirs = (await owned_session(client, other.access))["data"]["id"]
    await client.post(f"/api/v1/sessions/{theirs}/end", headers=other.headers)
    await client.post(f"/api/v1/sessions/{mine}/end", headers=account.headers)
    await eventually(lambda: receiver.received, what="a delivery")
    assert [b["data"]["session"]["id"] for b in receiver.bodies()] == [mine]
    assert [b["type"] for b in receiver.bodies()] == ["session.ended"]


async def test_a_refused_change_writes_no_delivery(client, receiver, db):
    account = await register(client)
    await add_webhook(client, account.access, receiver.url, ["participant.joined"])
    body = await owned_session(client, account.access, creator=(creator := user()))
    session_id = body["data"]["id"]
    # The creator's id with a candidate invite: refused, so nothing may be announced.
    refused = await client.post(
        f"/api/v1/sessions/{session_id}/join", json={"user": creator},
        headers=bearer(body["invites"]["candidate"]["token"]),
    )  # fmt: skip
    await expect_error(refused, 403, "FORBIDDEN")
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries") == 0


async def test_failed_attempts_are_retried_with_the_same_id(client, receiver):
    account = await register(client)
    webhook_id, secret = await add_webhook(client, account.access, receiver.url,
                                           ["session.created"])  # fmt: skip
    receiver.answers = [500, 503]
    await owned_session(client, account.access)
    await eventually(lambda: len(receiver.received) == 3, what="three attempts")
    assert len({headers["webhook-id"] for headers, _ in receiver.received}) == 1
    for headers, raw in receiver.received:
        assert Webhook(secret).verify(raw, {k.lower(): v for k, v in headers.items()})

    delivery = await delivery_when(client, account, webhook_id,
                                   lambda d: d["status"] == "delivered")  # fmt: skip
    assert delivery["attempts"] == 3 and delivery["deliveredAt"] is not None
    assert [a["statusCode"] for a in delivery["history"]] == [500, 503, 200]
    assert delivery["history"][0]["response"] == "answered 500"
    assert delivery["payload"]["type"] == "session.created"


async def test_a_delivery_is_given_up_after_the_retry_window(aiohttp_client, settings, receiver):
    client = await aiohttp_client(create_app(settings.model_copy(
        update={"webhook_retry_window": 1, "webhook_retry_base": 0.3})))  # fmt: skip
    account = await register(client)
    webhook_id, _ = await add_webhook(client, account.access, receiver.url, ["session.created"])
    receiver.answers = [500] * 100
    await owned_session(client, account.access)
    delivery = await delivery_when(client, account, webhook_id,
                                   lambda d: d["status"] != "pending")  # fmt: skip
    assert delivery["status"] == "failed" and delivery["nextAttemptAt"] is None
    assert all(a["statusCode"] == 500 for a in delivery["history"])


async def test_an_unreachable_receiver_is_an_attempt_not_a_crash(client, db):
    account = await register(client)
    webhook_id, _ = await add_webhook(client, account.access, "http://127.0.0.1:9/nowhere",
                                      ["session.created"])  # fmt: skip
    await owned_session(client, account.access)
    await until(lambda: db.fetchval("SELECT count(*) FROM webhook_attempts"), "an attempt")
    response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries",
                                headers=account.headers)  # fmt: skip
    attempt = (await response.json())["data"][0]["history"][0]
    assert attempt["statusCode"] is None and "Error" in attempt["error"]


async def test_no_delivery_is_lost_across_a_restart(aiohttp_client, settings, receiver, db):
    # The first server never gets round to delivering (its worker sleeps for an hour).
    idle = settings.model_copy(update={"webhook_poll_interval": 3600})
    first = await aiohttp_client(create_app(idle))
    account = await register(first)
    await add_webhook(first, account.access, receiver.url, ["session.created"])
    made = [(await owned_session(first, account.access))["data"]["id"] for _ in range(3)]
    await first.close()
    assert await db.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
    ) == 3
    assert receiver.received == []
    second = await aiohttp_client(create_app(settings))
    await eventually(lambda: len(receiver.received) == 3, what="deliveries after restart")
    assert sorted(b["data"]["session"]["id"] for b in receiver.bodies()) == sorted(made)
    await second.close()


async def test_a_claim_left_by_a_dead_worker_is_sent_again(
    aiohttp_client, settings, receiver, db
):
    idle = settings.model_copy(update={"webhook_poll_interval": 3600})
    client = await aiohttp_client(create_app(idle))
    account = await register(client)
    await add_webhook(client, account.access, receiver.url, ["session.created"])
    await owned_session(client, account.access)
    # A worker claims the delivery and dies before sending it.
    dead = await db.fetch(CLAIM_DUE, now_ms(), now_ms() + 40_000, 10)
    assert len(dead) == 1
    worker = WebhookDelivery(client.app[POOL], settings)
    await worker.open()  # rounds by hand only: no loop of its own racing the test
    try:
        assert await worker.deliver_due() == 0  # claimed: nobody else sends it meanwhile
        await db.execute("UPDATE webhook_deliveries SET next_attempt_at = $1", now_ms() - 1)
        assert await worker.deliver_due() == 1  # the lease ran out: sent again
    finally:
        await worker.stop()
    assert len(receiver.received) == 1
    assert receiver.received[0][0]["webhook-id"] == dead[0]["id"]


async def test_two_servers_share_the_outbox_without_sending_twice(
    aiohttp_client, settings, receiver
):
    one = await aiohttp_client(create_app(settings))
    two = await aiohttp_client(create_app(settings))
    account = await register(one)
    await add_webhook(one, account.access, receiver.url, ["session.created"])
    for index in range(20):
        await owned_session(one if index % 2 else two, account.access)
    await eventually(lambda: len(receiver.received) >= 20, what="20 deliveries")
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(ids) == len(set(ids)) == 20


# -- the endpoints -------------------------------------------------------------------------


async def test_roles_on_the_webhook_endpoints(client, receiver):
    account, other = await register(client), await register(client)
    room = await create_room(client)
    writer = await api_token(client, account, "webhooks:write")
    reader = await api_token(client, account, "webhooks:read")
    sessions_only = await api_token(client, account, "sessions:write", "sessions:read")
    body = {"url": receiver.url, "events": ["session.created"]}
    for headers, status, code in (({}, 401, "UNAUTHORIZED"),
                                  (bearer(room.token), 401, "UNAUTHORIZED"),
                                  (bearer(room.candidate_invite), 401, "UNAUTHORIZED"),
                                  (bearer(reader), 403, "FORBIDDEN"),
                                  (bearer(sessions_only), 403, "FORBIDDEN")):  # fmt: skip
        await expect_error(await client.post("/api/v1/webhooks", json=body, headers=headers),
                           status, code)  # fmt: skip
    created = await client.post("/api/v1/webhooks", json=body, headers=bearer(writer))
    assert created.status == 201 and (await created.json())["secret"].startswith("whsec_")
    webhook_id = (await created.json())["data"]["id"]
    listing = await (await client.get("/api/v1/webhooks", headers=bearer(reader))).json()
    assert [w["id"] for w in listing["data"]] == [webhook_id]
    assert "secret" not in json.dumps(listing)
    await expect_error(await client.get("/api/v1/webhooks", headers=bearer(sessions_only)),
                       403, "FORBIDDEN")  # fmt: skip
    for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/deliveries")):
        response = await client.request(method, f"/api/v1/webhooks/{webhook_id}{suffix}",
                                         headers=other.headers)  # fmt: skip
        await expect_error(response, 404, "WEBHOOK_NOT_FOUND")
    await expect_error(await client.delete(f"/api/v1/webhooks/{webhook_id}",
                                           headers=bearer(reader)), 403, "FORBIDDEN")  # fmt: skip
    assert (await client.get(f"/api/v1/webhooks/{webhook_id}", headers=bearer(reader))).ok
    deleted = await client.delete(f"/api/v1/webhooks/{webhook_id}", headers=account.headers)
    assert deleted.status == 204
    await expect_error(await client.get(f"/api/v1/webhooks/{webhook_id}",
                                        headers=account.headers), 404, "WEBHOOK_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [{"url": "ftp://example.com/x", "events": ["session.created"]},
     {"url": "not a url", "events": ["session.created"]},
     {"url": "https://example.com/x", "events": []},
     {"url": "https://example.com/x", "events": ["session.deleted"]},
     {"url": "https://example.com/" + "x" * 2000, "events": ["session.created"]},
     {"url": "https://example.com/x"},
     {"url": "https://example.com/x", "events": ["session.created"], "description": "d" * 201},
     {"url": "https://example.com/x", "events": ["session.created"], "secret": "mine"},
     {"url": "https://example.com/x', 'x'); DROP TABLE webhooks;--",
      "events": ["session.created'; --"]}],
)  # fmt: skip
async def test_bad_webhook_requests_are_400(client, body):
    account = await register(client)
    response = await client.post("/api/v1/webhooks", json=body, headers=account.headers)
    await expect_error(response, 400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/x", "http://localhost:8080/x", "http://10.1.2.3/x",
            "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://192.168.0.5/"],
)  # fmt: skip
async def test_private_addresses_are_refused_unless_allowed(aiohttp_client, settings, url):
    strict = await aiohttp_client(create_app(settings.model_copy(
        update={"webhook_allow_private": False})))  # fmt: skip
    account = await register(strict)
    response = await strict.post("/api/v1/webhooks", json={"url": url, "events": ALL_EVENTS},
                                 headers=account.headers)  # fmt: skip
    await expect_error(response, 400, "INVALID_REQUEST")


async def test_deliveries_page_and_refuse_bad_parameters(client, receiver):
    account = await register(client)
    webhook_id, _ = await add_webhook(client, account.access, receiver.url, ["session.created"])
    for _ in range(3):
        await owned_session(client, account.access)
    path = f"/api/v1/webhooks/{webhook_id}/deliveries"
    first = await (await client.get(path, params={"limit": "2"}, headers=account.headers)).json()
    assert len(first["data"]) == 2 and first["nextCursor"]
    rest = await (await client.get(path, params={"cursor": first["nextCursor"]},
                                   headers=account.headers)).json()  # fmt: skip
    assert len(rest["data"]) == 1 and rest["nextCursor"] is None
    for query in ({"limit": "0"}, {"cursor": "x"}, {"limit": "1000"}):
        await expect_error(await client.get(path, params=query, headers=account.headers),
                           400, "INVALID_REQUEST")  # fmt: skip
    await expect_error(await client.get("/api/v1/webhooks/nope/deliveries",
                                        headers=account.headers), 400, "INVALID_REQUEST")


async def test_the_worker_refuses_private_addresses_at_send_time(
    aiohttp_client, settings, receiver, db
):
    """A URL that became private after it was checked (stored before a policy change, or a
    name that now resolves to a private address) is not contacted."""
    strict = settings.model_copy(update={"webhook_allow_private": False})
    client = await aiohttp_client(create_app(strict))
    account = await register(client)
    webhook_id, _ = await add_webhook(client, account.access, "https://example.com/hook",
                                      ["session.created"])  # fmt: skip
    await db.execute("UPDATE webhooks SET url = $1", receiver.url)  # 127.0.0.1
    await owned_session(client, account.access)
    delivery = await delivery_when(client, account, webhook_id, lambda d: d["history"])
    assert delivery["history"][0]["error"].startswith("refused:")
    assert receiver.received == []


async def test_names_resolving_only_to_private_addresses_are_refused():
    resolver = PublicAddressResolver()
    try:
        with pytest.raises(OSError, match="no public address"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


async def test_registering_honours_an_idempotency_key(client, db):
    account = await register(client)
    token = await api_token(client, account, "webhooks:write")
    headers = bearer(token) | {"Idempotency-Key": "hook-1"}
    body = {"url": "https://example.com/hook", "events": ["session.created"]}
    first = await client.post("/api/v1/webhooks", json=body, headers=headers)
    again = await client.post("/api/v1/webhooks", json=body, headers=headers)
    assert first.status == again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert await db.fetchval("SELECT count(*) FROM webhooks") == 1
    other = await client.post("/api/v1/webhooks", json={**body, "events": ["session.ended"]},
                              headers=headers)  # fmt: skip
    await expect_error(other, 409, "IDEMPOTENCY_CONFLICT")
    await expect_error(
        await client.post("/api/v1/webhooks", json=body,
                          headers=bearer(token) | {"Idempotency-Key": ""}),
        400, "INVALID_REQUEST",
    )  # fmt: skip


# -- signing secrets at rest ---------------------------------------------------------------


async def test_signing_secrets_are_stored_sealed(client, receiver, db):
    account = await register(client)
    _, secret = await add_webhook(client, account.access, receiver.url, ["session.created"])
    stored = await db.fetchval("SELECT secret FROM webhooks WHERE url = $1", receiver.url)
    assert secret.startswith("whsec_") and secret not in stored and "whsec_" not in stored
    assert unseal(client.app[JWT_KEY], stored) == secret
    with pytest.raises(SecretUnreadable):
        unseal(b"another deployment's key, 32 bytes+", stored)
    # Sealing twice gives two different ciphertexts (a fresh nonce each time).
    assert seal(client.app[JWT_KEY], secret) != seal(client.app[JWT_KEY], secret)


async def test_a_secret_sealed_under_another_key_is_a_failed_attempt(
    aiohttp_client, settings, receiver, db
):
    idle = settings.model_copy(update={"webhook_poll_interval": 3600})
    client = await aiohttp_client(create_app(idle))
    account = await register(client)
    webhook_id, _ = await add_webhook(client, account.access, receiver.url, ["session.created"])
    await owned_session(client, account.access)
    worker = WebhookDelivery(client.app[POOL], settings, b"a rotated key that is not the one")
    await worker.open()
    try:
        assert await worker.deliver_due() == 1
    finally:
        await worker.stop()
    assert receiver.received == []
    attempt = await db.fetchrow(
        "SELECT a.status_code, a.error FROM webhook_attempts a"
        " JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1",
        uuid.UUID(webhook_id),
    )
    assert attempt["status_code"] is None
    assert "signing secret unreadable" in attempt["error"]

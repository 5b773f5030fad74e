"""One endpoint's events of one session arrive in the order they happened, retries
included: a later event waits while an earlier one is being retried. Against a real
receiver on loopback, with delivery rounds driven by hand so the order is the outbox's,
not the clock's."""

from __future__ import annotations

import pytest

from server.app import create_app
from server.clock import now_ms
from server.state import POOL
from server.webhook_delivery import WebhookDelivery
from tests import test_webhooks
from tests.accounts_helpers import owned_session, register
from tests.conftest import bearer, user
from tests.test_webhooks import add_webhook

# The loopback receiver, and the clean-up of endpoints after each test, of the webhook tests.
receiver = test_webhooks.receiver
forget_webhooks = test_webhooks.forget_webhooks

EVENTS = ["session.created", "participant.joined"]


@pytest.fixture
async def idle(aiohttp_client, settings):
    # The app's own worker sleeps for an hour: every round below is the test's.
    return await aiohttp_client(
        create_app(settings.model_copy(update={"webhook_poll_interval": 3600}))
    )


@pytest.fixture
async def worker(idle, settings):
    delivery = WebhookDelivery(idle.app[POOL], settings)
    await delivery.open()
    yield delivery
    await delivery.stop()


async def created_and_joined(client, access: str) -> str:
    """A session with a joined candidate: a session.created, then a participant.joined."""
    created = await owned_session(client, access)
    session_id = created["data"]["id"]
    invite = created["invites"]["candidate"]["token"]
    response = await client.post(
        f"/api/v1/sessions/{session_id}/join", json={"user": user("Cam")}, headers=bearer(invite)
    )
    assert response.status == 200, await response.text()
    return session_id


async def make_retries_due(db) -> None:
    await db.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE status = 'pending'",
        now_ms() - 1,
    )


async def test_a_later_event_waits_while_an_earlier_one_is_retried(idle, worker, receiver, db):
    account = await register(idle)
    await add_webhook(idle, account.access, receiver.url, EVENTS)
    await created_and_joined(idle, account.access)
    receiver.answers = [500, 503]

    assert await worker.deliver_due() == 1  # session.created, refused; the join waits
    await make_retries_due(db)
    assert await worker.deliver_due() == 1  # session.created again, refused again
    await make_retries_due(db)
    assert await worker.deliver_due() == 1  # session.created, delivered at last
    assert await worker.deliver_due() == 1  # and only now participant.joined
    assert await worker.deliver_due() == 0

    arrived = [body["type"] for body in receiver.bodies()]
    assert arrived == ["session.created"] * 3 + ["participant.joined"]


async def test_other_sessions_do_not_wait(idle, worker, receiver, db):
    account = await register(idle)
    await add_webhook(idle, account.access, receiver.url, EVENTS)
    first = await created_and_joined(idle, account.access)
    second = await created_and_joined(idle, account.access)
    receiver.answers = [500]  # whichever session.created arrives first

    # Each session's first event goes out at once; only the refused session's join waits.
    assert await worker.deliver_due() == 2
    refused = session_of(receiver.bodies()[0])
    assert await worker.deliver_due() == 1  # the other session's join
    await make_retries_due(db)
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 1

    def arrived(session_id: str) -> list[str]:
        return [body["type"] for body in receiver.bodies() if session_of(body) == session_id]

    other = second if refused == first else first
    assert arrived(refused) == ["session.created", "session.created", "participant.joined"]
    assert arrived(other) == ["session.created", "participant.joined"]


def session_of(body: dict) -> str:
    data = body["data"]
    return data["sessionId"] if "sessionId" in data else data["session"]["id"]


async def test_an_event_given_up_no_longer_holds_the_next(idle, worker, receiver, db):
    account = await register(idle)
    await add_webhook(idle, account.access, receiver.url, EVENTS)
    await created_and_joined(idle, account.access)
    receiver.answers = [500]
    assert await worker.deliver_due() == 1
    # Past the retry window, the worker marks a delivery failed; here it is marked so.
    await db.execute(
        "UPDATE webhook_deliveries SET status = 'failed' WHERE event = 'session.created'"
    )
    assert await worker.deliver_due() == 1
    assert [body["type"] for body in receiver.bodies()] == ["session.created", "participant.joined"]

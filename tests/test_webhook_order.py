"""One endpoint's events of one session arrive in the order they happened, retries
included: a later event waits while an earlier one is being retried. Against a real
receiver on loopback. Every server process's delivery worker shares the outbox (other test
files' apps too, when the suite runs in parallel), so these tests check what the receiver
saw, whichever worker sent it, not how many deliveries one worker made."""

from __future__ import annotations

import pytest

from tests import test_webhooks
from tests.accounts_helpers import owned_session, register
from tests.conftest import bearer, user
from tests.peers import eventually
from tests.test_webhooks import add_webhook

# The loopback receiver of the webhook tests. (Not their clean-up, which deletes every
# webhook and would take those of a test running beside it in another worker.)
receiver = test_webhooks.receiver

EVENTS = ["session.created", "participant.joined"]


@pytest.fixture
async def forget_own_webhooks(db):
    made: list[str] = []
    yield made
    await db.execute("DELETE FROM webhooks WHERE id = ANY($1::uuid[])", made)


async def hook(client, access: str, url: str, made: list[str]) -> None:
    webhook_id, _ = await add_webhook(client, access, url, EVENTS)
    made.append(webhook_id)


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


def types(receiver) -> list[str]:
    return [body["type"] for body in receiver.bodies()]


async def test_a_later_event_waits_while_an_earlier_one_is_retried(
    client, receiver, forget_own_webhooks
):
    account = await register(client)
    await hook(client, account.access, receiver.url, forget_own_webhooks)
    receiver.answers = [500, 503]
    await created_and_joined(client, account.access)
    await eventually(lambda: len(types(receiver)) >= 4, within=20, what="four deliveries")
    assert types(receiver) == ["session.created"] * 3 + ["participant.joined"]


async def test_other_sessions_do_not_wait(client, receiver, forget_own_webhooks):
    account = await register(client)
    await hook(client, account.access, receiver.url, forget_own_webhooks)
    receiver.answers = [500]  # whichever session.created arrives first
    first = await created_and_joined(client, account.access)
    second = await created_and_joined(client, account.access)
    await eventually(lambda: len(types(receiver)) >= 5, within=20, what="five deliveries")
    refused = session_of(receiver.bodies()[0])

    def arrived(session_id: str) -> list[str]:
        return [body["type"] for body in receiver.bodies() if session_of(body) == session_id]

    other = second if refused == first else first
    assert arrived(refused) == ["session.created", "session.created", "participant.joined"]
    assert arrived(other) == ["session.created", "participant.joined"]


def session_of(body: dict) -> str:
    data = body["data"]
    return data["sessionId"] if "sessionId" in data else data["session"]["id"]


async def test_an_event_given_up_no_longer_holds_the_next(
    client, receiver, db, forget_own_webhooks
):
    account = await register(client)
    await hook(client, account.access, receiver.url, forget_own_webhooks)
    receiver.answers = [500] * 1000
    session_id = await created_and_joined(client, account.access)
    await eventually(lambda: types(receiver), what="a first attempt")
    # Past the retry window, a worker marks a delivery failed; here it is marked so.
    await db.execute(
        "UPDATE webhook_deliveries SET status = 'failed'"
        " WHERE event = 'session.created' AND session_id = $1",
        session_id,
    )
    assert set(types(receiver)) == {"session.created"}  # the join waited until now
    receiver.answers.clear()
    await eventually(lambda: "participant.joined" in types(receiver), what="the join")

"""Registration refuses every spelling of this machine that delivery would refuse, by the
same rule (server/webhooks/destinations.py)."""

from __future__ import annotations

import socket

import pytest

from server.app import create_app
from tests.accounts_helpers import register
from tests.conftest import expect_error

LOOPBACK_SPELLINGS = [
    "http://0x7f000001/hook",  # hexadecimal
    "http://2130706433/hook",  # one decimal number
    "http://127.1/hook",  # short form
    "http://017700000001/hook",  # octal
    "http://0177.0.0.1:8080/hook",
    "http://localhost./hook",  # the root's dot
    "http://LOCALHOST/hook",
    f"http://{socket.gethostname()}/hook",  # this machine's name, 127.0.x.1 in /etc/hosts
    "http://[::ffff:127.0.0.1]/hook",
]


@pytest.fixture
async def strict(aiohttp_client, settings):
    return await aiohttp_client(
        create_app(settings.model_copy(update={"webhook_allow_private": False}))
    )


@pytest.mark.parametrize("url", LOOPBACK_SPELLINGS)
async def test_registration_refuses_loopback_however_spelled(strict, url):
    account = await register(strict)
    response = await strict.post(
        "/api/v1/webhooks", json={"url": url, "events": ["session.created"]},
        headers=account.headers,
    )  # fmt: skip
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert "private, loopback" in body["error"]
    listed = await (await strict.get("/api/v1/webhooks", headers=account.headers)).json()
    assert listed["data"] == []


async def test_a_public_address_is_accepted(strict):
    account = await register(strict)
    body = {"url": "https://93.184.215.14/hook", "events": ["session.created"]}
    response = await strict.post("/api/v1/webhooks", json=body, headers=account.headers)
    assert response.status == 201, await response.text()

"""What a person sees at the edges of an interview: an expired room, pages for paths and
links that lead nowhere, the icon, and the words on the pages candidates land on."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from schema.clock import now_ms
from server.app import create_app
from server.state import POOL
from tests.browser import artifact
from tests.conftest import bearer, create_room, join, user
from tests.processes import free_port
from tests.test_web_app import browser, create_interview, join_as, new_page, problem_page, site

__all__ = ["browser", "site"]


async def test_a_room_whose_time_runs_out_stops_looking_live(site, browser, client):
    page = await new_page(browser)
    await create_interview(page, site.base)
    await expect(page.locator(".status")).to_have_text("Live")
    session_id = await page.evaluate("window.duet.session.id")
    # The link's time runs out while the room is open.
    await client.app[POOL].execute(
        "UPDATE sessions SET expires_at = $2 WHERE id = $1", session_id, now_ms() - 1
    )
    await page.evaluate("window.duet.session.expiresAt = Date.now() - 1")
    await expect(page.locator(".status")).to_have_text("Expired")
    await expect(page.locator(".banner")).to_contain_text("expired")
    await expect(page.get_by_role("button", name="Run")).to_be_hidden()
    await expect(page.get_by_role("button", name="End interview")).to_have_count(0)
    before = await page.evaluate("window.duet.doc.getText('code').toString()")
    await page.locator(".cm-content").click()
    await page.keyboard.type("typed after expiry")
    assert await page.evaluate("window.duet.doc.getText('code').toString()") == before
    await page.screenshot(path=artifact("expired-room.png"))


async def test_the_expired_page_says_how_long_links_last_here(aiohttp_server, settings, browser):
    short = settings.model_copy(update={"public_url": None, "session_ttl": 5400})
    port = free_port()
    server = await aiohttp_server(create_app(short), port=port)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        created = await http.post(f"{base}/api/v1/sessions", json={"creator": user("Ivy")})
        room_id = (await created.json())["data"]["id"]
    await server.app[POOL].execute(
        "UPDATE sessions SET expires_at = $2 WHERE id = $1", room_id, now_ms() - 1
    )
    page = await new_page(browser)
    shown = await problem_page(page, f"{base}/s/{room_id}")
    assert shown.startswith("410 Interview expired")
    assert "90 minutes" in shown and "24 hours" not in shown


async def test_an_unknown_path_is_a_page_for_browsers_and_json_for_the_api(site, browser, client):
    page = await new_page(browser)
    shown = await problem_page(page, site.base + "/no/such/page")
    assert shown.startswith("404 Page not found")
    api = await client.get("/no/such/page")
    assert api.status == 404 and (await api.json())["code"] == "NOT_FOUND"
    api_html = await client.get("/api/v1/nothing", headers={"Accept": "text/html"})
    assert api_html.status == 404 and (await api_html.json())["code"] == "NOT_FOUND"


async def test_every_page_has_an_icon(client):
    response = await client.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert (await response.text()).startswith("<svg")
    page = await client.get("/")
    assert 'rel="icon"' in await page.text()


async def test_a_damaged_saved_seat_says_the_link_is_not_valid_and_offers_to_join_again(
    site, browser, client
):
    room = await create_room(client)
    page = await new_page(browser)
    await join_as(page, f"{site.base}/s/{room.id}?invite={room.candidate_invite}", "Cam")
    await page.evaluate(
        """id => {
            const key = `duet:session:${id}`
            const seat = JSON.parse(localStorage.getItem(key))
            seat.token = 'dp_damaged'
            localStorage.setItem(key, JSON.stringify(seat))
        }""",
        room.id,
    )
    await page.goto(f"{site.base}/s/{room.id}")
    problem = page.locator(".problem")
    await expect(problem).to_contain_text("Link not valid")
    await expect(problem).not_to_contain_text("removed")
    await expect(problem.get_by_role("link", name="Start a new interview")).to_have_count(0)
    await problem.get_by_role("link", name="Join again").click()
    await expect(page.get_by_label("Your name")).to_be_visible()


async def test_a_candidate_of_an_ended_interview_is_thanked_not_sent_to_create_one(
    site, browser, client
):
    room = await create_room(client)
    _, token = await join(client, room, room.candidate_invite)
    page = await new_page(browser)
    await join_as(page, f"{site.base}/s/{room.id}?invite={room.candidate_invite}", "Cam")
    ended = await client.post(f"/api/v1/sessions/{room.id}/end", headers=bearer(room.token))
    assert ended.status == 200
    await page.reload()
    problem = page.locator(".problem")
    await expect(problem).to_contain_text("Interview ended")
    await expect(problem.get_by_role("link", name="Start a new interview")).to_have_count(0)
    read = await client.get(f"/api/v1/sessions/{room.id}", headers=bearer(token))
    body = await read.json()
    assert body["code"] == "SESSION_ENDED"
    assert body["error"] == "This interview has ended. Thank you for taking part."

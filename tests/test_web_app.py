"""The web app in a real browser (Debian's chromium under Playwright): an interviewer creates
an interview and a candidate joins through the link; they type together, see each other's
cursors, change the language, run code, keep notes private, reload, and recover from a cut
connection with their offline edits merged. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Page, expect

from schema.clock import now_ms
from server.app import create_app
from server.state import POOL
from tests.browser import artifact, chromium
from tests.conftest import bearer, create_room
from tests.processes import free_port

WAIT_MS = 10_000


@pytest.fixture
async def site(aiohttp_server, settings) -> Any:
    # Invite links are built from the request's host, so the browser gets working ones.
    port = free_port()
    server = await aiohttp_server(
        create_app(settings.model_copy(update={"public_url": None})), port=port
    )
    server.base = f"http://127.0.0.1:{port}"
    return server


@pytest.fixture
async def browser() -> Any:
    async with chromium() as launched:
        yield launched


async def new_page(browser: Any, width: int = 1280, height: int = 720) -> Page:
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    # Every Socket.IO event this page receives, to prove what it never got.
    await page.add_init_script("window.__events = []")
    return page


async def record_events(page: Page) -> None:
    # The editor is drawn before the document's first sync arrives; a test reads the
    # document only once it holds the server's.
    await page.wait_for_function("window.duet && window.duet.provider.synced")
    await page.evaluate(
        "window.duet.socket.onAny((name, data) => window.__events.push([name, data]))"
    )


async def document_text(page: Page) -> str:
    return await page.evaluate("window.duet.doc.getText('code').toString()")


async def wait_for_text(page: Page, expected: str) -> None:
    await page.wait_for_function(
        "expected => window.duet && window.duet.doc.getText('code').toString() === expected",
        arg=expected,
    )


async def create_interview(page: Page, base: str, language: str = "python") -> dict[str, str]:
    await page.goto(base + "/")
    await page.get_by_label("Your name").fill("Ivy Interviewer")
    await page.get_by_label("Title").fill("Arrays and hashing")
    await page.get_by_label("Language").select_option(language)
    await page.screenshot(path=artifact("home.png"))
    await page.get_by_role("button", name="Create interview").click()
    await page.wait_for_selector("#open-room")
    await page.screenshot(path=artifact("created.png"))
    candidate_link = await page.locator("[data-role=candidate] input.link").input_value()
    interviewer_link = await page.locator("[data-role=interviewer] input.link").input_value()
    await page.locator("#open-room").click()
    await page.wait_for_selector(".cm-content")
    await record_events(page)
    return {"candidate": candidate_link, "interviewer": interviewer_link}


async def join_as(page: Page, link: str, name: str) -> None:
    await page.goto(link)
    await page.get_by_label("Your name").fill(name)
    await page.screenshot(path=artifact("join.png"))
    await page.get_by_role("button", name="Join").click()
    await page.wait_for_selector(".cm-content")
    await record_events(page)


async def put_cursor_at_end_of_first_line(page: Page) -> None:
    await page.locator(".cm-content").click()
    await page.keyboard.press("Control+Home")
    await page.keyboard.press("End")


async def test_an_interview_from_creation_to_a_shared_run(site, browser):
    interviewer = await new_page(browser)
    links = await create_interview(interviewer, site.base)
    assert "invite=di_" in links["candidate"] and links["candidate"] != links["interviewer"]
    # The candidate on a laptop screen, the interviewer at 1280x720.
    candidate = await new_page(browser, 1366, 768)
    await join_as(candidate, links["candidate"], "Cam Candidate")

    # Both in the room with the starter code, each listed with role and online state.
    starter = await document_text(interviewer)
    assert starter.startswith("def solve():")
    await wait_for_text(candidate, starter)
    for page in (interviewer, candidate):
        people = page.locator(".people")
        await expect(people.locator(".person[data-online=true]")).to_have_count(2)
        await expect(people).to_contain_text("Ivy Interviewer")
        await expect(people).to_contain_text("Cam Candidate")
        await expect(page.locator(".status")).to_have_text("Live")
        await expect(page.locator(".time-left")).to_contain_text("left")

    # Both type into the same line at the same time and end with the same text.
    await put_cursor_at_end_of_first_line(interviewer)
    await put_cursor_at_end_of_first_line(candidate)
    await asyncio.gather(
        interviewer.keyboard.type("  # ivy", delay=15),
        candidate.keyboard.type("  # cam", delay=15),
    )
    await interviewer.wait_for_function(
        "() => { const t = window.duet.doc.getText('code').toString();"
        " return t.includes('# ivy') && t.includes('# cam') }"
    )
    final = await document_text(interviewer)
    await wait_for_text(candidate, final)
    first_line = final.splitlines()[0]
    assert first_line.startswith("def solve():")
    assert sorted(first_line.replace("def solve():", "").replace(" ", "")) == sorted("#ivy#cam")
    await expect(candidate.locator(".cm-content")).to_contain_text("# ivy")

    # Each sees the other's cursor, labelled with the other's name.
    await expect(interviewer.locator(".cm-ySelectionInfo")).to_have_text("Cam Candidate")
    await expect(candidate.locator(".cm-ySelectionInfo")).to_have_text("Ivy Interviewer")

    # A language change reaches both pickers.
    await candidate.locator("select.language").select_option("javascript")
    # The code is no longer the starter: the candidate is asked what to do with it.
    await candidate.get_by_role("button", name="Keep my code").click()
    await expect(interviewer.locator("select.language")).to_have_value("javascript")

    # Run: the same streamed output and result in both consoles.
    code = "console.log('out line'); console.error('err line'); process.exit(3)"
    await interviewer.evaluate(
        "code => { const t = window.duet.doc.getText('code');"
        " window.duet.doc.transact(() => { t.delete(0, t.length); t.insert(0, code) }) }",
        code,
    )
    await wait_for_text(candidate, code)
    await candidate.keyboard.press("Control+Enter")
    for page in (interviewer, candidate):
        await expect(page.locator(".output .stdout")).to_have_text("out line\n")
        await expect(page.locator(".output .stderr")).to_have_text("err line\n")
        await expect(page.locator(".result")).to_contain_text("exit code 3")
        await page.locator("[data-tab=history]").click()
        await expect(page.locator(".history-item")).to_have_count(1)
        await page.locator("[data-tab=console]").click()

    # Notes: the interviewer's panel, absent from the candidate's page and events.
    await expect(candidate.locator("[data-tab=notes]")).to_have_count(0)
    await interviewer.locator("[data-tab=notes]").click()
    await interviewer.get_by_label("New note").fill("Explains trade-offs clearly")
    await interviewer.get_by_role("button", name="Add note").click()
    await expect(interviewer.locator(".note-body")).to_have_text("Explains trade-offs clearly")
    await interviewer.screenshot(path=artifact("room-interviewer.png"))
    await candidate.screenshot(path=artifact("room-candidate.png"))

    # Reload: still in the room (no second join), same text, same language, same history.
    await candidate.reload()
    await candidate.wait_for_selector(".cm-content")
    await record_events(candidate)
    await wait_for_text(candidate, code)
    await expect(candidate.locator("select.language")).to_have_value("javascript")
    await candidate.locator("[data-tab=history]").click()
    await expect(candidate.locator(".history-item")).to_have_count(1)
    await candidate.locator("[data-tab=console]").click()
    await interviewer.reload()
    await interviewer.wait_for_selector(".cm-content")
    await interviewer.locator("[data-tab=notes]").click()
    await expect(interviewer.locator(".note-body")).to_have_text("Explains trade-offs clearly")

    # Cut the candidate's connection, edit on both sides, restore: the edits merge.
    await candidate.context.set_offline(True)
    await candidate.evaluate("window.duet.socket.io.engine.close()")
    await expect(candidate.locator(".status")).to_have_text("Reconnecting…")
    await candidate.locator(".cm-content").click()
    await candidate.keyboard.press("Control+End")
    await candidate.keyboard.type("\n// offline edit")
    await interviewer.locator(".cm-content").click()
    await interviewer.keyboard.press("Control+Home")
    await interviewer.keyboard.type("// online edit\n")
    await asyncio.sleep(0.3)
    assert "offline edit" not in await document_text(interviewer)
    await candidate.context.set_offline(False)
    await expect(candidate.locator(".status")).to_have_text("Live")
    merged = "// online edit\n" + code + "\n// offline edit"
    await wait_for_text(interviewer, merged)
    await wait_for_text(candidate, merged)

    # Another note after the reconnect: still nothing about notes reached the candidate.
    await interviewer.get_by_label("New note").fill("Second note")
    await interviewer.get_by_role("button", name="Add note").click()
    await expect(interviewer.locator(".note-body")).to_have_count(2)
    await interviewer.locator("select.language").select_option("python")
    await interviewer.get_by_role("button", name="Keep my code").click()
    await expect(candidate.locator("select.language")).to_have_value("python")
    events = await candidate.evaluate("window.__events.map(([name]) => name)")
    assert not [name for name in events if name.startswith("note")], events
    assert "Explains trade-offs" not in await candidate.content()
    await interviewer.screenshot(path=artifact("room-interviewer-after-reconnect.png"))
    await candidate.screenshot(path=artifact("room-candidate-after-reconnect.png"))



async def problem_page(page: Page, url: str) -> str:
    response = await page.goto(url)
    await page.wait_for_selector(".problem")
    text = await page.locator(".problem").inner_text()
    assert response is not None
    return f"{response.status} {text}"


async def test_bad_links_show_a_page_that_says_what_is_wrong(site, browser, client):
    page = await new_page(browser)
    assert (await problem_page(page, site.base + "/s/ffffffff?invite=di_x")).startswith(
        "404 Interview not found"
    )
    assert (await problem_page(page, site.base + "/s/nothex!!")).startswith(
        "404 Interview not found"
    )
    room = await create_room(client)
    shown = await problem_page(page, f"{site.base}/s/{room.id}")
    assert shown.startswith("200 Invite needed")
    # A forged invite is refused before the page asks for a name.
    assert (await problem_page(page, f"{site.base}/s/{room.id}?invite=di_forged")).startswith(
        "401 Link not valid"
    )
    await expect(page.locator(".problem")).to_contain_text("Link not valid")
    assert await page.get_by_label("Your name").count() == 0
    # A session that expires while its link is being opened, and one already expired.
    await client.app[POOL].execute(
        "UPDATE sessions SET expires_at = $2 WHERE id = $1", room.id, now_ms() - 1
    )
    shown = await problem_page(page, f"{site.base}/s/{room.id}?invite={room.candidate_invite}")
    assert shown.startswith("410 Interview expired")
    await page.screenshot(path=artifact("expired-link.png"))


async def test_a_removed_candidate_sees_why_instead_of_a_broken_room(site, browser, client):
    page = await new_page(browser)
    links = await create_interview(page, site.base)
    candidate = await new_page(browser)
    await join_as(candidate, links["candidate"], "Cam Candidate")
    seat = await candidate.evaluate("window.duet.seat")
    session_id = await candidate.evaluate("window.duet.session.id")
    token = await page.evaluate("window.duet.seat.token")
    response = await client.delete(
        f"/api/v1/sessions/{session_id}/participants/{seat['user']['id']}", headers=bearer(token)
    )
    assert response.status == 204
    await expect(candidate.locator(".problem")).to_contain_text("You left the interview")


async def test_an_interviewer_scores_the_candidate_and_ends_the_interview(site, browser):
    interviewer = await new_page(browser)
    links = await create_interview(interviewer, site.base)
    candidate = await new_page(browser)
    await join_as(candidate, links["candidate"], "Cam Candidate")
    for tab in ("scorecard", "notes"):
        await expect(candidate.locator(f"[data-tab={tab}]")).to_have_count(0)
    await expect(candidate.get_by_role("button", name="End interview")).to_have_count(0)

    await interviewer.locator("[data-tab=scorecard]").click()
    await interviewer.get_by_role("button", name="Submit scorecard").click()
    await expect(interviewer.locator(".evaluation-status")).to_have_text(
        "Choose a rating and a recommendation."
    )
    await interviewer.get_by_label("3 — good").check()
    await interviewer.get_by_label("Yes", exact=True).check()
    await interviewer.get_by_label("Evaluation").fill("Clear reasoning, slow on tests")
    await interviewer.get_by_role("button", name="Submit scorecard").click()
    await expect(interviewer.locator(".evaluation-status")).to_contain_text("Submitted")
    await interviewer.screenshot(path=artifact("scorecard.png"))

    events = await candidate.evaluate("window.__events.map(([name]) => name)")
    assert not [name for name in events if "evaluation" in name or "note" in name], events
    final = await document_text(interviewer)
    interviewer.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await interviewer.get_by_role("button", name="End interview").click()
    await expect(candidate.locator(".problem")).to_contain_text("Interview ended")
    await expect(interviewer.locator(".status")).to_have_text("Ended")
    await expect(interviewer.locator(".banner")).to_contain_text("has ended")
    await interviewer.locator("[data-tab=console]").click()
    await expect(interviewer.locator("button.run")).to_be_disabled()
    # The final code stays, and cannot be changed any more.
    await interviewer.locator(".cm-content").click()
    await interviewer.keyboard.type("zzz")
    assert await document_text(interviewer) == final
    await interviewer.screenshot(path=artifact("ended-interviewer.png"))
    await candidate.screenshot(path=artifact("ended-candidate.png"))

    # After a reload: still ended, the code and the scorecard still there.
    await interviewer.reload()
    await expect(interviewer.locator(".status")).to_have_text("Ended")
    await wait_for_text(interviewer, final)
    await interviewer.locator("[data-tab=scorecard]").click()
    await expect(interviewer.get_by_label("3 — good")).to_be_checked()
    await expect(interviewer.get_by_label("Evaluation")).to_have_value(
        "Clear reasoning, slow on tests"
    )
    await candidate.reload()
    await expect(candidate.locator(".problem")).to_contain_text("Interview ended")

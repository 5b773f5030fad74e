"""The console in a real browser when the run's events go missing or come in a flood: a
connection blip during a run ends with the run's recorded result (not "Running…" for good),
and 200,000 printed lines leave the page responsive, with the last lines shown and a note
saying how many earlier ones are hidden."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests import test_web_app
from tests.test_web_app import create_interview, join_as, new_page

# The same fixtures as the web app's tests: a served app and one chromium.
site = test_web_app.site
browser = test_web_app.browser

# The console keeps this many lines in the page (web/src/runs.js MAX_SHOWN_LINES).
MAX_SHOWN_LINES = 2000


async def set_code(page: Page, code: str) -> None:
    # Once the room's document has arrived: replacing the text of a document still empty
    # here would merge with the starter when it comes.
    await page.wait_for_function("window.duet.doc.getText('code').length > 0")
    await page.evaluate(
        "code => { const t = window.duet.doc.getText('code');"
        " window.duet.doc.transact(() => { t.delete(0, t.length); t.insert(0, code) }) }",
        code,
    )


async def run_through_a_blip(
    browser: Any, base: str, lines: int, pause: float, away_ms: int
) -> Page:
    """A room whose program prints `lines` lines, `pause` seconds apart; the tab loses its
    connection after the first line and is back `away_ms` later."""
    page = await new_page(browser)
    await create_interview(page, base)
    await set_code(
        page,
        f"import time\nfor i in range({lines}):\n    print('line', i, flush=True)\n"
        f"    time.sleep({pause})\n",
    )
    await page.locator("button.run").click()
    await expect(page.locator(".output")).to_contain_text("line 0")
    await page.evaluate("window.duet.socket.disconnect()")
    await expect(page.locator(".status")).to_have_text("Reconnecting…")
    await page.wait_for_timeout(away_ms)
    await page.evaluate("window.duet.socket.connect()")
    await expect(page.locator(".status")).to_have_text("Live")
    return page


async def test_a_run_that_ends_during_a_connection_blip_shows_its_result(site: Any, browser: Any):
    # The run ends while the tab is away: its run_finished never reaches this page.
    page = await run_through_a_blip(browser, site.base, lines=4, pause=1, away_ms=5000)
    await expect(page.locator(".result")).to_contain_text("exit code 0")
    await expect(page.locator(".output")).to_have_text("line 0\nline 1\nline 2\nline 3\n")
    await expect(page.locator("button.run")).to_be_enabled()
    await expect(page.locator("button.stop")).to_be_hidden()


async def test_output_missed_during_a_blip_is_filled_in_when_the_run_ends(site: Any, browser: Any):
    # Back while the run still goes.
    page = await run_through_a_blip(browser, site.base, lines=5, pause=1, away_ms=1500)
    await expect(page.locator(".result")).to_contain_text("exit code 0")
    await expect(page.locator(".output")).to_have_text("line 0\nline 1\nline 2\nline 3\nline 4\n")


async def test_output_printed_during_a_blip_shows_while_the_run_still_goes(site: Any, browser: Any):
    page = await run_through_a_blip(browser, site.base, lines=30, pause=0.5, away_ms=2000)
    # The lines printed while away are there before the run ends (only the fetch of the
    # output so far brings line 1), and the live ones follow them in order, each once.
    await expect(page.locator(".output")).to_contain_text("line 1\n")
    await expect(page.locator(".output")).to_contain_text("line 6")
    assert await page.locator(".result").text_content() == "Running…"
    shown = await page.evaluate("document.querySelector('.output').textContent")
    numbers = [int(line.split()[1]) for line in shown.splitlines()]
    assert numbers == list(range(len(numbers)))
    await page.locator("button.stop").click()
    await expect(page.locator(".result")).to_contain_text("Stopped")


async def test_a_late_joiner_sees_the_output_so_far_of_the_run_going_on(site: Any, browser: Any):
    page = await new_page(browser)
    links = await create_interview(page, site.base)
    await set_code(
        page,
        "import time\nprint('early', flush=True)\ntime.sleep(1)\nprint('later', flush=True)\n"
        "time.sleep(30)\n",
    )
    await page.locator("button.run").click()
    await expect(page.locator(".output")).to_contain_text("later")
    late = await new_page(browser)
    await join_as(late, links["candidate"], "Cam Candidate")
    await expect(late.locator(".output")).to_have_text("early\nlater\n")
    await expect(late.locator(".result")).to_have_text("Running…")
    await late.locator("button.stop").click()
    await expect(page.locator(".result")).to_contain_text("Stopped")


async def test_a_tab_that_missed_run_finished_asks_the_server(site: Any, browser: Any):
    page = await new_page(browser)
    await create_interview(page, site.base)
    await set_code(page, "print('quick')\n")
    # This tab drops every run_finished, as if the event were lost on the way.
    await page.evaluate(
        "() => { const socket = window.duet.socket; const emit = socket.emitEvent;"
        " socket.emitEvent = function (args) {"
        " if (args[0] !== 'run_finished') return emit.call(this, args) } }"
    )
    await page.locator("button.run").click()
    await expect(page.locator(".output")).to_have_text("quick\n")
    # The tab checks a run it saw start every 15 s (STALE_RUN_MS): up to three checks.
    await expect(page.locator(".result")).to_contain_text("exit code 0", timeout=45_000)
    await expect(page.locator("button.run")).to_be_enabled()


async def test_two_hundred_thousand_lines_leave_the_console_responsive(site: Any, browser: Any):
    page = await new_page(browser)
    await create_interview(page, site.base)
    await set_code(page, "for i in range(200000):\n    print(i)\n")
    await page.locator("button.run").click()
    result = page.locator(".result")
    await expect(result).not_to_have_text("Running…", timeout=60_000)
    await expect(result).not_to_have_text("")
    # The page still answers, and shows a bounded tail of the output and what it left out.
    assert await page.evaluate("1 + 1") == 2
    await expect(page.locator(".output-note")).to_contain_text("earlier lines hidden")
    await expect(page.locator(".output-note")).to_contain_text("Download full output")
    shown = await page.evaluate("document.querySelector('.output').textContent")
    assert 0 < shown.count("\n") <= MAX_SHOWN_LINES
    assert await page.evaluate("document.querySelectorAll('.output *').length") <= MAX_SHOWN_LINES
    assert await page.locator(".status").text_content() == "Live"

"""The console and the history say in words why a run ended, with the limit's value, as the
server's `reason` tells them: never a signal name for a limit, never a bare exit code for a
compile error."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from runner.languages import LANGUAGES
from server.app import create_app
from tests import test_web_app
from tests.processes import free_port
from tests.test_web_app import create_interview, new_page

browser = test_web_app.browser
LIMITS = {"run_cpu_time": 1, "run_output_bytes": 4096}


@pytest.fixture
async def site(aiohttp_server: Any, settings: Any) -> Any:
    port = free_port()
    server = await aiohttp_server(
        create_app(settings.model_copy(update={"public_url": None, **LIMITS})), port=port
    )
    server.base = f"http://127.0.0.1:{port}"
    return server


async def run_code(page: Page, code: str, language: str | None = None) -> None:
    # Once the room's document has arrived, or the replacement would merge with it.
    await page.wait_for_function("window.duet.doc.getText('code').length > 0")
    if language:
        # Emptied first, so the switch asks nothing about the code (it takes the starter).
        await page.evaluate(
            "() => { const t = window.duet.doc.getText('code'); t.delete(0, t.length) }"
        )
        await page.locator("select.language").select_option(language)
        await page.wait_for_function(
            "l => window.duet.doc.getMap('meta').get('language') === l", arg=language
        )
    await page.evaluate(
        "code => { const t = window.duet.doc.getText('code');"
        " window.duet.doc.transact(() => { t.delete(0, t.length); t.insert(0, code) }) }",
        code,
    )
    await expect(page.locator("button.run")).to_be_enabled()
    await page.locator("button.run").click()
    await expect(page.locator(".result")).not_to_have_text("Running…", timeout=20_000)
    await expect(page.locator(".result")).not_to_have_text("")


async def test_the_console_says_why_a_run_ended(site: Any, browser: Any) -> None:
    if not LANGUAGES["c"].runnable:
        pytest.skip("no C compiler here for the compile error")
    page = await new_page(browser)
    await create_interview(page, site.base)
    result = page.locator(".result")

    await run_code(page, "while True:\n    pass\n")
    await expect(result).to_contain_text("CPU time limit (1 s) reached")
    await expect(result).not_to_contain_text("SIGXCPU")

    await run_code(page, "while True:\n    print('x' * 100)\n")
    await expect(result).to_contain_text("Output limit (4 KiB) reached")
    await expect(result).not_to_contain_text("SIGKILL")

    await run_code(page, "int main(void) { return undefined_name; }\n", language="c")
    await expect(result).to_contain_text("Compile error")
    await page.locator("[data-tab=history]").click()
    history = page.locator(".history-item")
    await expect(history).to_have_count(3)
    await expect(history.nth(0)).to_contain_text("Compile error")
    await expect(history.nth(1)).to_contain_text("Output limit (4 KiB) reached")
    await expect(history.nth(2)).to_contain_text("CPU time limit (1 s) reached")

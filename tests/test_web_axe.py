"""axe-core (from npm, web/node_modules) in Chromium on every page of the app, in both
themes: no serious or critical accessibility violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser import artifact
from tests.test_web_app import browser, create_interview, join_as, site
from tests.test_web_look import page_with
from tests.test_web_questions import QUESTION, an_account, api_call, sign_in

__all__ = ["browser", "site"]

AXE = Path(__file__).parent.parent / "web" / "node_modules" / "axe-core" / "axe.min.js"


async def serious_violations(page: Page) -> list[str]:
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ['violations'] })
            return result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ` +
                    v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary)
                        .join(' | '))
        }"""
    )
    return list(found)


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_home_page_and_the_room(site, browser, scheme):
    page = await page_with(browser, scheme)
    await page.goto(site.base + "/")
    await page.wait_for_selector("text=Create interview")
    assert await serious_violations(page) == []
    links = await create_interview(page, site.base)
    assert await serious_violations(page) == []
    await page.screenshot(path=artifact(f"axe-room-{scheme}.png"))
    candidate = await page_with(browser, scheme)
    await join_as(candidate, links["candidate"], "Cam Candidate")
    assert await serious_violations(candidate) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_join_problem_and_bank_pages(site, browser, scheme):
    page = await page_with(browser, scheme)
    await page.goto(site.base + "/s/ffffffff")
    await page.wait_for_selector("h1")
    assert await serious_violations(page) == []
    await page.goto(site.base + "/questions")
    await page.wait_for_selector("h1")
    assert await serious_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_signed_in_bank_and_the_question_editor(site, browser, scheme):
    access = await an_account(site.base, f"axe{scheme}")
    question = (await api_call(site.base, "POST", "/questions", access, QUESTION))["data"]
    page = await page_with(browser, scheme)
    await page.goto(site.base + "/")
    await page.get_by_role("button", name="Sign in").click()
    await sign_in(page, f"axe{scheme}")
    await expect(page.locator(".question-picker")).to_contain_text(QUESTION["title"])
    assert await serious_violations(page) == []
    await page.goto(site.base + "/questions")
    await expect(page.locator("main")).to_contain_text(QUESTION["title"])
    assert await serious_violations(page) == []
    await page.goto(site.base + f"/questions/{question['id']}")
    await expect(page.get_by_label("Title", exact=True)).to_have_value(QUESTION["title"])
    assert await serious_violations(page) == []
    await page.screenshot(path=artifact(f"question-editor-{scheme}.png"), full_page=True)

"""A language switch in the room and the code in the editor: the new starter replaces an
untouched starter, and anything else is replaced or kept only as the person answers."""

from __future__ import annotations

from playwright.async_api import expect

from tests.test_web_app import browser, create_interview, document_text, new_page, site

__all__ = ["browser", "site"]


async def language(page) -> str:
    return await page.evaluate("window.duet.doc.getMap('meta').get('language')")


async def code_includes(page, part: str) -> None:
    await page.wait_for_function(
        "part => window.duet.doc.getText('code').toString().includes(part)", arg=part
    )


async def test_an_untouched_starter_follows_the_language(site, browser):
    page = await new_page(browser)
    await create_interview(page, site.base, language="python")
    assert "def solve" in await document_text(page)
    await page.get_by_label("Language").select_option("javascript")
    await code_includes(page, "console.log")
    assert await language(page) == "javascript"
    assert "def solve" not in await document_text(page)
    await expect(page.locator("dialog")).to_have_count(0)


async def test_written_code_is_kept_or_replaced_as_the_person_answers(site, browser):
    page = await new_page(browser)
    await create_interview(page, site.base, language="python")
    await page.locator(".cm-content").click()
    await page.keyboard.press("Control+End")
    await page.keyboard.type("# my own work\n")
    written = await document_text(page)

    await page.get_by_label("Language").select_option("ruby")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Switch to Ruby?")
    await page.keyboard.press("Escape")  # cancel: nothing changes
    await expect(dialog).to_have_count(0)
    assert await language(page) == "python"
    await expect(page.get_by_label("Language")).to_have_value("python")
    assert await document_text(page) == written

    await page.get_by_label("Language").select_option("ruby")
    await page.get_by_role("button", name="Keep my code").click()
    await page.wait_for_function("window.duet.doc.getMap('meta').get('language') === 'ruby'")
    assert await document_text(page) == written

    await page.get_by_label("Language").select_option("go")
    await page.get_by_role("button", name="Replace with the Go starter").click()
    await code_includes(page, "package main")
    assert await language(page) == "go"
    assert "my own work" not in await document_text(page)

"""The look each browser keeps: the theme follows the system's prefers-color-scheme until
the person picks one in the room's View menu, the editor's font size steps within bounds,
and both survive a reload. Screenshots of the room in both themes land in tests/artifacts/."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.browser import artifact
from tests.test_web_app import WAIT_MS, browser, create_interview, site

__all__ = ["browser", "site"]

DARK_BG = "rgb(17, 17, 19)"
LIGHT_BG = "rgb(247, 247, 248)"


async def page_with(browser: Any, scheme: str, width: int = 1280) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": 800}, color_scheme=scheme
    )
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.add_init_script("window.__events = []")
    return page


async def look(page: Page) -> dict[str, str]:
    return await page.evaluate(
        """() => ({
            theme: document.documentElement.dataset.theme,
            page: getComputedStyle(document.body).backgroundColor,
            editor: getComputedStyle(document.querySelector('.cm-editor') || document.body)
                .backgroundColor,
            font: getComputedStyle(document.querySelector('.cm-scroller') || document.body)
                .fontSize,
        })"""
    )


async def open_view_menu(page: Page) -> None:
    await page.get_by_role("button", name="View settings").click()
    await expect(page.get_by_role("group", name="View settings")).to_be_visible()


async def test_a_dark_system_gets_a_dark_room_until_the_person_picks_light(site, browser):
    page = await page_with(browser, "dark")
    await create_interview(page, site.base)
    dark = await look(page)
    assert dark["theme"] == "dark" and dark["page"] == DARK_BG
    assert dark["editor"] == "rgb(40, 44, 52)"  # CodeMirror's One Dark
    await page.screenshot(path=artifact("room-dark-1280.png"))
    await open_view_menu(page)
    await page.get_by_label("Theme").select_option("light")
    light = await look(page)
    assert light["theme"] == "light" and light["page"] == LIGHT_BG
    assert light["editor"] != dark["editor"]
    await page.screenshot(path=artifact("room-light-1280.png"))
    # The choice outlives the page, over the system's preference.
    await page.reload()
    await page.wait_for_selector(".cm-content")
    assert (await look(page))["theme"] == "light"
    # Back to the system's: dark again.
    await open_view_menu(page)
    await page.get_by_label("Theme").select_option("system")
    assert (await look(page))["page"] == DARK_BG


async def test_a_light_system_gets_a_light_home_page(site, browser):
    page = await page_with(browser, "light")
    await page.goto(site.base + "/")
    await page.wait_for_selector("text=Create interview")
    assert (await look(page))["page"] == LIGHT_BG
    dark = await page_with(browser, "dark")
    await dark.goto(site.base + "/")
    await dark.wait_for_selector("text=Create interview")
    assert (await look(dark))["page"] == DARK_BG
    await dark.screenshot(path=artifact("home-dark-1280.png"))


async def test_the_font_size_steps_within_bounds_and_is_remembered(site, browser):
    page = await page_with(browser, "light")
    await create_interview(page, site.base)
    assert (await look(page))["font"] == "14px"
    await open_view_menu(page)
    larger = page.get_by_role("button", name="Larger text")
    await larger.click()
    await larger.click()
    assert (await look(page))["font"] == "16px"
    await expect(page.get_by_label("Font size")).to_have_text("16 px")
    await page.reload()
    await page.wait_for_selector(".cm-content")
    assert (await look(page))["font"] == "16px"
    await open_view_menu(page)
    smaller = page.get_by_role("button", name="Smaller text")
    for _ in range(10):
        if await smaller.is_disabled():
            break
        await smaller.click()
    assert (await look(page))["font"] == "11px" and await smaller.is_disabled()


async def test_the_view_menu_works_from_the_keyboard_and_fits_a_phone(site, browser):
    page = await page_with(browser, "dark", width=390)
    await create_interview(page, site.base)
    toggle = page.get_by_role("button", name="View settings")
    await toggle.focus()
    await page.keyboard.press("Enter")
    theme = page.get_by_label("Theme")
    await expect(theme).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("group", name="View settings")).to_be_hidden()
    await expect(toggle).to_be_focused()
    await page.screenshot(path=artifact("room-dark-390.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    box = await toggle.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


async def test_the_shortcuts_sheet_opens_with_a_question_mark_but_not_while_typing(site, browser):
    page = await page_with(browser, "light")
    await create_interview(page, site.base)
    sheet = page.get_by_role("dialog", name="Keyboard shortcuts")
    # In the editor "?" is a character of the code.
    await page.locator(".cm-content").click()
    await page.keyboard.press("End")
    await page.keyboard.type("?")
    await expect(sheet).to_be_hidden()
    assert "?" in await page.locator(".cm-content").inner_text()
    # Elsewhere it opens the sheet, which lists the run shortcuts; Escape gives focus back.
    run = page.get_by_role("button", name="Run", exact=True)
    await run.focus()
    await page.keyboard.press("?")
    await expect(sheet).to_be_visible()
    await expect(sheet).to_contain_text("Ctrl/Cmd + Shift + Enter")
    await page.screenshot(path=artifact("room-shortcuts-1280.png"))
    await page.keyboard.press("Escape")
    await expect(sheet).to_be_hidden()
    await expect(run).to_be_focused()
    # And from the View menu.
    await open_view_menu(page)
    await page.get_by_role("button", name="Keyboard shortcuts (?)").click()
    await expect(sheet).to_be_visible()
    await page.get_by_role("button", name="Close").click()
    await expect(sheet).to_be_hidden()

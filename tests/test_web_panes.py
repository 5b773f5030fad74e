"""Resizing the room's panes: the line between the editor and the side panel drags (or
moves with the arrow keys), the width is kept per browser, and on a phone, where the
panes stack, there is nothing to drag."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser import artifact
from tests.test_web_app import browser, create_interview, new_page, site

__all__ = ["browser", "site"]


async def side_width(page: Page) -> float:
    box = await page.locator(".side").bounding_box()
    assert box is not None
    return box["width"]


async def test_the_side_panel_is_resized_by_dragging_and_by_keys_and_remembered(site, browser):
    page = await new_page(browser, width=1280, height=800)
    await create_interview(page, site.base)
    handle = page.get_by_role("separator", name="Resize the side panel")
    await expect(handle).to_be_visible()
    before = await side_width(page)
    box = await handle.bounding_box()
    assert box is not None
    # The handle sits on the line between the editor and the side panel.
    side_box = await page.locator(".side").bounding_box()
    assert side_box is not None and abs(box["x"] + box["width"] / 2 - side_box["x"]) <= 2
    x, y = box["x"] + box["width"] / 2, box["y"] + 200
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x - 150, y, steps=5)
    await page.mouse.up()
    dragged = await side_width(page)
    assert abs(dragged - (before + 150)) <= 3, (before, dragged)
    await page.screenshot(path=artifact("room-resized-1280.png"))
    # The arrow keys move it by 16 px; it never goes past its bounds.
    await handle.focus()
    await page.keyboard.press("ArrowLeft")
    assert abs(await side_width(page) - (dragged + 16)) <= 2
    for _ in range(80):
        await page.keyboard.press("ArrowRight")
    assert abs(await side_width(page) - 260) <= 2
    await page.keyboard.press("ArrowLeft")
    kept = await side_width(page)
    await page.reload()
    await page.wait_for_selector(".cm-content")
    await expect(handle).to_be_visible()
    assert abs(await side_width(page) - kept) <= 2


async def test_a_phone_has_no_handle_to_drag(site, browser):
    page = await new_page(browser, width=390, height=844)
    await create_interview(page, site.base)
    await expect(page.get_by_role("separator", name="Resize the side panel")).to_be_hidden()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

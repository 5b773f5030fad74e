"""The room on a phone, 390 px wide: no sideways scroll, every control on screen, the title
readable, and the time left on one line."""

from __future__ import annotations

from tests.browser import artifact
from tests.test_web_app import browser, create_interview, new_page, site

__all__ = ["browser", "site"]


async def test_the_room_fits_a_390_px_screen(site, browser):
    page = await new_page(browser, width=390, height=844)
    await create_interview(page, site.base)
    await page.wait_for_selector(".time-left:not(:empty)")
    await page.screenshot(path=artifact("room-390.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    end = await page.get_by_role("button", name="End interview").bounding_box()
    assert end is not None and end["x"] >= 0 and end["x"] + end["width"] <= 390
    title = page.locator(".topbar .title")
    assert await title.inner_text() == "Arrays and hashing"
    assert await title.evaluate("e => e.scrollWidth <= e.clientWidth")  # not cut
    # One line: less tall than two lines of its own font.
    assert await page.locator(".time-left").evaluate(
        "e => e.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(e).fontSize)"
    )


async def test_the_room_at_1440_px_keeps_its_side_panel_beside_the_editor(site, browser):
    page = await new_page(browser, width=1440, height=900)
    await create_interview(page, site.base)
    await page.screenshot(path=artifact("room-1440.png"))
    editor = await page.locator(".editor").bounding_box()
    side = await page.locator(".side").bounding_box()
    assert editor is not None and side is not None
    assert side["x"] >= editor["x"] + editor["width"] - 1
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1440

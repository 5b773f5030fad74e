"""The interview timer in the room: the interviewer starts and pauses it, the candidate
sees the same time tick and has no controls, and a reload shows where it stands."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser import artifact
from tests.test_web_app import browser, create_interview, join_as, new_page, site

__all__ = ["browser", "site"]


def seconds(text: str) -> int:
    parts = [int(part) for part in text.split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


async def test_the_interviewer_runs_the_clock_and_the_candidate_sees_it(site, browser):
    interviewer = await new_page(browser)
    links = await create_interview(interviewer, site.base)
    candidate = await new_page(browser)
    await join_as(candidate, links["candidate"], "Cam Candidate")
    clock_i = interviewer.get_by_role("timer", name="Interview time")
    clock_c = candidate.get_by_role("timer", name="Interview time")
    await expect(clock_c).to_have_text("0:00")
    # Only interviewers hold the controls.
    assert await candidate.get_by_role("button", name="Start timer").count() == 0

    await interviewer.get_by_role("button", name="Start timer").click()
    await expect(interviewer.get_by_role("button", name="Pause timer")).to_be_visible()
    # The candidate's clock runs from the event, without a reload.
    await expect(clock_c).to_have_text(re.compile(r"^0:0[2-9]$"), timeout=6_000)
    await interviewer.get_by_role("button", name="Pause timer").click()
    await expect(interviewer.get_by_role("button", name="Start timer")).to_be_visible()
    await candidate.wait_for_timeout(300)
    stopped = seconds(await clock_c.inner_text())
    await candidate.wait_for_timeout(1_500)
    assert seconds(await clock_c.inner_text()) == stopped >= 2
    assert abs(seconds(await clock_i.inner_text()) - stopped) <= 1
    await candidate.screenshot(path=artifact("room-timer-candidate.png"))

    # A reload reads it back; reset takes it to zero for everyone.
    await candidate.reload()
    await expect(candidate.get_by_role("timer", name="Interview time")).to_have_text(
        f"0:{stopped:02d}"
    )
    await interviewer.get_by_role("button", name="Reset timer").click()
    await expect(candidate.get_by_role("timer", name="Interview time")).to_have_text("0:00")

"""The people list in the web app: who is in the interview, as the interviewer sees it."""

from __future__ import annotations

from playwright.async_api import expect

from tests.conftest import bearer
from tests.test_web_app import browser, create_interview, join_as, new_page, site

__all__ = ["browser", "site"]


async def test_a_removed_candidate_leaves_the_interviewers_people_list(site, browser, client):
    interviewer = await new_page(browser)
    links = await create_interview(interviewer, site.base)
    candidate = await new_page(browser)
    await join_as(candidate, links["candidate"], "Cam Candidate")
    people = interviewer.locator("ul.people")
    await expect(people).to_contain_text("Cam Candidate")

    seat = await candidate.evaluate("window.duet.seat")
    session_id = await candidate.evaluate("window.duet.session.id")
    token = await interviewer.evaluate("window.duet.seat.token")
    response = await client.delete(
        f"/api/v1/sessions/{session_id}/participants/{seat['user']['id']}", headers=bearer(token)
    )
    assert response.status == 204

    await expect(people).not_to_contain_text("Cam Candidate")
    await expect(people).to_contain_text("Ivy Interviewer")

"""Questions with hidden tests in a real browser: an interviewer signs in, picks a question
from the bank and creates the interview; the room shows the prompt, the question's starters
follow the language, the candidate runs the tests and sees visible tests whole but hidden
ones as passed or failed only, and the interviewer sees the hidden tests and the score. The
bank page loads the examples; the editor saves a question with a hidden test and tries a
reference solution; the API's errors show on the page."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from tests.accounts_helpers import PASSWORD
from tests.browser import artifact
from tests.test_web_app import browser, join_as, new_page, record_events, site
from tests.test_web_run_console import set_code

__all__ = ["browser", "site"]

# The hidden test's data: none of it may reach the candidate's page.
HIDDEN_STDIN = "987654 123456\n"
HIDDEN_EXPECTED = "1111110\n"
QUESTION = {
    "title": "Add two numbers",
    "prompt": "# Add two numbers\n\nRead `a` and `b` on one line and print **a + b**.",
    "difficulty": "easy",
    "tags": ["math", "warmup"],
    "starters": {
        "python": "a, b = map(int, input().split())\n# print the sum\n",
        "javascript": "// read a and b from stdin and print their sum\n",
    },
    "tests": [
        {"name": "small", "stdin": "1 2\n", "expectedStdout": "3\n"},
        {"name": "negative", "stdin": "-4 10\n", "expectedStdout": "6\n"},
        {
            "name": "large",
            "stdin": HIDDEN_STDIN,
            "expectedStdout": HIDDEN_EXPECTED,
            "hidden": True,
            "weight": 2,
        },
    ],
    "interviewerNotes": "Watch for the sign of the numbers.",
}
# Passes "small" only: "negative" prints -40, the hidden test 121931812224.
PARTLY_RIGHT = (
    "a, b = map(int, input().split())\nprint(a + b if 0 < a < 1000 else a * b)\n"
)
HIDDEN_ACTUAL = str(987654 * 123456)
# All a candidate sees of the hidden test: its number, the outcome, the time it took.
HIDDEN_FAILED = re.compile(r"^Hidden test 3: failed( · [\d.]+ m?s)?$")


async def api_call(base: str, method: str, path: str, token: str | None = None,
                   body: Any = None) -> Any:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        async with http.request(method, base + "/api/v1" + path, json=body,
                                headers=headers) as response:  # fmt: skip
            payload = await response.json()
            assert response.status < 300, payload
            return payload


async def an_account(base: str, username: str) -> str:
    """Register `username`; return its access token."""
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    return (await api_call(base, "POST", "/auth/register", body=body))["access_token"]


async def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.get_by_label("Username or email").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.locator("form.sign-in button[type=submit]").click()


async def test_an_interview_from_the_bank_with_hidden_tests(site, browser):
    access = await an_account(site.base, "ivy")
    question = (await api_call(site.base, "POST", "/questions", access, QUESTION))["data"]
    # Another question, for the search to leave out.
    other = {**QUESTION, "title": "Reverse a list", "tags": ["lists"], "prompt": "x"}
    await api_call(site.base, "POST", "/questions", access, other)

    interviewer = await new_page(browser)
    await interviewer.goto(site.base + "/")
    await interviewer.get_by_role("button", name="Sign in").click()
    await sign_in(interviewer, "ivy")
    await expect(interviewer.locator(".account-bar")).to_contain_text("Signed in as ivy")
    picker = interviewer.locator(".question-picker")
    await expect(picker.get_by_role("radio")).to_have_count(3)  # none, and the two questions
    await interviewer.get_by_label("Tag").fill("math")
    await expect(picker.get_by_role("radio")).to_have_count(2)
    await expect(picker).not_to_contain_text("Reverse a list")
    await interviewer.get_by_label("Tag").fill("")
    await interviewer.get_by_label("Search questions").fill("two numbers")
    await expect(picker.get_by_role("radio")).to_have_count(2)
    await picker.get_by_role("radio", name="Add two numbers").check()
    await expect(picker).to_contain_text("3 tests (2 visible, 1 hidden)")
    await interviewer.get_by_label("Your name").fill("Ivy Interviewer")
    await interviewer.screenshot(path=artifact("home-signed-in.png"))
    await interviewer.get_by_role("button", name="Create interview").click()
    await expect(interviewer.locator(".created h1")).to_have_text("Add two numbers")
    candidate_link = await interviewer.locator("[data-role=candidate] input.link").input_value()
    await interviewer.locator("#open-room").click()
    await interviewer.wait_for_selector(".cm-content")
    await record_events(interviewer)

    # The room: the prompt (as the server rendered it), the starter, the notes for the
    # interviewer, and the Tests tab.
    pane = interviewer.locator(".prompt-pane")
    await expect(pane.locator(".prompt-title")).to_have_text("Add two numbers")
    await expect(pane.locator(".prompt-body strong")).to_have_text("a + b")
    await expect(pane.locator(".interviewer-notes")).to_contain_text("sign of the numbers")
    session_id = await interviewer.evaluate("window.duet.session.id")
    pinned = await api_call(site.base, "GET", f"/sessions/{session_id}/question", access)
    assert pinned["data"]["id"] == question["id"]
    await interviewer.wait_for_function(
        "s => window.duet.doc.getText('code').toString() === s", arg=QUESTION["starters"]["python"]
    )

    # The question's starters follow the language (untouched code: no dialog), and the
    # built-in starter is used for a language the question has none for.
    await interviewer.get_by_label("Language", exact=True).select_option("javascript")
    await interviewer.wait_for_function(
        "s => window.duet.doc.getText('code').toString() === s",
        arg=QUESTION["starters"]["javascript"],
    )
    await expect(interviewer.locator("dialog")).to_have_count(0)
    await interviewer.get_by_label("Language", exact=True).select_option("python")
    await interviewer.wait_for_function(
        "s => window.duet.doc.getText('code').toString() === s", arg=QUESTION["starters"]["python"]
    )

    candidate = await new_page(browser, 1366, 768)
    await join_as(candidate, candidate_link, "Cam Candidate")
    await expect(candidate.locator(".prompt-pane .prompt-title")).to_have_text("Add two numbers")
    await expect(candidate.locator(".interviewer-notes")).to_have_count(0)
    await candidate.locator("[data-tab=tests]").click()
    hidden = candidate.locator(".test-result[data-index='2']")
    await expect(hidden).to_have_text("Hidden test 3: not run yet")

    # The candidate runs the tests from the editor with Ctrl+Shift+Enter.
    await set_code(candidate, PARTLY_RIGHT)
    await candidate.locator(".cm-content").click()
    await candidate.keyboard.press("Control+Shift+Enter")
    await expect(candidate.locator(".tests-summary")).to_contain_text("1 of 3 tests passed")
    await expect(candidate.locator(".test-result[data-index='0']")).to_contain_text(
        "Test 1 · small: passed"
    )
    negative = candidate.locator(".test-result[data-index='1']")
    await expect(negative.locator(".test-outcome")).to_have_text("failed (wrong answer)")
    await expect(negative.locator(".test-stdin")).to_have_text("-4 10\n")
    await expect(negative.locator(".test-expected")).to_have_text("6\n")
    await expect(negative.locator(".test-actual")).to_have_text("-40\n")
    await expect(negative.locator(".test-diff .diff-missing")).to_have_text("- 6\n")
    await expect(negative.locator(".test-diff .diff-extra")).to_have_text("+ -40\n")
    await expect(hidden).to_have_text(HIDDEN_FAILED)
    await expect(hidden.locator(".test-details")).to_have_count(0)
    await expect(candidate.locator(".tests-score")).to_have_count(0)
    await candidate.screenshot(path=artifact("tests-candidate.png"))
    page_text = await candidate.content()
    for secret in (HIDDEN_STDIN.strip(), HIDDEN_EXPECTED.strip(), HIDDEN_ACTUAL):
        assert secret not in page_text, secret

    # The interviewer sees the same run with the hidden test whole, and the score.
    await interviewer.locator("[data-tab=tests]").click()
    await expect(interviewer.locator(".tests-summary")).to_contain_text("1 of 3 tests passed")
    await expect(interviewer.locator(".tests-score")).to_have_text("Score 25%")
    shown = interviewer.locator(".test-result[data-index='2']")
    await expect(shown.locator(".test-name")).to_have_text("Hidden test 3 · large: ")
    await expect(shown.locator(".test-stdin")).to_have_text(HIDDEN_STDIN)
    await expect(shown.locator(".test-expected")).to_have_text(HIDDEN_EXPECTED)
    await expect(shown.locator(".test-actual")).to_have_text(HIDDEN_ACTUAL + "\n")
    await interviewer.screenshot(path=artifact("tests-interviewer.png"))

    # After a reload the candidate gets the latest run back, still without hidden data.
    await candidate.reload()
    await candidate.wait_for_selector(".cm-content")
    await candidate.locator("[data-tab=tests]").click()
    await expect(candidate.locator(".tests-summary")).to_contain_text("1 of 3 tests passed")
    await expect(candidate.locator(".test-result[data-index='2']")).to_have_text(HIDDEN_FAILED)
    assert HIDDEN_ACTUAL not in await candidate.content()


async def test_the_bank_page_loads_the_examples_and_searches(site, browser):
    await an_account(site.base, "bank_owner")
    page = await new_page(browser)
    await page.goto(site.base + "/questions")
    await sign_in(page, "bank_owner")
    await expect(page.locator(".bank-list")).to_contain_text("The bank is empty")
    await page.get_by_role("button", name="Add the example questions").click()
    await expect(page.locator(".notice")).to_contain_text("3 of 3 example questions")
    items = page.locator(".bank-item")
    await expect(items).to_have_count(3)
    for title in ("Two sum", "Balanced brackets", "Interval merge"):
        await expect(page.locator(".bank-list")).to_contain_text(title)
    await page.get_by_label("Search questions").fill("brackets")
    await expect(items).to_have_count(1)
    await expect(items).to_contain_text("Balanced brackets")
    await page.get_by_label("Difficulty").select_option("medium")
    await expect(page.locator(".bank-list")).to_contain_text("No question matches.")
    await page.get_by_label("Search questions").fill("")
    await expect(items).to_have_count(1)
    await expect(items).to_contain_text("Interval merge")
    await page.screenshot(path=artifact("bank.png"))
    # A second click creates nothing more.
    await page.get_by_role("button", name="Add the example questions").click()
    await expect(page.locator(".notice")).to_contain_text("0 of 3 example questions")


async def test_the_editor_saves_a_question_with_a_hidden_test_and_tries_a_solution(site, browser):
    access = await an_account(site.base, "author")
    page = await new_page(browser)
    await page.goto(site.base + "/questions/new")
    await sign_in(page, "author")
    await page.get_by_label("Title").fill("Reverse a line")
    await page.get_by_label("Tags (comma-separated)").fill("strings, Warmup")
    await page.get_by_label("Difficulty").select_option("hard")
    await page.get_by_label("Prompt (Markdown)").fill(
        "# Reverse\n\nPrint the line **reversed**. <script>alert(1)</script>"
    )
    # The live preview is the server's rendering: markup made, the script only text.
    preview = page.locator(".preview-body")
    await expect(preview.locator("strong")).to_have_text("reversed")
    await expect(preview.locator("h1")).to_have_text("Reverse")
    await expect(preview.locator("script")).to_have_count(0)
    await expect(preview).to_contain_text("<script>alert(1)</script>")

    await page.get_by_label("Test 1 name").fill("short")
    await page.get_by_label("Test 1 stdin").fill("abc\n")
    await page.get_by_label("Test 1 expected stdout").fill("cba\n")
    await page.get_by_role("button", name="Add a test").click()
    await page.get_by_label("Test 2 name").fill("secret")
    await page.get_by_label("Test 2 stdin").fill("stressed\n")
    await page.get_by_label("Test 2 expected stdout").fill("desserts\n")
    await page.get_by_label("Test 2 hidden").check()
    await page.get_by_label("Test 2 weight").fill("3")
    await page.locator(".code-text").first.fill("line = input()\n")
    await page.get_by_role("button", name="Save question").click()
    await expect(page.locator(".notice")).to_have_text("Saved: version 1.")
    question_id = page.url.rsplit("/", 1)[1]
    saved = (await api_call(site.base, "GET", f"/questions/{question_id}", access))["data"]
    assert saved["title"] == "Reverse a line" and saved["difficulty"] == "hard"
    assert saved["tags"] == ["strings", "warmup"]
    assert saved["starters"] == {"python": "line = input()\n"}
    assert [(t["name"], t["hidden"], t["weight"]) for t in saved["tests"]] == [
        ("short", False, 1.0), ("secret", True, 3.0),
    ]  # fmt: skip
    assert saved["tests"][1]["expectedStdout"] == "desserts\n"

    # Try a reference solution: every result, the hidden one whole (this is its author).
    await page.get_by_label("Reference solution").fill("print(input()[::-1])\n")
    await page.get_by_role("button", name="Run the tests").click()
    await expect(page.locator(".trial-summary")).to_have_text("2 of 2 tests passed · score 100%")
    results = page.locator(".trial-results .test-result")
    await expect(results).to_have_count(2)
    await expect(results.nth(1)).to_contain_text("Hidden test 2 · secret: passed")
    await expect(results.nth(1).locator(".test-actual")).to_have_text("desserts\n")
    # A wrong one fails, with the diff.
    await page.get_by_label("Reference solution").fill("print(input())\n")
    await page.get_by_role("button", name="Run the tests").click()
    await expect(page.locator(".trial-summary")).to_have_text("0 of 2 tests passed · score 0%")
    await expect(results.nth(0).locator(".diff-missing")).to_have_text("- cba\n")
    await expect(results.nth(0).locator(".diff-extra")).to_have_text("+ abc\n")
    await page.screenshot(path=artifact("question-editor.png"))

    # Saved again: a new version; the page reloaded shows it.
    await page.get_by_label("Title").fill("Reverse one line")
    await page.get_by_role("button", name="Save question").click()
    await expect(page.locator(".notice")).to_have_text("Saved: version 2.")
    await page.reload()
    await expect(page.get_by_label("Title")).to_have_value("Reverse one line")
    await expect(page.get_by_label("Test 2 hidden")).to_be_checked()
    await expect(page.locator(".question-version")).to_have_text("version 2 of 2")


async def test_api_errors_show_on_the_page(site, browser):
    await an_account(site.base, "errs")
    page = await new_page(browser)
    await page.goto(site.base + "/questions/new")
    await sign_in(page, "errs", "not the password")
    await expect(page.locator("form.sign-in .error")).to_have_text("Invalid credentials")
    await sign_in(page, "errs")
    await page.get_by_label("Title").fill("Weightless")
    await page.get_by_label("Test 1 expected stdout").fill("x\n")
    await page.get_by_label("Test 1 weight").fill("0")
    await page.get_by_role("button", name="Save question").click()
    alert = page.locator(".question-form > .error")
    await expect(alert).to_contain_text("'tests.0.weight'")
    await expect(page.locator(".notice")).to_have_text("")
    # Trying a solution with no tests at all: the server's 400, named, on the page.
    await page.get_by_role("button", name="Remove").last.click()
    await page.get_by_label("Reference solution").fill("print(1)\n")
    await page.get_by_role("button", name="Run the tests").click()
    await expect(page.locator(".trial-error")).to_contain_text("'tests'")
    # A question of no bank of ours.
    await page.goto(site.base + "/questions/00000000-0000-4000-8000-000000000000")
    await expect(page.locator(".question-form > .error")).to_have_text(
        "This question is not in your organization's bank (or it was deleted)."
    )


async def test_a_question_set_during_the_interview_appears_and_a_test_run_stops(site, browser):
    access = await an_account(site.base, "midway")
    question = (await api_call(site.base, "POST", "/questions", access, QUESTION))["data"]
    page = await new_page(browser)
    await page.goto(site.base + "/")
    await page.get_by_role("button", name="Sign in").click()
    await sign_in(page, "midway")
    await expect(page.locator(".question-picker")).to_contain_text("Add two numbers")
    await page.get_by_label("Your name").fill("Ivy Interviewer")
    await page.get_by_label("Title", exact=True).fill("Open pairing")
    await page.get_by_role("button", name="Create interview").click()
    await page.locator("#open-room").click()
    await page.wait_for_selector(".cm-content")
    # No question yet: no prompt pane (nor its handle), no Tests tab.
    await expect(page.locator(".prompt-pane")).to_be_hidden()
    await expect(page.get_by_role("separator", name="Resize the question pane")).to_be_hidden()
    await expect(page.locator("[data-tab=tests]")).to_be_hidden()
    session_id = await page.evaluate("window.duet.session.id")
    await api_call(site.base, "PUT", f"/sessions/{session_id}/question", access,
                   {"questionId": question["id"]})  # fmt: skip
    await expect(page.locator(".prompt-pane .prompt-title")).to_have_text("Add two numbers")
    await expect(page.locator("[data-tab=tests]")).to_be_visible()
    # The question pane came with its handle: its line drags like the side panel's.
    handle = page.get_by_role("separator", name="Resize the question pane")
    await expect(handle).to_be_visible()
    pane = page.locator(".prompt-pane")
    before = (await pane.bounding_box())["width"]  # type: ignore[index]
    box = await handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + 100
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + 80, y, steps=4)
    await page.mouse.up()
    after = (await pane.bounding_box())["width"]  # type: ignore[index]
    assert abs(after - (before + 80)) <= 3, (before, after)

    await set_code(page, "import time\ntime.sleep(30)\n")
    await page.locator("[data-tab=tests]").click()
    await page.get_by_role("button", name="Run tests").click()
    await expect(page.locator(".tests-summary")).to_contain_text("Running 3 tests")
    await page.get_by_role("button", name="Stop").click()
    await expect(page.locator(".tests-summary")).to_contain_text("stopped")
    await expect(page.locator(".test-result[data-index='0'] .test-outcome")).to_have_text(
        "failed (stopped)"
    )
    await expect(page.get_by_role("button", name="Run tests")).to_be_enabled()
    await expect(page.get_by_role("button", name="Stop")).to_be_hidden()
    # Cmd+Shift+Enter (a Mac's shortcut) runs them too, from the editor.
    await page.locator(".cm-content").click()
    await page.keyboard.press("Meta+Shift+Enter")
    await expect(page.locator(".tests-summary")).to_contain_text("Running 3 tests")
    await page.get_by_role("button", name="Stop").click()
    await expect(page.locator(".tests-summary")).to_contain_text("stopped")

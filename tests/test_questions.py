"""The question bank: an organization's questions with their tests, versioned, with the
prompt's Markdown rendered safe, readable and writable by the organization alone."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest

from server.app import create_app
from tests.accounts_helpers import api_token, register
from tests.conftest import bearer, create_room, expect_error

TWO_SUM = {
    "title": "Two sum",
    "prompt": "# Two sum\n\nGiven `nums` and `target`, print the two **indices**.",
    "difficulty": "easy",
    "tags": ["Arrays", "hashing"],
    "starters": {"python": "def solve(nums, target):\n    pass\n", "go": "package main\n"},
    "tests": [
        {"name": "example", "stdin": "2 7 11 15\n9\n", "expectedStdout": "0 1\n"},
        {
            "name": "large",
            "stdin": "1 2\n3\n",
            "expectedStdout": "0 1\n",
            "hidden": True,
            "timeoutMs": 2000,
            "weight": 2,
        },
    ],
    "compare": "tokens",
    "harness": {"python": "import sys\nprint(*solve(*sys.stdin.read().split()))\n"},
    "interviewerNotes": "Ask about the O(n) solution.",
}


class Elements(HTMLParser):
    """Every start tag of an HTML fragment, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))


@pytest.fixture
async def client(aiohttp_client, settings):
    # The production code limit (1 MiB), so a body can carry a 1 MiB expected output.
    return await aiohttp_client(create_app(settings.model_copy(update={"max_code_bytes": 1 << 20})))


async def add(client, headers, **changes):
    response = await client.post("/api/v1/questions", json={**TWO_SUM, **changes}, headers=headers)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]


async def test_a_question_is_stored_whole_and_read_back_with_every_test(client):
    owner = await register(client)
    question = await add(client, owner.headers)
    assert question["version"] == question["latestVersion"] == 1
    assert question["title"] == "Two sum" and question["difficulty"] == "easy"
    assert question["tags"] == ["arrays", "hashing"]
    assert question["starters"] == TWO_SUM["starters"]
    assert question["harness"] == TWO_SUM["harness"]
    assert question["interviewerNotes"] == "Ask about the O(n) solution."
    assert question["tests"] == [
        {"name": "example", "stdin": "2 7 11 15\n9\n", "expectedStdout": "0 1\n",
         "hidden": False, "timeoutMs": 5000, "weight": 1.0},
        {"name": "large", "stdin": "1 2\n3\n", "expectedStdout": "0 1\n", "hidden": True,
         "timeoutMs": 2000, "weight": 2.0},
    ]  # fmt: skip
    assert question["promptHtml"].startswith("<h1>Two sum</h1>")
    assert "<strong>indices</strong>" in question["promptHtml"]
    read = await client.get(f"/api/v1/questions/{question['id']}", headers=owner.headers)
    assert (await read.json())["data"] == question


async def test_the_prompt_is_rendered_without_scripts_handlers_or_javascript_links(client):
    owner = await register(client)
    hostile = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3)) [ok](https://example.com)\n\n"
        '<a href="javascript:alert(4)" onclick="alert(5)">x</a>'
    )
    html = (await add(client, owner.headers, prompt=hostile))["promptHtml"]
    elements = Elements()
    elements.feed(html)
    # The hostile markup is text now: no script element, no handler, no javascript: link.
    assert "script" not in [tag for tag, _ in elements.seen]
    attributes = [(name, value or "") for _, attrs in elements.seen for name, value in attrs]
    assert not [name for name, _ in attributes if name.startswith("on")]
    assert not [value for name, value in attributes if "javascript:" in value.lower()]
    assert ("a", [("href", "https://example.com"), ("rel", "noopener noreferrer")]) in (
        elements.seen
    )
    assert "&lt;script&gt;" in html


async def test_put_makes_a_new_version_and_the_old_one_stays_readable(client):
    owner = await register(client)
    question = await add(client, owner.headers)
    path = f"/api/v1/questions/{question['id']}"
    changed = {**TWO_SUM, "title": "Two sum, sorted input", "tests": TWO_SUM["tests"][:1]}
    response = await client.put(path, json=changed, headers=owner.headers)
    assert response.status == 200, await response.text()
    second = (await response.json())["data"]
    assert second["version"] == second["latestVersion"] == 2
    assert second["title"] == "Two sum, sorted input" and len(second["tests"]) == 1
    first = (await (await client.get(path + "?version=1", headers=owner.headers)).json())["data"]
    assert first["version"] == 1 and first["latestVersion"] == 2
    assert first["title"] == "Two sum" and len(first["tests"]) == 2
    await expect_error(
        await client.get(path + "?version=3", headers=owner.headers), 404, "QUESTION_NOT_FOUND"
    )
    await expect_error(
        await client.get(path + "?version=zero", headers=owner.headers), 400, "INVALID_REQUEST"
    )


async def test_the_bank_lists_newest_first_with_filters_and_pages(client):
    owner = await register(client)
    hard = await add(client, owner.headers, title="Interval merge", difficulty="hard",
                     tags=["intervals"], prompt="Merge the overlapping intervals.")  # fmt: skip
    brackets = await add(client, owner.headers, title="Balanced brackets", tags=["stacks"],
                         difficulty="easy", prompt="Are the brackets balanced?")  # fmt: skip

    async def listed(query: str = "") -> list[str]:
        response = await client.get(f"/api/v1/questions{query}", headers=owner.headers)
        assert response.status == 200, await response.text()
        return [item["title"] for item in (await response.json())["data"]]

    assert await listed() == ["Balanced brackets", "Interval merge"]
    assert await listed("?difficulty=hard") == ["Interval merge"]
    assert await listed("?tag=STACKS") == ["Balanced brackets"]
    assert await listed("?q=overlapping") == ["Interval merge"]
    assert await listed("?q=100%25") == []
    page = await (await client.get("/api/v1/questions?limit=1", headers=owner.headers)).json()
    assert [item["id"] for item in page["data"]] == [brackets["id"]]
    summary = page["data"][0]
    assert summary["languages"] == ["go", "python"]
    assert summary["testCount"] == 2 and summary["hiddenTestCount"] == 1
    assert "tests" not in summary and "interviewerNotes" not in summary
    rest = await client.get(
        f"/api/v1/questions?limit=1&cursor={page['nextCursor']}", headers=owner.headers
    )
    body = await rest.json()
    assert [item["id"] for item in body["data"]] == [hard["id"]] and body["nextCursor"] is None
    for query in ("?difficulty=impossible", "?cursor=nonsense", "?limit=0"):
        await expect_error(
            await client.get(f"/api/v1/questions{query}", headers=owner.headers),
            400, "INVALID_REQUEST",
        )  # fmt: skip


async def test_a_deleted_question_leaves_the_bank(client):
    owner = await register(client)
    question = await add(client, owner.headers)
    path = f"/api/v1/questions/{question['id']}"
    assert (await client.delete(path, headers=owner.headers)).status == 204
    await expect_error(await client.get(path, headers=owner.headers), 404, "QUESTION_NOT_FOUND")
    await expect_error(await client.delete(path, headers=owner.headers), 404, "QUESTION_NOT_FOUND")
    await expect_error(
        await client.put(path, json=TWO_SUM, headers=owner.headers), 404, "QUESTION_NOT_FOUND"
    )
    listed = await (await client.get("/api/v1/questions", headers=owner.headers)).json()
    assert question["id"] not in [item["id"] for item in listed["data"]]


async def test_who_may_read_and_write_the_bank(client):
    owner = await register(client)
    question = await add(client, owner.headers)
    path = f"/api/v1/questions/{question['id']}"
    writer = bearer(await api_token(client, owner, "sessions:read", "sessions:write"))
    reader = bearer(await api_token(client, owner, "sessions:read"))
    webhooks_only = bearer(await api_token(client, owner, "webhooks:read"))
    by_token = await add(client, writer)
    assert by_token["version"] == 1
    assert (await client.get(path, headers=reader)).status == 200
    assert (await client.get("/api/v1/questions", headers=reader)).status == 200
    await expect_error(
        await client.post("/api/v1/questions", json=TWO_SUM, headers=reader), 403, "FORBIDDEN"
    )
    await expect_error(await client.delete(path, headers=reader), 403, "FORBIDDEN")
    await expect_error(await client.get(path, headers=webhooks_only), 403, "FORBIDDEN")
    # A participant, a candidate above all, never reaches hidden tests through the bank.
    room = await create_room(client)
    await expect_error(await client.get(path, headers=bearer(room.token)), 403, "FORBIDDEN")
    await expect_error(
        await client.get("/api/v1/questions", headers=bearer(room.token)), 403, "FORBIDDEN"
    )
    await expect_error(await client.get(path), 401, "UNAUTHORIZED")
    # Another organization's question does not exist for it.
    stranger = await register(client)
    await expect_error(await client.get(path, headers=stranger.headers), 404, "QUESTION_NOT_FOUND")
    await expect_error(
        await client.put(path, json=TWO_SUM, headers=stranger.headers), 404, "QUESTION_NOT_FOUND"
    )
    await expect_error(
        await client.delete(path, headers=stranger.headers), 404, "QUESTION_NOT_FOUND"
    )
    mine = await (await client.get("/api/v1/questions", headers=stranger.headers)).json()
    assert mine["data"] == []
    await expect_error(
        await client.get(f"/api/v1/questions/{uuid.uuid4()}", headers=owner.headers),
        404, "QUESTION_NOT_FOUND",
    )  # fmt: skip
    await expect_error(
        await client.get("/api/v1/questions/not-a-uuid", headers=owner.headers),
        400, "INVALID_REQUEST",
    )  # fmt: skip


def _test(**changes):
    return {"name": "t", "stdin": "", "expectedStdout": "x", **changes}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"prompt": "a" * (100 * 1024 + 1)}, "prompt"),
        ({"tests": [_test(name=f"t{i}") for i in range(201)]}, "tests"),
        ({"tests": [_test(expectedStdout="x" * (1024 * 1024 + 1))]}, "tests.0.expectedStdout"),
        ({"starters": {"cobol": "IDENTIFICATION DIVISION."}}, "starters.cobol"),
        ({"harness": {"brainfuck": "+"}}, "harness.brainfuck"),
        ({"compare": "fuzzy"}, "compare"),
        ({"compare": "float:"}, "compare"),
        ({"tests": [_test(weight=0)]}, "tests.0.weight"),
        ({"tests": [_test(weight=-1)]}, "tests.0.weight"),
        ({"tests": [_test(timeoutMs=10)]}, "tests.0.timeoutMs"),
        ({"difficulty": "brutal"}, "difficulty"),
        ({"title": ""}, "title"),
        ({"tests": [{"name": "no expected output"}]}, "tests.0.expectedStdout"),
        ({"hiddenTests": []}, "hiddenTests"),
    ],
)
async def test_bad_questions_are_400s_that_name_the_field(client, changes, named):
    owner = await register(client)
    response = await client.post(
        "/api/v1/questions", json={**TWO_SUM, **changes}, headers=owner.headers
    )
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert named in body["error"], body["error"]


async def test_every_compare_mode_is_accepted(client):
    owner = await register(client)
    for mode in ("exact", "trim", "tokens", "float:0.001", "float:1e-6"):
        assert (await add(client, owner.headers, compare=mode))["compare"] == mode


async def test_the_editor_preview_renders_a_prompt_as_a_saved_question_would(client):
    owner = await register(client)
    hostile = "# Title\n\n<script>alert(1)</script> [x](javascript:alert(2)) **bold**"
    response = await client.post(
        "/api/v1/questions/preview", json={"prompt": hostile}, headers=owner.headers
    )
    assert response.status == 200, await response.text()
    preview = (await response.json())["data"]["promptHtml"]
    assert preview == (await add(client, owner.headers, prompt=hostile))["promptHtml"]
    assert "<h1>Title</h1>" in preview and "<strong>bold</strong>" in preview
    assert "<script" not in preview and "href=\"javascript:" not in preview
    # Writers of the bank only: a participant is refused, an oversized prompt named.
    room = await create_room(client)
    await expect_error(
        await client.post("/api/v1/questions/preview", json={"prompt": "x"},
                          headers=bearer(room.token)), 403, "FORBIDDEN",
    )  # fmt: skip
    body = await expect_error(
        await client.post("/api/v1/questions/preview", json={"prompt": "x" * (101 * 1024)},
                          headers=owner.headers), 400, "INVALID_REQUEST",
    )  # fmt: skip
    assert "'prompt'" in body["error"]

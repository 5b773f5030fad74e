"""The three example questions Duet ships (`server/question_examples/`): each is complete,
a reference solution passes every test in every language it is written in, and the bare
starters fail, so the tests can tell a solution from none.

Each test runs as a test run will: in a fresh bubblewrap sandbox, with the test's stdin,
its stdout compared under the question's `compare` mode. Where the language has a
harness, the harness is the program (the language's source file, `main.py` / `main.js`)
and the candidate's code sits beside it as `solution.py` / `solution.js`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from runner.backends import create_local_sandbox
from runner.languages import detect_languages, get_language
from runner.sandbox import NO_SESSION, Sandbox
from schema.models.questions import QuestionRequest, QuestionTest
from schema.models.test_runs import TestResult as Judged
from server.question_files import example_questions
from server.questions import check_languages
from server.test_runs.judge import Suite, judge

EXAMPLES = example_questions()
SOLUTIONS = Path(__file__).parent / "question_solutions"
# The reference solutions: function-style beside a harness, or whole programs.
SOLUTION_FILES = {
    "python": "solution.py", "javascript": "solution.js", "go": "main.go", "cpp": "main.cpp",
    "java": "Main.java",
}  # fmt: skip
STARTER_LANGUAGES = ("python", "javascript", "java", "cpp", "go")
HARNESS_LANGUAGES = ("python", "javascript")
# Runs at once: the compiled languages' compilers are what takes the time.
PARALLEL_RUNS = 2


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sandbox = create_local_sandbox("bubblewrap", standby=PARALLEL_RUNS)
    yield sandbox
    await sandbox.close()


async def require_installed(language: str) -> None:
    info = next(info for info in await detect_languages() if info.name == language)
    if not info.available:
        pytest.skip(f"{language} is not installed on this machine (GET /api/v1/languages)")


async def run_all(
    sandbox: Sandbox, question: QuestionRequest, language: str, code: str,
    tests: Sequence[QuestionTest] | None = None,
) -> list[Judged]:  # fmt: skip
    """The question's tests against `code`, as a test run in an interview runs them."""
    definition = get_language(language)
    suite = Suite(tests or question.tests, question.compare, question.harness)

    async def ignore(_result: Judged) -> None:
        return None

    return await judge(
        sandbox, NO_SESSION, definition, code, suite, definition.limits,
        workers=PARALLEL_RUNS, cancel=asyncio.Event(), on_result=ignore,
    )  # fmt: skip


def test_three_examples_ship_with_the_package():
    assert sorted(EXAMPLES) == ["balanced-brackets", "interval-merge", "two-sum"]
    assert sorted(q.title for q in EXAMPLES.values()) == [
        "Balanced brackets", "Interval merge", "Two sum",
    ]  # fmt: skip


@pytest.mark.parametrize("slug", sorted(EXAMPLES))
def test_each_example_is_a_whole_question(slug):
    question = EXAMPLES[slug]
    check_languages(starters=question.starters, harness=question.harness)
    assert question.prompt.startswith("# ") and "## Input" in question.prompt
    assert "## Output" in question.prompt and "## Example" in question.prompt
    assert question.tags and question.difficulty in ("easy", "medium")
    assert "## Hints" in question.interviewer_notes and "## Rubric" in question.interviewer_notes
    assert question.compare == "trim"
    assert set(STARTER_LANGUAGES) <= set(question.starters)
    assert set(question.harness) == set(HARNESS_LANGUAGES)
    visible = [test for test in question.tests if not test.hidden]
    hidden = [test for test in question.tests if test.hidden]
    assert len(visible) >= 3 and len(hidden) >= 4
    names = [test.name for test in question.tests]
    assert len(set(names)) == len(names)
    # The visible tests include the prompt's own example.
    first = visible[0]
    assert first.stdin.strip() in question.prompt and first.expected_stdout.strip() in (
        question.prompt
    )
    # Function-style where a harness calls the function; whole programs elsewhere.
    for language in HARNESS_LANGUAGES:
        assert "function solve(" in question.starters[language] or (
            "def solve(" in question.starters[language]
        )
    for language in ("java", "cpp", "go"):
        assert "TODO" in question.starters[language]


CASES = [(slug, language) for slug in sorted(EXAMPLES) for language in SOLUTION_FILES]


@pytest.mark.parametrize(("slug", "language"), CASES, ids=[f"{s}-{lang}" for s, lang in CASES])
async def test_the_reference_solution_passes_every_test(sandbox, slug, language):
    await require_installed(language)
    question = EXAMPLES[slug]
    code = (SOLUTIONS / slug / SOLUTION_FILES[language]).read_text()
    results = await run_all(sandbox, question, language, code)
    failed = [
        f"{r.name}: {r.reason} stdout={r.actual[:200]!r} stderr={r.stderr[-500:]!r}"
        for r in results
        if not r.passed
    ]
    assert not failed, "\n".join(failed)


STARTERS = [(slug, language) for slug in sorted(EXAMPLES) for language in STARTER_LANGUAGES]


@pytest.mark.parametrize(("slug", "language"), STARTERS,
                         ids=[f"{s}-{lang}" for s, lang in STARTERS])  # fmt: skip
async def test_the_bare_starter_runs_and_fails_a_test(sandbox, slug, language):
    await require_installed(language)
    question = EXAMPLES[slug]
    # The first visible test is enough: each starter answers it wrongly.
    (result,) = await run_all(
        sandbox, question, language, question.starters[language], question.tests[:1]
    )
    assert not result.passed, result.actual
    # A starter is a skeleton to fill in, not broken code: it compiles.
    assert result.reason != "compile_error", result.stderr

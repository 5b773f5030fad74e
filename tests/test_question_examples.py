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
import dataclasses
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runner.backends import create_local_sandbox
from runner.job import RunJob
from runner.languages import detect_languages, get_language
from runner.limits import RunResult
from runner.sandbox import NO_SESSION, Sandbox
from schema.models.questions import QuestionRequest, QuestionTest
from server.question_files import example_questions
from server.questions import check_languages

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


def outputs_match(compare: str, actual: str, expected: str) -> bool:
    """The question's compare modes, as the README defines them."""
    if compare == "exact":
        return actual == expected
    if compare == "trim":

        def lines(text: str) -> list[str]:
            return [line.rstrip() for line in text.rstrip().split("\n")]

        return lines(actual) == lines(expected)
    if compare == "tokens":
        return actual.split() == expected.split()
    tolerance = float(compare.removeprefix("float:"))
    got, want = actual.split(), expected.split()
    if len(got) != len(want):
        return False
    for a, b in zip(got, want, strict=True):
        try:
            if not math.isclose(float(a), float(b), rel_tol=tolerance, abs_tol=tolerance):
                return False
        except ValueError:
            if a != b:
                return False
    return True


def test_outputs_match_follows_each_compare_mode():
    assert outputs_match("trim", "0 1  \n\n", "0 1\n")
    assert not outputs_match("trim", "0  1\n", "0 1\n")
    assert outputs_match("tokens", "0\n1", "0 1\n")
    assert not outputs_match("exact", "0 1", "0 1\n")
    assert outputs_match("float:1e-6", "0.3333333", "0.33333333\n")
    assert not outputs_match("float:1e-6", "0.33", "0.3333\n")


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sandbox = create_local_sandbox("bubblewrap", standby=PARALLEL_RUNS)
    yield sandbox
    await sandbox.close()


async def require_installed(language: str) -> None:
    info = next(info for info in await detect_languages() if info.name == language)
    if not info.available:
        pytest.skip(f"{language} is not installed on this machine (GET /api/v1/languages)")


def job_for(question: QuestionRequest, language: str, code: str, test: QuestionTest,
            collect: list[tuple[str, bytes]]) -> RunJob:  # fmt: skip
    """The run a test run makes: the harness as the program and the code beside it as
    `solution.<suffix>`, or the code itself where the language has no harness."""
    definition = get_language(language)

    async def on_output(stream: str, data: bytes) -> None:
        collect.append((stream, data))

    # The test's own time limit, compile included, within the language's.
    limits = dataclasses.replace(
        definition.limits,
        wall_time_s=min(definition.limits.wall_time_s, test.timeout_ms / 1000),
    )
    harness = question.harness.get(language)
    if harness is None:
        return RunJob.of(definition, code, stdin=test.stdin, on_output=on_output, limits=limits)
    suffix = Path(definition.source_file).suffix
    return RunJob.of(
        definition, harness, files={f"solution{suffix}": code}, stdin=test.stdin,
        on_output=on_output, limits=limits,
    )  # fmt: skip


async def run_test(
    sandbox: Sandbox, question: QuestionRequest, language: str, code: str, test: QuestionTest
) -> tuple[bool, RunResult, str, str]:
    chunks: list[tuple[str, bytes]] = []
    result = await sandbox.run(job_for(question, language, code, test, chunks), NO_SESSION)
    stdout = b"".join(data for stream, data in chunks if stream == "stdout").decode()
    stderr = b"".join(data for stream, data in chunks if stream == "stderr").decode()
    passed = result.ok and outputs_match(question.compare, stdout, test.expected_stdout)
    return passed, result, stdout, stderr


async def run_all(
    sandbox: Sandbox, question: QuestionRequest, language: str, code: str
) -> list[tuple[bool, RunResult, str, str]]:
    turns = asyncio.Semaphore(PARALLEL_RUNS)

    async def one(test: QuestionTest) -> tuple[bool, RunResult, str, str]:
        async with turns:
            return await run_test(sandbox, question, language, code, test)

    return await asyncio.gather(*(one(test) for test in question.tests))


def test_three_examples_ship_with_the_package():
    assert sorted(EXAMPLES) == ["balanced-brackets", "interval-merge", "two-sum"]
    assert sorted(q.title for q in EXAMPLES.values()) == [
        "Balanced brackets", "Interval merge", "Two sum",
    ]  # fmt: skip


@pytest.mark.parametrize("slug", sorted(EXAMPLES))
def test_each_example_is_a_whole_question(slug):
    question = EXAMPLES[slug]
    check_languages(question)
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
        f"{test.name}: {result} stdout={stdout[:200]!r} stderr={stderr[-500:]!r}"
        for test, (passed, result, stdout, stderr) in zip(question.tests, results, strict=True)
        if not passed
    ]
    assert not failed, "\n".join(failed)


STARTERS = [(slug, language) for slug in sorted(EXAMPLES) for language in STARTER_LANGUAGES]


@pytest.mark.parametrize(("slug", "language"), STARTERS,
                         ids=[f"{s}-{lang}" for s, lang in STARTERS])  # fmt: skip
async def test_the_bare_starter_runs_and_fails_a_test(sandbox, slug, language):
    await require_installed(language)
    question = EXAMPLES[slug]
    # The first visible test is enough: each starter answers it wrongly.
    passed, result, stdout, stderr = await run_test(
        sandbox, question, language, question.starters[language], question.tests[0]
    )
    assert not passed, stdout
    # A starter is a skeleton to fill in, not broken code: it compiles.
    assert result.stage == "run", stderr

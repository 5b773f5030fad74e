"""What each role reads of a test run. Interviewers (and the organization's accounts and
API tokens) read everything; a candidate reads a hidden test's name and outcome only, on
every door: the REST answers and the room's events are both made here."""

from __future__ import annotations

from schema.models.test_runs import TestResult, TestRun

_HIDDEN_DATA = {"stdin": None, "expected": None, "actual": None, "stderr": None}


def result_for(result: TestResult, *, interviewer: bool) -> TestResult:
    if interviewer or not result.hidden:
        return result
    return result.model_copy(update=_HIDDEN_DATA)


def test_run_for(test_run: TestRun, *, interviewer: bool) -> TestRun:
    if interviewer:
        return test_run
    results = [result_for(result, interviewer=False) for result in test_run.results]
    return test_run.model_copy(update={"results": results})

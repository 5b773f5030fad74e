"""Question files: the YAML or JSON a team keeps its bank in (`duet questions import` reads
them, `duet questions export` writes them), and the example questions Duet ships.

A file holds one question or a list of them, each in the shape of the API's
`QuestionRequest` (camelCase: `expectedStdout`, `timeoutMs`, `interviewerNotes`). Reading a
file checks every question before the caller writes any, and a problem is one message that
names the question and the field.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from schema.errors import ApiError
from schema.models.questions import QuestionRequest
from server.http.requests import describe_validation_error
from server.questions import check_languages

Format = Literal["yaml", "json"]
FORMATS: tuple[Format, ...] = ("yaml", "json")
_EXAMPLES = "question_examples"
# libyaml's loader where PyYAML was built with it: the examples' large tests (half a
# megabyte) load in a tenth of the pure-Python loader's time.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class QuestionFileError(ValueError):
    """A file that is not a valid list of questions; the message says where."""


def format_of(path: Path | str) -> Format:
    """JSON for a `.json` file, YAML for anything else (YAML reads JSON too)."""
    return "json" if str(path).lower().endswith(".json") else "yaml"


def _decode(text: str, fmt: Format) -> Any:
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise QuestionFileError(
                f"not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise QuestionFileError(f"not valid YAML: {error}") from None


def _label(number: int, item: Any) -> str:
    title = item.get("title") if isinstance(item, dict) else None
    return f"question {number} ({title!r})" if isinstance(title, str) else f"question {number}"


def parse_questions(text: str, fmt: Format) -> list[QuestionRequest]:
    """Every question of a file, checked as the API checks a POST body; QuestionFileError
    for the first problem. An empty list is no problem (an empty bank's export)."""
    data = _decode(text, fmt)
    if data is None:
        raise QuestionFileError("the file holds no question")
    items = data if isinstance(data, list) else [data]
    questions: list[QuestionRequest] = []
    first_with_title: dict[str, int] = {}
    for number, item in enumerate(items, 1):
        label = _label(number, item)
        if not isinstance(item, dict):
            raise QuestionFileError(
                f"{label}: must be a mapping of the question's fields (title, prompt, tests, …)"
            )
        try:
            question = QuestionRequest.model_validate(item)
            check_languages(starters=question.starters, harness=question.harness)
        except ValidationError as error:
            problem = describe_validation_error(error).removeprefix("Invalid request: ")
            raise QuestionFileError(f"{label}: {problem}") from None
        except ApiError as error:
            raise QuestionFileError(
                f"{label}: {error.message.removeprefix('Invalid request: ')}"
            ) from None
        # Titles are how an import finds the question it makes a new version of.
        earlier = first_with_title.setdefault(question.title.casefold(), number)
        if earlier != number:
            raise QuestionFileError(
                f"{label}: 'title': question {earlier} of the file has the same title"
            )
        questions.append(question)
    return questions


class _Dumper(yaml.SafeDumper):
    """Multi-line text (prompts, code, test input) as `|` blocks, which read as written;
    PyYAML falls back to a quoted string where a block cannot hold the text exactly."""

    def analyze_scalar(self, scalar: str) -> Any:
        if "\n" not in scalar:
            return super().analyze_scalar(scalar)
        # A tab is plain text inside a block (YAML 1.1 and 1.2 agree), but PyYAML counts it
        # as special and would quote all of Go's tab-indented code; judge it as a space.
        analysis = super().analyze_scalar(scalar.replace("\t", " "))
        analysis.scalar = scalar
        return analysis


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_questions(questions: Sequence[QuestionRequest], fmt: Format) -> str:
    """The questions as a file that `parse_questions` reads back to the same questions."""
    data = [question.model_dump(mode="json", by_alias=True) for question in questions]
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def example_questions() -> dict[str, QuestionRequest]:
    """The questions Duet ships (`server/question_examples/*.yaml`), by file name:
    `POST /api/v1/templates/initialize` loads them into an organization's bank."""
    return dict(_read_examples())


@functools.cache
def _read_examples() -> dict[str, QuestionRequest]:
    # Package data: read once per process.
    folder = resources.files("server") / _EXAMPLES
    examples: dict[str, QuestionRequest] = {}
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".yaml"):
            (question,) = parse_questions(entry.read_text("utf-8"), "yaml")
            examples[entry.name.removesuffix(".yaml")] = question
    return examples

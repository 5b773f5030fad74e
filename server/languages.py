"""Which languages a session may use: every language of the runner's table (`html` too,
which renders in the browser and never runs here)."""

from __future__ import annotations

from runner.languages import language_names
from schema.errors import invalid

SESSION_LANGUAGES: tuple[str, ...] = tuple(language_names())


def check_language(language: str) -> str:
    if language not in SESSION_LANGUAGES:
        raise invalid(f"Unknown language '{language}'; allowed: {', '.join(SESSION_LANGUAGES)}")
    return language

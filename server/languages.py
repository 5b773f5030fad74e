"""Which languages a session may use."""

from __future__ import annotations

from schema.errors import invalid

# The seed's three; the runner's language table extends this when it lands.
SESSION_LANGUAGES: tuple[str, ...] = ("javascript", "python", "html")


def check_language(language: str) -> str:
    if language not in SESSION_LANGUAGES:
        raise invalid(f"Unknown language '{language}'; allowed: {', '.join(SESSION_LANGUAGES)}")
    return language

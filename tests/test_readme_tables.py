"""The README's reference tables say exactly what the code holds, in the manner of
Datasette's documentation tests: a code or setting added without its row, or a row left
behind by a removed one, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schema.errors import STATUS_OF, ErrorCode, RealtimeCode
from server.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()

# Read by kubernetes-asyncio itself, not by Settings.
NOT_SETTINGS = {"KUBECONFIG"}


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every table row in `text` but the header and the rule under it."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def documented_errors() -> dict[str, int]:
    statuses: dict[str, int] = {}
    for row in table_rows(section("Errors")):
        if not row[0].isdigit():
            continue  # the header
        for code in re.findall(r"`([A-Z_]+)`", row[1]):
            statuses[code] = int(row[0])
    return statuses


def documented_realtime_codes() -> set[str]:
    return {
        code
        for row in table_rows(section("Errors"))
        if not row[0].isdigit()
        for code in re.findall(r"^`([A-Z_]+)`$", row[0])
    }


def documented_settings() -> set[str]:
    names: set[str] = set()
    for row in table_rows(section("Configuration")):
        names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row[0]))
    return names


def test_the_error_table_lists_every_error_code_and_no_other():
    documented = documented_errors()
    assert set(documented) == {code.value for code in ErrorCode}


def test_the_realtime_code_table_lists_every_realtime_code_and_no_other():
    assert documented_realtime_codes() == {code.value for code in RealtimeCode}


@pytest.mark.parametrize("code", list(ErrorCode))
def test_the_error_table_gives_each_code_its_status(code):
    assert documented_errors().get(code.value) == STATUS_OF[code]


def test_the_configuration_table_lists_every_setting_and_no_other():
    settings = {f"DUET_{name.upper()}" for name in Settings.model_fields}
    assert documented_settings() - NOT_SETTINGS == settings

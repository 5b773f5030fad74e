"""The configuration table's defaults are Settings' defaults: a default changed in the code
and not in the README (or the other way round) fails here. Defaults the table gives in
words ("unset: embedded", "the language's (5)") are the prose's to keep right."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from server.config import Settings
from tests.test_readme_tables import section, table_rows


def documented_defaults() -> dict[str, str]:
    """variable → its default cell; `A` / `B` rows split their `1` / `2` defaults."""
    defaults: dict[str, str] = {}
    for row in table_rows(section("Configuration"))[1:]:
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", row[0])
        cells = row[1].split(" / ") if len(names) > 1 else [row[1]]
        assert len(cells) == len(names), row
        defaults.update(zip(names, (cell.strip() for cell in cells), strict=True))
    return defaults


def spelled(value: Any) -> str | None:
    """How the README writes a default, or None for one it can only describe."""
    if value is PydanticUndefined or value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Path):
        return f"./{value}"
    return str(value)


def test_the_configuration_table_gives_each_setting_its_default():
    documented = documented_defaults()
    wrong = {}
    for name, field in Settings.model_fields.items():
        variable, expected = f"DUET_{name.upper()}", spelled(field.default)
        cell = documented.get(variable, "")
        if expected is None or not re.fullmatch(r"`[^`]*`", cell):
            continue
        if cell.strip("`") != expected:
            wrong[variable] = {"README": cell, "Settings": expected}
    assert wrong == {}


def test_literal_defaults_are_checked_at_all():
    # Guards the parsing above: most rows carry a plain literal default.
    literal = [cell for cell in documented_defaults().values() if re.fullmatch(r"`[^`]*`", cell)]
    assert len(literal) >= 30

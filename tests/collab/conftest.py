from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def yjs() -> dict[str, Any]:
    """Output of fixtures/gen_yjs_interop.mjs, run against yjs 13.6.33 / y-protocols."""
    return json.loads((FIXTURES / "yjs_interop.json").read_text())


def b64(value: str) -> bytes:
    return base64.b64decode(value)

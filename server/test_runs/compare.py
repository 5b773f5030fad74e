"""Whether a program's output matches a test's expected output, by the question's mode.

* `exact`: byte for byte (after decoding);
* `trim` (the default): trailing spaces on each line, trailing newlines at the end and
  Windows line ends are ignored: what a person reading the output would not notice;
* `tokens`: the same whitespace-separated words;
* `float:<tolerance>`: the same words, numbers within the tolerance, absolute or relative
  (whichever is looser, so that both 1e-9 and 1e9 compare sensibly).
"""

from __future__ import annotations

import math


def _trimmed(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _close(actual: str, expected: str, tolerance: float) -> bool:
    if actual == expected:
        return True
    a, b = _number(actual), _number(expected)
    if a is None or b is None:
        return False
    return abs(a - b) <= tolerance * max(1.0, abs(b))


def outputs_match(mode: str, actual: str, expected: str) -> bool:
    if mode == "exact":
        return actual == expected
    if mode == "trim":
        return _trimmed(actual) == _trimmed(expected)
    if mode == "tokens":
        return actual.split() == expected.split()
    if mode.startswith("float:"):
        tolerance = float(mode.removeprefix("float:"))
        words, wanted = actual.split(), expected.split()
        return len(words) == len(wanted) and all(
            _close(word, want, tolerance) for word, want in zip(words, wanted, strict=True)
        )
    raise ValueError(f"unknown compare mode {mode!r}")

"""Kubernetes label and field selectors, the subset the backend sends."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_SET = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses (`a in (x,y),b=c`)."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _requirement(term: str) -> Callable[[Mapping[str, str]], bool]:
    if match := _SET.match(term):
        key, op, values = (
            match.group(1),
            match.group(2),
            {value.strip() for value in match.group(3).split(",")},
        )
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if "!=" in term:
        key, value = (side.strip() for side in term.split("!=", 1))
        return lambda labels: labels.get(key) != value
    if "=" in term:
        key, value = (side.strip() for side in term.replace("==", "=").split("=", 1))
        return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda labels: key not in labels
    return lambda labels: term in labels


def label_matcher(selector: str | None) -> Callable[[Mapping[str, str]], bool]:
    requirements = [_requirement(term) for term in _split(selector or "")]
    return lambda labels: all(check(labels) for check in requirements)


_FIELDS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "metadata.name": lambda pod: pod["metadata"]["name"],
    "metadata.namespace": lambda pod: pod["metadata"]["namespace"],
    "status.phase": lambda pod: pod["status"].get("phase"),
}


def field_matcher(selector: str | None) -> Callable[[dict[str, Any]], bool]:
    checks: list[Callable[[dict[str, Any]], bool]] = []
    for term in _split(selector or ""):
        negate = "!=" in term
        key, value = (
            side.strip() for side in term.replace("!=", "=").replace("==", "=").split("=", 1)
        )
        read = _FIELDS[key]
        checks.append(
            (lambda pod, r=read, v=value: r(pod) != v)
            if negate
            else (lambda pod, r=read, v=value: r(pod) == v)
        )
    return lambda pod: all(check(pod) for check in checks)

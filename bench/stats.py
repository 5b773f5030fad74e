"""Percentiles and a one-line summary of a latency sample."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections.abc import Awaitable, Callable


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(
    name: str, latencies_s: list[float], errors: int, elapsed_s: float
) -> dict[str, object]:
    return {
        "name": name,
        "requests": len(latencies_s),
        "errors": errors,
        "per_second": round(len(latencies_s) / elapsed_s, 1),
        "p50_ms": round(percentile(latencies_s, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies_s, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies_s) * 1000, 2) if latencies_s else None,
    }


def print_table(results: list[dict[str, object]]) -> None:
    """The rows of `summary` as a Markdown table, then as JSON."""
    print("| load | requests | errors | per second | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['name']} | {row['requests']} | {row['errors']} | {row['per_second']} "
            f"| {row['p50_ms']} | {row['p99_ms']} |"
        )
    print(json.dumps(results))


def run_load_table(
    doc: str | None,
    bench: Callable[[float, int], Awaitable[list[dict[str, object]]]],
    *,
    seconds: float,
    heading: str,
) -> None:
    """The command line of a benchmark that drives `--clients` clients for `--seconds` per
    load and prints one table; `heading` is formatted with both."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--clients", type=int, default=50)
    arguments = parser.parse_args()
    results = asyncio.run(bench(arguments.seconds, arguments.clients))
    print(heading.format(clients=arguments.clients, seconds=arguments.seconds))
    print_table(results)

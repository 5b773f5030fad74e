"""Percentiles and a one-line summary of a latency sample."""

from __future__ import annotations

import json
import statistics


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

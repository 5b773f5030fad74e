"""Running a question's tests end to end, against a real `duet serve` (bubblewrap sandbox):
`POST /sessions/{id}/test-runs` → `test_run_finished` at a room client, for a question of
20 tests, in Python (`--runs`, default 20) and in Java (`--java-runs`, default 3: every
test compiles and starts a JVM, so one test run takes seconds).

Each test reads a number and prints it doubled; the solution is right, so every test runs
to the end. Test runs are `--pause` seconds apart (default 0.2), as a candidate's are.

Run with `python -m bench.test_runs [--runs N] [--java-runs N] [--tests N] [--pause S]`.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time
from typing import Any

import aiohttp
import socketio

from bench.server import running_server
from bench.stats import percentile

SOLUTIONS = {
    "python": "print(int(input()) * 2)\n",
    "java": (
        "import java.util.Scanner;\npublic class Main {\n"
        "  public static void main(String[] args) {\n"
        "    System.out.println(new Scanner(System.in).nextLong() * 2);\n  }\n}\n"
    ),
}


def question(tests: int) -> dict[str, Any]:
    return {
        "title": "Double it",
        "prompt": "Print the number doubled.",
        "tests": [
            {
                "name": f"test {i}",
                "stdin": f"{i}\n",
                "expectedStdout": f"{i * 2}\n",
                "hidden": i % 2 == 1,
                "timeoutMs": 20_000,
            }
            for i in range(tests)
        ],
    }


class Interview:
    """An account's session with the question pinned, and a Socket.IO client in its room."""

    def __init__(self, http: aiohttp.ClientSession, base: str, access: str) -> None:
        self.http, self.base = http, base
        self.headers = {"Authorization": f"Bearer {access}"}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.finished: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.sio.on("test_run_finished", self._on_finished)

    async def open(self, question_id: str, language: str) -> None:
        body = {"questionId": question_id, "language": language, "code": SOLUTIONS[language]}
        async with self.http.post(
            f"{self.base}/api/v1/sessions", json=body, headers=self.headers
        ) as response:
            assert response.status == 201, await response.text()
            created = await response.json()
        self.session_id = created["data"]["id"]
        invite = created["invites"]["interviewer"]["token"]
        async with self.http.post(
            f"{self.base}/api/v1/sessions/{self.session_id}/join",
            json={
                "user": {
                    "id": "00000000-0000-4000-8000-00000000be00",
                    "name": "Bench",
                    "color": "#3366ff",
                }
            },
            headers={"Authorization": f"Bearer {invite}"},
        ) as response:
            assert response.status == 200, await response.text()
            self.token = (await response.json())["token"]
        await self.sio.connect(self.base, auth={"token": self.token}, transports=["websocket"])

    def _future(self, test_run_id: str) -> asyncio.Future[dict[str, Any]]:
        return self.finished.setdefault(test_run_id, asyncio.get_running_loop().create_future())

    async def _on_finished(self, data: dict[str, Any]) -> None:
        future = self._future(data["testRunId"])
        if not future.done():
            future.set_result(data)

    async def test_run(self) -> dict[str, Any]:
        url = f"{self.base}/api/v1/sessions/{self.session_id}/test-runs"
        async with self.http.post(url, headers={"Authorization": f"Bearer {self.token}"}) as r:
            assert r.status == 202, await r.text()
            test_run_id = (await r.json())["data"]["id"]
        return await asyncio.wait_for(self._future(test_run_id), 300)

    async def close(self) -> None:
        await self.sio.disconnect()


async def register(http: aiohttp.ClientSession, base: str) -> str:
    async with http.post(f"{base}/api/v1/auth/register", json={
        "username": "bench", "email": "bench@example.com", "password": "a long bench password",
    }) as response:  # fmt: skip
        assert response.status == 201, await response.text()
        return (await response.json())["access_token"]


async def latencies(
    http: aiohttp.ClientSession, base: str, access: str, question_id: str, language: str,
    runs: int, pause: float,
) -> list[float]:  # fmt: skip
    interview = Interview(http, base, access)
    await interview.open(question_id, language)
    await interview.test_run()  # warm-up
    samples = []
    for _ in range(runs):
        await asyncio.sleep(pause)
        started = time.perf_counter()
        finished = await interview.test_run()
        samples.append(time.perf_counter() - started)
        assert finished["passed"] == finished["total"], finished
    await interview.close()
    return samples


def _ms(samples: list[float], fraction: float) -> str:
    return f"{percentile(samples, fraction) * 1000:.0f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--java-runs", type=int, default=3)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between test runs")
    arguments = parser.parse_args()
    rows = []
    async with running_server() as server, aiohttp.ClientSession() as http:
        base = server.base
        access = await register(http, base)
        headers = {"Authorization": f"Bearer {access}"}
        async with http.post(
            f"{base}/api/v1/questions", json=question(arguments.tests), headers=headers
        ) as response:
            assert response.status == 201, await response.text()
            question_id = (await response.json())["data"]["id"]
        plan = [("python", arguments.runs)]
        if shutil.which("javac") and arguments.java_runs:
            plan.append(("java", arguments.java_runs))
        for language, runs in plan:
            samples = await latencies(
                http, base, access, question_id, language, runs, arguments.pause
            )
            rows.append((language, samples))
    print("| figure | p50 | p99 | samples |")
    print("|---|---|---|---|")
    for language, samples in rows:
        print(f"| {language}: a test run of {arguments.tests} tests, POST /test-runs → "
              f"test_run_finished at a room client (ms) | {_ms(samples, 0.5)} "
              f"| {_ms(samples, 0.99)} | {len(samples)} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())

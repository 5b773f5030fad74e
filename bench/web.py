"""The web app in Debian's chromium against a real `duet serve`: how fast the room paints and
becomes usable, and how long a keystroke takes to appear on the other side.

    python -m bench.web [--loads 20] [--keys 50]

- first paint: the browser's first-contentful-paint of `/s/{id}` (a returning participant,
  token in localStorage; NaN where headless chromium reports none), "room painted": the
  first frame with the room's layout, and "room ready": navigation start to the editor
  holding the synced document. Target: under 1 s on loopback.
- keystroke to remote screen: a character typed into one page's editor until the other
  page's editor shows it (both pages in one browser, so one clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from typing import Any

import aiohttp
from playwright.async_api import Browser

from bench.server import running_server
from bench.stats import percentile
from tests.browser import chromium


async def create_seats(base: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        creator = {"id": str(uuid.uuid4()), "name": "Ivy", "color": "#3e63dd"}
        async with http.post(f"{base}/api/v1/sessions", json={
            "creator": creator, "language": "python",
            "code": "def solve(values):\n    return sorted(values)\n" * 20,
        }) as response:  # fmt: skip
            created = await response.json()
        session_id = created["data"]["id"]
        candidate = {"id": str(uuid.uuid4()), "name": "Cam", "color": "#e5484d"}
        invite = created["invites"]["candidate"]["token"]
        async with http.post(
            f"{base}/api/v1/sessions/{session_id}/join", json={"user": candidate},
            headers={"Authorization": f"Bearer {invite}"},
        ) as response:  # fmt: skip
            joined = await response.json()
    return (
        session_id,
        {"token": created["token"], "user": creator, "role": "interviewer"},
        {"token": joined["token"], "user": candidate, "role": "candidate"},
    )


async def open_room(browser: Browser, base: str, session_id: str, seat: dict[str, Any]) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    await context.add_init_script(
        f"localStorage.setItem('duet:session:{session_id}', {json.dumps(json.dumps(seat))})"
    )
    # When the room's frame is first painted: the frame after its elements appear.
    await context.add_init_script("""
      new MutationObserver((_, observer) => {
        if (document.querySelector('.room')) {
          observer.disconnect()
          requestAnimationFrame(() => { window.__roomPainted = performance.now() })
        }
      }).observe(document, { childList: true, subtree: true })
    """)
    page = await context.new_page()
    await page.goto(f"{base}/s/{session_id}")
    await page.wait_for_function("window.duet && window.duet.provider.synced")
    return page


READY = """() => new Promise((resolve) => {
  const check = () => {
    if (window.duet && window.duet.provider.synced &&
        document.querySelector('.cm-content').textContent.includes('def solve')) {
      const paint = performance.getEntriesByName('first-contentful-paint')[0]
      resolve({ ready: performance.now(), paint: paint ? paint.startTime : null,
                room: window.__roomPainted })
    } else requestAnimationFrame(check)
  }
  check()
})"""


async def measure_loads(browser: Browser, base: str, loads: int) -> dict[str, float]:
    session_id, _, candidate = await create_seats(base)
    paints, rooms, readies = [], [], []
    for _ in range(loads):
        page = await open_room(browser, base, session_id, candidate)
        timing = await page.evaluate(READY)
        if timing["paint"] is not None:
            paints.append(timing["paint"])
        rooms.append(timing["room"])
        readies.append(timing["ready"])
        await page.context.close()
    return {
        "first_paint_p50_ms": round(percentile(paints, 0.5), 1),
        "first_paint_p99_ms": round(percentile(paints, 0.99), 1),
        "room_painted_p50_ms": round(percentile(rooms, 0.5), 1),
        "room_painted_p99_ms": round(percentile(rooms, 0.99), 1),
        "room_ready_p50_ms": round(percentile(readies, 0.5), 1),
        "room_ready_p99_ms": round(percentile(readies, 0.99), 1),
    }


async def measure_keystrokes(browser: Browser, base: str, keys: int) -> dict[str, float]:
    session_id, interviewer_seat, candidate_seat = await create_seats(base)
    typist = await open_room(browser, base, session_id, interviewer_seat)
    watcher = await open_room(browser, base, session_id, candidate_seat)
    await watcher.evaluate("""() => {
      window.__seen = []
      window.duet.doc.getText('code').observe(() => {
        window.__seen.push(performance.timeOrigin + performance.now())
      })
    }""")
    await typist.locator(".cm-content").click()
    latencies = []
    for index in range(keys):
        sent = await typist.evaluate("""() => {
          const t = performance.timeOrigin + performance.now()
          const view = window.duet.editor.view
          view.dispatch(view.state.replaceSelection('x'))
          return t
        }""")
        await watcher.wait_for_function("n => window.__seen.length >= n", arg=index + 1)
        seen = await watcher.evaluate(f"window.__seen[{index}]")
        latencies.append(seen - sent)
        await asyncio.sleep(0.02)
    return {
        "keystroke_to_remote_p50_ms": round(percentile(latencies, 0.5), 2),
        "keystroke_to_remote_p99_ms": round(percentile(latencies, 0.99), 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--keys", type=int, default=50)
    options = parser.parse_args()
    async with running_server() as server, chromium() as browser:
        base = server.base
        results = {"loads": options.loads, **await measure_loads(browser, base, options.loads)}
        results.update(keys=options.keys, **await measure_keystrokes(browser, base, options.keys))
    print(json.dumps({"name": "web", **results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())

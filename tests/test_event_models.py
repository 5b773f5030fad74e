"""The realtime events as models (`schema/events.py`): the README documents exactly the
events that have a model, and what a real room sends is what its model says, key for key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from schema.events import EVENTS, ErrorEvent, Event, RunFinished
from server.app import create_app
from tests.conftest import create_room, join
from tests.peers import eventually
from tests.runs_helpers import RunPeer, start_run

README = (Path(__file__).parent.parent / "README.md").read_text()
BY_NAME: dict[str, type[Event]] = {model.NAME: model for model in EVENTS}


def documented_server_events() -> set[str]:
    """Events the README shows the server sending: the rows of its event tables."""
    names = set()
    for row in re.findall(r"^\| server → [^|]+\| `(\w+)` \|", README, re.M):
        names.add(row)
    for row in re.findall(r"^\| `(pod_\w+)` \|", README, re.M):
        names.add(row)
    names.update(re.findall(r"`(note_(?:added|updated|deleted))`", README))
    return names


def test_every_documented_event_has_a_model_and_every_model_is_documented():
    documented = documented_server_events()
    assert documented == set(BY_NAME), (
        f"only in the README: {sorted(documented - set(BY_NAME))}; "
        f"only in schema/events.py: {sorted(set(BY_NAME) - documented)}"
    )


def test_a_model_refuses_a_payload_of_the_wrong_shape():
    with pytest.raises(ValidationError):
        RunFinished.model_validate({"runId": "r", "exitCode": "zero"})
    # The wire form leaves out only what the event does not have.
    assert ErrorEvent(code="DISCONNECTED", message="bye").wire() == {
        "code": "DISCONNECTED",
        "message": "bye",
    }


def conforms(name: str, payload: Any) -> None:
    model = BY_NAME[name]
    parsed = model.model_validate(payload)
    assert parsed.wire() == payload, f"{name}: sent {payload}, the model says {parsed.wire()}"


async def test_what_a_room_sends_is_what_the_models_say(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    room = await create_room(client, code="print('hi')\n", language="python")
    _, candidate_token = await join(client, room, room.candidate_invite)
    watcher, candidate = RunPeer(), RunPeer()
    url = str(client.make_url("/"))
    try:
        await watcher.connect(url, room.token)
        await candidate.connect(url, candidate_token)
        await candidate.emit("code_change", {"code": "print('hello')\n"})
        await candidate.emit("language_change", {"language": "python"})
        await candidate.emit("cursor_position", {"position": {"lineNumber": 1, "column": 2}})
        await candidate.emit("no_such_event", {})
        run = await start_run(client, room.id, room.token)
        await watcher.wait_finished(run["id"])
        await candidate.disconnect()
        await eventually(lambda: watcher.events["user_leave"], what="the leave")
        await eventually(lambda: candidate.events["error"], what="the refusal")
        await eventually(
            lambda: watcher.events["code_change"] and watcher.events["cursor_position"],
            what="the candidate's edit and cursor",
        )
        seen = {**watcher.events, **{k: v for k, v in candidate.events.items() if k == "error"}}
        expected = {"code_change", "cursor_position", "user_join", "user_leave", "error",
                    "run_started", "run_output", "run_finished"}  # fmt: skip
        assert expected <= set(seen), sorted(seen)
        for name, payloads in seen.items():
            if name in BY_NAME:
                for payload in payloads:
                    conforms(name, payload)
    finally:
        await watcher.disconnect()

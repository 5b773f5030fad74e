"""Templates (seed 002's Templates API): an organization's languages with starter files and
what the runner gives them, in the seed's snake_case shape inside Duet's envelope. The
defaults come from `POST /templates/initialize`, which also fills the question bank with
the example questions, each once however often it is called."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from runner.languages import LANGUAGES
from server.app import create_app
from server.template_defaults import DEFAULT_TEMPLATES
from tests.accounts_helpers import api_token, register
from tests.conftest import bearer, create_room, expect_error

TEMPLATES = "/api/v1/templates"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEED_FIELDS = {
    "id", "name", "display_name", "description", "category", "tags", "docker_image",
    "default_port", "default_resources", "environment_variables", "startup_commands",
    "documentation_url", "icon_url", "status", "version", "usage_count", "created_at",
    "updated_at",
}  # fmt: skip
FLASK = {
    "name": "python-flask",
    "display_name": "Python with a web server",
    "description": "A Flask-style starter",
    "category": "framework",
    "tags": ["Python", "web"],
    "language": "python",
    "files": {"main.py": "print('hi')\n", "lib/helpers.py": "X = 1\n"},
    "default_port": 8080,
}


async def count(db, table: str, account) -> int:
    return await db.fetchval(
        f"SELECT count(*) FROM {table} WHERE organization_id = $1",
        uuid.UUID(account.organization_id),
    )


async def initialize(client, headers):
    response = await client.post(f"{TEMPLATES}/initialize", headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


async def create(client, headers, **changes):
    response = await client.post(TEMPLATES, json={**FLASK, **changes}, headers=headers)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]


async def test_initialize_creates_a_template_per_language_in_the_seeds_shape(client):
    owner = await register(client)
    data = await initialize(client, owner.headers)
    names = [template["name"] for template in data["templates"]]
    runnable = [name for name, language in LANGUAGES.items() if language.runnable]
    assert sorted(names) == sorted(runnable) and data["created"] == names
    by_name = {template["name"]: template for template in data["templates"]}
    for template in data["templates"]:
        assert SEED_FIELDS | {"language", "files"} == set(template)
        assert template["status"] == "active" and template["version"] == "1.0.0"
        assert template["usage_count"] == 0
        assert ISO.match(template["created_at"]) and ISO.match(template["updated_at"])
        language = LANGUAGES[template["language"]]
        assert template["docker_image"] == language.image
        assert list(template["files"]) == [language.source_file]
        assert template["environment_variables"] == dict(language.env)
    # Seed 002's five defaults, on Duet's languages, with the seed's ports.
    python = by_name["python"]
    assert python["docker_image"] == "python:3.11-slim" and python["default_port"] == 8080
    assert python["startup_commands"] == ["python3 main.py"]
    assert python["default_resources"] == {"cpu": "1", "memory": "256Mi", "storage": "192Mi"}
    assert by_name["javascript"]["default_port"] == 3000
    assert "Node.js 18 LTS" in by_name["javascript"]["description"]
    assert by_name["go"]["startup_commands"] == ["go build -o main main.go", "./main"]
    assert by_name["rust"]["default_port"] == 8080
    assert by_name["bash"]["category"] == "operating_system"
    assert "Ubuntu 22.04" in by_name["bash"]["description"]
    assert by_name["java"]["default_resources"]["memory"] == "512Mi"
    assert by_name["cpp"]["default_port"] is None

    listed = await (await client.get(TEMPLATES, headers=owner.headers)).json()
    assert [template["name"] for template in listed["data"]] == sorted(names)
    one = await client.get(f"{TEMPLATES}/{python['id']}", headers=owner.headers)
    assert (await one.json()) == {"success": True, "data": python}


async def test_initialize_loads_the_example_questions_and_is_idempotent(client, db):
    owner = await register(client)
    first = await initialize(client, owner.headers)
    assert sorted(question["title"] for question in first["questions"]) == [
        "Balanced brackets", "Interval merge", "Two sum",
    ]  # fmt: skip
    assert all(question["created"] and question["version"] == 1
               for question in first["questions"])  # fmt: skip
    assert "Created 10 of 10 default templates and 3 of 3 example questions" in first["message"]
    bank = await (await client.get("/api/v1/questions", headers=owner.headers)).json()
    assert sorted(item["title"] for item in bank["data"]) == [
        "Balanced brackets", "Interval merge", "Two sum",
    ]  # fmt: skip
    two_sum = next(item for item in bank["data"] if item["title"] == "Two sum")
    assert {"python", "javascript", "java", "cpp", "go"} <= set(two_sum["languages"])
    assert two_sum["hiddenTestCount"] >= 4

    # A changed default and a changed example stay as changed; nothing is duplicated.
    python = next(t for t in first["templates"] if t["name"] == "python")
    await client.put(f"{TEMPLATES}/{python['id']}", json={"display_name": "Our Python"},
                     headers=owner.headers)  # fmt: skip
    second = await initialize(client, owner.headers)
    assert second["created"] == []
    assert "Created 0 of 10 default templates and 0 of 3 example questions" in second["message"]
    assert [t["id"] for t in second["templates"]] == [t["id"] for t in first["templates"]]
    assert next(t for t in second["templates"] if t["name"] == "python")["display_name"] == (
        "Our Python"
    )
    assert [q["id"] for q in second["questions"]] == [q["id"] for q in first["questions"]]
    assert not any(question["created"] for question in second["questions"])
    assert await count(db, "templates", owner) == 10
    assert await count(db, "questions", owner) == 3
    versions = await db.fetchval(
        "SELECT max(latest_version) FROM questions WHERE organization_id = $1",
        uuid.UUID(owner.organization_id),
    )
    assert versions == 1


async def test_initialize_at_the_same_moment_thrice_makes_one_of_each(client, db):
    owner = await register(client)
    await asyncio.gather(*(initialize(client, owner.headers) for _ in range(3)))
    assert await count(db, "templates", owner) == 10
    assert await count(db, "questions", owner) == 3


async def test_create_read_update_and_deprecate(client):
    owner = await register(client)
    template = await create(client, owner.headers)
    assert template["tags"] == ["python", "web"] and template["category"] == "framework"
    assert template["files"] == FLASK["files"]
    # What the body leaves out is the language's.
    assert template["docker_image"] == "python:3.11-slim"
    assert template["startup_commands"] == ["python3 main.py"]
    assert template["documentation_url"] is None and template["icon_url"] is None
    path = f"{TEMPLATES}/{template['id']}"

    response = await client.put(
        path, json={"description": "Changed", "version": "1.1.0", "status": "beta"},
        headers=owner.headers,
    )  # fmt: skip
    assert response.status == 200, await response.text()
    changed = (await response.json())["data"]
    assert changed["description"] == "Changed" and changed["version"] == "1.1.0"
    assert changed["status"] == "beta" and changed["files"] == FLASK["files"]
    assert changed["created_at"] == template["created_at"]

    # Another language brings its own image and commands, unless the body names them.
    response = await client.put(path, json={"language": "go", "files": {"main.go": "package main"}},
                                headers=owner.headers)  # fmt: skip
    to_go = (await response.json())["data"]
    assert to_go["docker_image"] == "golang:1.19"
    assert to_go["startup_commands"] == ["go build -o main main.go", "./main"]
    assert to_go["environment_variables"]["GO111MODULE"] == "off"
    response = await client.put(
        path, json={"language": "ruby", "docker_image": "ruby:3.3", "startup_commands": ["ruby x"]},
        headers=owner.headers,
    )  # fmt: skip
    to_ruby = (await response.json())["data"]
    assert to_ruby["docker_image"] == "ruby:3.3" and to_ruby["startup_commands"] == ["ruby x"]
    assert to_ruby["environment_variables"] == {}

    response = await client.delete(path, headers=owner.headers)
    assert response.status == 200, await response.text()
    deprecated = (await response.json())["data"]
    assert deprecated["status"] == "deprecated" and deprecated["name"] == "python-flask"
    again = await (await client.delete(path, headers=owner.headers)).json()
    assert again["data"] == deprecated  # deprecating twice changes nothing
    # Still readable, filterable, and restorable.
    assert (await (await client.get(path, headers=owner.headers)).json())["data"] == deprecated

    async def listed(query: str) -> list[str]:
        body = await (await client.get(TEMPLATES + query, headers=owner.headers)).json()
        return [item["name"] for item in body["data"]]

    await initialize(client, owner.headers)
    assert await listed("?status=deprecated") == ["python-flask"]
    assert "python-flask" not in await listed("?status=active")
    assert await listed("?category=framework") == ["python-flask"]
    assert await listed("?category=operating_system") == ["bash"]
    restored = await client.put(path, json={"status": "active"}, headers=owner.headers)
    assert (await restored.json())["data"]["status"] == "active"


async def test_a_name_is_unique_in_an_organization_and_templates_are_bounded(client, db):
    owner = await register(client)
    await create(client, owner.headers)
    await expect_error(
        await client.post(TEMPLATES, json=FLASK, headers=owner.headers), 409, "CONFLICT"
    )
    other = await create(client, owner.headers, name="other")
    await expect_error(
        await client.put(f"{TEMPLATES}/{other['id']}", json={"name": "python-flask"},
                         headers=owner.headers),
        409, "CONFLICT",
    )  # fmt: skip
    # Another organization may use the same name.
    await create(client, (await register(client)).headers)
    await db.execute(
        "INSERT INTO templates (id, organization_id, name, display_name, category, language,"
        " default_resources, created_at, updated_at)"
        " SELECT gen_random_uuid(), $1, 'bulk-' || n, 'Bulk', 'programming_language',"
        " 'python', '{}', 0, 0 FROM generate_series(1, 98) AS n",
        uuid.UUID(owner.organization_id),
    )
    body = await expect_error(
        await client.post(TEMPLATES, json={**FLASK, "name": "one-too-many"},
                          headers=owner.headers),
        409, "CONFLICT",
    )  # fmt: skip
    assert "at most 100 templates" in body["error"]


async def test_who_may_read_and_write_templates(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings))
    owner = await register(client)
    template = await create(client, owner.headers)
    path = f"{TEMPLATES}/{template['id']}"
    writer = bearer(await api_token(client, owner, "sessions:read", "sessions:write"))
    reader = bearer(await api_token(client, owner, "sessions:read"))
    webhooks_only = bearer(await api_token(client, owner, "webhooks:read"))

    assert (await create(client, writer, name="by-token"))["name"] == "by-token"
    assert (await initialize(client, writer))["created"]
    assert (await client.get(path, headers=reader)).status == 200
    assert (await client.get(TEMPLATES, headers=reader)).status == 200
    for method, target, body in (
        ("POST", TEMPLATES, FLASK), ("PUT", path, {"status": "beta"}), ("DELETE", path, None),
        ("POST", f"{TEMPLATES}/initialize", None),
    ):  # fmt: skip
        await expect_error(
            await client.request(method, target, json=body, headers=reader), 403, "FORBIDDEN"
        )
    await expect_error(await client.get(path, headers=webhooks_only), 403, "FORBIDDEN")

    # A participant's token, a candidate's above all, never reaches the templates.
    room = await create_room(client)
    for method, target, body in (
        ("GET", TEMPLATES, None), ("GET", path, None), ("POST", TEMPLATES, FLASK),
        ("PUT", path, {"status": "beta"}), ("DELETE", path, None),
        ("POST", f"{TEMPLATES}/initialize", None),
    ):  # fmt: skip
        await expect_error(
            await client.request(method, target, json=body, headers=bearer(room.token)),
            403, "FORBIDDEN",
        )  # fmt: skip
        await expect_error(await client.request(method, target, json=body), 401, "UNAUTHORIZED")

    # Another organization's template does not exist for it.
    stranger = await register(client)
    for method, body in (("GET", None), ("PUT", {"status": "beta"}), ("DELETE", None)):
        await expect_error(
            await client.request(method, path, json=body, headers=stranger.headers),
            404, "TEMPLATE_NOT_FOUND",
        )  # fmt: skip
    assert (await (await client.get(TEMPLATES, headers=stranger.headers)).json())["data"] == []
    for method, body in (("GET", None), ("PUT", {"status": "beta"}), ("DELETE", None)):
        await expect_error(
            await client.request(method, f"{TEMPLATES}/{uuid.uuid4()}", json=body,
                                 headers=owner.headers),
            404, "TEMPLATE_NOT_FOUND",
        )  # fmt: skip
        await expect_error(
            await client.request(method, f"{TEMPLATES}/not-a-uuid", json=body,
                                 headers=owner.headers),
            400, "INVALID_REQUEST",
        )  # fmt: skip
    # The template is as it was.
    unchanged = await (await client.get(path, headers=owner.headers)).json()
    assert unchanged["data"] == template


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"name": "Has Spaces"}, "'name'"),
        ({"name": ""}, "'name'"),
        ({"display_name": ""}, "'display_name'"),
        ({"language": "cobol"}, "'language': unknown language"),
        ({"category": "games"}, "'category'"),
        ({"status": "retired"}, "'status'"),
        ({"files": {"../etc/passwd": "x"}}, "files"),
        ({"files": {"/abs": "x"}}, "files"),
        ({"files": {f"f{i}.py": "" for i in range(21)}}, "'files'"),
        ({"files": {"main.py": "x" * (256 * 1024 + 1)}}, "'files.main.py'"),
        ({"default_port": 0}, "'default_port'"),
        ({"default_port": "8080"}, "'default_port'"),
        ({"default_resources": {"cpu": "lots", "memory": "1Gi", "storage": "1Gi"}},
         "'default_resources.cpu'"),
        ({"default_resources": {"cpu": "1"}}, "'default_resources.memory' is required"),
        ({"environment_variables": {"1BAD": "x"}}, "environment_variables"),
        ({"startup_commands": ["two\nlines"]}, "'startup_commands.0'"),
        ({"docker_image": "has space"}, "'docker_image'"),
        ({"documentation_url": "javascript:alert(1)"}, "'documentation_url'"),
        ({"version": ""}, "'version'"),
        ({"tags": ["x" * 41]}, "'tags.0'"),
        ({"displayName": "camel"}, "unknown field 'displayName'"),
        ({"icon_url": None}, "'icon_url' must not be null"),
    ],
)  # fmt: skip
async def test_bad_templates_are_400s_that_name_the_field(client, changes, named):
    owner = await register(client)
    response = await client.post(TEMPLATES, json={**FLASK, **changes}, headers=owner.headers)
    body = await expect_error(response, 400, "INVALID_REQUEST")
    assert named in body["error"], body["error"]


async def test_bad_updates_and_filters_are_400s(client):
    owner = await register(client)
    template = await create(client, owner.headers)
    path = f"{TEMPLATES}/{template['id']}"
    for body, named in (
        ({}, "at least one field"), ({"language": "cobol"}, "'language'"),
        ({"status": "gone"}, "'status'"), ({"name": None}, "'name' must not be null"),
        ({"id": str(uuid.uuid4())}, "unknown field 'id'"),
    ):  # fmt: skip
        error = await expect_error(
            await client.put(path, json=body, headers=owner.headers), 400, "INVALID_REQUEST"
        )
        assert named in error["error"], error["error"]
    await expect_error(await client.put(path, headers=owner.headers), 400, "INVALID_REQUEST")
    await expect_error(
        await client.post(TEMPLATES, data="{", headers={**owner.headers,
                                                        "Content-Type": "application/json"}),
        400, "INVALID_REQUEST",
    )  # fmt: skip
    for query in ("?category=games", "?status=retired"):
        error = await expect_error(
            await client.get(TEMPLATES + query, headers=owner.headers), 400, "INVALID_REQUEST"
        )
        assert query[1:].split("=")[0] in error["error"]
    assert (await (await client.get(path, headers=owner.headers)).json())["data"] == template


def test_every_default_maps_to_a_runnable_language():
    assert len({default.name for default in DEFAULT_TEMPLATES}) == len(DEFAULT_TEMPLATES)
    assert {default.language for default in DEFAULT_TEMPLATES} == {
        name for name, language in LANGUAGES.items() if language.runnable
    }

"""The OpenAPI document covers every route, and /docs renders it without a CDN."""

from __future__ import annotations

import re

from server.http.openapi import OPERATIONS


async def test_openapi_lists_every_api_route(client):
    response = await client.get("/api/v1/openapi.json")
    spec = await response.json()
    assert response.status == 200 and spec["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    served = set()
    for route in client.app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method in ("HEAD", "OPTIONS") or path in ("/docs", "/api/v1/openapi.json"):
            continue
        if path.startswith(("/socket.io", "/yjs/", "/ws/")):
            continue  # the realtime doors, documented with their events in the README
        if path == "/metrics":
            continue  # the Prometheus scrape, in its own format, documented in the README
        if path in ("/", "/s/{session_id}", "/assets/{name}", "/favicon.ico", "/questions",
                    "/questions/{question_id}"):
            continue  # the web app's pages, not API
        for name, documented_name in (
            ("session_id", "sessionId"), ("participant_id", "participantId"),
            ("evaluation_id", "evaluationId"), ("token_id", "tokenId"),
            ("webhook_id", "webhookId"),
        ):  # fmt: skip
            path = path.replace("{" + name + "}", "{" + documented_name + "}")
        served.add((route.method, path))
    assert served == documented


async def test_every_schema_reference_resolves(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    text = str(spec)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in spec["components"]["schemas"], name
    create = spec["paths"]["/api/v1/sessions"]["post"]
    assert "201" in create["responses"] and "400" in create["responses"]
    assert len(OPERATIONS) == len({(o.method, o.path) for o in OPERATIONS})


async def test_docs_page_is_served_from_the_package(client):
    response = await client.get("/docs")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert "/api/v1/openapi.json" in page
    assert not re.search(r"""(src|href)=["']https?://""", page)


async def test_a_run_may_be_started_without_a_body(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    run = spec["paths"]["/api/v1/sessions/{sessionId}/runs"]["post"]
    assert run["requestBody"]["required"] is False
    create = spec["paths"]["/api/v1/sessions"]["post"]
    assert create["requestBody"]["required"] is True

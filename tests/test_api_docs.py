"""The OpenAPI document and the interactive docs: a valid OpenAPI 3.1 document that carries
the limits the server enforces, examples for the main operations, and Swagger UI served
from our own static files under our CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

from lockstep.api.urls import api
from tests.browser import shot
from tests.conftest import World


def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def test_the_document_is_valid_openapi_3_1(world: World) -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert len(operations) >= 90
    assert doc["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_the_document_carries_the_limits_the_server_enforces(world: World) -> None:
    doc = document()
    leads = doc["paths"]["/api/v1/leads"]["post"]["requestBody"]["content"]["application/json"]
    text = str(leads) + str(doc["components"]["schemas"]["LeadIn"])
    assert "'minItems': 1" in text and "'maxItems': 1000" in text
    external_id = doc["components"]["schemas"]["LeadIn"]["properties"]["external_id"]
    assert (external_id["minLength"], external_id["maxLength"]) == (1, 100)
    limit = next(
        p for p in doc["paths"]["/api/v1/programs"]["get"]["parameters"] if p["name"] == "limit"
    )
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 200)
    statuses = doc["components"]["schemas"]["TransitionIn"]["properties"]["to"]
    assert set(statuses["enum"]) == {"draft", "preview", "ready", "live", "closed"}


def test_main_operations_have_examples(world: World) -> None:
    doc = document()
    for path, method in [
        ("/api/v1/programs", "post"),
        ("/api/v1/programs/{program_id}/transitions", "post"),
    ]:
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert "example" in body or "examples" in body, path


def test_refusals_are_documented_as_problem_details(world: World) -> None:
    doc = document()
    op = doc["paths"]["/api/v1/programs/{program_id}"]["patch"]
    for code in ("400", "401", "403", "404", "409", "413", "429"):
        assert list(op["responses"][code]["content"]) == ["application/problem+json"], code
    assert "Retry-After" in op["responses"]["429"]["headers"]
    assert "WWW-Authenticate" in op["responses"]["401"]["headers"]


def test_interactive_docs_load_from_our_own_static_files(world: World) -> None:
    client = Client()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    styles = re.findall(r'<link[^>]*href="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts + styles)
    # Inline script blocks would be blocked by the CSP: only data blocks are inline.
    for tag in re.findall(r"<script(?![^>]*src=)[^>]*>", html):
        assert 'type="application/json"' in tag
    for asset in scripts + styles:
        assert client.get(asset).status_code == 200, asset
    assert "cdn" not in html.lower()


def test_schema_is_built_from_the_same_api_object() -> None:
    assert api.get_openapi_schema()["info"]["title"] == "Lockstep API"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_under_our_csp(live_server: Any, browser: Any) -> None:
    """Chromium opens /api/v1/docs: Swagger UI draws the operations, with no CSP violation
    and no request outside this server."""
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=15000)
    assert "Lockstep API" in page.inner_text(".swagger-ui .info")
    shot(page, "api-docs")
    page.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert not [u for u in outside if not u.startswith("data:")], outside


def test_every_schema_name_is_unique() -> None:
    """Two schemas with one name would share a component: one operation would be documented
    with the other's shape."""
    import inspect

    from ninja import Schema

    from lockstep.api import feedback, kit, org, programs, results, training, webhooks

    names: dict[str, str] = {}
    for module in (feedback, kit, org, programs, results, training, webhooks):
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Schema)
                and obj.__module__ == module.__name__
            ):
                assert names.setdefault(name, module.__name__) == module.__name__, name

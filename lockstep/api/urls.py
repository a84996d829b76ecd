"""The REST API (django-ninja) under /api/v1/: the OpenAPI document at /api/v1/openapi.json,
interactive docs at /api/v1/docs (Swagger UI served from our own static files).

Every operation authenticates a personal token, checks the caller's permission in the one
table (`core.permissions`), loads objects through the owning app's `access_*` helpers and
changes state only through its services. Every refusal is an RFC 9457 problem
(`api.problems`). docs/api.md is the guide."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger

from lockstep.api import feedback, kit, org, programs, results, training, webhooks
from lockstep.api.auth import TokenAuth
from lockstep.api.parser import StrictParser
from lockstep.api.problems import HANDLERS, MEDIA_TYPE, problem_response

DESCRIPTION = """Everything a person can do in Lockstep, for programs: push leads from a
CRM, pull funnel and scorecard figures into a BI tool, manage programs and their plan.

**Authentication.** A personal API token (user menu → *API tokens*, or `lockstep token
create`) in `Authorization: Bearer <token>`. A token acts with its owner's role in one
organization. Each token may make `LOCKSTEP_API_RATE_PER_MINUTE` requests a minute
(default 120); past that the answer is 429 with `Retry-After`.

**Errors.** Every refusal is `application/problem+json` (RFC 9457): `type`, `title`,
`status`, `detail`, and for invalid input `errors: [{location, field, pointer, message}]`.
A role that may not do something gets 403; anything outside the caller's organization or
role is 404, as if it did not exist.

**Lists** are pages, oldest first: pass `next_cursor` back as `cursor`.

The permission each operation needs is in `x-lockstep-permission` (docs/permissions.md)."""


class LockstepAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Refusals are documented as problem+json, with the headers that come with them."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for code, response in operation.get("responses", {}).items():
                    _document(str(code), response)
        _link(schema.get("paths", {}))
        return schema


def _document(code: str, response: dict[str, Any]) -> None:
    content = response.get("content", {})
    if code.startswith(("4", "5")) and "application/json" in content:
        response["content"] = {MEDIA_TYPE: content["application/json"]}
    descriptions = {
        "400": "Invalid input: the problem lists each bad value in `errors`.",
        "401": "No token, or an unknown, revoked or expired one.",
        "403": "The token's role does not have the permission this operation needs.",
        "404": "It does not exist, or it is outside your organization or your role.",
        "409": "The object's state does not allow it (closed program, already done…).",
        "413": "The body is too large.",
        "429": "Too many requests for this token: wait `Retry-After` seconds.",
    }
    if code in descriptions:
        response["description"] = descriptions[code]
    if code == "429":
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds until the token may send again.",
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    if code == "401":
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}


def _link(paths: dict[str, Any]) -> None:
    """OpenAPI links from each create (POST answering 201 with an `id`) to the operations on
    the object it made (`…/{thing_id}`), so clients and stateful fuzzers can follow them."""
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get(201)
        if created is None:
            continue
        for other, other_item in paths.items():
            match = other.startswith(path + "/{") and other.count("/") == path.count("/") + 1
            if not match:
                continue
            param = other.rsplit("{", 1)[1].rstrip("}")
            parent = {p: f"$request.path.{p}" for p in re.findall(r"{(\w+)}", path)}
            for method, operation in other_item.items():
                name = f"{method.capitalize()}{param.replace('_id', '').title()}"
                created.setdefault("links", {})[name] = {
                    "operationId": operation["operationId"],
                    "parameters": {**parent, param: "$response.body#/id"},
                }


api = LockstepAPI(
    title="Lockstep API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    parser=StrictParser(),  # NUL and lone surrogates in text: a 400 problem, never a 500
    docs_url="/docs",
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
)
for exception, handler in HANDLERS:
    api.add_exception_handler(exception, handler)

api.add_router("/", org.router)
api.add_router("/", programs.router)
api.add_router("/", kit.router)
api.add_router("/", training.router)
api.add_router("/", feedback.router)
api.add_router("/", results.router)
api.add_router("/", results.figures)
api.add_router("/", webhooks.router)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/: the same problem as a missing object."""
    return problem_response(request, 404, "There is no such operation: see /api/v1/docs.")

"""One error contract for every operation: RFC 9457 problem details.

Every refusal — bad input, no or bad token, wrong role, an object outside the caller's
organization or role, a rule of the product, a body too large, too many requests — is an
`application/problem+json` body with `type`, `title`, `status`, `detail` and, for input
errors, `errors: [{location, field, pointer, message}]`. Messages are written for people;
no Python or pydantic internals (class names, module paths, tracebacks) reach them."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from lockstep.core.errors import DomainError

logger = logging.getLogger("lockstep.api")

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://lockstep.invalid/problems/"  # documented in docs/api.md, not fetched

TITLES = {
    400: "The request is not valid",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "The request is too large",
    429: "Too many requests",
    500: "Server error",
}
SLUGS = {
    400: "invalid-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    429: "rate-limited",
    500: "server-error",
}


class FieldError(Schema):
    location: str = Field(
        description="Where the bad value is: body, query, path, form or file.",
        examples=["body"],
    )
    field: str = Field(
        description="The field's name (dotted for nested ones); empty for the whole body."
    )
    pointer: str = Field(
        description='RFC 6901 JSON pointer to the value in the body ("" for the whole '
        "body); for query and path parameters, the parameter's name.",
        examples=["/0/external_id"],
    )
    message: str = Field(description="What is wrong, in plain words.")


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(examples=[TYPE_BASE + "invalid-request"])
    title: str = Field(examples=["The request is not valid"])
    status: int = Field(ge=400, le=599, examples=[400])
    detail: str = Field(examples=["Fix the fields listed in errors."])
    instance: str = Field("", description="The request's path.")
    errors: list[FieldError] = Field(
        default_factory=list, description="For invalid input: one entry per bad value."
    )


class ApiProblem(Exception):
    """Raised by the API layer itself (rate limit, body size, bad cursor…)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        slug: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.errors = errors or []
        self.slug = slug
        self.headers = headers or {}
        self.extra = extra or {}


def field_error(field: str, message: str, *, location: str = "body") -> dict[str, str]:
    pointer = "/" + field.replace(".", "/") if location == "body" and field else field
    return {"location": location, "field": field, "pointer": pointer, "message": message}


def invalid(errors: list[dict[str, str]], detail: str = "") -> ApiProblem:
    return ApiProblem(400, detail or "Fix the values listed in errors.", errors=errors)


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (slug or SLUGS.get(status, "error")),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": errors or [],
        **(extra or {}),
    }
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- turning pydantic's errors into plain field errors -----------------------------------


def _is_field_name(part: Any) -> bool:
    """Pydantic puts its own names in `loc` (model and union branch names such as
    `LeadIn`, `list[LeadIn]`, `function-after[…]`): those are not the caller's fields."""
    if isinstance(part, int):
        return True
    text = str(part)
    return bool(text) and text[0].islower() and not any(c in text for c in "[](),- ")


def _plain_errors(raw: list[dict[str, Any]]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for item in raw:
        loc = list(item.get("loc") or [])
        location = str(loc[0]) if loc else "body"
        rest = loc[1:]
        if location == "body" and rest:
            rest = rest[1:]  # the handler's parameter name (`payload`), not the caller's
        parts = [p for p in rest if _is_field_name(p)]
        field = ".".join(str(p) for p in parts)
        if location == "body":
            pointer = "".join(f"/{p}" for p in parts)
        else:
            pointer = field
        message = str(item.get("msg", "Invalid value"))
        if item.get("type") == "missing" and not field and location == "body":
            message = "A JSON body is required."
        key = (location, pointer, message)
        if key not in seen:
            seen.add(key)
            errors.append(
                {"location": location, "field": field, "pointer": pointer, "message": message}
            )
    # For a union (one object or a list of them) pydantic also reports "not a list" for the
    # branch that did not apply: drop whole-body type errors when deeper errors explain more.
    deeper = [e for e in errors if e["pointer"]]
    if deeper:
        errors = [e for e in errors if e["pointer"] or not e["message"].startswith("Input should")]
    return errors


# --- the handlers ------------------------------------------------------------------------


def on_validation_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    if not isinstance(exc, ValidationError):  # registered for this type only
        raise TypeError(exc)
    return problem_response(
        request, 400, "Fix the values listed in errors.", errors=_plain_errors(exc.errors)
    )


def on_http_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    if not isinstance(exc, HttpError):  # registered for this type only
        raise TypeError(exc)
    if isinstance(exc, AuthenticationError) or exc.status_code == 401:
        return problem_response(
            request,
            401,
            "Send a valid personal API token: Authorization: Bearer <token>. Tokens are made "
            "on the API tokens page or with `lockstep token create`; revoked and expired "
            "tokens are refused.",
            headers={"WWW-Authenticate": 'Bearer realm="lockstep"'},
        )
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        error = field_error("", "The body is not valid JSON.")
        return problem_response(request, 400, "The body is not valid JSON.", errors=[error])
    status = exc.status_code if exc.status_code in TITLES else 400
    return problem_response(request, status, str(exc))


def on_api_problem(request: HttpRequest, exc: Exception) -> HttpResponse:
    if not isinstance(exc, ApiProblem):  # registered for this type only
        raise TypeError(exc)
    return problem_response(
        request,
        exc.status,
        exc.detail,
        errors=exc.errors,
        slug=exc.slug,
        headers=exc.headers,
        extra=exc.extra,
    )


def on_domain_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A rule of the product refused the call: its status and message (never a 500)."""
    if not isinstance(exc, DomainError):  # registered for this type only
        raise TypeError(exc)
    extra: dict[str, Any] = {}
    slug = None
    readiness = getattr(exc, "readiness", None)
    if readiness is not None:  # the launch gate: the score and what to fix
        slug = "launch-refused"
        extra = {
            "score": readiness.score,
            "threshold": getattr(exc, "threshold", None),
            "findings": [f.message for f in readiness.findings],
        }
    return problem_response(request, exc.status, str(exc), title=exc.title, slug=slug, extra=extra)


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(
        request,
        404,
        "Nothing here: it does not exist, or it is outside your organization or your role.",
    )


def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, 403, str(exc) or "Your role does not allow this.")


def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, 413, "The request body is too large.")


def on_suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(request, 400, "The request could not be read.")


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: logged with its traceback, answered without one."""
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(request, 500, "Something went wrong on our side; it was logged.")


HANDLERS: list[tuple[type[Exception], Any]] = [
    (ValidationError, on_validation_error),
    (HttpError, on_http_error),
    (ApiProblem, on_api_problem),
    (DomainError, on_domain_error),
    (Http404, on_not_found),
    (PermissionDenied, on_permission_denied),
    (RequestDataTooBig, on_too_big),
    (SuspiciousOperation, on_suspicious),
    (Exception, on_unexpected),
]

"""A schemathesis run against the OpenAPI document, inside the test suite: every operation,
a bounded number of generated requests each (examples first, then generated and
schema-violating ones), as an owner of a stocked organization. No answer may be a 5xx, and
every status code, content type, header and body must be the documented ones; requests
that break the schema must be refused.

LOCKSTEP_FUZZ_EXAMPLES raises the bound for a longer run (default 6 per operation per
mode); LOCKSTEP_FUZZ_COVERAGE=1 adds schemathesis's coverage phase (every boundary value of
every parameter: about 5,000 more requests, a minute and a half)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from lockstep.accounts.services import create_token
from lockstep.api.urls import api
from tests.factories import Stock

EXAMPLES = int(os.environ.get("LOCKSTEP_FUZZ_EXAMPLES", "6"))
STATEFUL_EXAMPLES = int(os.environ.get("LOCKSTEP_FUZZ_STATEFUL", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CASES = [0]  # generated cases run (a list: the test adds to it)
OPERATIONS: set[str] = set()


class DjangoApp:
    """Django's WSGI handler without closing the database connection after each request
    (the test's transaction lives on it), as Django's own test client does."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


TOKEN = [""]  # the current test's token (set by the fixture, read by the auth provider)


@schemathesis.auth()
class BearerToken:
    """Schemathesis sends the test's token itself, so it never fuzzes the Authorization
    header of a case (and never counts our header as the schema-violating part)."""

    def get(self, case: Any, context: Any) -> str:
        return TOKEN[0]

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = DjangoApp()
schema.config.phases.coverage.enabled = os.environ.get("LOCKSTEP_FUZZ_COVERAGE") == "1"


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = (
        f"schemathesis: {CASES[0]} generated cases over "
        f"{len(OPERATIONS)} operations ({EXAMPLES} examples each at most)"
    )
    if reporter is not None:
        reporter.write_line(line)
    os.makedirs("test-artifacts", exist_ok=True)
    with open("test-artifacts/schemathesis.txt", "a") as handle:
        handle.write(line + "\n")


@pytest.fixture
def owner_token(stock: Stock, settings: Any) -> str:
    settings.API_RATE_PER_MINUTE = 100_000  # the fuzz run is one token's burst
    _, token = create_token(membership=stock.world.membership(stock.world.owner), name="fuzz")
    TOKEN[0] = token
    return token


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(case: Any, owner_token: str) -> None:
    CASES[0] += 1
    OPERATIONS.add(case.operation.label)
    case.call_and_validate(checks=CHECKS)


STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]


@pytest.mark.django_db
def test_linked_operations_hold_up_in_sequences(owner_token: str) -> None:
    """Stateful run over the document's links: create a team, a program, a plan row, a
    webhook… then read, change and delete what was made. Deleted objects must be gone,
    created ones reachable."""
    workflow = schema.as_state_machine()

    class Workflow(workflow):  # type: ignore[misc,valid-type]
        def validate_response(self, response: Any, case: Any, *args: Any, **kw: Any) -> None:
            CASES[0] += 1
            case.validate_response(response, checks=STATEFUL_CHECKS)

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=STATEFUL_EXAMPLES, stateful_step_count=4, deadline=None,
            derandomize=True, database=None, suppress_health_check=list(HealthCheck),
        ),
    )  # fmt: skip

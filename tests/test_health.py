"""Health endpoints for load balancers, request ids and structured logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.utils import timezone

from lockstep.core.logs import JsonFormatter, RequestIdFilter, request_context
from lockstep.ops import health
from lockstep.ops.models import WorkerHeartbeat
from tests.conftest import World


def beat(seconds_ago: float = 0) -> None:
    seen = timezone.now() - dt.timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(
        worker_id=f"w{seconds_ago}", hostname="h", pid=1, started_at=seen, seen_at=seen
    )


def readyz(client: Client | None = None, **headers: Any) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get("/readyz", **headers)
    assert response["Cache-Control"] == "no-store"
    return response.status_code, json.loads(response.content)


def test_healthz_answers_without_touching_the_database() -> None:
    # No `django_db` mark: any query would raise here.
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_readyz_is_ready_with_a_recent_worker_heartbeat() -> None:
    beat(seconds_ago=5)
    assert readyz() == (
        200,
        {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "worker": "ok"}},
    )


@pytest.mark.django_db
def test_readyz_names_the_missing_or_silent_worker() -> None:
    status, body = readyz()
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["database"] == "ok" and "no worker" in body["checks"]["worker"]
    beat(seconds_ago=600)
    status, body = readyz()
    assert status == 503 and "no worker heartbeat for 600 s" in body["checks"]["worker"]


@pytest.mark.django_db
def test_readyz_reports_a_database_outage_without_details(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down() -> None:
        raise OperationalError('connection to server at "db.internal" failed')

    monkeypatch.setattr(health, "CHECKS", [("database", down), *health.CHECKS[1:]])
    status, body = readyz()
    assert status == 503
    assert body["checks"] == {
        "database": "database error (OperationalError)",
        "migrations": "not checked",
        "worker": "not checked",
    }
    assert "db.internal" not in json.dumps(body)  # in the log, not on the wire
    assert any("db.internal" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_readyz_reports_unapplied_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    beat()
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("a", False), ("b", False)],
    )
    status, body = readyz()
    assert status == 503 and body["checks"]["migrations"].startswith("2 migrations not applied")


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["lockstep.example.com"])
def test_probes_work_by_ip_over_plain_http() -> None:
    """A load balancer probes the backend's address without TLS: no redirect, no 400."""
    beat()
    client = Client(HTTP_HOST="10.0.0.5:8000")
    assert client.get("/healthz").status_code == 200
    assert readyz(client)[0] == 200
    assert client.get("/accounts/login/").status_code == 400  # everything else is checked


@pytest.mark.django_db
def test_every_response_carries_a_request_id(world: World) -> None:
    client = world.client(world.rep)
    first = client.get("/o/acme/")["X-Request-ID"]
    second = client.get("/o/acme/")["X-Request-ID"]
    assert len(first) == 32 and first != second
    kept = client.get("/o/acme/", HTTP_X_REQUEST_ID="proxy-7f3a9c21")["X-Request-ID"]
    assert kept == "proxy-7f3a9c21"  # a proxy's id is kept, so its logs and ours match
    junk = client.get("/o/acme/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert junk != "<script>" and len(junk) == 32


@pytest.mark.django_db
def test_each_request_is_logged_with_its_id_status_and_duration(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lockstep.request"):
        response = world.client(world.rep).get("/o/acme/")
    record = next(r for r in caplog.records if r.name == "lockstep.request")
    assert record.getMessage() == "GET /o/acme/ 200"
    fields = vars(record)
    assert fields["status"] == 200 and fields["user_id"] == world.rep.pk
    assert fields["duration_ms"] >= 0
    assert RequestIdFilter().filter(record) and record.request_id == response["X-Request-ID"]  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_server_error_is_logged_with_its_traceback_and_request_id(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("boom in the readiness check")

    monkeypatch.setattr(health, "CHECKS", [("database", broken)])
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/readyz")
    assert response.status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: boom in the readiness check" in line["traceback"]
    assert line["status_code"] == 500 and "request" not in line


def test_json_lines_carry_extra_fields_and_the_context_id() -> None:
    logger = logging.getLogger("lockstep.test")
    record = logger.makeRecord(
        "lockstep.test", logging.INFO, __file__, 1, "imported %d rows", (12,), None,
        extra={"job": "import-7"},
    )  # fmt: skip
    with request_context("task-abc"):
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "imported 12 rows" and line["job"] == "import-7"
    assert line["request_id"] == "task-abc" and line["time"].endswith("+00:00")

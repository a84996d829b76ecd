"""Health probes for load balancers and orchestrators: `/healthz` (liveness: the process
answers, no database) and `/readyz` (readiness: database, migrations, worker heartbeat).

`ops.middleware.HealthCheckMiddleware` answers both before host checks and HTTPS redirects,
so a probe by IP over plain HTTP works; the URL map names them too."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.ops.models import WorkerHeartbeat

logger = logging.getLogger("lockstep.health")

_migrated = False  # once every migration is applied, it stays so for this process's code


def check_database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def check_migrations() -> str | None:
    global _migrated
    if _migrated:
        return None
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        pending_count = counted(len(pending), "migration", "migrations")
        return f"{pending_count} not applied: run `lockstep migrate`"
    _migrated = True
    return None


def check_worker() -> str | None:
    seen = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if seen is None:
        return "no worker is running: start `lockstep worker`"
    silence = timezone.now() - seen
    if silence > dt.timedelta(seconds=settings.WORKER_MAX_SILENCE):
        return f"no worker heartbeat for {int(silence.total_seconds())} s"
    return None


CHECKS = [("database", check_database), ("migrations", check_migrations), ("worker", check_worker)]


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: no database query, so a database outage does not make an orchestrator
    restart web processes that are fine."""
    return HttpResponse("ok", content_type="text/plain", headers={"Cache-Control": "no-store"})


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, every migration is applied and a worker's heartbeat
    is recent; otherwise 503 naming the failing check (details in the log, not the body)."""
    checks: dict[str, str] = {}
    failed = False
    for name, check in CHECKS:
        if failed:
            checks[name] = "not checked"
            continue
        try:
            problem = check()
        except DatabaseError as exc:
            logger.warning("readiness check %s failed: %s", name, exc)
            problem = f"database error ({type(exc).__name__})"
        checks[name] = problem or "ok"
        failed = problem is not None
    return JsonResponse(
        {"status": "fail" if failed else "ok", "checks": checks},
        status=503 if failed else 200,
        headers={"Cache-Control": "no-store"},
    )

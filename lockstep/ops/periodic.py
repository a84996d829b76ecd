"""Running the periodic jobs of `scheduler.PERIODIC_JOBS` from the worker, once at a time.

A job runs when its row in `PeriodicJobState` is due and its lease is free; a worker takes
the lease with one conditional UPDATE (the database decides which of two workers wins), runs
the job, then sets the next due time and frees the lease. A worker that dies holding a lease
loses it when the lease expires (or at once, when a worker on the same host sees the process
is gone), and the job runs again: every item it sends has a key, so nothing goes out twice."""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from lockstep.core.logs import request_context
from lockstep.ops.models import PeriodicJobState
from lockstep.ops.scheduler import PERIODIC_JOBS, PeriodicJob

logger = logging.getLogger("lockstep.scheduler")

MIN_LEASE = dt.timedelta(minutes=10)
RETRY_AFTER_FAILURE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class JobRun:
    name: str
    sent: int | None  # None: the job failed (logged with its traceback)


def ensure_job_rows(jobs: list[PeriodicJob], now: dt.datetime) -> None:
    """A new job is due at once."""
    known = set(PeriodicJobState.objects.values_list("name", flat=True))
    if known.issuperset(job.name for job in jobs):
        return
    for job in jobs:
        if job.name not in known:
            try:
                with transaction.atomic():
                    PeriodicJobState.objects.create(name=job.name, next_run_at=now)
            except IntegrityError:
                pass  # another worker created it first


def take_lease(job: PeriodicJob, worker_id: str, now: dt.datetime) -> bool:
    lease = max(job.every, MIN_LEASE)
    taken = (
        PeriodicJobState.objects.filter(name=job.name, next_run_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(leased_until=now + lease, leased_by=worker_id, last_started_at=now)
    )
    return taken == 1


def run_job(job: PeriodicJob, worker_id: str, now: dt.datetime) -> JobRun:
    """Run one job whose lease this worker holds, then free the lease."""
    started = time.perf_counter()
    with request_context(f"job-{job.name}-{int(now.timestamp())}"):
        try:
            sent = job.run(now)
        except Exception:
            logger.exception("periodic job %s failed", job.name, extra={"job": job.name})
            PeriodicJobState.objects.filter(name=job.name, leased_by=worker_id).update(
                leased_until=None,
                next_run_at=timezone.now() + min(job.every, RETRY_AFTER_FAILURE),
                last_finished_at=timezone.now(),
                last_result=None,
                last_error=traceback.format_exc()[-5000:],
            )
            return JobRun(job.name, None)
        PeriodicJobState.objects.filter(name=job.name, leased_by=worker_id).update(
            leased_until=None,
            next_run_at=now + job.every,
            last_finished_at=timezone.now(),
            last_result=sent,
            last_error="",
        )
        logger.info(
            "periodic job %s sent %d",
            job.name,
            sent,
            extra={
                "job": job.name,
                "sent": sent,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    return JobRun(job.name, sent)


def run_due_jobs(
    worker_id: str,
    *,
    now: dt.datetime | None = None,
    jobs: list[PeriodicJob] | None = None,
    keep_going: Callable[[], bool] = lambda: True,
    limit: int | None = None,
) -> list[JobRun]:
    """Run the registered jobs that are due and not held by another worker: all of them, or
    at most `limit` (the worker runs one between tasks, so neither starves the other);
    stops between jobs once `keep_going` says so (a worker asked to stop)."""
    jobs = PERIODIC_JOBS if jobs is None else jobs
    now = now or timezone.now()
    ensure_job_rows(jobs, now)
    due = set(
        PeriodicJobState.objects.filter(name__in=[j.name for j in jobs], next_run_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .values_list("name", flat=True)
    )
    runs: list[JobRun] = []
    for job in jobs:
        if not keep_going() or (limit is not None and len(runs) >= limit):
            break
        if job.name in due and take_lease(job, worker_id, now):
            runs.append(run_job(job, worker_id, now))
    return runs


def release_leases(worker_ids: list[str]) -> int:
    """Free the leases of workers known to be dead, so their jobs run again now."""
    if not worker_ids:
        return 0
    return PeriodicJobState.objects.filter(leased_by__in=worker_ids).update(leased_until=None)

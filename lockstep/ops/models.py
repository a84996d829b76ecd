"""What the operations floor keeps: worker heartbeats and the periodic jobs' leases."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running `lockstep worker`, touched every few seconds. `/readyz` reads the
    newest; a worker that finds a dead one's task still marked running queues it again."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # The process's start time (Linux clock ticks since boot): a reused pid is not the same
    # process.
    process_start = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.hostname}:{self.pid})"


class PeriodicJobState(models.Model):
    """When a periodic job (reminders, SLA escalations…) is next due, and who holds it now.
    A worker runs a job only after taking its lease with one conditional UPDATE, so two
    workers never run the same job at once."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name

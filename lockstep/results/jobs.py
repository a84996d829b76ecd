"""Imports started in the browser: stored, mapped, then run by the worker with progress.

The worker runs the same import as the command line and the API (`core.imports.
run_import`); this module keeps the job's row up to date for the progress bar: checking
(rows read), then writing. While the import's transaction is open its own connection
cannot report (the report would only appear at commit), so on PostgreSQL the write
progress goes through a second, short-lived connection; on SQLite, whose one writer is
the import, the bar waits at the start of the write until the end (a few seconds)."""

from __future__ import annotations

import time
from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_tasks import task

from lockstep.accounts.models import User
from lockstep.core.errors import DomainError
from lockstep.core.events import Action
from lockstep.core.imports import (
    BulkSpec,
    ColumnPlan,
    FileError,
    ImportKind,
    ImportReport,
    Progress,
    import_kind,
    import_kinds,
    open_table,
    run_import,
)
from lockstep.core.models import ImportJob
from lockstep.core.services import record_audit
from lockstep.orgs.models import Organization

SAMPLE_ROWS = 3
EVERY_SECONDS = 0.5


def browser_kinds() -> dict[str, ImportKind]:
    return {name: kind for name, kind in import_kinds().items() if kind.in_browser}


def kind_of(job: ImportJob) -> ImportKind:
    kind = import_kind(job.kind)
    if kind is None or not kind.in_browser:
        raise FileError(f"“{job.kind}” is not something the browser imports.")
    return kind


def preview(
    job: ImportJob, mapping: dict[str, str] | None = None
) -> tuple[ColumnPlan, list[list[str]]]:
    """The header mapped as the import would map it (the preset, or `mapping`), and the
    first rows' values, for the mapping page."""
    kind = kind_of(job)
    with job.file.open("rb") as stream:
        table = open_table(stream)
        try:
            samples = []
            for _, cells in table.rows:
                if "".join(cells).strip():
                    samples.append(cells)
                if len(samples) >= SAMPLE_ROWS:
                    break
        finally:
            table.close()
    spec = kind.make_spec(job.org, preset=job.preset, mapping=mapping or {})
    if not isinstance(spec, BulkSpec):
        raise FileError(f"“{job.kind}” is not something the browser imports.")
    return spec.plan(table.header), samples


@transaction.atomic
def create_job(
    *,
    org: Organization,
    acting_user: User,
    kind: str,
    preset: str,
    upload: UploadedFile[bytes],
    partial: bool,
    dry_run: bool,
) -> ImportJob:
    """Store an uploaded file; it waits for its column mapping."""
    return ImportJob.objects.create(
        org=org,
        created_by=acting_user,
        kind=kind,
        preset=preset,
        file=upload,
        original_name=PurePath(str(upload.name)).name[:200],
        size=upload.size or 0,
        partial=partial,
        dry_run=dry_run,
    )


@transaction.atomic
def discard(job: ImportJob) -> None:
    """A file that cannot be read: remove it and its row."""
    job.file.delete(save=False)
    job.delete()


@transaction.atomic
def queue(job: ImportJob, *, mapping: dict[str, str], acting_user: User) -> None:
    job.mapping = mapping
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["mapping", "status"])
    record_audit(
        org=job.org,
        acting_user=acting_user,
        action=Action.IMPORT_STARTED,
        obj=job,
        changes={"file": [None, job.original_name], "kind": [None, job.kind]},
    )
    job_id = job.pk
    transaction.on_commit(lambda: run_import_job.enqueue(job_id))


class JobProgress:
    """Writes an import's progress on its job's row, at most twice a second."""

    def __init__(self, job_id: int, size: int) -> None:
        self.job_id, self.size = job_id, size
        self.last = 0.0
        self._side: Any = None

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        final = progress.phase == "writing" and progress.share >= 1.0
        if now - self.last < EVERY_SECONDS and not final:
            return
        self.last = now
        values: dict[str, Any] = {"heartbeat_at": timezone.now()}
        if progress.phase == "checking":
            values.update(
                rows_checked=progress.rows,
                bytes_checked=int(progress.share * self.size),
                phase="checking",
            )
        else:
            values.update(phase="writing", write_share=int(100 * progress.share))
        if not connection.in_atomic_block or progress.phase == "checking":
            ImportJob.objects.filter(pk=self.job_id).update(**values)
        elif connection.vendor == "postgresql":
            self._report_aside(values)

    def _report_aside(self, values: dict[str, Any]) -> None:
        """PostgreSQL: commit the progress on a connection of its own (the import's
        transaction is open on the main one)."""
        try:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            sets = ", ".join(f"{name} = %s" for name in values)
            with self._side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET {sets} WHERE id = %s",  # noqa: S608
                    [*values.values(), self.job_id],
                )
        except DatabaseError:
            pass  # progress is a courtesy; the import goes on

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


@task()
def run_import_job(job_id: int) -> str:
    job = ImportJob.objects.select_related("org", "created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job.status  # a retried task does not import twice
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    progress = JobProgress(job.pk, job.size)
    report: ImportReport | None = None
    failure = ""
    try:
        spec = kind_of(job).make_spec(job.org, preset=job.preset, mapping=job.mapping)
        with job.file.open("rb") as raw:
            report = run_import(
                spec, raw, acting_user=job.created_by, dry_run=job.dry_run,
                partial=job.partial, progress=progress, source="browser",
                file_name=job.original_name,
            )  # fmt: skip
    except (DomainError, FileError) as exc:
        failure = str(exc)
    except Exception as exc:  # noqa: BLE001 — the job records the failure for the user
        failure = f"{type(exc).__name__}: {str(exc)[:400]}"
    finally:
        progress.close()
    job.refresh_from_db()
    job.finished_at = timezone.now()
    if report is None:
        job.status, job.report = ImportJob.Status.FAILED, {"failure": failure[:500]}
    else:
        job.status, job.report = ImportJob.Status.DONE, report.as_dict()
        job.rows_checked = report.rows
    job.save()
    return job.status

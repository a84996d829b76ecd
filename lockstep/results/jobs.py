"""Imports started in the browser: stored, mapped, then run by the worker with progress."""

from __future__ import annotations

from pathlib import PurePath
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from lockstep.accounts.models import User
from lockstep.core.events import Action
from lockstep.core.imports import ImportSpec, open_table, run_import
from lockstep.core.models import ImportJob
from lockstep.core.services import record_audit
from lockstep.orgs.models import Organization
from lockstep.results.imports import LeadsSpec, OpportunitiesSpec

SPECS = {"leads": LeadsSpec, "opportunities": OpportunitiesSpec}


class Counting:
    """Wraps the stored file to tell how far the import has read."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.position += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.stream.seek(offset, whence)
        return self.position

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position


def job_spec(job: ImportJob) -> ImportSpec[Any]:
    return SPECS[job.kind](job.org, job.preset, job.mapping)


def header_of(job: ImportJob) -> list[str]:
    with job.file.open("rb") as stream:
        header, _ = open_table(stream)
    return header


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


@task()
def run_import_job(job_id: int) -> str:
    job = ImportJob.objects.select_related("org", "created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job.status  # a retried task does not import twice
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    try:
        with job.file.open("rb") as raw:
            stream = Counting(raw)

            def progress(rows: int) -> None:
                ImportJob.objects.filter(pk=job.pk).update(
                    rows_checked=rows, bytes_checked=stream.position
                )

            report = run_import(
                job_spec(job), stream, acting_user=job.created_by,  # type: ignore[arg-type]
                dry_run=job.dry_run, partial=job.partial, progress=progress,
                source="browser", file_name=job.original_name,
            )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 — the job records the failure for the user
        job.status, job.report = ImportJob.Status.FAILED, {"failure": str(exc)[:500]}
    else:
        job.status = ImportJob.Status.DONE
        job.rows_checked = report.rows
        job.report = {
            "summary": report.summary(),
            "counts": dict(report.counts),
            "rejected": report.rejected_rows,
            "written": report.written,
            "errors": [[e.row, e.column, e.message] for e in report.errors[:5000]],
            "more_errors": max(0, len(report.errors) - 5000),
        }
    job.finished_at = timezone.now()
    job.save()
    return job.status

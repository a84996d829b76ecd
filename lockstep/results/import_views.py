"""Importing leads and opportunities in the browser: upload, map columns, watch progress,
download the report (errors and warnings)."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from lockstep.core.errors import DomainError
from lockstep.core.imports import FileError, write_csv
from lockstep.core.models import ImportJob
from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.results import jobs
from lockstep.results.access import access_import_job

EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
STALLED_AFTER_SECONDS = 15 * 60


@org_view(Perm.IMPORT_DATA)
def new_import(request: OrgRequest) -> HttpResponse:
    kinds = jobs.browser_kinds()
    presets = sorted({p for k in kinds.values() for p in k.presets}, key=_preset_order)
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        preset = request.POST.get("preset", "auto")
        if kind not in kinds:
            errors.append("Choose what the file holds: leads or opportunities.")
        elif preset not in kinds[kind].presets:
            errors.append("Choose the export the file comes from.")
        if upload is None:
            errors.append("Choose a CSV or XLSX file.")
        elif (upload.size or 0) > settings.IMPORT_MAX_MB * 1024 * 1024:
            errors.append(f"The file is larger than {settings.IMPORT_MAX_MB} MB.")
        elif PurePath(str(upload.name)).suffix.lower() not in EXTENSIONS:
            errors.append("Import a .csv, .tsv, .txt or .xlsx file.")
        if not errors and upload is not None:
            job = jobs.create_job(
                org=request.org, acting_user=request.user, kind=kind, preset=preset,
                upload=upload, partial=request.POST.get("partial") == "on",
                dry_run=request.POST.get("dry_run") == "on",
            )  # fmt: skip
            return redirect("results:import_map", org_slug=request.org.slug, job_id=job.pk)
    recent = ImportJob.objects.for_org(request.org)[:10]
    context = {"errors": errors, "recent": recent, "presets": presets, "kinds": kinds}
    return render(request, "results/import_new.html", context, status=400 if errors else 200)


def _preset_order(name: str) -> tuple[int, str]:
    return (0 if name == "auto" else 2 if name == "generic" else 1, name)


@org_view(Perm.IMPORT_DATA)
def map_columns(request: OrgRequest, job_id: int) -> HttpResponse:
    job = access_import_job(request.membership, job_id)
    if job.status != ImportJob.Status.MAPPING:
        return redirect("results:import_job", org_slug=request.org.slug, job_id=job.pk)
    try:
        plan, samples = jobs.preview(job)
    except FileError as exc:
        messages.error(request, str(exc))
        jobs.discard(job)
        return redirect("results:import_new", org_slug=request.org.slug)
    kind = jobs.kind_of(job)
    header = [use.label for use in plan.uses]
    chosen = {use.label: use.field for use in plan.uses}
    problems: list[str] = []
    if request.method == "POST":
        mapping = {}
        for index, label in enumerate(header):
            field = request.POST.get(f"col{index}", "")
            if field and field not in kind.fields:
                raise DomainError(f"“{field[:40]}” is not a field of a {job.kind} import.")
            mapping[label] = field
        checked, _ = jobs.preview(job, mapping)
        problems = [e.message for e in checked.errors]
        if not problems:
            jobs.queue(job, mapping=mapping, acting_user=request.user)
            return redirect("results:import_job", org_slug=request.org.slug, job_id=job.pk)
        chosen = mapping
    columns = [
        {
            "index": i,
            "label": use.label,
            "field": chosen.get(use.label, ""),
            "note": use.note,
            "samples": [row[i] for row in samples if i < len(row) and row[i].strip()][:2],
        }
        for i, use in enumerate(plan.uses)
    ]
    fields = [(name, kind.field_label(name)) for name in kind.fields]
    context = {"job": job, "kind": kind, "columns": columns, "fields": fields, "problems": problems}
    return render(request, "results/import_map.html", context, status=400 if problems else 200)


@org_view(Perm.IMPORT_DATA)
@require_GET
def job_status(request: OrgRequest, job_id: int) -> HttpResponse:
    job = access_import_job(request.membership, job_id)
    report = job.report or {}
    stalled = (
        job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
        and job.heartbeat_at is not None
        and (timezone.now() - job.heartbeat_at).total_seconds() > STALLED_AFTER_SECONDS
    )
    context = {
        "job": job,
        "errors": report.get("errors", [])[:200],
        "warnings": report.get("warnings", [])[:200],
        "details": report.get("details", []),
        "stalled": stalled,
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "results/import_job.html#job-status", context)
    return render(request, "results/import_job.html", context)


@org_view(Perm.IMPORT_DATA)
@require_GET
def error_report(request: OrgRequest, job_id: int) -> HttpResponse:
    """Every error and warning kept, one per line; cells a spreadsheet would run as a
    formula are escaped (`core.imports.write_csv`)."""
    job = access_import_job(request.membership, job_id)
    report = job.report or {}
    rows: list[list[object]] = [["row", "column", "kind", "message"]]
    rows += [[r, c, "error", m] for r, c, m in report.get("errors", [])]
    rows += [[r, c, "warning", m] for r, c, m in report.get("warnings", [])]
    response = HttpResponse(write_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response
